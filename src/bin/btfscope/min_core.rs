//! `min-core`: the minimal kernel BTF BPF programs need.

use std::io::Write;
use std::path::PathBuf;

use btfscope::core::min_btf::min_core_btf;
use btfscope::core::{Program, Target};
use btfscope::Result;

use crate::co_re::{program_parts, Opened};
use crate::common::write;

/// The minimal kernel BTF BPF programs need, as `bpftool gen min_core_btf` writes it.
#[derive(clap::Args)]
pub struct Args {
    /// The kernel whose BTF is cut down (vmlinux, vmlinuz, raw BTF).
    kernel: PathBuf,
    /// Where to write the minimal raw BTF.
    output: PathBuf,
    /// The BPF objects whose relocations decide what is kept.
    #[arg(required = true)]
    programs: Vec<PathBuf>,
}

pub fn run(args: Args, _out: &mut impl Write) -> Result<()> {
    let kfile = Opened::read(&args.kernel)?;
    let kinput = kfile.input()?;
    let kbtf = kinput.parse_btf(None).map_err(|e| e.in_file(&kfile.name))?;
    let target = Target::new(&kbtf);
    let files = args
        .programs
        .iter()
        .map(|p| Opened::read(p))
        .collect::<Result<Vec<_>>>()?;
    let inputs = files
        .iter()
        .map(Opened::input)
        .collect::<Result<Vec<_>>>()?;
    let parts = inputs
        .iter()
        .zip(&files)
        .map(|(i, f)| program_parts(i, &f.name))
        .collect::<Result<Vec<_>>>()?;
    let programs: Vec<Program> = parts.iter().map(|(b, e)| Program::new(b, e)).collect();
    write(&args.output, min_core_btf(&target, &programs)?)
}
