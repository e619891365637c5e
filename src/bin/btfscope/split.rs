//! `split`: modules re-deduplicated against their vmlinux, shipped against
//! deduplicated sizes.

use std::io::Write;
use std::path::{Path, PathBuf};

use btfscope::analyze::full::FullIndex;
use btfscope::analyze::resplit::resplit;
use btfscope::dedup::BaseIndex;
use btfscope::{Error, ErrorKind, Result};

use crate::common::{json_out, name, pool, with_base, LibbpfArg, Progress, ModulesOnBase};

/// Re-deduplicate modules against vmlinux: shipped against deduplicated sizes.
#[derive(clap::Args)]
#[command(mut_arg("modules", |a| a.help("Module files, or directories searched for *.ko[.xz|.gz|.zst]")))]
#[command(mut_arg("base", |a| a.help("The vmlinux (or its raw BTF) the modules were built against")))]
pub struct Args {
    #[command(flatten)]
    on: ModulesOnBase,
    /// Threads (default: all cores). The output does not depend on it.
    #[arg(short = 'j', long = "jobs")]
    jobs: Option<usize>,
    /// JSON instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    libbpf: LibbpfArg,
    /// Add a FULL column: each module's BTF as it would be without split
    /// BTF (its types and the base types they reach, deduplicated alone).
    #[arg(long)]
    full: bool,
}

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    let base_name = name(&args.on.base);
    with_base(&args.on.base, |base| {
        let index =
            BaseIndex::with_rules(base, args.libbpf.rules()).map_err(|e| e.in_file(&base_name))?;
        let files = module_files(&args.on.modules)?;
        let pool = pool(args.jobs)?;
        let progress = Progress::counter("modules");
        let full = args
            .full
            .then(|| FullIndex::new(base))
            .transpose()
            .map_err(|e| e.in_file(&base_name))?;
        let report = pool.install(|| {
            resplit(base, &index, &files, full.as_ref(), &|done, all| {
                progress.show(done, all)
            })
        });
        progress.clear();
        if args.json {
            json_out(out, &report)?;
        } else {
            out.write_all(report.to_text().as_bytes())?;
        }
        match report.totals.failed {
            0 => Ok(()),
            n => Err(Error::new(
                ErrorKind::BadContainer,
                format!(
                    "{n} of {} modules failed (reported above)",
                    report.totals.modules
                ),
            )),
        }
    })
}

/// The module files named by `args`: files as given, directories searched
/// recursively for `.ko` files (compressed ones too), sorted by path.
pub fn module_files(args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            Error::new(ErrorKind::Io, e.to_string()).in_file(dir.display().to_string())
        })?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if is_module_name(&path) {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for arg in args {
        if arg.is_dir() {
            walk(arg, &mut files)?;
        } else {
            files.push(arg.clone());
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn is_module_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    [".ko", ".ko.xz", ".ko.gz", ".ko.zst"]
        .iter()
        .any(|s| name.ends_with(s))
}
