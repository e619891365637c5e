//! `verify`: re-runs a JSON report over its inputs and says what differs.

use std::io::Write;
use std::path::PathBuf;

use btfscope::analyze::report::verify;
use btfscope::{Error, ErrorKind, Result};

use crate::common::{map_all, name, named, pool, read};

/// Re-run a JSON report over its inputs and say what differs.
#[derive(clap::Args)]
pub struct Args {
    /// A JSON report written by `report --json`.
    report: PathBuf,
    /// The files it names (matched by file name).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[arg(short = 'j', long = "jobs")]
    jobs: Option<usize>,
}

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    let recorded = read(&args.report)?;
    let maps = map_all(&args.files)?;
    let files = named(&args.files, &maps);
    let v = pool(args.jobs)?
        .install(|| verify(&recorded, &files))
        .map_err(|e| e.in_file(name(&args.report)))?;
    for c in &v.changed_inputs {
        writeln!(
            out,
            "input {} changed: sha256 {} recorded, {} now",
            c.name, c.recorded, c.actual
        )?;
    }
    for (path, old, new) in &v.differences {
        writeln!(out, "{path}: {old} recorded, {new} now")?;
    }
    if v.ok() {
        writeln!(out, "verified: the report is reproduced exactly")?;
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Incompatible,
            format!(
                "not reproduced: {} inputs changed, {} values differ",
                v.changed_inputs.len(),
                v.differences.len()
            ),
        ))
    }
}
