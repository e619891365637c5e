//! The command-line adapter: argument parsing, file reading and printing.
//! All analysis lives in the library.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use btfscope::analyze::stat::stat;
use btfscope::btf::dump::{dump, DumpFormat};
use btfscope::btf::Btf;
use btfscope::intake::Input;
use btfscope::{Error, ErrorKind, Result};

#[path = "cli/analyze.rs"]
mod analyze_cmd;
#[path = "cli/build.rs"]
mod build_cmd;
#[path = "cli/compare.rs"]
mod compare_cmd;
#[path = "cli/core.rs"]
mod core_cmd;
#[path = "cli/dedup.rs"]
mod dedup_cmd;
#[path = "cli/distill.rs"]
mod distill_cmd;
#[path = "cli/layout.rs"]
mod layout_cmd;

#[derive(Parser)]
#[command(
    name = "btfscope",
    version,
    about = "BTF analyzer: dump, stat, split and dedup kernel BTF"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// bpftool's plain text
    Raw,
    /// bpftool -j's JSON
    Json,
    /// C, as `bpftool btf dump file F format c` (7.5): a vmlinux.h
    C,
}

#[derive(Subcommand)]
enum Command {
    /// Print every type, as `bpftool btf dump file FILE [-B BASE]` does.
    Dump {
        file: PathBuf,
        /// Base BTF (vmlinux) for a split BTF such as a module's.
        #[arg(short = 'B', long = "base")]
        base: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "raw")]
        format: Format,
        /// Print the .BTF.ext records (func_info, line_info, CO-RE relocations) instead.
        #[arg(long)]
        ext: bool,
        /// With `--format c`: only this type (id, NAME or `struct NAME`) and what it needs.
        #[arg(long)]
        root: Option<String>,
    },
    /// Header, type counts and bytes per kind, string bytes.
    Stat {
        file: PathBuf,
        #[arg(short = 'B', long = "base")]
        base: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// BTF from text: the plain text `dump` prints, ids optional (docs/TEACH.md).
    Build(build_cmd::BuildArgs),
    /// Encode DWARF as BTF, as `pahole -J` does (pahole 1.30's rules).
    Encode(EncodeArgs),
    /// Distill modules' base BTF as libbpf's btf__distill_base does.
    Distill(distill_cmd::DistillArgs),
    /// Would modules' BTF relocate onto another kernel (libbpf's btf__relocate rules)?
    Compat(distill_cmd::CompatArgs),
    /// Why a module carries its own copies of vmlinux types.
    Explain(analyze_cmd::ExplainArgs),
    /// Types added, removed and changed between two BTFs, with their layouts.
    Diff(analyze_cmd::DiffArgs),
    /// A module's type graph (or what one type reaches) as JSON or Graphviz DOT.
    Graph(analyze_cmd::GraphArgs),
    /// FULL against SPLIT and sizes per kind for a kernel's modules, reproducibly.
    Report(analyze_cmd::ReportArgs),
    /// Two JSON reports side by side: per module and per kind, what changed.
    Compare(compare_cmd::CompareArgs),
    /// Re-run a JSON report over its inputs and say what differs.
    Verify(analyze_cmd::VerifyArgs),
    /// Which CO-RE relocations of a BPF program resolve on which kernels (libbpf's rules).
    Core(core_cmd::CoreArgs),
    /// The minimal kernel BTF BPF programs need, as `bpftool gen min_core_btf` writes it.
    MinCore(core_cmd::MinCoreArgs),
    /// Struct and union layouts as `pahole -F btf` prints them (holes, padding, cache lines).
    Layout(layout_cmd::LayoutArgs),
    /// Deduplicate BTF as libbpf's btf__dedup does (byte-identical); write raw BTF.
    Dedup(dedup_cmd::DedupArgs),
    /// Re-deduplicate modules against vmlinux: shipped against deduplicated sizes.
    Split(dedup_cmd::SplitArgs),
}

#[derive(clap::Args)]
struct EncodeArgs {
    /// ELF file with DWARF: a vmlinux or a kernel module.
    file: PathBuf,
    /// Base BTF (vmlinux's) to encode split BTF on, as pahole's --btf_base.
    #[arg(short = 'B', long = "base")]
    base: Option<PathBuf>,
    /// pahole's --btf_features names, comma-separated; `default` is the
    /// set kernels since 6.12 ask for.
    #[arg(long = "btf-features", default_value = "default")]
    btf_features: String,
    /// Skip CUs in these languages (comma-separated, e.g. `rust`).
    #[arg(long = "lang-exclude", value_delimiter = ',')]
    lang_exclude: Vec<String>,
    /// Threads decoding DWARF (default: all cores). The output does not depend on it.
    #[arg(short = 'j', long = "jobs")]
    jobs: Option<usize>,
    /// Write the BTF before deduplication.
    #[arg(long)]
    no_dedup: bool,
    /// Where to write the raw BTF.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| Error::new(ErrorKind::Io, e.to_string()).in_file(path.display().to_string()))
}

/// Opens `path` (and its base) and hands the parsed BTF to `f`.
fn with_btf<T>(path: &Path, base: Option<&Path>, f: impl FnOnce(&Btf) -> Result<T>) -> Result<T> {
    let base_bytes = base.map(read).transpose()?;
    let base_name = base.map(|p| p.display().to_string()).unwrap_or_default();
    let base_input = base_bytes
        .as_deref()
        .map(Input::open)
        .transpose()
        .map_err(|e| e.in_file(&base_name))?;
    let base_btf = base_input
        .as_ref()
        .map(|i| i.parse_btf(None))
        .transpose()
        .map_err(|e| e.in_file(&base_name))?;

    let name = path.display().to_string();
    let bytes = read(path)?;
    let input = Input::open(&bytes).map_err(|e| e.in_file(&name))?;
    input
        .with_btf(base_btf.as_ref(), f)
        .map_err(|e| e.in_file(&name))
}

fn run(cli: Cli, out: &mut impl Write) -> Result<()> {
    match cli.command {
        Command::Dump {
            file, ext: true, ..
        } => core_cmd::dump_ext(&file, out),
        Command::Dump {
            file,
            base,
            format,
            root,
            ..
        } => with_btf(&file, base.as_deref(), |btf| {
            let format = match (format, root) {
                (Format::C, root) => return dump_c(btf, root.as_deref(), out),
                (_, Some(_)) => {
                    return Err(Error::new(ErrorKind::Usage, "--root needs --format c"))
                }
                (Format::Raw, None) => DumpFormat::Raw,
                (Format::Json, None) => DumpFormat::Json,
            };
            Ok(dump(btf, format, out)?)
        }),
        Command::Stat { file, base, json } => with_btf(&file, base.as_deref(), |btf| {
            let s = stat(btf);
            if json {
                serde_json::to_writer_pretty(&mut *out, &s).map_err(io::Error::from)?;
                writeln!(out)?;
            } else {
                out.write_all(s.to_text().as_bytes())?;
            }
            Ok(())
        }),
        Command::Build(args) => build_cmd::run_build(args),
        Command::Encode(args) => encode(args),
        Command::Distill(args) => distill_cmd::run_distill(args, out),
        Command::Compat(args) => distill_cmd::run_compat(args, out),
        Command::Explain(args) => analyze_cmd::run_explain(args, out),
        Command::Diff(args) => analyze_cmd::run_diff(args, out),
        Command::Graph(args) => analyze_cmd::run_graph(args, out),
        Command::Report(args) => analyze_cmd::run_report(args, out),
        Command::Compare(args) => compare_cmd::run_compare(args, out),
        Command::Verify(args) => analyze_cmd::run_verify(args, out),
        Command::Core(args) => core_cmd::run_core(args, out),
        Command::MinCore(args) => core_cmd::run_min_core(args),
        Command::Layout(args) => layout_cmd::run_layout(args, out),
        Command::Dedup(args) => dedup_cmd::run_dedup(args),
        Command::Split(args) => dedup_cmd::run_split(args, out),
    }
}

fn dump_c(btf: &Btf, root: Option<&str>, out: &mut impl Write) -> Result<()> {
    use btfscope::btf::c;
    let header = match root {
        None => c::header(btf)?,
        Some(spec) => {
            let id = c::find_type(btf, spec)
                .ok_or_else(|| Error::new(ErrorKind::Usage, format!("no type {spec}")))?;
            c::root_header(btf, id)?
        }
    };
    Ok(out.write_all(header.text())?)
}

/// Maps a file: a debug vmlinux is too big to read into memory whole.
fn map(path: &Path) -> Result<memmap2::Mmap> {
    let file = std::fs::File::open(path).map_err(|e| {
        Error::new(ErrorKind::Io, e.to_string()).in_file(path.display().to_string())
    })?;
    // SAFETY: the map is only read; a file changed underneath us while we
    // run could give wrong output but no memory unsafety in safe readers
    // beyond what any reader of a changing file sees.
    unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| Error::new(ErrorKind::Io, e.to_string()).in_file(path.display().to_string()))
}

fn encode(args: EncodeArgs) -> Result<()> {
    use btfscope::encode::{self, Features, Options};
    let lang_exclude = args
        .lang_exclude
        .iter()
        .map(|l| {
            encode::language_code(l)
                .ok_or_else(|| Error::new(ErrorKind::Usage, format!("unknown language '{l}'")))
        })
        .collect::<Result<Vec<_>>>()?;
    let opts = Options {
        features: Features::parse(&args.btf_features)?,
        lang_exclude,
        ..Options::default()
    };
    let base_bytes = args.base.as_deref().map(read).transpose()?;
    let base_name = args
        .base
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let base_input = base_bytes
        .as_deref()
        .map(Input::open)
        .transpose()
        .map_err(|e| e.in_file(&base_name))?;
    let base = base_input
        .as_ref()
        .map(|i| i.parse_btf(None))
        .transpose()
        .map_err(|e| e.in_file(&base_name))?;

    let name = args.file.display().to_string();
    let data = map(&args.file)?;
    let bar = Progress::new();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::new(ErrorKind::Usage, e.to_string()))?;
    let show = |done, all| bar.show(done, all);
    let encoded = pool.install(|| -> Result<_> {
        Ok(if args.no_dedup {
            let (btf, report) = encode::encode_raw(&data, base.as_ref(), &opts, &show)?;
            (Ok(btf), report)
        } else {
            let (merged, report) = encode::encode_merged(&data, base.as_ref(), &opts, &show)?;
            (Err(merged), report)
        })
    });
    let (encoded, report) = encoded.map_err(|e| e.in_file(&name))?;
    bar.clear();
    // The DWARF is no longer needed: unmapping it before the last
    // deduplication keeps the peak memory down.
    drop(data);
    let btf = match encoded {
        Ok(raw) => raw,
        Err(merged) => pool.install(|| merged.finish())?,
    };
    std::fs::write(&args.output, btf.to_bytes_in(report.endian)).map_err(|e| {
        Error::new(ErrorKind::Io, e.to_string()).in_file(args.output.display().to_string())
    })?;
    eprintln!(
        "{name}: {} CUs ({} skipped), {} types encoded, {} after dedup; {} functions ({} groups left out), {} variables",
        report.cus,
        report.cus_skipped,
        report.types_encoded,
        btf.local_len(),
        report.funcs,
        report.funcs_skipped,
        report.vars
    );
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    Ok(())
}

/// A one-line progress bar on stderr, only when stderr is a terminal.
struct Progress {
    tty: bool,
}

impl Progress {
    fn new() -> Self {
        use std::io::IsTerminal;
        Progress {
            tty: io::stderr().is_terminal(),
        }
    }

    fn show(&self, done: usize, all: usize) {
        if self.tty && all > 0 {
            let width = 40;
            let filled = done * width / all;
            eprint!(
                "\r[{}{}] {done}/{all} CUs",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
        }
    }

    fn clear(&self) {
        if self.tty {
            eprint!("\r\x1b[K");
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = run(cli, &mut out).and_then(|()| Ok(out.flush()?));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is not a failure of ours.
        Err(e) if e.kind == ErrorKind::Io && e.message.contains("Broken pipe") => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("btfscope: {e}");
            match e.kind {
                ErrorKind::Usage => ExitCode::from(2),
                _ => ExitCode::FAILURE,
            }
        }
    }
}
