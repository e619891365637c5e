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
    },
    /// Header, type counts and bytes per kind, string bytes.
    Stat {
        file: PathBuf,
        #[arg(short = 'B', long = "base")]
        base: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
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
    let distilled = match (&base_btf, input.parse_btf_base()) {
        (_, None) => None,
        (None, Some(parsed)) => Some(parsed.map_err(|e| e.in_file(&name))?),
        (Some(_), Some(_)) => {
            return Err(Error::new(
                ErrorKind::Usage,
                "carries a distilled base (.BTF.base); relocating it onto -B is not supported yet, drop -B to use the distilled base",
            )
            .in_file(&name))
        }
    };
    let btf = input
        .parse_btf(base_btf.as_ref().or(distilled.as_ref()))
        .map_err(|e| e.in_file(&name))?;
    f(&btf)
}

fn run(cli: Cli, out: &mut impl Write) -> Result<()> {
    match cli.command {
        Command::Dump { file, base, format } => with_btf(&file, base.as_deref(), |btf| {
            let format = match format {
                Format::Raw => DumpFormat::Raw,
                Format::Json => DumpFormat::Json,
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
