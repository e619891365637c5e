//! `btfscope compare`: two JSON reports side by side, and with `--module`
//! the type diff behind one module's change, over `analyze::compare`.

use std::io::Write;
use std::path::{Path, PathBuf};

use btfscope::analyze::compare::{
    check_input, compare, module_diff, module_inputs, read_report, signed, ModuleFiles,
};
use btfscope::analyze::report::{NamedInput, Report};
use btfscope::{Error, ErrorKind, Result};

use crate::common::{map, read, write};

/// Two JSON reports side by side: per module and per kind, what changed.
#[derive(clap::Args)]
pub struct Args {
    /// The old report (`btfscope report --json`).
    old: PathBuf,
    /// The new report.
    new: PathBuf,
    /// Write the comparison as JSON to this file.
    #[arg(long = "json")]
    json: Option<PathBuf>,
    /// Print the plain-text comparison (the default when neither --json nor --module is given).
    #[arg(long)]
    text: bool,
    /// Modules in the text's table of largest changes.
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Print the types added, removed and changed in this module (its name
    /// without .ko), from the files both reports were made of.
    #[arg(long)]
    module: Option<String>,
    /// Where the old report's files are: files, or folders searched by
    /// file name (subfolders too); repeatable; default: the old report's folder.
    #[arg(long = "old-files")]
    old_files: Vec<PathBuf>,
    /// Where the new report's files are; default: the new report's folder.
    #[arg(long = "new-files")]
    new_files: Vec<PathBuf>,
}

fn load(path: &Path) -> Result<Report> {
    read_report(&path.display().to_string(), &read(path)?)
}

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    let old = load(&args.old)?;
    let new = load(&args.new)?;
    let c = compare(&old, &new);
    if let Some(path) = &args.json {
        write(path, c.to_json())?;
    }
    if args.text || (args.json.is_none() && args.module.is_none()) {
        out.write_all(c.to_text(args.top).as_bytes())?;
    }
    let Some(name) = &args.module else {
        return Ok(());
    };
    let row = c.modules.iter().find(|m| &m.name == name).ok_or_else(|| {
        Error::new(
            ErrorKind::Usage,
            format!("neither report has a module {name}"),
        )
    })?;
    if row.old.is_none() || row.new.is_none() {
        let (has, lacks) = if row.old.is_some() {
            (&args.old, &args.new)
        } else {
            (&args.new, &args.old)
        };
        return Err(Error::new(
            ErrorKind::Usage,
            format!(
                "{name} is only in {} ({} has none): there is nothing to diff it with",
                has.display(),
                lacks.display()
            ),
        ));
    }
    let old_maps = side_files(&old, &args.old, &places(&args.old, args.old_files), name)?;
    let new_maps = side_files(&new, &args.new, &places(&args.new, args.new_files), name)?;
    let d = module_diff(&old_maps.named(), &new_maps.named())?;
    writeln!(
        out,
        "{name}: SPLIT {} bytes, FULL {} bytes ({} → {})",
        signed(row.delta.split_bytes),
        signed(row.delta.full_bytes),
        old_maps.module.0,
        new_maps.module.0
    )?;
    out.write_all(d.to_text().as_bytes())?;
    Ok(())
}

/// Where a report's files are looked for: those given, or its folder.
fn places(report: &Path, given: Vec<PathBuf>) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given;
    }
    vec![match report.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }]
}

/// The base's and the module's file of one report, mapped and checked
/// against the sha256 the report recorded.
struct SideFiles {
    base: (String, memmap2::Mmap),
    module: (String, memmap2::Mmap),
}

impl SideFiles {
    fn named(&self) -> ModuleFiles<'_> {
        fn n((name, map): &(String, memmap2::Mmap)) -> NamedInput<'_> {
            NamedInput {
                name: name.clone(),
                bytes: &map[..],
            }
        }
        ModuleFiles {
            base: n(&self.base),
            module: n(&self.module),
        }
    }
}

fn side_files(
    report: &Report,
    report_path: &Path,
    places: &[PathBuf],
    name: &str,
) -> Result<SideFiles> {
    let report_name = report_path.display().to_string();
    let (base, module) = module_inputs(report, name).ok_or_else(|| {
        Error::new(
            ErrorKind::Usage,
            format!("{report_name} has no module {name}"),
        )
    })?;
    let open = |file: &str| -> Result<(String, memmap2::Mmap)> {
        let path = find_file(places, file)?.ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                format!(
                    "{file} (named by {report_name}) is not in {} (say where with --old-files / --new-files)",
                    shown(places)
                ),
            )
        })?;
        let map = map(&path)?;
        check_input(
            report,
            &report_name,
            &NamedInput {
                name: file.to_string(),
                bytes: &map,
            },
        )
        .map_err(|e| e.in_file(path.display().to_string()))?;
        Ok((path.display().to_string(), map))
    };
    Ok(SideFiles {
        base: open(base)?,
        module: open(module)?,
    })
}

fn shown(places: &[PathBuf]) -> String {
    let names: Vec<String> = places.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

/// The file named `name` among `places` (files, and folders searched with
/// their subfolders); an error when there are two.
fn find_file(places: &[PathBuf], name: &str) -> Result<Option<PathBuf>> {
    let mut found = Vec::new();
    let mut todo = Vec::new();
    for p in places {
        if p.is_dir() {
            todo.push(p.clone());
        } else if p.file_name().and_then(|n| n.to_str()) == Some(name) {
            found.push(p.clone());
        }
    }
    while let Some(d) = todo.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|e| Error::from(e).in_file(d.display().to_string()))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::from(e).in_file(d.display().to_string()))?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                todo.push(entry.path());
            } else if entry.file_name().to_str() == Some(name) {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found.dedup();
    match found.len() {
        0 | 1 => Ok(found.pop()),
        n => Err(Error::new(
            ErrorKind::Usage,
            format!(
                "{name} is in {n} places ({}, {}): say which with --old-files / --new-files",
                found[0].display(),
                found[1].display()
            ),
        )),
    }
}
