//! The `dedup` and `split` subcommands: argument parsing and printing over
//! `btfscope::dedup`.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use btfscope::analyze::full::FullIndex;
use btfscope::dedup::trace::{dedup_traced, write_jsonl};
use btfscope::dedup::{dedup_with, resplit, BaseIndex, Compat};
use btfscope::intake::Input;
use btfscope::{Error, ErrorKind, Result};

use super::{read, with_btf};

#[derive(clap::Args)]
pub struct DedupArgs {
    file: PathBuf,
    /// Base BTF (vmlinux) of a split BTF such as a module's.
    #[arg(short = 'B', long = "base")]
    base: Option<PathBuf>,
    /// Where to write the raw BTF.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    #[command(flatten)]
    compat: CompatArg,
    /// Also write the engine's decisions, one JSON object per line (docs/TEACH.md).
    #[arg(long)]
    trace: Option<PathBuf>,
}

/// Which libbpf to reproduce (see docs/DEDUP.md).
#[derive(clap::Args)]
pub struct CompatArg {
    /// Reproduce libbpf 1.7 byte for byte, including its bug that keeps
    /// split typedefs identical to base ones (default: current libbpf).
    #[arg(long = "libbpf-1.7")]
    libbpf_1_7: bool,
}

impl CompatArg {
    pub fn compat(&self) -> Compat {
        if self.libbpf_1_7 {
            Compat::Libbpf1_7
        } else {
            Compat::Current
        }
    }
}

#[derive(clap::Args)]
pub struct SplitArgs {
    /// Module files, or directories searched for *.ko[.xz|.gz|.zst].
    #[arg(required = true)]
    modules: Vec<PathBuf>,
    /// The vmlinux (or its raw BTF) the modules were built against.
    #[arg(short = 'B', long = "base")]
    base: PathBuf,
    /// Threads (default: all cores). The output does not depend on it.
    #[arg(short = 'j', long = "jobs")]
    jobs: Option<usize>,
    /// JSON instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    compat: CompatArg,
    /// Add a FULL column: each module's BTF as it would be without split
    /// BTF (its types and the base types they reach, deduplicated alone).
    #[arg(long)]
    full: bool,
}

pub fn run_dedup(args: DedupArgs) -> Result<()> {
    let file = args.file.display().to_string();
    with_btf(&args.file, args.base.as_deref(), |btf| {
        let out = match &args.trace {
            None => dedup_with(btf, args.compat.compat()),
            Some(path) => dedup_traced(btf, args.compat.compat()).and_then(|(out, events)| {
                let io = |e: std::io::Error| {
                    Error::new(ErrorKind::Io, e.to_string()).in_file(path.display().to_string())
                };
                let mut w = io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
                write_jsonl(&events, &mut w)?;
                w.flush().map_err(io)?;
                Ok(out)
            }),
        }
        .map_err(|e| e.in_file(&file))?;
        std::fs::write(&args.output, out.to_bytes()).map_err(|e| {
            Error::new(ErrorKind::Io, e.to_string()).in_file(args.output.display().to_string())
        })
    })
}

pub fn run_split(args: SplitArgs, out: &mut impl Write) -> Result<()> {
    let base_name = args.base.display().to_string();
    let base_bytes = read(&args.base)?;
    let input = Input::open(&base_bytes).map_err(|e| e.in_file(&base_name))?;
    let base = input.parse_btf(None).map_err(|e| e.in_file(&base_name))?;
    let index =
        BaseIndex::with_compat(&base, args.compat.compat()).map_err(|e| e.in_file(&base_name))?;
    let files = resplit::module_files(&args.modules)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::new(ErrorKind::Usage, e.to_string()))?;
    let tty = io::stderr().is_terminal();
    let progress = |done: usize, all: usize| {
        if tty {
            eprint!("\r{done}/{all} modules");
        }
    };
    let full = args
        .full
        .then(|| FullIndex::new(&base))
        .transpose()
        .map_err(|e| e.in_file(&base_name))?;
    let report = pool.install(|| resplit::resplit(&base, &index, &files, full.as_ref(), &progress));
    if tty {
        eprint!("\r\x1b[K");
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::from)?;
        writeln!(out)?;
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
}
