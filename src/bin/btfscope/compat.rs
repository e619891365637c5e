//! `compat`: would modules' BTF relocate onto another kernel (libbpf's
//! `btf__relocate` rules)? Modules are checked in parallel; output keeps
//! the order they were given in.

use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;

use btfscope::btf::Btf;
use btfscope::distill::{check_module, CompatReport, CompatSummary, TargetIndex};
use btfscope::Result;

use crate::common::{lone_error, name, read, summary_out, with_base, with_optional_base, ModulesOnBase};

/// Would modules' BTF relocate onto another kernel (libbpf's btf__relocate rules)?
#[derive(clap::Args)]
#[command(mut_arg("modules", |a| a.help("Kernel modules (.ko) to check")))]
#[command(mut_arg("base", |a| a.help("The new kernel's vmlinux (or vmlinuz, or raw BTF)")))]
pub struct Args {
    #[command(flatten)]
    on: ModulesOnBase,
    /// The kernel the modules were built for; not needed for modules
    /// that carry their distilled base (.BTF.base).
    #[arg(long = "from")]
    from: Option<PathBuf>,
    /// A JSON report instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    with_base(&args.on.base, |target| {
        let index = TargetIndex::new(target).map_err(|e| e.in_file(name(&args.on.base)))?;
        let check_all = |from: Option<&Btf>| -> Vec<Result<CompatReport>> {
            args.on.modules
                .par_iter()
                .map(|path| check_module(&index, &read(path)?, from, &name(path)))
                .collect()
        };
        let reports = with_optional_base(args.from.as_deref(), |from| Ok(check_all(from)))?;
        lone_error(&reports)?;
        let names = args.on.modules.iter().map(|p| name(p));
        let summary = CompatSummary::new(name(&args.on.base), names.zip(reports));
        summary_out(out, args.json, &summary, || summary.to_text())
    })
}
