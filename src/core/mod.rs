//! CO-RE (compile once, run everywhere): which of a BPF program's
//! relocations resolve on which kernels, with libbpf's rules
//! (docs/CORE.md), and the minimal kernel BTF a set of programs needs.

pub mod btf_util;
pub mod calc;
pub mod explain;
pub mod insn;
pub mod matching;
pub mod min_btf;
pub mod report;
pub mod resolve;
pub mod spec;

pub use calc::ReloRes;
pub use resolve::{Failure, Program, Resolved, Target};

use crate::btf::ext::BtfExt;
use crate::btf::Btf;
use crate::error::{Error, ErrorKind, Result};
use crate::intake::Input;

/// A BPF object's `.BTF` and its `.BTF.ext`, checked against each other.
pub fn program_parts<'i>(input: &'i Input<'i>) -> Result<(Btf<'i>, BtfExt)> {
    let btf = input.parse_btf(None)?;
    let ext = input.parse_btf_ext().ok_or_else(|| {
        Error::new(
            ErrorKind::BadContainer,
            "no .BTF.ext section: not a BPF object with CO-RE records",
        )
    })??;
    ext.check(&btf)?;
    Ok((btf, ext))
}
