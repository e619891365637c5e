//! `dedup`: deduplicates one BTF, as libbpf's `btf__dedup` does.

use std::io::{self, Write};
use std::path::PathBuf;

use btfscope::dedup::dedup_with;
use btfscope::dedup::trace::{dedup_traced, write_jsonl};
use btfscope::{Error, ErrorKind, Result};

use crate::common::{name, with_btf, write, LibbpfArg};

/// Deduplicate BTF as libbpf's btf__dedup does (byte-identical); write raw BTF.
#[derive(clap::Args)]
pub struct Args {
    file: PathBuf,
    /// Base BTF (vmlinux) of a split BTF such as a module's.
    #[arg(short = 'B', long = "base")]
    base: Option<PathBuf>,
    /// Where to write the raw BTF.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    #[command(flatten)]
    libbpf: LibbpfArg,
    /// Also write the engine's decisions, one JSON object per line (docs/TEACH.md).
    #[arg(long)]
    trace: Option<PathBuf>,
}

pub fn run(args: Args, _out: &mut impl Write) -> Result<()> {
    with_btf(&args.file, args.base.as_deref(), |btf| {
        let out = match &args.trace {
            None => dedup_with(btf, args.libbpf.rules()),
            Some(path) => dedup_traced(btf, args.libbpf.rules()).and_then(|(out, events)| {
                let io = |e: io::Error| Error::new(ErrorKind::Io, e.to_string()).in_file(name(path));
                let mut w = io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
                write_jsonl(&events, &mut w)?;
                w.flush().map_err(io)?;
                Ok(out)
            }),
        }
        .map_err(|e| e.in_file(name(&args.file)))?;
        write(&args.output, out.to_bytes())
    })
}
