//! The command-line adapter: argument parsing, file reading and printing.
//! All analysis lives in the library.
//!
//! Each subcommand is a file of its own beside this one, with its `Args`
//! (whose doc comment is its help line) and `run`; [`commands!`] below
//! registers it with one line. What subcommands share (reading files, the
//! base `-B`, the pool `-j`, JSON output, progress) is in `common`.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use btfscope::{ErrorKind, Result};

mod common;

/// Declares the subcommands, in the order `--help` lists them: each line
/// names the variant (the subcommand, in kebab case) and its module.
macro_rules! commands {
    ($($variant:ident => $module:ident,)*) => {
        $(mod $module;)*

        #[derive(Subcommand)]
        enum Command {
            $($variant($module::Args),)*
        }

        impl Command {
            fn run(self, out: &mut impl Write) -> Result<()> {
                match self {
                    $(Command::$variant(args) => $module::run(args, out),)*
                }
            }
        }
    };
}

commands! {
    Dump => dump,
    Stat => stat,
    Build => build,
    Encode => encode,
    Distill => distill,
    Compat => compat,
    Explain => explain,
    Diff => diff,
    Graph => graph,
    Report => report,
    Compare => compare,
    Verify => verify,
    Core => co_re,
    MinCore => min_core,
    Layout => layout,
    Dedup => dedup,
    Split => split,
    TeachExtract => teach_extract,
}

#[derive(Parser)]
#[command(
    name = "btfscope",
    version,
    about = "BTF analyzer: dump, stat, split and dedup kernel BTF"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = cli.command.run(&mut out).and_then(|()| Ok(out.flush()?));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is not a failure of ours.
        Err(e) if e.kind == ErrorKind::Io && e.message.contains("Broken pipe") => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("btfscope: {e}");
            match e.kind {
                ErrorKind::Usage => ExitCode::from(2),
                _ => ExitCode::FAILURE,
            }
        }
    }
}
