//! `diff`: types added, removed and changed between two BTFs.

use std::io::Write;
use std::path::PathBuf;

use btfscope::analyze::diff::diff;
use btfscope::Result;

use crate::common::{json_out, with_btf_on, with_optional_base};

/// Types added, removed and changed between two BTFs, with their layouts.
#[derive(clap::Args)]
pub struct Args {
    /// The old BTF (vmlinux, module, raw BTF).
    old: PathBuf,
    /// The new BTF.
    new: PathBuf,
    /// The base both are split on (for modules).
    #[arg(short = 'B', long = "base")]
    base: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    let d = with_optional_base(args.base.as_deref(), |base| {
        with_btf_on(&args.old, base, |a| {
            with_btf_on(&args.new, base, |b| Ok(diff(a, b)))
        })
    })?;
    if args.json {
        json_out(out, &d)
    } else {
        Ok(out.write_all(d.to_text().as_bytes())?)
    }
}
