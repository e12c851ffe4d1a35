//! Wires the stages: sources → items → detectors → findings → reports + gate.

mod audit;
mod generate;
mod history;
mod output;
mod progress;
mod rules_cmd;
mod scan;
mod validate;

pub use output::{finish, Settings};
pub use scan::{process_item, Counters};

use crate::cli::{Cli, Command};
use crate::gate::exit;

/// Run a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> u8 {
    let result = match cli.command {
        Command::Scan(args) => scan::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Rules { command } => rules_cmd::run(command),
        Command::Completions { shell } => generate::completions(shell, &mut std::io::stdout()),
        Command::Man { dir } => generate::man(dir.as_deref(), &mut std::io::stdout()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("nhiscan: error: {e:#}");
            exit::FATAL
        }
    }
}
