//! The `distill` and `compat` subcommands: argument parsing and printing
//! over `btfscope::distill`. Modules are processed in parallel; output
//! keeps the order they were given in.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use btfscope::btf::Btf;
use btfscope::distill::{check_module, distill, CompatReport, Sizes, TargetIndex};
use btfscope::intake::Input;
use btfscope::{Error, ErrorKind, Result};

use super::read;

#[derive(clap::Args)]
pub struct DistillArgs {
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

#[derive(clap::Args)]
pub struct CompatArgs {
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

fn name(path: &Path) -> String {
    path.display().to_string()
}

fn io_err(path: &Path, e: io::Error) -> Error {
    Error::from(e).in_file(name(path))
}

/// Runs `f` over the parsed base BTF in `path` (any container intake reads).
fn with_base<T>(path: &Path, f: impl FnOnce(&Btf) -> Result<T>) -> Result<T> {
    let bytes = read(path)?;
    let input = Input::open(&bytes).map_err(|e| e.in_file(name(path)))?;
    let btf = input.parse_btf(None).map_err(|e| e.in_file(name(path)))?;
    f(&btf)
}

#[derive(Serialize)]
struct ModuleSizes {
    module: String,
    #[serde(flatten)]
    sizes: Option<Sizes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub fn run_distill(args: DistillArgs, out: &mut impl Write) -> Result<()> {
    if args.output.is_some() && args.modules.len() != 1 {
        return Err(Error::new(
            ErrorKind::Usage,
            "-o writes one module's BTF: give exactly one module",
        ));
    }
    with_base(&args.base, |base| {
        let results: Vec<Result<Sizes>> = args
            .modules
            .par_iter()
            .map(|path| {
                let bytes = read(path)?;
                let input = Input::open(&bytes).map_err(|e| e.in_file(name(path)))?;
                let split = input
                    .parse_btf(Some(base))
                    .map_err(|e| e.in_file(name(path)))?;
                let d = distill(&split).map_err(|e| e.in_file(name(path)))?;
                if let Some(prefix) = &args.output {
                    for (suffix, data) in [("base.btf", d.base_bytes()), ("btf", d.split_bytes())] {
                        let file = PathBuf::from(format!("{}.{suffix}", prefix.display()));
                        std::fs::write(&file, data).map_err(|e| io_err(&file, e))?;
                    }
                }
                Ok(d.sizes())
            })
            .collect();
        if let [Err(e)] = results.as_slice() {
            return Err(e.clone());
        }
        let mut total = Sizes::default();
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
            serde_json::to_writer_pretty(&mut *out, &summary).map_err(io::Error::from)?;
            writeln!(out)?;
            return Ok(());
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

pub fn run_compat(args: CompatArgs, out: &mut impl Write) -> Result<()> {
    with_base(&args.base, |target| {
        let index = TargetIndex::new(target).map_err(|e| e.in_file(name(&args.base)))?;
        let check_all = |from: Option<&Btf>| -> Vec<Result<CompatReport>> {
            args.modules
                .par_iter()
                .map(|path| check_module(&index, &read(path)?, from, &name(path)))
                .collect()
        };
        let reports = match &args.from {
            Some(from) => with_base(from, |b| Ok(check_all(Some(b))))?,
            None => check_all(None),
        };
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
            serde_json::to_writer_pretty(&mut *out, &summary).map_err(io::Error::from)?;
            writeln!(out)?;
            return Ok(());
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
