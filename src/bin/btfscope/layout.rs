//! The `layout` subcommand: struct layouts as `pahole -F btf` prints them,
//! or as JSON, over `btfscope::analyze::layout`.

use std::io::Write;
use std::path::PathBuf;

use btfscope::analyze::layout::Layouts;
use btfscope::Result;

use crate::common::{json_line, with_btf};

/// Struct and union layouts as `pahole -F btf` prints them (holes, padding, cache lines).
#[derive(clap::Args)]
pub struct Args {
    file: PathBuf,
    /// Base BTF (vmlinux) of a split BTF such as a module's (pahole's --btf_base).
    #[arg(short = 'B', long = "base")]
    base: Option<PathBuf>,
    /// Only these types (comma-separated), as pahole -C; output stops at the
    /// first name not found.
    #[arg(short = 'C', long = "class_name", value_delimiter = ',')]
    names: Vec<String>,
    /// JSON (schema in docs/LAYOUT.md) instead of pahole's text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, out: &mut impl Write) -> Result<()> {
    with_btf(&args.file, args.base.as_deref(), |btf| {
        let mut layouts = Layouts::new(btf)?;
        if args.names.is_empty() {
            if args.json {
                let all = layouts.all();
                json_line(out, &serde_json::json!({ "types": all }))?;
            } else {
                out.write_all(&layouts.pahole_all())?;
            }
            return Ok(());
        }
        let names: Vec<&str> = args.names.iter().map(String::as_str).collect();
        let selected = layouts.pahole_selected(&names);
        if args.json {
            let mut fresh = Layouts::new(btf)?;
            let found = selected
                .ids
                .iter()
                .filter_map(|&id| fresh.layout(id).ok())
                .collect::<Vec<_>>();
            json_line(
                out,
                &serde_json::json!({ "types": found, "missing": selected.missing }),
            )?;
        } else {
            out.write_all(&selected.text)?;
        }
        if let Some(name) = &selected.missing {
            // As pahole: a message, and still success.
            eprintln!("btfscope: type '{name}' not found");
        }
        Ok(())
    })
}
