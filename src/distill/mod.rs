//! Distilled base BTF and relocation, with libbpf 1.7's results
//! (`btf__distill_base`, `btf__relocate`), and the compatibility check
//! built on them: would a module's BTF relocate onto another kernel's?
//!
//! ```text
//! module split on vmlinux ──distill──▶ distilled base + new split
//!                                          │
//!                 other vmlinux ──relocate─┴─▶ split on other vmlinux
//! ```

mod compat;
mod distilled;
mod relocate;

pub use compat::{check, check_bytes, check_module, CompatOutcome, CompatReport, CompatSummary};
pub use distilled::{distill, DistillSummary, Distilled, DistilledModule, DistilledSizes};
pub use relocate::{
    relocate, Candidate, Problem, ProblemClass, Relocation, SizeChange, TargetIndex,
};
