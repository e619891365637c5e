//! `graph`: a module's type graph, or what one type reaches.

use std::io::Write;
use std::path::PathBuf;

use btfscope::analyze::graph::{find_by_name, rooted, split_graph};
use btfscope::{Error, ErrorKind, Result};

use crate::common::{json_out, with_btf};

/// A module's type graph (or what one type reaches) as JSON or Graphviz DOT.
#[derive(clap::Args)]
pub struct Args {
    /// The module (or any split BTF).
    module: PathBuf,
    /// The vmlinux it is split on.
    #[arg(short = 'B', long = "base")]
    base: Option<PathBuf>,
    /// Keep what this type (a name, or an id) reaches; default: every
    /// split type and the base types it refers to.
    #[arg(long)]
    root: Option<String>,
    /// References followed from the root.
    #[arg(long, default_value_t = 3)]
    depth: u32,
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Json,
    Dot,
}

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    with_btf(&args.module, args.base.as_deref(), |btf| {
        let g = match &args.root {
            None => split_graph(btf),
            Some(root) => {
                let id = root
                    .parse()
                    .ok()
                    .or_else(|| find_by_name(btf, root))
                    .ok_or_else(|| Error::new(ErrorKind::Usage, format!("no type named {root}")))?;
                rooted(btf, id, args.depth)
            }
        };
        match args.format {
            Format::Json => json_out(out, &g),
            Format::Dot => Ok(out.write_all(g.to_dot().as_bytes())?),
        }
    })
}
