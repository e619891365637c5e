//! CO-RE (compile once, run everywhere): which of a BPF program's
//! relocations resolve on which kernels, with libbpf's rules
//! (docs/CORE.md), and the minimal kernel BTF a set of programs needs.

pub mod btf_util;
pub mod calc;
pub mod matching;
pub mod min_btf;
pub mod report;
pub mod resolve;
pub mod spec;

pub use calc::ReloRes;
pub use resolve::{Failure, Program, Resolved, Target};
