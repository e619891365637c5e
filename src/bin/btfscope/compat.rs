//! `compat`: would modules' BTF relocate onto another kernel (libbpf's
//! `btf__relocate` rules)? Modules are checked in parallel; output keeps
//! the order they were given in.

use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;

use btfscope::btf::Btf;
use btfscope::distill::{check_module, CompatReport, TargetIndex};
use btfscope::Result;

use crate::common::{json_out, name, read, with_base, with_optional_base};

/// Would modules' BTF relocate onto another kernel (libbpf's btf__relocate rules)?
#[derive(clap::Args)]
pub struct Args {
    /// Kernel modules (.ko) to check.
    #[arg(required = true)]
    modules: Vec<PathBuf>,
    /// The new kernel's vmlinux (or vmlinuz, or raw BTF).
    #[arg(short = 'B', long = "base")]
    base: PathBuf,
    /// The kernel the modules were built for; not needed for modules
    /// that carry their distilled base (.BTF.base).
    #[arg(long = "from")]
    from: Option<PathBuf>,
    /// A JSON report instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    with_base(&args.base, |target| {
        let index = TargetIndex::new(target).map_err(|e| e.in_file(name(&args.base)))?;
        let check_all = |from: Option<&Btf>| -> Vec<Result<CompatReport>> {
            args.modules
                .par_iter()
                .map(|path| check_module(&index, &read(path)?, from, &name(path)))
                .collect()
        };
        let reports = with_optional_base(args.from.as_deref(), |from| Ok(check_all(from)))?;
        if let [Err(e)] = reports.as_slice() {
            return Err(e.clone());
        }
        let relocate = reports
            .iter()
            .filter(|r| r.as_ref().is_ok_and(|r| r.relocates))
            .count();
        if args.json {
            let modules: Vec<serde_json::Value> = reports
                .iter()
                .zip(&args.modules)
                .map(|(r, path)| match r {
                    Ok(r) => serde_json::to_value(r).unwrap_or_default(),
                    Err(e) => serde_json::json!({ "module": name(path), "error": e.to_string() }),
                })
                .collect();
            let summary = serde_json::json!({
                "target": name(&args.base),
                "modules": modules,
                "relocate": relocate,
                "total": reports.len(),
            });
            return json_out(out, &summary);
        }
        for (r, path) in reports.iter().zip(&args.modules) {
            match r {
                Ok(r) => out.write_all(r.to_text().as_bytes())?,
                Err(e) => writeln!(out, "{}: error: {e}", name(path))?,
            }
        }
        if reports.len() > 1 {
            writeln!(
                out,
                "{relocate} of {} modules relocate onto {}",
                reports.len(),
                name(&args.base)
            )?;
        }
        Ok(())
    })
}
