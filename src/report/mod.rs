//! Reports: one writer per format, all reading the same [`Report`].

pub mod github;
pub mod gitlab;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod text;

use std::io::{self, Write};

use clap::ValueEnum;
use serde::Serialize;

use crate::detect::{Notice, NoticeKind};
use crate::finding::{Confidence, Finding};
use crate::rules::Catalogue;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    /// GitHub Actions workflow commands (annotations on the diff).
    Github,
    /// GitLab's secret-detection report (schema 15.0.7).
    Gitlab,
    /// JUnit XML: one failed test case per finding.
    Junit,
}

/// Counts about the run, shown in summaries.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub items_scanned: u64,
    pub bytes_scanned: u64,
    pub skipped: u64,
    pub errors: u64,
    pub suppressed_inline: u64,
    pub suppressed_baseline: u64,
    /// Findings left out because their confidence is under `min_confidence`.
    pub below_min_confidence: u64,
    pub min_confidence: Confidence,
    pub duration_ms: u64,
}

/// Everything a writer needs: sorted findings, notices, the catalogue the
/// findings' rules come from, and the run's counts.
pub struct Report<'a> {
    pub findings: &'a [Finding],
    pub notices: &'a [Notice],
    pub catalogue: &'a Catalogue,
    pub stats: &'a Stats,
    /// Where per-finding line hashes come from (path → hashes), if known.
    pub color: bool,
}

impl Report<'_> {
    pub fn incomplete(&self) -> bool {
        self.notices.iter().any(|n| n.kind == NoticeKind::Error)
    }
}

pub fn write(format: Format, report: &Report, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => text::write(report, out),
        Format::Json => json::write(report, out),
        Format::Sarif => sarif::write(report, out),
        Format::Github => github::write(report, out),
        Format::Gitlab => gitlab::write(report, out),
        Format::Junit => junit::write(report, out),
    }
}
