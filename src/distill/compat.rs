//! Would a module's BTF relocate onto another kernel? The module is
//! distilled (unless it carries its distilled base already), matched
//! against the kernel's BTF with libbpf's relocation rules, and every
//! problem is reported per type, with the member paths that embed it.

use std::fmt::Write as _;

use serde::Serialize;

use super::distilled::distill;
use super::relocate::{Problem, Relocation, SizeChange, TargetIndex};
use crate::btf::Btf;
use crate::error::{Error, ErrorKind, Result};
use crate::intake::Input;

/// The answer for one module.
#[derive(Debug, Clone, Serialize)]
pub struct CompatReport {
    pub module: String,
    /// True when `btf__relocate` would succeed.
    pub relocates: bool,
    /// Types of the distilled base (void not counted).
    pub distilled_types: usize,
    /// Why it would not, per type; libbpf's error is the first.
    pub problems: Vec<Problem>,
    /// Structs and unions that relocate onto a type of another size,
    /// which only pointers refer to; worth knowing, not an error.
    pub size_changes: Vec<SizeChange>,
}

/// How many embedding member paths the text report lists per type.
const PATHS_SHOWN: usize = 3;
/// How many size changes behind pointers the text report lists.
const SIZE_CHANGES_SHOWN: usize = 10;

impl CompatReport {
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let verdict = if self.relocates {
            "relocates"
        } else {
            "does NOT relocate"
        };
        let _ = writeln!(
            s,
            "{}: {verdict} ({} distilled base types, {} problems, {} size changes behind pointers)",
            self.module,
            self.distilled_types,
            self.problems.len(),
            self.size_changes.len()
        );
        for p in &self.problems {
            let _ = writeln!(s, "  {:?}: {}", p.class, p.message);
            if p.embedded_in.len() > 1 {
                let shown: Vec<&str> = p
                    .embedded_in
                    .iter()
                    .take(PATHS_SHOWN)
                    .map(String::as_str)
                    .collect();
                let more = p.embedded_in.len().saturating_sub(PATHS_SHOWN);
                let _ = write!(s, "    embedded in: {}", shown.join(", "));
                let _ = if more > 0 {
                    writeln!(s, " and {more} more")
                } else {
                    writeln!(s)
                };
            }
        }
        for c in self.size_changes.iter().take(SIZE_CHANGES_SHOWN) {
            let _ = writeln!(
                s,
                "  size change: {} {} is {} bytes in the module's base, {} in the target [{}]",
                c.kind, c.name, c.size, c.target_size, c.target_id
            );
        }
        let more = self.size_changes.len().saturating_sub(SIZE_CHANGES_SHOWN);
        if more > 0 {
            let _ = writeln!(
                s,
                "  ... and {more} more size changes (the JSON report lists all)"
            );
        }
        s
    }
}

/// One module's outcome in a [`CompatSummary`]: its report, or why it
/// could not be checked.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum CompatOutcome {
    Checked(CompatReport),
    Failed { module: String, error: String },
}

/// Modules checked against one kernel, in the order given.
#[derive(Debug, Clone, Serialize)]
pub struct CompatSummary {
    /// The kernel the modules would relocate onto.
    pub target: String,
    pub modules: Vec<CompatOutcome>,
    /// How many modules relocate.
    pub relocate: usize,
    /// How many modules were given.
    pub total: usize,
}

impl CompatSummary {
    /// The summary of `results`, one per module, named.
    pub fn new(
        target: String,
        results: impl IntoIterator<Item = (String, Result<CompatReport>)>,
    ) -> Self {
        let modules: Vec<CompatOutcome> = results
            .into_iter()
            .map(|(module, r)| match r {
                Ok(r) => CompatOutcome::Checked(r),
                Err(e) => CompatOutcome::Failed {
                    module,
                    error: e.to_string(),
                },
            })
            .collect();
        let relocate = modules
            .iter()
            .filter(|m| matches!(m, CompatOutcome::Checked(r) if r.relocates))
            .count();
        CompatSummary {
            target,
            total: modules.len(),
            modules,
            relocate,
        }
    }

    /// Each module's report, and the count that relocate where there are
    /// several.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for m in &self.modules {
            match m {
                CompatOutcome::Checked(r) => s.push_str(&r.to_text()),
                CompatOutcome::Failed { module, error } => {
                    let _ = writeln!(s, "{module}: error: {error}");
                }
            }
        }
        if self.total > 1 {
            let _ = writeln!(
                s,
                "{} of {} modules relocate onto {}",
                self.relocate, self.total, self.target
            );
        }
        s
    }
}

/// Checks `module` against `index`'s kernel. `module` is split BTF on
/// either the kernel it was built for (it is distilled first) or its
/// distilled base (`base_is_distilled`, as from a `.BTF.base` section).
pub fn check(
    index: &TargetIndex,
    module: &Btf,
    base_is_distilled: bool,
    name: &str,
) -> Result<CompatReport> {
    let distilled;
    let split;
    let module = if base_is_distilled {
        module
    } else {
        distilled = distill(module)?;
        split = distilled.split();
        &split
    };
    let reloc = Relocation::new(index, module)?;
    Ok(CompatReport {
        module: name.to_string(),
        relocates: reloc.problems().is_empty(),
        distilled_types: module.base().map_or(0, |b| b.local_len()),
        problems: reloc.problems().to_vec(),
        size_changes: reloc.size_changes().to_vec(),
    })
}

/// [`check`] on file contents, for the page: `module` is a .ko (or raw
/// split BTF), `built_for` the BTF of the kernel it was built for (not
/// needed when the module carries `.BTF.base`), `target` the new
/// kernel's vmlinux, vmlinuz or raw BTF.
pub fn check_bytes(
    module: &[u8],
    built_for: Option<&[u8]>,
    target: &[u8],
    name: &str,
) -> Result<CompatReport> {
    let target_input = Input::open(target).map_err(|e| e.context("target"))?;
    let target = target_input
        .parse_btf(None)
        .map_err(|e| e.context("target"))?;
    let index = TargetIndex::new(&target)?;
    let built_input = built_for.map(Input::open).transpose()?;
    let built = built_input
        .as_ref()
        .map(|i| i.parse_btf(None))
        .transpose()?;
    check_module(&index, module, built.as_ref(), name)
}

/// [`check`] on a module file's contents against a prepared target: on
/// the module's own `.BTF.base` if it has one, else on `built_for`.
pub fn check_module(
    index: &TargetIndex,
    module: &[u8],
    built_for: Option<&Btf>,
    name: &str,
) -> Result<CompatReport> {
    let input = Input::open(module).map_err(|e| e.in_file(name))?;
    let report = match (input.parse_btf_base(), built_for) {
        (Some(dist), _) => {
            let dist = dist?;
            check(index, &input.parse_btf(Some(&dist))?, true, name)
        }
        (None, Some(base)) => check(index, &input.parse_btf(Some(base))?, false, name),
        (None, None) => Err(Error::new(
            ErrorKind::Usage,
            "the module has no distilled base (.BTF.base): give the BTF of the kernel it was built for",
        )),
    };
    report.map_err(|e| e.in_file(name))
}
