//! What every subcommand shares, each in one place: reading and mapping
//! files, opening a base BTF (`-B`), the thread pool (`-j`), JSON output
//! and progress on stderr.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use btfscope::analyze::report::NamedInput;
use btfscope::btf::Btf;
use btfscope::dedup::DedupRules;
use btfscope::intake::Input;
use btfscope::{Error, ErrorKind, Result};

/// How a path is named in messages.
pub fn name(path: &Path) -> String {
    path.display().to_string()
}

/// How a report names an input: its file name, without the directory.
pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn io_error(path: &Path, e: io::Error) -> Error {
    Error::new(ErrorKind::Io, e.to_string()).in_file(name(path))
}

pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io_error(path, e))
}

pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| io_error(path, e))
}

/// Maps a file: a debug vmlinux is too big to read into memory whole.
pub fn map(path: &Path) -> Result<memmap2::Mmap> {
    let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    // SAFETY: the map is only read; a file changed underneath us while we
    // run could give wrong output but no memory unsafety in safe readers
    // beyond what any reader of a changing file sees.
    unsafe { memmap2::Mmap::map(&file) }.map_err(|e| io_error(path, e))
}

/// Maps every file of `paths`, in order.
pub fn map_all(paths: &[PathBuf]) -> Result<Vec<memmap2::Mmap>> {
    paths.iter().map(|p| map(p)).collect()
}

/// Files mapped by [`map_all`], named as a report names its inputs.
pub fn named<'d>(paths: &[PathBuf], maps: &'d [memmap2::Mmap]) -> Vec<NamedInput<'d>> {
    paths
        .iter()
        .zip(maps)
        .map(|(p, m)| NamedInput {
            name: file_name(p),
            bytes: m,
        })
        .collect()
}

/// Runs `f` over the base BTF in `path` (`-B`: any file intake reads, e.g.
/// a vmlinux); errors reading or parsing it name the file.
pub fn with_base<T>(path: &Path, f: impl FnOnce(&Btf) -> Result<T>) -> Result<T> {
    let bytes = map(path)?; // mapped: a vmlinux is tens of MB around a few of BTF
    let input = Input::open(&bytes).map_err(|e| e.in_file(name(path)))?;
    let btf = input.parse_btf(None).map_err(|e| e.in_file(name(path)))?;
    f(&btf)
}

/// [`with_base`] for an optional `-B`.
pub fn with_optional_base<T>(
    path: Option<&Path>,
    f: impl FnOnce(Option<&Btf>) -> Result<T>,
) -> Result<T> {
    match path {
        Some(path) => with_base(path, |base| f(Some(base))),
        None => f(None),
    }
}

/// Opens `path` on its base (`-B`, or the distilled base it carries) and
/// hands the parsed BTF to `f`; errors in `f` name `path`.
pub fn with_btf<T>(
    path: &Path,
    base: Option<&Path>,
    f: impl FnOnce(&Btf) -> Result<T>,
) -> Result<T> {
    with_optional_base(base, |base| with_btf_on(path, base, f))
}

/// [`with_btf`] on a base already open.
pub fn with_btf_on<T>(
    path: &Path,
    base: Option<&Btf>,
    f: impl FnOnce(&Btf) -> Result<T>,
) -> Result<T> {
    let bytes = map(path)?; // mapped: a vmlinux is tens of MB around a few of BTF
    let input = Input::open(&bytes).map_err(|e| e.in_file(name(path)))?;
    input.with_btf(base, f).map_err(|e| e.in_file(name(path)))
}

/// Runs `f` over the split BTF in `path` parsed on `base`, whatever base
/// the file may carry itself (`.BTF.base`); errors name `path`.
pub fn with_split_on<T>(path: &Path, base: &Btf, f: impl FnOnce(&Btf) -> Result<T>) -> Result<T> {
    let bytes = read(path)?;
    let input = Input::open(&bytes).map_err(|e| e.in_file(name(path)))?;
    let btf = input
        .parse_btf(Some(base))
        .map_err(|e| e.in_file(name(path)))?;
    f(&btf).map_err(|e| e.in_file(name(path)))
}

/// The thread pool of `-j N` (default: all cores).
pub fn pool(jobs: Option<usize>) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::new(ErrorKind::Usage, e.to_string()))
}

/// `value` as pretty JSON and a newline.
pub fn json_out(out: &mut impl Write, value: &impl Serialize) -> Result<()> {
    out.write_all(&json_bytes(value)?)?;
    Ok(())
}

/// A summary over modules: pretty JSON with every object's keys sorted (as
/// `distill` and `compat` have always printed them), or its `text`.
pub fn summary_out(
    out: &mut impl Write,
    json: bool,
    summary: &impl Serialize,
    text: impl FnOnce() -> String,
) -> Result<()> {
    if json {
        return json_out(
            out,
            &serde_json::to_value(summary).map_err(io::Error::from)?,
        );
    }
    out.write_all(text().as_bytes())?;
    Ok(())
}

/// The error of a lone module, which the command fails with instead of
/// summarizing (several modules' errors go into the summary's rows).
pub fn lone_error<T>(results: &[Result<T>]) -> Result<()> {
    match results {
        [Err(e)] => Err(e.clone()),
        _ => Ok(()),
    }
}

/// `value` as JSON on one line.
pub fn json_line(out: &mut impl Write, value: &impl Serialize) -> Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

/// `value` as pretty JSON and a newline, as bytes (for a file).
pub fn json_bytes(value: &impl Serialize) -> Result<Vec<u8>> {
    let mut json = serde_json::to_vec_pretty(value).map_err(io::Error::from)?;
    json.push(b'\n');
    Ok(json)
}

/// Modules and the base BTF they are split on (-B). Each command words
/// their help its own way (`mut_arg`).
#[derive(clap::Args)]
pub struct ModulesOnBase {
    /// Kernel modules (.ko).
    #[arg(required = true)]
    pub modules: Vec<PathBuf>,
    /// The vmlinux (or vmlinuz, or raw BTF).
    #[arg(short = 'B', long = "base")]
    pub base: PathBuf,
}

/// Which libbpf's dedup rules to reproduce (see docs/DEDUP.md).
#[derive(clap::Args)]
pub struct LibbpfArg {
    /// Reproduce libbpf 1.7 byte for byte, including its bug that keeps
    /// split typedefs identical to base ones (default: current libbpf).
    #[arg(long = "libbpf-1.7")]
    libbpf_1_7: bool,
}

impl LibbpfArg {
    pub fn rules(&self) -> DedupRules {
        if self.libbpf_1_7 {
            DedupRules::Libbpf1_7
        } else {
            DedupRules::Current
        }
    }
}

/// Characters in a progress bar.
const WIDTH: usize = 40;

/// Progress on stderr, only when stderr is a terminal.
pub struct Progress {
    tty: bool,
    unit: &'static str,
    bar: bool,
}

impl Progress {
    /// `[####    ] done/all unit`.
    pub fn bar(unit: &'static str) -> Self {
        Progress {
            tty: io::stderr().is_terminal(),
            unit,
            bar: true,
        }
    }

    /// `done/all unit`.
    pub fn counter(unit: &'static str) -> Self {
        Progress {
            bar: false,
            ..Progress::bar(unit)
        }
    }

    pub fn show(&self, done: usize, all: usize) {
        if !self.tty {
            return;
        }
        let unit = self.unit;
        if !self.bar {
            eprint!("\r{done}/{all} {unit}");
        } else if let Some(filled) = (done * WIDTH).checked_div(all) {
            eprint!(
                "\r[{}{}] {done}/{all} {unit}",
                "#".repeat(filled),
                " ".repeat(WIDTH - filled)
            );
        }
    }

    pub fn clear(&self) {
        if self.tty {
            eprint!("\r\x1b[K");
        }
    }
}
