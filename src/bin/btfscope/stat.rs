//! `stat`: header, types and bytes per kind, string bytes.

use std::io::Write;
use std::path::PathBuf;

use btfscope::analyze::stat::stat;
use btfscope::Result;

use crate::common::{json_out, with_btf};

/// Header, type counts and bytes per kind, string bytes.
#[derive(clap::Args)]
pub struct Args {
    file: PathBuf,
    #[arg(short = 'B', long = "base")]
    base: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    with_btf(&args.file, args.base.as_deref(), |btf| {
        let s = stat(btf);
        if args.json {
            json_out(out, &s)
        } else {
            Ok(out.write_all(s.to_text().as_bytes())?)
        }
    })
}
