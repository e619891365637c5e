//! `build`: BTF from the text `dump` prints (a spec).

use std::io::{Read, Write};
use std::path::PathBuf;

use btfscope::btf::text::parse_spec;
use btfscope::Result;

use crate::common::{name, read, with_optional_base, write};

/// BTF from text: the plain text `dump` prints, ids optional (docs/TEACH.md).
#[derive(clap::Args)]
pub struct Args {
    /// The spec: `btfscope dump` text, ids optional (`-` reads standard input).
    spec: PathBuf,
    /// Base BTF (vmlinux) whose ids a split spec continues.
    #[arg(short = 'B', long = "base")]
    base: Option<PathBuf>,
    /// Where to write the raw BTF.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
}

pub fn run(args: Args, _out: &mut impl Write) -> Result<()> {
    let spec_name = name(&args.spec);
    let text = if spec_name == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        buf
    } else {
        read(&args.spec)?
    };
    with_optional_base(args.base.as_deref(), |base| {
        let btf = parse_spec(&text, base).map_err(|e| e.in_file(&spec_name))?;
        write(&args.output, btf.to_bytes())
    })
}
