//! `nhiscan completions SHELL` and `nhiscan man`: generated from the clap
//! definition, so they cannot drift from the real flags.

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result};
use clap::CommandFactory;

use crate::cli::Cli;
use crate::gate::exit;

pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> Result<u8> {
    let mut cmd = Cli::command();
    // Into a buffer first: clap_complete panics on a write error (a closed pipe).
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "nhiscan", &mut buf);
    out.write_all(&buf)?;
    Ok(exit::CLEAN)
}

/// The top-level page on `out`, or with `dir` one page per command
/// (`nhiscan.1`, `nhiscan-scan.1`, `nhiscan-rules-list.1`, …).
pub fn man(dir: Option<&Path>, out: &mut dyn Write) -> Result<u8> {
    let cmd = Cli::command();
    match dir {
        None => clap_mangen::Man::new(cmd).render(out)?,
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("create {}", d.display()))?;
            clap_mangen::generate_to(cmd, d)
                .with_context(|| format!("write to {}", d.display()))?;
        }
    }
    Ok(exit::CLEAN)
}
