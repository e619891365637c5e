//! `core`: which CO-RE relocations of a BPF program resolve on which
//! kernels; and what `min-core` and `dump --ext` share with it: a BPF
//! object's `.BTF` and `.BTF.ext`.

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use btfscope::btf::ext::BtfExt;
use btfscope::btf::Btf;
use btfscope::core::report::{ext_text, matrix};
use btfscope::core::{Program, Target};
use btfscope::intake::Input;
use btfscope::Result;

use crate::common::{json_out, name, read, write};

/// Which CO-RE relocations of a BPF program resolve on which kernels (libbpf's rules).
#[derive(clap::Args)]
pub struct Args {
    /// The compiled BPF object (.o with .BTF and .BTF.ext).
    program: PathBuf,
    /// A kernel to resolve against (vmlinux, vmlinuz, raw BTF), or a module
    /// on its kernel as VMLINUX+MODULE; repeat for more.
    #[arg(short = 'B', long = "kernel", required = true)]
    kernels: Vec<PathBuf>,
    /// Also write the matrix as JSON to FILE (`-` for stdout instead of text).
    #[arg(long)]
    json: Option<PathBuf>,
}

/// A file's bytes opened by intake.
pub struct Opened {
    pub name: String,
    bytes: Vec<u8>,
}

impl Opened {
    pub fn read(path: &Path) -> Result<Opened> {
        Ok(Opened {
            name: name(path),
            bytes: read(path)?,
        })
    }

    pub fn input(&self) -> Result<Input<'_>> {
        Input::open(&self.bytes).map_err(|e| e.in_file(&self.name))
    }
}

/// A BPF object's parsed `.BTF` and checked `.BTF.ext`.
pub fn program_parts<'i>(input: &'i Input<'i>, file: &str) -> Result<(Btf<'i>, BtfExt)> {
    btfscope::core::program_parts(input).map_err(|e| e.in_file(file))
}

/// `dump FILE --ext`.
pub fn dump_ext(path: &Path, out: &mut impl Write) -> Result<()> {
    let file = Opened::read(path)?;
    let input = file.input()?;
    let (btf, ext) = program_parts(&input, &file.name)?;
    out.write_all(ext_text(&btf, &ext).as_bytes())?;
    Ok(())
}

/// A `-B` argument: a file, or `VMLINUX+MODULE` (a module on its base).
/// A name that is a file is that file; otherwise it is split at the `+`
/// that leaves a file on both sides.
fn kernel_arg(arg: &Path) -> Result<(PathBuf, Option<PathBuf>)> {
    if arg.exists() {
        return Ok((arg.to_path_buf(), None));
    }
    let text = arg.to_string_lossy();
    for (at, _) in text.match_indices('+') {
        let (base, module) = (Path::new(&text[..at]), Path::new(&text[at + 1..]));
        if base.is_file() && module.is_file() {
            return Ok((base.to_path_buf(), Some(module.to_path_buf())));
        }
    }
    if text.contains('+') {
        return Err(btfscope::Error::new(
            btfscope::ErrorKind::Usage,
            format!("{text}: neither a file nor VMLINUX+MODULE of two files"),
        ));
    }
    Ok((arg.to_path_buf(), None))
}

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    let prog_file = Opened::read(&args.program)?;
    let prog_input = prog_file.input()?;
    let (btf, ext) = program_parts(&prog_input, &prog_file.name)?;
    let program = Program::new(&btf, &ext);

    // Kernels are read, parsed and indexed in parallel, each once; a
    // module is parsed on its kernel.
    let paths = args
        .kernels
        .iter()
        .map(|p| kernel_arg(p))
        .collect::<Result<Vec<_>>>()?;
    let files = paths
        .par_iter()
        .map(|(base, module)| {
            let module = module.as_deref().map(Opened::read).transpose()?;
            Ok((Opened::read(base)?, module))
        })
        .collect::<Result<Vec<_>>>()?;
    let inputs = files
        .par_iter()
        .map(|(base, module)| Ok((base.input()?, module.as_ref().map(Opened::input).transpose()?)))
        .collect::<Result<Vec<_>>>()?;
    let btfs = inputs
        .par_iter()
        .zip(&files)
        .map(|((i, _), (f, _))| i.parse_btf(None).map_err(|e| e.in_file(&f.name)))
        .collect::<Result<Vec<_>>>()?;
    let modules = inputs
        .par_iter()
        .zip(&files)
        .zip(&btfs)
        .map(|(((_, m), (_, f)), base)| match (m, f) {
            (Some(m), Some(f)) => m.parse_btf(Some(base)).map(Some).map_err(|e| e.in_file(&f.name)),
            _ => Ok(None),
        })
        .collect::<Result<Vec<_>>>()?;
    let targets: Vec<Target> = btfs
        .par_iter()
        .zip(&modules)
        .map(|(base, module)| Target::new(module.as_ref().unwrap_or(base)))
        .collect();
    let names = files.iter().map(|(base, module)| match module {
        Some(m) => format!("{}+{}", base.name, m.name),
        None => base.name.clone(),
    });
    let kernels: Vec<(String, &Target)> = names.zip(&targets).collect();
    let m = matrix(&prog_file.name, &program, &kernels, |s| {
        prog_input.elf_section(s)
    });
    match args.json.as_deref() {
        Some(p) if p == Path::new("-") => json_out(out, &m)?,
        Some(p) => {
            // No newline at the end, unlike stdout's.
            write(p, serde_json::to_vec_pretty(&m).map_err(std::io::Error::from)?)?;
            out.write_all(m.to_text().as_bytes())?;
        }
        None => out.write_all(m.to_text().as_bytes())?,
    }
    Ok(())
}
