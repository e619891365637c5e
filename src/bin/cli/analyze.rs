//! The module-analysis subcommands — explain, diff, graph, report, verify —
//! as argument parsing and printing over `btfscope::analyze`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use btfscope::analyze::explain::{Explainer, Reason, Verdict};
use btfscope::analyze::report::{report, verify, NamedInput, Options};
use btfscope::dedup::BaseIndex;
use btfscope::intake::Input;
use btfscope::{Error, ErrorKind, Result};

use super::{map, read};

#[derive(clap::Args)]
pub struct ExplainArgs {
    /// The module (.ko, compressed or not, or raw split BTF).
    module: PathBuf,
    /// The vmlinux the module was built against.
    #[arg(short = 'B', long = "base")]
    base: PathBuf,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct ReportArgs {
    /// The modules (.ko) built against the base.
    #[arg(required = true)]
    modules: Vec<PathBuf>,
    /// The vmlinux (or vmlinuz, or raw BTF).
    #[arg(short = 'B', long = "base")]
    base: PathBuf,
    /// Write the JSON report to this file.
    #[arg(long = "json")]
    json: Option<PathBuf>,
    /// Print the plain-text report (the default when --json is not given).
    #[arg(long)]
    text: bool,
    /// Also count the explainer's verdicts for every module.
    #[arg(long)]
    explain: bool,
    /// Modules in the text's top table.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Threads (default: all cores). The report does not depend on it.
    #[arg(short = 'j', long = "jobs")]
    jobs: Option<usize>,
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// A JSON report written by `report --json`.
    report: PathBuf,
    /// The files it names (matched by file name).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[arg(short = 'j', long = "jobs")]
    jobs: Option<usize>,
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn json_out(out: &mut impl Write, value: &impl serde::Serialize) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

pub fn run_explain(args: ExplainArgs, out: &mut impl Write) -> Result<()> {
    let base_bytes = read(&args.base)?;
    let base_name = args.base.display().to_string();
    let base_input = Input::open(&base_bytes).map_err(|e| e.in_file(&base_name))?;
    let base = base_input
        .parse_btf(None)
        .map_err(|e| e.in_file(&base_name))?;
    let index = BaseIndex::new(&base)?;
    let explainer = Explainer::new(&index)?;
    let name = args.module.display().to_string();
    let bytes = read(&args.module)?;
    let input = Input::open(&bytes).map_err(|e| e.in_file(&name))?;
    let btf = input.parse_btf(Some(&base)).map_err(|e| e.in_file(&name))?;
    let x = explainer.explain(&btf).map_err(|e| e.in_file(&name))?;
    if args.json {
        return json_out(out, &x);
    }
    for f in &x.findings {
        let what = format!("[{}] {} = base [{}]", f.split_id, f.name, f.base_id);
        let line = match &f.verdict {
            Verdict::Identical { saved_bytes } => {
                format!("{what}: identical, merged by a current dedup ({saved_bytes} bytes)")
            }
            Verdict::Different { path, split, base } => {
                format!("{what}: different at {path}: {split} vs {base}")
            }
            Verdict::Unmergeable { reason } => {
                let why = match reason {
                    Reason::BaseFwd { path } => format!("the base has a FWD at {path}"),
                    Reason::TwoCopies {
                        path,
                        first,
                        second,
                    } => format!("two copies in the module ([{first}] and [{second}]) at {path}"),
                    Reason::AmbiguousName { candidates } => {
                        format!("{} base types share the name", candidates.len())
                    }
                    Reason::Other => "kept by dedup".to_string(),
                };
                format!("{what}: equivalent but not mergeable: {why}")
            }
        };
        writeln!(out, "{line}")?;
    }
    let c = x.counts;
    writeln!(
        out,
        "{}: {} identical (stale, {} bytes saved by a current dedup), {} different, {} unmergeable",
        name, c.identical, x.redup_saved_bytes, c.different, c.unmergeable
    )?;
    Ok(())
}

fn pool(jobs: Option<usize>) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::new(ErrorKind::Usage, e.to_string()))
}

/// Maps every file; the report reads them in parallel.
fn map_all(paths: &[PathBuf]) -> Result<Vec<memmap2::Mmap>> {
    paths.iter().map(|p| map(p)).collect()
}

fn named<'d>(paths: &[PathBuf], maps: &'d [memmap2::Mmap]) -> Vec<NamedInput<'d>> {
    paths
        .iter()
        .zip(maps)
        .map(|(p, m)| NamedInput {
            name: file_name(p),
            bytes: m,
        })
        .collect()
}

pub fn run_report(args: ReportArgs, out: &mut impl Write) -> Result<()> {
    let base_map = map(&args.base)?;
    let module_maps = map_all(&args.modules)?;
    let base = NamedInput {
        name: file_name(&args.base),
        bytes: &base_map,
    };
    let modules = named(&args.modules, &module_maps);
    let options = Options {
        explain: args.explain,
    };
    let r = pool(args.jobs)?.install(|| report(&options, &base, &modules))?;
    if let Some(path) = &args.json {
        let mut json = serde_json::to_vec_pretty(&r).map_err(io::Error::from)?;
        json.push(b'\n');
        std::fs::write(path, json)
            .map_err(|e| Error::from(e).in_file(path.display().to_string()))?;
    }
    if args.text || args.json.is_none() {
        out.write_all(r.to_text(args.top).as_bytes())?;
    }
    Ok(())
}

pub fn run_verify(args: VerifyArgs, out: &mut impl Write) -> Result<()> {
    let recorded = read(&args.report)?;
    let maps = map_all(&args.files)?;
    let files = named(&args.files, &maps);
    let v = pool(args.jobs)?
        .install(|| verify(&recorded, &files))
        .map_err(|e| e.in_file(args.report.display().to_string()))?;
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
