//! The `core` and `min-core` subcommands and `dump --ext`: argument parsing
//! and printing over `btfscope::core`.

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use btfscope::btf::ext::BtfExt;
use btfscope::btf::Btf;
use btfscope::core::min_btf::min_core_btf;
use btfscope::core::report::{ext_text, matrix};
use btfscope::core::{Program, Target};
use btfscope::intake::Input;
use btfscope::{Error, ErrorKind, Result};

use super::read;

#[derive(clap::Args)]
pub struct CoreArgs {
    /// The compiled BPF object (.o with .BTF and .BTF.ext).
    program: PathBuf,
    /// A kernel to resolve against (vmlinux, vmlinuz, raw BTF); repeat for more.
    #[arg(short = 'B', long = "kernel", required = true)]
    kernels: Vec<PathBuf>,
    /// Also write the matrix as JSON to FILE (`-` for stdout instead of text).
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct MinCoreArgs {
    /// The kernel whose BTF is cut down (vmlinux, vmlinuz, raw BTF).
    kernel: PathBuf,
    /// Where to write the minimal raw BTF.
    output: PathBuf,
    /// The BPF objects whose relocations decide what is kept.
    #[arg(required = true)]
    programs: Vec<PathBuf>,
}

fn name(path: &Path) -> String {
    path.display().to_string()
}

/// A file's bytes opened by intake.
struct Opened {
    name: String,
    bytes: Vec<u8>,
}

impl Opened {
    fn read(path: &Path) -> Result<Opened> {
        Ok(Opened {
            name: name(path),
            bytes: read(path)?,
        })
    }

    fn input(&self) -> Result<Input<'_>> {
        Input::open(&self.bytes).map_err(|e| e.in_file(&self.name))
    }
}

/// A BPF object's parsed `.BTF` and checked `.BTF.ext`.
fn program_parts<'i>(input: &'i Input<'i>, file: &str) -> Result<(Btf<'i>, BtfExt)> {
    let btf = input.parse_btf(None).map_err(|e| e.in_file(file))?;
    let ext = input
        .parse_btf_ext()
        .ok_or_else(|| {
            Error::new(
                ErrorKind::BadContainer,
                "no .BTF.ext section: not a BPF object with CO-RE records",
            )
            .in_file(file)
        })?
        .map_err(|e| e.in_file(file))?;
    ext.check(&btf).map_err(|e| e.in_file(file))?;
    Ok((btf, ext))
}

/// `dump FILE --ext`.
pub fn dump_ext(path: &Path, out: &mut impl Write) -> Result<()> {
    let file = Opened::read(path)?;
    let input = file.input()?;
    let (btf, ext) = program_parts(&input, &file.name)?;
    out.write_all(ext_text(&btf, &ext).as_bytes())?;
    Ok(())
}

pub fn run_core(args: CoreArgs, out: &mut impl Write) -> Result<()> {
    let prog_file = Opened::read(&args.program)?;
    let prog_input = prog_file.input()?;
    let (btf, ext) = program_parts(&prog_input, &prog_file.name)?;
    let program = Program::new(&btf, &ext);

    // Kernels are read, parsed and indexed in parallel, each once.
    let files = args
        .kernels
        .par_iter()
        .map(|p| Opened::read(p))
        .collect::<Result<Vec<_>>>()?;
    let inputs = files
        .par_iter()
        .map(Opened::input)
        .collect::<Result<Vec<_>>>()?;
    let btfs = inputs
        .par_iter()
        .zip(&files)
        .map(|(i, f)| i.parse_btf(None).map_err(|e| e.in_file(&f.name)))
        .collect::<Result<Vec<_>>>()?;
    let targets: Vec<Target> = btfs.par_iter().map(Target::new).collect();
    let kernels: Vec<(String, &Target)> =
        files.iter().map(|f| f.name.clone()).zip(&targets).collect();
    let m = matrix(&prog_file.name, &program, &kernels, |s| {
        prog_input.elf_section(s)
    });
    match args.json.as_deref() {
        Some(p) if p == Path::new("-") => {
            serde_json::to_writer_pretty(&mut *out, &m).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        Some(p) => {
            let json = serde_json::to_vec_pretty(&m).map_err(std::io::Error::from)?;
            std::fs::write(p, json).map_err(|e| Error::from(e).in_file(name(p)))?;
            out.write_all(m.to_text().as_bytes())?;
        }
        None => out.write_all(m.to_text().as_bytes())?,
    }
    Ok(())
}

pub fn run_min_core(args: MinCoreArgs) -> Result<()> {
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
    let bytes = min_core_btf(&target, &programs)?;
    std::fs::write(&args.output, bytes).map_err(|e| Error::from(e).in_file(name(&args.output)))
}
