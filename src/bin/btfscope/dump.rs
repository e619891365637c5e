//! `dump`: every type, as bpftool prints it.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;

use btfscope::btf::c;
use btfscope::btf::dump::{dump, DumpFormat};
use btfscope::btf::Btf;
use btfscope::{Error, ErrorKind, Result};

use crate::common::with_btf;

/// Print every type, as `bpftool btf dump file FILE [-B BASE]` does.
#[derive(clap::Args)]
pub struct Args {
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

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    if args.ext {
        return crate::co_re::dump_ext(&args.file, out);
    }
    with_btf(&args.file, args.base.as_deref(), |btf| {
        let format = match (args.format, args.root) {
            (Format::C, root) => return dump_c(btf, root.as_deref(), out),
            (_, Some(_)) => return Err(Error::new(ErrorKind::Usage, "--root needs --format c")),
            (Format::Raw, None) => DumpFormat::Raw,
            (Format::Json, None) => DumpFormat::Json,
        };
        Ok(dump(btf, format, out)?)
    })
}

fn dump_c(btf: &Btf, root: Option<&str>, out: &mut impl Write) -> Result<()> {
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
