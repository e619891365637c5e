//! The module-analysis subcommands — explain, diff, graph, report, verify —
//! as argument parsing and printing over `btfscope::analyze`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use btfscope::analyze::diff::diff;
use btfscope::analyze::explain::Explainer;
use btfscope::analyze::graph::{find_by_name, rooted, split_graph};
use btfscope::analyze::report::{report, verify, NamedInput, Options};
use btfscope::dedup::BaseIndex;
use btfscope::intake::Input;
use btfscope::{Error, ErrorKind, Result};

use super::dedup_cmd::CompatArg;
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
    #[command(flatten)]
    compat: CompatArg,
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// The old BTF (vmlinux, module, raw BTF).
    old: PathBuf,
    /// The new BTF.
    new: PathBuf,
    /// The base both are split on (for modules).
    #[arg(short = 'B', long = "base")]
    base: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum GraphFormat {
    Json,
    Dot,
}

#[derive(clap::Args)]
pub struct GraphArgs {
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
    format: GraphFormat,
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
    let index = BaseIndex::with_compat(&base, args.compat.compat())?;
    let explainer = Explainer::new(&index)?;
    let name = args.module.display().to_string();
    let bytes = read(&args.module)?;
    let input = Input::open(&bytes).map_err(|e| e.in_file(&name))?;
    let btf = input.parse_btf(Some(&base)).map_err(|e| e.in_file(&name))?;
    let x = explainer.explain(&btf).map_err(|e| e.in_file(&name))?;
    if args.json {
        return json_out(out, &x);
    }
    write!(out, "{name}:\n{}", x.to_text())?;
    Ok(())
}

pub fn run_diff(args: DiffArgs, out: &mut impl Write) -> Result<()> {
    let base_bytes = args.base.as_deref().map(read).transpose()?;
    let base_name = args.base.as_ref().map(|p| p.display().to_string());
    let base_input = base_bytes
        .as_deref()
        .map(Input::open)
        .transpose()
        .map_err(|e| e.in_file(base_name.clone().unwrap_or_default()))?;
    let base = base_input
        .as_ref()
        .map(|i| i.parse_btf(None))
        .transpose()
        .map_err(|e| e.in_file(base_name.unwrap_or_default()))?;
    let open = |path: &Path| -> Result<(String, Vec<u8>)> {
        Ok((path.display().to_string(), read(path)?))
    };
    let (old_name, old_bytes) = open(&args.old)?;
    let (new_name, new_bytes) = open(&args.new)?;
    let old_input = Input::open(&old_bytes).map_err(|e| e.in_file(&old_name))?;
    let new_input = Input::open(&new_bytes).map_err(|e| e.in_file(&new_name))?;
    let d = old_input
        .with_btf(base.as_ref(), |a| {
            new_input
                .with_btf(base.as_ref(), |b| Ok(diff(a, b)))
                .map_err(|e| e.in_file(&new_name))
        })
        .map_err(|e| e.in_file(&old_name))?;
    if args.json {
        json_out(out, &d)
    } else {
        Ok(out.write_all(d.to_text().as_bytes())?)
    }
}

pub fn run_graph(args: GraphArgs, out: &mut impl Write) -> Result<()> {
    super::with_btf(&args.module, args.base.as_deref(), |btf| {
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
            GraphFormat::Json => json_out(out, &g),
            GraphFormat::Dot => Ok(out.write_all(g.to_dot().as_bytes())?),
        }
    })
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
