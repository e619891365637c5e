//! `distill`: modules' distilled base and new split BTF, as libbpf's
//! `btf__distill_base` makes them. Modules are processed in parallel;
//! output keeps the order they were given in.

use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;
use btfscope::distill::{distill, DistillSummary, DistilledSizes};
use btfscope::{Error, ErrorKind, Result};

use crate::common::{lone_error, name, summary_out, with_base, with_split_on, write, ModulesOnBase};

/// Distill modules' base BTF as libbpf's btf__distill_base does.
#[derive(clap::Args)]
#[command(mut_arg("modules", |a| a.help("Kernel modules (.ko) or raw split BTF")))]
#[command(mut_arg("base", |a| a.help("The vmlinux (or vmlinuz, or raw BTF) the modules were built against")))]
pub struct Args {
    #[command(flatten)]
    on: ModulesOnBase,
    /// Write OUT.base.btf (distilled base) and OUT.btf (new split); one module only.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// A JSON summary instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    if args.output.is_some() && args.on.modules.len() != 1 {
        return Err(Error::new(
            ErrorKind::Usage,
            "-o writes one module's BTF: give exactly one module",
        ));
    }
    with_base(&args.on.base, |base| {
        let results: Vec<Result<DistilledSizes>> = args
            .on
            .modules
            .par_iter()
            .map(|path| {
                let d = with_split_on(path, base, distill)?;
                if let Some(prefix) = &args.output {
                    for (suffix, data) in [("base.btf", d.base_bytes()), ("btf", d.split_bytes())] {
                        write(&PathBuf::from(format!("{}.{suffix}", prefix.display())), data)?;
                    }
                }
                Ok(d.sizes())
            })
            .collect();
        lone_error(&results)?;
        let names = args.on.modules.iter().map(|p| name(p));
        let summary = DistillSummary::new(name(&args.on.base), names.zip(results));
        summary_out(out, args.json, &summary, || summary.to_text())
    })
}
