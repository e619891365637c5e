//! `teach-extract`: one module type as a dedup case for the Dedup view
//! ("why was this not merged?").

use std::io::Write;
use std::path::PathBuf;

use btfscope::dedup::extract::{extract, find_type};
use btfscope::Result;

use crate::common::{name, with_base, with_split_on, write};

/// A module type, what it reaches and the base types dedup compares them
/// with, as two specs: a tiny base and a split BTF on it (docs/TEACH.md).
#[derive(clap::Args)]
pub struct Args {
    /// The module (.ko, compressed or not, or raw split BTF).
    module: PathBuf,
    /// The vmlinux the module was built against.
    #[arg(short = 'B', long = "base")]
    base: PathBuf,
    /// The module's type: `NAME`, `struct NAME` (union, enum, typedef,
    /// fwd) or its id.
    #[arg(long = "type")]
    type_name: String,
    /// Writes OUT.base.spec and OUT.spec.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
}

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    let x = with_base(&args.base, |base| {
        with_split_on(&args.module, base, |btf| {
            extract(base, btf, find_type(btf, &args.type_name)?)
        })
    })?;
    let path = |ext: &str| {
        let mut p = args.output.clone().into_os_string();
        p.push(ext);
        PathBuf::from(p)
    };
    let (base_path, spec_path) = (path(".base.spec"), path(".spec"));
    write(&base_path, &x.base_spec)?;
    write(&spec_path, &x.spec)?;
    writeln!(
        out,
        "{}: {} is [{}] in {} ({} module types), on {} base types ({} cut down to name and size) in {}; candidates by name: {}",
        name(&args.module),
        x.title,
        x.root,
        name(&spec_path),
        x.module_ids.len(),
        x.base_ids.len(),
        x.cut,
        name(&base_path),
        x.candidates.len()
    )?;
    Ok(())
}
