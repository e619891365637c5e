//! Two reports side by side: what a new kernel, a new encoder or another
//! option did to vmlinux and to every module. The input is two
//! `btfscope-report/1` documents (docs/REPORT.md), the output the
//! `btfscope-compare/1` document (docs/COMPARE.md) and a plain-text
//! table for a mailing list. Modules are matched by file name without the
//! `.ko` / `.ko.xz` / `.ko.gz` / `.ko.zst` suffix; every delta is new
//! minus old, with an absent module counting as zero, so the module deltas
//! add up to the totals' delta. Same reports, same bytes.

use std::collections::BTreeMap;

use serde::Serialize;

use super::diff::{diff, BtfDiff};
use super::full::BtfSize;
use super::report::{
    fit, grouped, sha256_hex, BaseResult, InputFile, Kinds, ModuleResult, NamedInput, Options,
    Report, Tool, Totals, SCHEMA as REPORT_SCHEMA,
};
use crate::btf::Btf;
use crate::error::{Error, ErrorKind, Result};
use crate::intake::Input;

/// Bumped whenever a field changes meaning or goes away.
pub const SCHEMA: &str = "btfscope-compare/1";

/// Module file suffixes a module's name is matched without, longest first.
const SUFFIXES: [&str; 4] = [".ko.zst", ".ko.xz", ".ko.gz", ".ko"];

/// The name a module is matched by: its file name without the module
/// suffix (`nfs.ko.xz` → `nfs`); other names are kept whole.
pub fn module_key(file_name: &str) -> &str {
    SUFFIXES
        .iter()
        .find_map(|s| file_name.strip_suffix(s).filter(|k| !k.is_empty()))
        .unwrap_or(file_name)
}

/// Reads the JSON report `bytes`, named `name` in errors: JSON syntax
/// errors and missing or mistyped fields say where (line and column), a
/// report of another schema says which.
pub fn read_report(name: &str, bytes: &[u8]) -> Result<Report> {
    let bad = |message: String| Error::new(ErrorKind::BadContainer, message).in_file(name);
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
    match value.get("schema").and_then(|s| s.as_str()) {
        Some(REPORT_SCHEMA) => {}
        Some(other) => {
            return Err(bad(format!(
                "schema {other:?} is not a report compare reads (expected {REPORT_SCHEMA:?})"
            )))
        }
        None => {
            return Err(bad(format!(
                "no \"schema\": not a btfscope report (expected {REPORT_SCHEMA:?})"
            )))
        }
    }
    if let Some(n) = too_big(&value) {
        return Err(bad(format!(
            "the number {n} is above 2^53: no report holds such a figure"
        )));
    }
    drop(value);
    let report: Report = serde_json::from_slice(bytes)
        .map_err(|e| bad(format!("not a {REPORT_SCHEMA} report: {e}")))?;
    if report.inputs.is_empty() {
        return Err(bad("the report names no inputs (not even its base)".into()));
    }
    let mut keys: Vec<&str> = report.modules.iter().map(|m| module_key(&m.name)).collect();
    keys.sort_unstable();
    if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
        return Err(bad(format!(
            "two modules are named {} (with different suffixes): compare matches modules by name",
            w[0]
        )));
    }
    Ok(report)
}

/// Figures up to 2^53 are exact as a double too (the page reads them);
/// bigger ones cannot be real sizes, and their deltas could overflow.
const MAX_FIGURE: u64 = 1 << 53;

/// The first integer in `v` above [`MAX_FIGURE`] in magnitude (floats
/// are left to the typed parse, which refuses them).
fn too_big(v: &serde_json::Value) -> Option<&serde_json::Number> {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            let magnitude = n.as_u64().or(n.as_i64().map(i64::unsigned_abs));
            magnitude.is_some_and(|m| m > MAX_FIGURE).then_some(n)
        }
        Value::Array(a) => a.iter().find_map(too_big),
        Value::Object(o) => o.values().find_map(too_big),
        _ => None,
    }
}

/// What a report was made of and how: enough to tell two reports apart
/// and to find their inputs again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub tool: Tool,
    pub options: Options,
    /// The report's first input, its vmlinux.
    pub base: InputFile,
    /// How many files the report names (the base and every module).
    pub inputs: u64,
    /// sha256 of the report's inputs listed as `sha256sum` prints them
    /// (`<sha256>  <name>\n`), in the report's order.
    pub inputs_sha256: String,
    /// Modules the report could not read (they count as absent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<String>,
}

impl Identity {
    fn of(r: &Report) -> Self {
        let listing: String = r
            .inputs
            .iter()
            .map(|i| format!("{}  {}\n", i.sha256, i.name))
            .collect();
        Identity {
            tool: r.tool.clone(),
            options: r.options.clone(),
            base: r.inputs[0].clone(),
            inputs: r.inputs.len() as u64,
            inputs_sha256: sha256_hex(listing.as_bytes()),
            failed: r.failed.iter().map(|f| f.name.clone()).collect(),
        }
    }
}

/// New minus old of one kind's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindDelta {
    pub kind: String,
    pub count: i64,
    pub bytes: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GlobalsDelta {
    pub count: i64,
    pub bytes: i64,
}

/// New minus old of a [`Kinds`]: every kind either side has, in kind
/// order, with zero for a side without it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KindsDelta {
    pub kinds: Vec<KindDelta>,
    pub string_bytes: i64,
    pub globals: GlobalsDelta,
}

fn change(old: u64, new: u64) -> i64 {
    new as i64 - old as i64
}

impl KindsDelta {
    fn of(old: &Kinds, new: &Kinds) -> Self {
        KindsDelta {
            kinds: Kinds::labels(old, new)
                .into_iter()
                .map(|l| {
                    let ((oc, ob), (nc, nb)) = (old.of_kind(l), new.of_kind(l));
                    KindDelta {
                        kind: l.to_string(),
                        count: change(oc, nc),
                        bytes: change(ob, nb),
                    }
                })
                .collect(),
            string_bytes: change(old.string_bytes, new.string_bytes),
            globals: GlobalsDelta {
                count: change(old.globals.count, new.globals.count),
                bytes: change(old.globals.bytes, new.globals.bytes),
            },
        }
    }
}

/// vmlinux in both reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaseComparison {
    pub old: BaseResult,
    pub new: BaseResult,
    pub delta: BaseDelta,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaseDelta {
    pub bytes: i64,
    pub types: i64,
    pub kinds: KindsDelta,
}

/// A module as one report has it: its input file and its row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleSide {
    pub file_bytes: u64,
    pub file_sha256: String,
    #[serde(flatten)]
    pub row: ModuleResult,
}

/// New minus old of a module's (or all modules') figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Delta {
    pub split_bytes: i64,
    pub split_types: i64,
    pub full_bytes: i64,
    pub full_types: i64,
    /// Of the SPLIT BTF, as shipped.
    pub kinds: KindsDelta,
}

impl Delta {
    fn of(old: (BtfSize, BtfSize, &Kinds), new: (BtfSize, BtfSize, &Kinds)) -> Self {
        Delta {
            split_bytes: change(old.0.bytes, new.0.bytes),
            split_types: change(old.0.types, new.0.types),
            full_bytes: change(old.1.bytes, new.1.bytes),
            full_types: change(old.1.types, new.1.types),
            kinds: KindsDelta::of(old.2, new.2),
        }
    }
}

/// One module name found in either report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleComparison {
    /// The file name without its module suffix.
    pub name: String,
    /// `None` (JSON `null`) when the old report does not have the module.
    pub old: Option<ModuleSide>,
    pub new: Option<ModuleSide>,
    pub delta: Delta,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TotalsDelta {
    pub modules: i64,
    #[serde(flatten)]
    pub sizes: Delta,
}

/// The reports' totals over all their modules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TotalsComparison {
    pub old: Totals,
    pub new: Totals,
    pub delta: TotalsDelta,
}

/// How many module names are in both reports, changed (some SPLIT or FULL
/// figure differs), only in the new one, only in the old one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ModuleCounts {
    pub both: u64,
    pub changed: u64,
    pub added: u64,
    pub removed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub schema: String,
    /// The btfscope that compared.
    pub tool: Tool,
    pub old: Identity,
    pub new: Identity,
    pub base: BaseComparison,
    pub summary: ModuleCounts,
    /// Sorted by name.
    pub modules: Vec<ModuleComparison>,
    pub totals: TotalsComparison,
}

fn sides(r: &Report) -> BTreeMap<&str, ModuleSide> {
    let inputs: BTreeMap<&str, &InputFile> =
        r.inputs.iter().map(|i| (i.name.as_str(), i)).collect();
    r.modules
        .iter()
        .map(|m| {
            let file = inputs.get(m.name.as_str());
            let side = ModuleSide {
                file_bytes: file.map_or(0, |f| f.bytes),
                file_sha256: file.map(|f| f.sha256.clone()).unwrap_or_default(),
                row: m.clone(),
            };
            (module_key(&m.name), side)
        })
        .collect()
}

fn figures(side: Option<&ModuleSide>) -> (BtfSize, BtfSize, Kinds) {
    side.map_or_else(
        || (BtfSize::default(), BtfSize::default(), Kinds::default()),
        |s| (s.row.split, s.row.full, s.row.kinds.clone()),
    )
}

/// `old` against `new` (as [`read_report`] returns them).
pub fn compare(old: &Report, new: &Report) -> Comparison {
    let (mut a, mut b) = (sides(old), sides(new));
    let mut names: Vec<&str> = a.keys().chain(b.keys()).copied().collect();
    names.sort_unstable();
    names.dedup();
    let mut summary = ModuleCounts::default();
    let modules: Vec<ModuleComparison> = names
        .into_iter()
        .map(|name| {
            let (o, n) = (a.remove(name), b.remove(name));
            let (fo, fn_) = (figures(o.as_ref()), figures(n.as_ref()));
            let delta = Delta::of((fo.0, fo.1, &fo.2), (fn_.0, fn_.1, &fn_.2));
            match (&o, &n) {
                (Some(_), Some(_)) => {
                    summary.both += 1;
                    summary.changed += u64::from(fo.0 != fn_.0 || fo.1 != fn_.1);
                }
                (None, _) => summary.added += 1,
                (_, None) => summary.removed += 1,
            }
            ModuleComparison {
                name: name.to_string(),
                old: o,
                new: n,
                delta,
            }
        })
        .collect();
    let (ot, nt) = (&old.totals, &new.totals);
    Comparison {
        schema: SCHEMA.to_string(),
        tool: Tool {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
        old: Identity::of(old),
        new: Identity::of(new),
        base: BaseComparison {
            old: old.base.clone(),
            new: new.base.clone(),
            delta: BaseDelta {
                bytes: change(old.base.size.bytes, new.base.size.bytes),
                types: change(old.base.size.types, new.base.size.types),
                kinds: KindsDelta::of(&old.base.kinds, &new.base.kinds),
            },
        },
        summary,
        modules,
        totals: TotalsComparison {
            old: ot.clone(),
            new: nt.clone(),
            delta: TotalsDelta {
                modules: change(ot.modules, nt.modules),
                sizes: Delta::of(
                    (ot.split, ot.full, &ot.kinds),
                    (nt.split, nt.full, &nt.kinds),
                ),
            },
        },
    }
}

/// The module files one report holds for `name` (matched as [`compare`]
/// matches): its base's file name and the module's.
pub fn module_inputs<'r>(r: &'r Report, name: &str) -> Option<(&'r str, &'r str)> {
    let m = r.modules.iter().find(|m| module_key(&m.name) == name)?;
    Some((r.inputs[0].name.as_str(), m.name.as_str()))
}

/// Refuses `file` unless it is the input of that name `report` (named
/// `report_name`) recorded: a type diff of other files than the compared
/// ones would explain nothing.
pub fn check_input(report: &Report, report_name: &str, file: &NamedInput) -> Result<()> {
    let recorded = report.inputs.iter().find(|i| i.name == file.name);
    match recorded {
        Some(i) if i.sha256 == sha256_hex(file.bytes) => Ok(()),
        Some(_) => Err(Error::new(
            ErrorKind::Incompatible,
            format!("not the file {report_name} was made from (its sha256 differs)"),
        )
        .in_file(&file.name)),
        None => Err(Error::new(
            ErrorKind::Usage,
            format!("{report_name} names no input {}", file.name),
        )),
    }
}

/// A module's file and its base's, as one report names them.
pub struct ModuleFiles<'d> {
    pub base: NamedInput<'d>,
    pub module: NamedInput<'d>,
}

/// `then` on the module's BTF, parsed on its base.
fn on_module<T>(f: &ModuleFiles, then: impl FnOnce(&Btf) -> Result<T>) -> Result<T> {
    let base_input = Input::open(f.base.bytes).map_err(|e| e.in_file(&f.base.name))?;
    let base = base_input
        .parse_btf(None)
        .map_err(|e| e.in_file(&f.base.name))?;
    Input::open(f.module.bytes)
        .and_then(|i| i.with_btf(Some(&base), then))
        .map_err(|e| e.in_file(&f.module.name))
}

/// The type-level cause of a module's change: the types its old split BTF
/// has and its new one has not, and the reverse, and those that changed
/// layout (`btfscope diff`).
pub fn module_diff(old: &ModuleFiles, new: &ModuleFiles) -> Result<BtfDiff> {
    on_module(old, |a| on_module(new, |b| Ok(diff(a, b))))
}

/// `+1,234`, `-56`, `0`.
pub fn signed(d: i64) -> String {
    match d {
        0 => "0".into(),
        d if d > 0 => format!("+{}", grouped(d.unsigned_abs())),
        d => format!("-{}", grouped(d.unsigned_abs())),
    }
}

/// The growth from `old` to `new` in percent, to two decimals, computed
/// in integers (`+27.16%`); `new` when there was nothing before.
pub fn growth(old: u64, new: u64) -> String {
    if old == 0 {
        return if new == 0 {
            "0.00%".into()
        } else {
            "new".into()
        };
    }
    let bp = (i128::from(new) - i128::from(old)) * 10_000 / i128::from(old);
    let sign = match bp {
        0 => "",
        bp if bp > 0 => "+",
        _ => "-",
    };
    let bp = bp.unsigned_abs();
    format!("{sign}{}.{:02}%", bp / 100, bp % 100)
}

/// One line of a figure table: label, old, new, delta, growth.
fn figure_row(label: &str, old: u64, new: u64) -> String {
    format!(
        "{:<20} {:>13} {:>13} {:>13} {:>9}\n",
        fit(label, 20),
        grouped(old),
        grouped(new),
        signed(change(old, new)),
        growth(old, new)
    )
}

fn figure_header(what: &str) -> String {
    format!(
        "{:<20} {:>13} {:>13} {:>13} {:>9}\n",
        what, "old", "new", "delta", "growth"
    )
}

/// Bytes per kind of two [`Kinds`], then strings and global variables.
fn kinds_table(title: &str, old: &Kinds, new: &Kinds) -> String {
    let mut s = figure_header(title);
    let find = |ks: &Kinds, l: &str| ks.kinds.iter().find(|k| k.kind == l).map_or(0, |k| k.bytes);
    for k in &KindsDelta::of(old, new).kinds {
        s += &figure_row(&k.kind, find(old, &k.kind), find(new, &k.kind));
    }
    s += &figure_row("strings", old.string_bytes, new.string_bytes);
    s += &figure_row("VAR+DATASEC", old.globals.bytes, new.globals.bytes);
    s
}

fn identity_line(which: &str, id: &Identity, base: &BaseResult, modules: u64) -> String {
    format!(
        "{which}: {} + {} modules, inputs sha256 {}\n",
        fit(&base.name, 28),
        modules,
        &id.inputs_sha256[..16.min(id.inputs_sha256.len())],
    )
}

impl Comparison {
    /// The JSON document `compare --json` writes.
    pub fn to_json(&self) -> Vec<u8> {
        super::report::pretty_json(self)
    }

    /// Plain text for a mailing list: vmlinux and module totals, bytes per
    /// kind, the `top` largest changes in SPLIT bytes, then every added
    /// and removed module.
    pub fn to_text(&self, top: usize) -> String {
        let (ot, nt) = (&self.totals.old, &self.totals.new);
        let mut s = format!(
            "{} {} compare ({SCHEMA})\n",
            self.tool.name, self.tool.version
        );
        s += &identity_line("old", &self.old, &self.base.old, ot.modules);
        s += &identity_line("new", &self.new, &self.base.new, nt.modules);
        s += "\n";
        s += &figure_header("BTF bytes");
        s += &figure_row(
            "vmlinux",
            self.base.old.size.bytes,
            self.base.new.size.bytes,
        );
        s += &figure_row("modules SPLIT", ot.split.bytes, nt.split.bytes);
        s += &figure_row("modules FULL", ot.full.bytes, nt.full.bytes);
        s += &figure_row(
            "vmlinux types",
            self.base.old.size.types,
            self.base.new.size.types,
        );
        s += &figure_row("modules SPLIT types", ot.split.types, nt.split.types);
        s += "\n";
        s += &kinds_table(
            "vmlinux per kind",
            &self.base.old.kinds,
            &self.base.new.kinds,
        );
        s += "\n";
        s += &kinds_table("modules per kind", &ot.kinds, &nt.kinds);
        let sm = &self.summary;
        s += &format!(
            "\nModules: {} in both ({} changed), {} added, {} removed\n",
            sm.both, sm.changed, sm.added, sm.removed
        );
        let mut changed: Vec<&ModuleComparison> = self
            .modules
            .iter()
            .filter(|m| m.old.is_some() && m.new.is_some())
            .filter(|m| m.delta.split_bytes != 0 || m.delta.full_bytes != 0)
            .collect();
        changed.sort_by(|a, b| {
            let key = |m: &ModuleComparison| m.delta.split_bytes.unsigned_abs();
            key(b).cmp(&key(a)).then(a.name.cmp(&b.name))
        });
        if !changed.is_empty() {
            s += &format!(
                "\nLargest changes in SPLIT bytes ({} of {})\n",
                top.min(changed.len()),
                changed.len()
            );
            s += &figure_header("module");
            for m in changed.iter().take(top) {
                let split =
                    |side: &Option<ModuleSide>| side.as_ref().map_or(0, |x| x.row.split.bytes);
                s += &figure_row(&m.name, split(&m.old), split(&m.new));
            }
        }
        let listed = |title: &str, pick: fn(&ModuleComparison) -> Option<&ModuleSide>| {
            let rows: Vec<(&str, u64)> = self
                .modules
                .iter()
                .filter_map(|m| pick(m).map(|x| (m.name.as_str(), x.row.split.bytes)))
                .collect();
            let mut s = String::new();
            if !rows.is_empty() {
                s += &format!("\n{title} ({}), SPLIT bytes\n", rows.len());
                for (name, bytes) in rows {
                    s += &format!("  {:<48} {:>13}\n", fit(name, 48), grouped(bytes));
                }
            }
            s
        };
        s += &listed("Added modules", |m| {
            m.old.is_none().then_some(m.new.as_ref()).flatten()
        });
        s += &listed("Removed modules", |m| {
            m.new.is_none().then_some(m.old.as_ref()).flatten()
        });
        for (which, id) in [("old", &self.old), ("new", &self.new)] {
            if !id.failed.is_empty() {
                s += &format!(
                    "\nModules the {which} report could not read: {}\n",
                    id.failed.join(", ")
                );
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_module_suffixes_only() {
        assert_eq!(module_key("nfs.ko"), "nfs");
        assert_eq!(module_key("nfs.ko.xz"), "nfs");
        assert_eq!(module_key("nfs.ko.gz"), "nfs");
        assert_eq!(module_key("nfs.ko.zst"), "nfs");
        assert_eq!(module_key("veth.btf"), "veth.btf");
        assert_eq!(module_key(".ko"), ".ko");
    }

    #[test]
    fn growth_is_signed_and_exact() {
        assert_eq!(growth(4_378_652, 5_545_179), "+26.64%");
        assert_eq!(growth(200, 100), "-50.00%");
        assert_eq!(growth(100, 100), "0.00%");
        assert_eq!(growth(0, 5), "new");
        assert_eq!(signed(-1234), "-1,234");
    }
}
