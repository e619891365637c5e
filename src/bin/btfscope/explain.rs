//! `explain`: why a module carries its own copies of vmlinux types.

use std::io::Write;
use std::path::PathBuf;

use btfscope::analyze::explain::Explainer;
use btfscope::dedup::BaseIndex;
use btfscope::Result;

use crate::common::{json_out, name, with_base, with_split_on, LibbpfArg};

/// Why a module carries its own copies of vmlinux types.
#[derive(clap::Args)]
pub struct Args {
    /// The module (.ko, compressed or not, or raw split BTF).
    module: PathBuf,
    /// The vmlinux the module was built against.
    #[arg(short = 'B', long = "base")]
    base: PathBuf,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    libbpf: LibbpfArg,
}

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    with_base(&args.base, |base| {
        let index = BaseIndex::with_rules(base, args.libbpf.rules())?;
        let explainer = Explainer::new(&index)?;
        let x = with_split_on(&args.module, base, |btf| explainer.explain(btf))?;
        if args.json {
            return json_out(out, &x);
        }
        write!(out, "{}:\n{}", name(&args.module), x.to_text())?;
        Ok(())
    })
}
