//! `encode`: DWARF → BTF, as `pahole -J` does.

use std::io::Write;
use std::path::PathBuf;

use btfscope::encode::{self, Features, Options};
use btfscope::{Error, ErrorKind, Result};

use crate::common::{map, name, pool, with_optional_base, write, Progress};

/// Encode DWARF as BTF, as `pahole -J` does (pahole 1.30's rules).
#[derive(clap::Args)]
pub struct Args {
    /// ELF file with DWARF: a vmlinux or a kernel module.
    file: PathBuf,
    /// Base BTF (vmlinux's) to encode split BTF on, as pahole's --btf_base.
    #[arg(short = 'B', long = "base")]
    base: Option<PathBuf>,
    /// pahole's --btf_features names, comma-separated; `default` is the
    /// set kernels since 6.12 ask for.
    #[arg(long = "btf-features", default_value = "default")]
    btf_features: String,
    /// Skip CUs in these languages (comma-separated, e.g. `rust`).
    #[arg(long = "lang-exclude", value_delimiter = ',')]
    lang_exclude: Vec<String>,
    /// Threads decoding DWARF (default: all cores). The output does not depend on it.
    #[arg(short = 'j', long = "jobs")]
    jobs: Option<usize>,
    /// Write the BTF before deduplication.
    #[arg(long)]
    no_dedup: bool,
    /// Where to write the raw BTF.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
}

pub fn run(args: Args, _out: &mut impl Write) -> Result<()> {
    let lang_exclude = args
        .lang_exclude
        .iter()
        .map(|l| {
            encode::language_code(l)
                .ok_or_else(|| Error::new(ErrorKind::Usage, format!("unknown language '{l}'")))
        })
        .collect::<Result<Vec<_>>>()?;
    let opts = Options {
        features: Features::parse(&args.btf_features)?,
        lang_exclude,
        ..Options::default()
    };
    with_optional_base(args.base.as_deref(), |base| {
        let name = name(&args.file);
        let data = map(&args.file)?;
        let bar = Progress::bar("CUs");
        let pool = pool(args.jobs)?;
        let show = |done, all| bar.show(done, all);
        let encoded = pool.install(|| -> Result<_> {
            Ok(if args.no_dedup {
                let (btf, report) = encode::encode_raw(&data, base, &opts, &show)?;
                (Ok(btf), report)
            } else {
                let (merged, report) = encode::encode_merged(&data, base, &opts, &show)?;
                (Err(merged), report)
            })
        });
        let (encoded, report) = encoded.map_err(|e| e.in_file(&name))?;
        bar.clear();
        // The DWARF is no longer needed: unmapping it before the last
        // deduplication keeps the peak memory down.
        drop(data);
        let btf = match encoded {
            Ok(raw) => raw,
            Err(merged) => pool.install(|| merged.finish())?,
        };
        write(&args.output, btf.to_bytes_in(report.endian))?;
        eprintln!(
            "{name}: {} CUs ({} skipped), {} types encoded, {} after dedup; {} functions ({} groups left out), {} variables",
            report.cus,
            report.cus_skipped,
            report.types_encoded,
            btf.local_len(),
            report.funcs,
            report.funcs_skipped,
            report.vars
        );
        for w in &report.warnings {
            eprintln!("warning: {w}");
        }
        Ok(())
    })
}
