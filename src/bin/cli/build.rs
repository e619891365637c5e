//! The `build` subcommand: BTF from the text `dump` prints (a spec).

use std::io::Read;
use std::path::PathBuf;

use btfscope::btf::text::parse_spec;
use btfscope::intake::Input;
use btfscope::{Error, ErrorKind, Result};

use super::read;

#[derive(clap::Args)]
pub struct BuildArgs {
    /// The spec: `btfscope dump` text, ids optional (`-` reads standard input).
    spec: PathBuf,
    /// Base BTF (vmlinux) whose ids a split spec continues.
    #[arg(short = 'B', long = "base")]
    base: Option<PathBuf>,
    /// Where to write the raw BTF.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
}

pub fn run_build(args: BuildArgs) -> Result<()> {
    let spec_name = args.spec.display().to_string();
    let text = if spec_name == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        buf
    } else {
        read(&args.spec)?
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
    let btf = parse_spec(&text, base.as_ref()).map_err(|e| e.in_file(&spec_name))?;
    std::fs::write(&args.output, btf.to_bytes()).map_err(|e| {
        Error::new(ErrorKind::Io, e.to_string()).in_file(args.output.display().to_string())
    })
}
