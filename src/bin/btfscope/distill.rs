//! `distill`: modules' distilled base and new split BTF, as libbpf's
//! `btf__distill_base` makes them. Modules are processed in parallel;
//! output keeps the order they were given in.

use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

use btfscope::distill::{distill, DistilledSizes};
use btfscope::{Error, ErrorKind, Result};

use crate::common::{json_out, name, with_base, with_split_on, write};

/// Distill modules' base BTF as libbpf's btf__distill_base does.
#[derive(clap::Args)]
pub struct Args {
    /// Kernel modules (.ko) or raw split BTF.
    #[arg(required = true)]
    modules: Vec<PathBuf>,
    /// The vmlinux (or vmlinuz, or raw BTF) the modules were built against.
    #[arg(short = 'B', long = "base")]
    base: PathBuf,
    /// Write OUT.base.btf (distilled base) and OUT.btf (new split); one module only.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// A JSON summary instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct ModuleSizes {
    module: String,
    #[serde(flatten)]
    sizes: Option<DistilledSizes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    if args.output.is_some() && args.modules.len() != 1 {
        return Err(Error::new(
            ErrorKind::Usage,
            "-o writes one module's BTF: give exactly one module",
        ));
    }
    with_base(&args.base, |base| {
        let results: Vec<Result<DistilledSizes>> = args
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
        if let [Err(e)] = results.as_slice() {
            return Err(e.clone());
        }
        let mut total = DistilledSizes::default();
        let rows: Vec<ModuleSizes> = args
            .modules
            .iter()
            .zip(results)
            .map(|(path, r)| {
                let (sizes, error) = match r {
                    Ok(s) => {
                        total += s;
                        (Some(s), None)
                    }
                    Err(e) => (None, Some(e.to_string())),
                };
                ModuleSizes {
                    module: name(path),
                    sizes,
                    error,
                }
            })
            .collect();
        let failed = rows.iter().filter(|r| r.error.is_some()).count();
        if args.json {
            let summary = serde_json::json!({
                "base": name(&args.base),
                "modules": rows,
                "total": total,
                "failed": failed,
            });
            return json_out(out, &summary);
        }
        for r in &rows {
            match (&r.sizes, &r.error) {
                (Some(s), _) => writeln!(
                    out,
                    "{}: distilled base {} types / {} bytes; split {} types / {} bytes",
                    r.module, s.base_types, s.base_bytes, s.split_types, s.split_bytes
                )?,
                (None, e) => writeln!(out, "{}: error: {}", r.module, e.as_deref().unwrap_or(""))?,
            }
        }
        if rows.len() > 1 {
            writeln!(
                out,
                "total ({} modules, {failed} failed): distilled bases {} types / {} bytes; splits {} types / {} bytes",
                rows.len(),
                total.base_types,
                total.base_bytes,
                total.split_types,
                total.split_bytes
            )?;
        }
        Ok(())
    })
}
