//! The reproducible report over a kernel and its modules: FULL against
//! SPLIT (the kbuild commit's table), sizes per kind, optionally the
//! explainer's verdicts; every input and every BTF produced identified by
//! its sha256. The same inputs give the same bytes on any machine and for
//! any number of threads: inputs are named by file name only, modules are
//! sorted by name, and nothing measured (time, paths) goes in.
//! The schema is documented in docs/REPORT.md.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::explain::{Explainer, VerdictCounts};
use super::full::{full_split, full_split_sizes, BtfSize, FullIndex, FullSplit};
use super::resplit::split_sizes;
use super::stat::{percent, stat, Globals, KindStat, Stat};
use crate::btf::Btf;
use crate::dedup::BaseIndex;
use crate::error::{Error, ErrorKind, Result};
use crate::intake::Input;

/// Bumped whenever a field changes meaning or goes away.
pub const SCHEMA: &str = "btfscope-report/1";

/// Everything that changes the results (thread count does not).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// Also run the explainer on every module and count its verdicts.
    pub explain: bool,
    /// Also deduplicate every module's split BTF again against the base
    /// (the optional `redup` sizes). Absent when false, so that reports
    /// without the column read as they always did.
    #[serde(default, skip_serializing_if = "is_false")]
    pub redup: bool,
}

fn is_false(b: &bool) -> bool {
    !b
}

/// One input file, named without its directory.
pub struct NamedInput<'d> {
    pub name: String,
    pub bytes: &'d [u8],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Per-kind sizes: the part of [`Stat`] that adds up across modules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kinds {
    pub kinds: Vec<KindStat>,
    pub string_bytes: u64,
    pub globals: Globals,
}

impl Kinds {
    fn of(s: &Stat) -> Self {
        Kinds {
            kinds: s.kinds.clone(),
            string_bytes: s.str_len as u64,
            globals: s.globals,
        }
    }

    /// The kinds of `a` and `b` together, in kind-number order.
    pub(crate) fn labels<'k>(a: &'k Kinds, b: &'k Kinds) -> Vec<&'k str> {
        let mut labels: Vec<&str> = a
            .kinds
            .iter()
            .chain(&b.kinds)
            .map(|k| k.kind.as_str())
            .collect();
        labels.sort_by_key(|l| kind_rank(l));
        labels.dedup();
        labels
    }

    /// The count and bytes of the kind `label` (zero if it has none).
    pub(crate) fn of_kind(&self, label: &str) -> (u64, u64) {
        self.kinds
            .iter()
            .find(|k| k.kind == label)
            .map_or((0, 0), |k| (k.count, k.bytes))
    }

    fn add(&mut self, o: &Kinds) {
        for k in &o.kinds {
            match self.kinds.iter_mut().find(|m| m.kind == k.kind) {
                Some(m) => {
                    m.count += k.count;
                    m.bytes += k.bytes;
                }
                None => self.kinds.push(k.clone()),
            }
        }
        self.string_bytes += o.string_bytes;
        self.globals.count += o.globals.count;
        self.globals.bytes += o.globals.bytes;
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseResult {
    pub name: String,
    pub size: BtfSize,
    pub kinds: Kinds,
}

impl BaseResult {
    /// The report's entry for the base BTF `btf`, named `name`.
    pub fn of(name: &str, btf: &Btf) -> Self {
        BaseResult {
            name: name.to_string(),
            size: BtfSize::of(btf),
            kinds: Kinds::of(&stat(btf)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleResult {
    pub name: String,
    pub split: BtfSize,
    pub full: BtfSize,
    pub base_types_reached: u64,
    /// Of the module's SPLIT BTF, as shipped.
    pub kinds: Kinds,
    /// sha256 of the FULL BTF this report computed.
    pub full_sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<VerdictCounts>,
    /// With `options.redup`: the split BTF deduplicated again against the
    /// base (what `btfscope split` lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redup: Option<BtfSize>,
}

/// A module that could not be read; the others are reported all the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedModule {
    pub name: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub modules: u64,
    pub split: BtfSize,
    pub full: BtfSize,
    pub kinds: Kinds,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<VerdictCounts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redup: Option<BtfSize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub tool: Tool,
    pub options: Options,
    /// The base first, then the modules, as in `modules`.
    pub inputs: Vec<InputFile>,
    pub base: BaseResult,
    pub modules: Vec<ModuleResult>,
    /// Left out of `modules` and the totals. Absent when empty, so that
    /// reports without failures read as they always did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<FailedModule>,
    pub totals: Totals,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The sha256 of `btf`'s raw bytes in its byte order, without building them.
fn btf_sha256_hex(btf: &Btf) -> String {
    let mut hasher = Sha256::new();
    btf.write_in(btf.endian(), |chunk| hasher.update(chunk));
    hex(&hasher.finalize())
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn input_file(i: &NamedInput) -> InputFile {
    InputFile {
        name: i.name.clone(),
        bytes: i.bytes.len() as u64,
        sha256: sha256_hex(i.bytes),
    }
}

/// Builds the report. `base` is a vmlinux (any container intake reads),
/// `modules` the modules built on it. Runs on the current rayon pool.
pub fn report(options: &Options, base: &NamedInput, modules: &[NamedInput]) -> Result<Report> {
    unique_names(modules.iter().map(|m| m.name.as_str()))?;
    let base_input = Input::open(base.bytes).map_err(|e| e.in_file(&base.name))?;
    let base_btf = base_input
        .parse_btf(None)
        .map_err(|e| e.in_file(&base.name))?;
    // Hashing the base file overlaps indexing it.
    let (full_index, base_file) = rayon::join(|| FullIndex::new(&base_btf), || input_file(base));
    let full_index = full_index?;
    let index = (options.explain || options.redup)
        .then(|| BaseIndex::new(&base_btf))
        .transpose()?;
    let explainer = match &index {
        Some(index) if options.explain => Some(Explainer::new(index)?),
        _ => None,
    };
    let redup = index.as_ref().filter(|_| options.redup);
    // Each module's file is hashed in the task that analyses it.
    let rows: Vec<(InputFile, std::result::Result<ModuleResult, String>)> = modules
        .par_iter()
        .map(|m| {
            let row = module_result(&base_btf, Some(&full_index), explainer.as_ref(), redup, m);
            (input_file(m), row.map_err(|e| e.to_string()))
        })
        .collect();
    assemble(
        options,
        base_file,
        BaseResult::of(&base.name, &base_btf),
        rows,
    )
}

/// Refuses two inputs of the same name: a report names inputs by file name.
fn unique_names<'n>(names: impl Iterator<Item = &'n str>) -> Result<()> {
    let mut names: Vec<&str> = names.collect();
    names.sort_unstable();
    match names.windows(2).find(|w| w[0] == w[1]) {
        Some(w) => Err(Error::new(
            ErrorKind::Usage,
            format!(
                "two modules are named {}: a report names inputs by file name",
                w[0]
            ),
        )),
        None => Ok(()),
    }
}

/// The report of rows computed elsewhere (the page computes them in
/// passes, see `analyze::session`): `base_file` and `base` describe the
/// base, each of `modules` is a module's file and its row, or why it
/// failed. Modules are sorted by name and the totals summed here, as
/// [`report`] does.
pub fn assemble(
    options: &Options,
    base_file: InputFile,
    base: BaseResult,
    mut modules: Vec<(InputFile, std::result::Result<ModuleResult, String>)>,
) -> Result<Report> {
    unique_names(modules.iter().map(|(file, _)| file.name.as_str()))?;
    modules.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let mut inputs = vec![base_file];
    let mut results = Vec::new();
    let mut failed = Vec::new();
    for (file, row) in modules {
        match row {
            Ok(r) => results.push(r),
            Err(error) => failed.push(FailedModule {
                name: file.name.clone(),
                error,
            }),
        }
        inputs.push(file);
    }

    let mut totals = Totals {
        modules: results.len() as u64,
        split: BtfSize::default(),
        full: BtfSize::default(),
        kinds: Kinds::default(),
        explain: options.explain.then(VerdictCounts::default),
        redup: options.redup.then(BtfSize::default),
    };
    for m in &results {
        totals.split += m.split;
        totals.full += m.full;
        totals.kinds.add(&m.kinds);
        if let (Some(t), Some(e)) = (totals.explain.as_mut(), m.explain) {
            *t += e;
        }
        if let (Some(t), Some(r)) = (totals.redup.as_mut(), m.redup) {
            *t += r;
        }
    }
    totals.kinds.kinds.sort_by_key(|k| kind_rank(&k.kind));
    totals.kinds.globals.share_bp = (totals.kinds.globals.bytes * 10_000)
        .checked_div(totals.split.bytes)
        .unwrap_or(0);
    Ok(Report {
        schema: SCHEMA.to_string(),
        tool: Tool {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
        options: options.clone(),
        inputs,
        base,
        modules: results,
        failed,
        totals,
    })
}

/// Kind-number order for kind labels ("INT" … "ENUM64", then unknown ones).
pub(crate) fn kind_rank(label: &str) -> (usize, String) {
    let rank = crate::btf::Kind::ALL
        .iter()
        .position(|k| k.name() == label)
        .unwrap_or(usize::MAX);
    (rank, label.to_string())
}

/// One module's row of the report: `m` parsed on `base`, its FULL BTF
/// computed (faster with `full_index`, of `base`) and hashed, its
/// verdicts counted when `explainer` is given and its split BTF
/// deduplicated again with `redup` (an index of `base`).
pub fn module_result<'a>(
    base: &'a Btf<'a>,
    full_index: Option<&FullIndex>,
    explainer: Option<&Explainer<'_, 'a>>,
    redup: Option<&BaseIndex>,
    m: &NamedInput,
) -> Result<ModuleResult> {
    // Refuses a module that carries a distilled base: its ids are not on `base`.
    Input::open(m.bytes)?.with_btf(Some(base), |btf| {
        let (sizes, full) = full_split(btf, full_index)?;
        let mut row = row_of(btf, sizes, explainer, &m.name)?;
        row.full_sha256 = btf_sha256_hex(&full);
        row.redup = redup
            .map(|index| {
                split_sizes(btf, index, None).map(|r| BtfSize {
                    types: r.dedup_types,
                    bytes: r.dedup_bytes,
                })
            })
            .transpose()?;
        Ok(row)
    })
}

/// The row of the split BTF `btf` (a module's, named `name`) without its
/// hash (`full_sha256` empty): the FULL BTF is measured where it can be,
/// not built. `full_index`, when given, is of its base.
pub fn unhashed_row(btf: &Btf, full_index: Option<&FullIndex>, name: &str) -> Result<ModuleResult> {
    row_of(btf, full_split_sizes(btf, full_index)?, None, name)
}

fn row_of(
    btf: &Btf,
    sizes: FullSplit,
    explainer: Option<&Explainer>,
    name: &str,
) -> Result<ModuleResult> {
    Ok(ModuleResult {
        name: name.to_string(),
        split: sizes.split,
        full: sizes.full,
        base_types_reached: sizes.base_types_reached,
        kinds: Kinds::of(&stat(btf)),
        full_sha256: String::new(),
        explain: explainer
            .map(|e| e.explain(btf).map(|x| x.counts))
            .transpose()?,
        redup: None,
    })
}

/// Thousands separators, as the tables print byte counts.
pub(crate) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "x.y" for a ratio of two byte counts, to one decimal, in integers.
fn ratio(a: u64, b: u64) -> String {
    match (a * 10).checked_div(b) {
        Some(r) => format!("{}.{}x", r / 10, r % 10),
        None => "-".to_string(),
    }
}

/// Cuts `s` to `width` characters, keeping its end (module names differ
/// at the end less often than paths, but a name is what is left).
pub(crate) fn fit(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        s.to_string()
    } else {
        let tail: String = s.chars().skip(n - width + 1).collect();
        format!("~{tail}")
    }
}

/// A JSON document as the commands write one: pretty-printed, one
/// newline at the end, the same bytes wherever it is made.
pub(crate) fn pretty_json(value: &impl Serialize) -> Vec<u8> {
    let mut json = serde_json::to_vec_pretty(value).expect("plain data serializes");
    json.push(b'\n');
    json
}

impl Report {
    /// The JSON document `report --json` writes.
    pub fn to_json(&self) -> Vec<u8> {
        pretty_json(self)
    }

    /// Plain text for a mailing-list reply: at most 80 columns, tables in
    /// the spirit of the kbuild commit's.
    pub fn to_text(&self, top: usize) -> String {
        let t = &self.totals;
        let mut s = format!(
            "{} {}: {} modules on {} ({} bytes, {} types)\n\n",
            self.tool.name,
            self.tool.version,
            t.modules,
            self.base.name,
            grouped(self.base.size.bytes),
            grouped(self.base.size.types)
        );
        s += "Total BTF of all modules\n";
        s += &format!("{:<10} {:>16} {:>12}\n", "", "bytes", "types");
        s += &format!(
            "{:<10} {:>16} {:>12}\n",
            "FULL",
            grouped(t.full.bytes),
            grouped(t.full.types)
        );
        s += &format!(
            "{:<10} {:>16} {:>12}\n",
            "SPLIT",
            grouped(t.split.bytes),
            grouped(t.split.types)
        );
        s += &format!(
            "split BTF is {} smaller\n\n",
            ratio(t.full.bytes, t.split.bytes)
        );

        // As the kbuild commit did: the biggest modules by each measure.
        let by = |what: &str, size: fn(&ModuleResult) -> u64| {
            let mut ranked: Vec<&ModuleResult> = self.modules.iter().collect();
            ranked.sort_by(|a, b| size(b).cmp(&size(a)).then(a.name.cmp(&b.name)));
            let mut s = format!("Top {top} modules by {what} size (bytes)\n");
            s += &format!(
                "{:<36} {:>14} {:>14} {:>8}\n",
                "module", "FULL", "SPLIT", "ratio"
            );
            for m in ranked.iter().take(top) {
                s += &format!(
                    "{:<36} {:>14} {:>14} {:>8}\n",
                    fit(&m.name, 36),
                    grouped(m.full.bytes),
                    grouped(m.split.bytes),
                    ratio(m.full.bytes, m.split.bytes)
                );
            }
            s
        };
        s += &by("FULL", |m| m.full.bytes);
        s += "\n";
        s += &by("SPLIT", |m| m.split.bytes);
        s += "\nBytes per kind (SPLIT, as shipped)\n";
        s += &format!(
            "{:<12} {:>10} {:>14} {:>10} {:>14}\n",
            "kind", "vmlinux", "bytes", "modules", "bytes"
        );
        let base = &self.base.kinds;
        for l in Kinds::labels(base, &t.kinds) {
            let (bc, bb) = base.of_kind(l);
            let (mc, mb) = t.kinds.of_kind(l);
            s += &format!(
                "{:<12} {:>10} {:>14} {:>10} {:>14}\n",
                l,
                grouped(bc),
                grouped(bb),
                grouped(mc),
                grouped(mb)
            );
        }
        s += &format!(
            "{:<12} {:>10} {:>14} {:>10} {:>14}\n",
            "strings",
            "",
            grouped(base.string_bytes),
            "",
            grouped(t.kinds.string_bytes)
        );
        s += &format!(
            "global variables (VAR+DATASEC): vmlinux {}, modules {}\n",
            percent(base.globals.share_bp),
            percent(t.kinds.globals.share_bp)
        );
        if let Some(e) = &t.explain {
            s += &format!(
                "\nExplainer verdicts over all modules:\n{} identical (stale), {} different, {} unmergeable\n",
                e.identical, e.different, e.unmergeable
            );
        }
        if !self.failed.is_empty() {
            s += &format!(
                "\nModules that could not be read ({}):\n",
                self.failed.len()
            );
            for f in &self.failed {
                s += &format!("  {}: {}\n", f.name, f.error);
            }
        }
        s += "\nInputs are listed with their sha256 in the JSON report.\n";
        s
    }
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Inputs whose bytes are not those the report names.
    pub changed_inputs: Vec<InputChange>,
    /// JSON paths where the report and a fresh run differ, with both values.
    pub differences: Vec<(String, String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputChange {
    pub name: String,
    pub recorded: String,
    pub actual: String,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.changed_inputs.is_empty() && self.differences.is_empty()
    }
}

/// Re-runs the report recorded in `recorded` (its JSON) over `files`,
/// which must include every input it names (matched by name), and says
/// what differs.
pub fn verify(recorded: &[u8], files: &[NamedInput]) -> Result<Verification> {
    let old: serde_json::Value = serde_json::from_slice(recorded)
        .map_err(|e| Error::new(ErrorKind::BadContainer, format!("not a report: {e}")))?;
    if old.get("schema").and_then(|s| s.as_str()) != Some(SCHEMA) {
        return Err(Error::new(
            ErrorKind::BadContainer,
            format!("not a {SCHEMA} report"),
        ));
    }
    let field = |name: &str| {
        old.get(name)
            .cloned()
            .ok_or_else(|| Error::new(ErrorKind::BadContainer, format!("report has no {name}")))
    };
    let options: Options = serde_json::from_value(field("options")?)
        .map_err(|e| Error::new(ErrorKind::BadContainer, format!("options: {e}")))?;
    let inputs: Vec<InputFile> = serde_json::from_value(field("inputs")?)
        .map_err(|e| Error::new(ErrorKind::BadContainer, format!("inputs: {e}")))?;
    let by_name = |name: &str| files.iter().find(|f| f.name == name);
    let mut changed_inputs = Vec::new();
    let mut given = Vec::new();
    for i in &inputs {
        let f = by_name(&i.name).ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                format!("the report names input {}, which was not given", i.name),
            )
        })?;
        let actual = sha256_hex(f.bytes);
        if actual != i.sha256 {
            changed_inputs.push(InputChange {
                name: i.name.clone(),
                recorded: i.sha256.clone(),
                actual,
            });
        }
        given.push(f);
    }
    let (base, modules) = given
        .split_first()
        .ok_or_else(|| Error::new(ErrorKind::BadContainer, "report has no inputs"))?;
    let modules: Vec<NamedInput> = modules
        .iter()
        .map(|m| NamedInput {
            name: m.name.clone(),
            bytes: m.bytes,
        })
        .collect();
    let fresh = report(&options, base, &modules)?;
    let new = serde_json::to_value(&fresh)
        .map_err(|e| Error::new(ErrorKind::Usage, format!("serializing: {e}")))?;
    let mut differences = Vec::new();
    json_diff("", &old, &new, &mut differences);
    Ok(Verification {
        changed_inputs,
        differences,
    })
}

/// A report made from files (`fresh`, e.g. by [`assemble`]) checked
/// against a `recorded` one, module by module, matched by file name: what
/// the page shows for the files given after a report was imported.
/// [`verify`] is the stricter check (every JSON value, the report re-run).
/// The `explain` and `redup` columns are compared only when both reports
/// have them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportCheck {
    /// What differs for the base: `sha256` (its file), then its fields
    /// (`name`, `size`, `kinds`); empty when it is the recorded one.
    pub base: Vec<String>,
    /// One per module of `fresh`, in its order.
    pub modules: Vec<ModuleCheck>,
    /// The recorded report's modules `fresh` has no file of.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleCheck {
    pub name: String,
    /// Whether the recorded report names the module at all.
    pub recorded: bool,
    /// What differs: `sha256` (the file), the entry's fields (`split`,
    /// `full`, ...), or `failed` when only one report could read it;
    /// empty when verified.
    pub differences: Vec<String>,
}

/// A module's entry in a report: its row as JSON, or why it failed.
fn entries(r: &Report) -> Vec<(&str, std::result::Result<serde_json::Value, ()>)> {
    let rows = r
        .modules
        .iter()
        .map(|m| (m.name.as_str(), serde_json::to_value(m).map_err(|_| ())));
    let failed = r.failed.iter().map(|f| (f.name.as_str(), Err(())));
    rows.chain(failed).collect()
}

/// The top-level fields of two JSON objects that differ, but `skip`.
fn differing_fields(a: &serde_json::Value, b: &serde_json::Value, skip: &[&str]) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return vec!["(not an object)".to_string()];
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.dedup();
    let mut seen = Vec::new();
    for k in keys {
        if !skip.contains(&k.as_str()) && !seen.contains(k) && a.get(k) != b.get(k) {
            seen.push(k.clone());
        }
    }
    seen
}

/// See [`ReportCheck`].
pub fn check(recorded: &Report, fresh: &Report) -> ReportCheck {
    let mut skip = Vec::new();
    if !(recorded.options.explain && fresh.options.explain) {
        skip.push("explain");
    }
    if !(recorded.options.redup && fresh.options.redup) {
        skip.push("redup");
    }
    let sha = |r: &Report, name: &str| {
        r.inputs
            .iter()
            .find(|i| i.name == name)
            .map(|i| (i.bytes, i.sha256.clone()))
    };
    let file_differs =
        |name: &str| (sha(recorded, name) != sha(fresh, name)).then(|| "sha256".to_string());
    let value = |v: &BaseResult| serde_json::to_value(v).unwrap_or_default();
    let base = file_differs(&fresh.base.name)
        .into_iter()
        .chain(differing_fields(
            &value(&recorded.base),
            &value(&fresh.base),
            &[],
        ))
        .collect();
    let old = entries(recorded);
    let new = entries(fresh);
    let modules = new
        .iter()
        .map(|(name, now)| {
            let was = old.iter().find(|(n, _)| n == name).map(|(_, v)| v);
            let fields = match (was, now) {
                (None, _) | (Some(Err(())), Err(())) => Vec::new(),
                (Some(Ok(a)), Ok(b)) => differing_fields(a, b, &skip),
                (Some(_), _) => vec!["failed".to_string()],
            };
            ModuleCheck {
                name: name.to_string(),
                recorded: was.is_some(),
                differences: was
                    .and(file_differs(name))
                    .into_iter()
                    .chain(fields)
                    .collect(),
            }
        })
        .collect();
    let missing = old
        .iter()
        .filter(|(name, _)| !new.iter().any(|(n, _)| n == name))
        .map(|(name, _)| name.to_string())
        .collect();
    ReportCheck {
        base,
        modules,
        missing,
    }
}

/// Leaf-level differences between two JSON values, by path.
fn json_diff(
    path: &str,
    a: &serde_json::Value,
    b: &serde_json::Value,
    out: &mut Vec<(String, String, String)>,
) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => json_diff(&p, u, v, out),
                    (u, v) => out.push((p, show(u), show(v))),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let p = format!("{path}[{i}]");
                match (x.get(i), y.get(i)) {
                    (Some(u), Some(v)) => json_diff(&p, u, v, out),
                    (u, v) => out.push((p, show(u), show(v))),
                }
            }
        }
        _ if a != b => out.push((path.to_string(), a.to_string(), b.to_string())),
        _ => {}
    }
}

fn show(v: Option<&serde_json::Value>) -> String {
    v.map_or_else(|| "(absent)".to_string(), |v| v.to_string())
}
