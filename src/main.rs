use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = nhiscan::cli::Cli::parse();
    ExitCode::from(nhiscan::app::run(cli))
}
