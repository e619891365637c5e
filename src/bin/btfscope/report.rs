//! `report`: FULL against SPLIT and sizes per kind for a kernel's modules,
//! reproducibly (docs/REPORT.md).

use std::io::Write;
use std::path::PathBuf;

use btfscope::analyze::report::{report, NamedInput, Options};
use btfscope::{Error, ErrorKind, Result};

use crate::common::{file_name, json_bytes, map, map_all, named, pool, write, ModulesOnBase};

/// FULL against SPLIT and sizes per kind for a kernel's modules, reproducibly.
#[derive(clap::Args)]
#[command(mut_arg("modules", |a| a.help("The modules (.ko) built against the base")))]
#[command(mut_arg("base", |a| a.help("The vmlinux (or vmlinuz, or raw BTF)")))]
pub struct Args {
    #[command(flatten)]
    on: ModulesOnBase,
    /// Write the JSON report to this file.
    #[arg(long = "json")]
    json: Option<PathBuf>,
    /// Print the plain-text report (the default when --json is not given).
    #[arg(long)]
    text: bool,
    /// Also count the explainer's verdicts for every module.
    #[arg(long)]
    explain: bool,
    /// Also deduplicate every module again against the base (the
    /// optional `redup` sizes, as `btfscope split` lists them).
    #[arg(long)]
    redup: bool,
    /// Modules in the text's top table.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Threads (default: all cores). The report does not depend on it.
    #[arg(short = 'j', long = "jobs")]
    jobs: Option<usize>,
}

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    let base_map = map(&args.on.base)?;
    let module_maps = map_all(&args.on.modules)?;
    let base = NamedInput {
        name: file_name(&args.on.base),
        bytes: &base_map,
    };
    let modules = named(&args.on.modules, &module_maps);
    let options = Options {
        explain: args.explain,
        redup: args.redup,
    };
    let r = pool(args.jobs)?.install(|| report(&options, &base, &modules))?;
    if let Some(path) = &args.json {
        write(path, &json_bytes(&r)?)?;
    }
    if args.text || args.json.is_none() {
        out.write_all(r.to_text(args.top).as_bytes())?;
    }
    match r.failed.len() {
        0 => Ok(()),
        n => Err(Error::new(
            ErrorKind::BadContainer,
            format!(
                "{n} of {} modules failed (listed in the report)",
                n + r.modules.len()
            ),
        )),
    }
}
