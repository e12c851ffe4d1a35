//! Settings shared by every reporting command (flags merged over the config
//! file), and the end of every run: notices, baseline, report, exit code.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::{Context as _, Result};

use super::Counters;
use crate::cli::{ColorChoice, OutputArgs, ScanArgs};
use crate::config::{self, Config};
use crate::detect::{self, Engine, NoticeKind, Sink};
use crate::finding::{Confidence, Severity};
use crate::gate::{self, Baseline};
use crate::report::{self, Format, Report, Stats};
use crate::rules::Catalogue;

const DEFAULT_MAX_FILE_SIZE: u64 = 10 << 20;

/// A `max-file-size` limit; 0 would skip every file, so it is refused.
fn file_size_limit(s: &str) -> Result<u64> {
    match config::parse_size(s).map_err(anyhow::Error::msg)? {
        0 => anyhow::bail!("max-file-size {s:?} would skip every file; give at least 1 byte"),
        n => Ok(n),
    }
}

/// The keys of a repository's own `.nhiscan.toml` that make the scan see or
/// report less. The file comes from the scanned content — in CI, possibly
/// from the pull request under scan — so it may set them (teams rely on
/// excludes and severities), but never silently: each is listed in a note,
/// and a scan they leave with nothing read is an error (see `scan`).
pub fn repo_config_narrowing(c: &Config) -> Vec<String> {
    let mut out = Vec::new();
    if !c.exclude.is_empty() {
        out.push(format!("exclude ({} glob(s))", c.exclude.len()));
    }
    if !c.disable.is_empty() {
        out.push(format!("disable ({})", c.disable.join(", ")));
    }
    let lowered: Vec<&str> = c
        .severity
        .iter()
        .filter(|(_, s)| **s <= Severity::Low)
        .map(|(id, _)| id.as_str())
        .collect();
    if !lowered.is_empty() {
        out.push(format!("severity lowered ({})", lowered.join(", ")));
    }
    if let Some(f) = &c.fail_on {
        if !matches!(f.as_str(), "low" | "info") {
            out.push(format!("fail-on = {f:?}"));
        }
    }
    if let Some(m) = &c.max_file_size {
        if config::parse_size(m).is_ok_and(|n| n < DEFAULT_MAX_FILE_SIZE) {
            out.push(format!("max-file-size = {m:?}"));
        }
    }
    if let Some(b) = &c.baseline {
        out.push(format!("baseline = {b:?}"));
    }
    out
}

/// Flags merged over `.nhiscan.toml`: what one run uses.
pub struct Settings {
    pub output: OutputArgs,
    pub config: Config,
    pub fail_on: Option<Severity>,
    /// Findings below this confidence are left out of the report and the gate.
    pub min_confidence: Confidence,
    pub excludes: Vec<String>,
    pub max_file_size: u64,
    pub options: detect::Options,
    pub catalogue: Catalogue,
    pub baseline: Option<PathBuf>,
    /// What the scanned folder's own `.nhiscan.toml` narrowed (see
    /// [`repo_config_narrowing`]); empty with `--config` or no file.
    pub repo_config: Vec<String>,
}

impl Settings {
    /// Read the config (`--config`, or `.nhiscan.toml` in `base` if present),
    /// load the catalogue, and merge the output flags over the file.
    pub fn resolve(out: &OutputArgs, base: &Path) -> Result<Settings> {
        let config = match &out.config {
            Some(p) => Config::load(p, false)?,
            None => Config::load(&base.join(config::FILE_NAME), true)?,
        };
        let repo_config = match &out.config {
            Some(_) => Vec::new(),
            None => repo_config_narrowing(&config),
        };
        let mut catalogue = Catalogue::embedded()?;
        for dir in &out.catalogue.rules {
            catalogue.add_dir(dir)?;
        }
        catalogue.disable(&config.disable)?;
        for (id, sev) in &config.severity {
            catalogue.set_severity(id, *sev)?;
        }
        let fail_on = gate::parse_fail_on(
            out.fail_on
                .as_deref()
                .or(config.fail_on.as_deref())
                .unwrap_or("low"),
        )?;
        let min_confidence = match out.min_confidence.as_deref() {
            Some(s) => Confidence::parse(s)
                .ok_or_else(|| anyhow::anyhow!("--min-confidence takes low, medium or high"))?,
            None => config.min_confidence.unwrap_or(Confidence::Low),
        };
        let max_file_size = match &config.max_file_size {
            Some(s) => file_size_limit(s)?,
            None => DEFAULT_MAX_FILE_SIZE,
        };
        let mut options = detect::Options::default();
        if let Some(l) = config.max_assertion_lifetime {
            options.max_assertion_lifetime = l;
        }
        let baseline = out
            .baseline
            .clone()
            .or_else(|| config.baseline.as_ref().map(|b| base.join(b)));
        // Inputs are checked before any scanning: a corrupt baseline found
        // after an hour of history is an hour lost.
        if let Some(path) = &baseline {
            crate::gate::Baseline::load(path)?;
        }
        Ok(Settings {
            output: out.clone(),
            excludes: config.exclude.clone(),
            config,
            fail_on,
            min_confidence,
            max_file_size,
            options,
            catalogue,
            baseline,
            repo_config,
        })
    }

    /// Merge `scan`'s own flags.
    pub fn apply_scan_flags(&mut self, args: &ScanArgs) -> Result<()> {
        self.excludes.extend(args.exclude.iter().cloned());
        if let Some(s) = &args.max_file_size {
            self.max_file_size = file_size_limit(s)?;
        }
        if let Some(l) = args.max_assertion_lifetime {
            self.options.max_assertion_lifetime = l;
        }
        // Issuer references are collected for the audit, and to pair secrets with their issuer.
        self.options.audit_issuers = args.audit_issuers || args.validate;
        self.options.keep_material = args.validate;
        self.options.item_budget = std::time::Duration::from_secs_f64(args.item_timeout);
        self.options.fapi2 = args.fetch.profile == crate::cli::Profile::Fapi2;
        Ok(())
    }

    pub fn engine(&self) -> Result<Engine> {
        Engine::new(
            self.catalogue.clone(),
            self.options.clone(),
            detect::registry(),
        )
    }

    fn color(&self) -> bool {
        match self.output.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                self.output.output.is_none()
                    && self.output.format == Format::Text
                    && std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

/// Print notices, apply the baseline, write the report, and compute the exit code.
pub fn finish(
    settings: &Settings,
    catalogue: &Catalogue,
    mut sink: Sink,
    counters: &Counters,
    started: Instant,
) -> Result<u8> {
    // Whatever did not come through the engine (audits, sources) is
    // scrubbed here too: URLs without credentials, control characters escaped.
    let scrub = crate::redact::Secrets::none();
    for f in &mut sink.findings {
        scrub.scrub_finding(f);
    }
    for n in &mut sink.notices {
        scrub.scrub_notice(n);
    }
    sink.notices.sort();
    sink.notices.dedup();
    for n in &sink.notices {
        match n.kind {
            NoticeKind::Error => eprintln!("nhiscan: error: {}: {}", n.path, n.message),
            NoticeKind::Skipped if !settings.output.quiet => {
                eprintln!("nhiscan: skipped: {}: {}", n.path, n.message)
            }
            NoticeKind::Note if !settings.output.quiet => {
                eprintln!("nhiscan: note: {}: {}", n.path, n.message)
            }
            NoticeKind::Skipped | NoticeKind::Note => {}
        }
    }
    let findings = &mut sink.findings;
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key());
    let before = findings.len();
    findings.retain(|f| f.confidence >= settings.min_confidence);
    let below_min_confidence = (before - findings.len()) as u64;

    let mut stats = Stats {
        items_scanned: counters.items.load(Ordering::Relaxed),
        bytes_scanned: counters.bytes.load(Ordering::Relaxed),
        skipped: sink
            .notices
            .iter()
            .filter(|n| n.kind == NoticeKind::Skipped)
            .count() as u64,
        errors: sink
            .notices
            .iter()
            .filter(|n| n.kind == NoticeKind::Error)
            .count() as u64,
        suppressed_inline: counters.suppressed_inline.load(Ordering::Relaxed),
        below_min_confidence,
        min_confidence: settings.min_confidence,
        ..Stats::default()
    };
    if let Some(path) = &settings.baseline {
        let baseline = Baseline::load(path)?;
        stats.suppressed_baseline = baseline.filter(findings) as u64;
    }
    if let Some(path) = &settings.output.write_baseline {
        Baseline::from_findings(findings).write(path)?;
        if !settings.output.quiet {
            eprintln!(
                "nhiscan: wrote {} finding(s) to baseline {}",
                findings.len(),
                path.display()
            );
        }
    }
    stats.duration_ms = started.elapsed().as_millis() as u64;
    let report = Report {
        findings,
        notices: &sink.notices,
        catalogue,
        stats: &stats,
        color: settings.color(),
    };
    let incomplete = report.incomplete();
    match &settings.output.output {
        Some(path) => {
            let file = File::create(path)
                .with_context(|| format!("cannot write report {}", path.display()))?;
            let mut w = BufWriter::new(file);
            report::write(settings.output.format, &report, &mut w)?;
            w.flush()?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            report::write(settings.output.format, &report, &mut w)?;
            w.flush()?;
        }
    }
    if settings.output.write_baseline.is_some() {
        return Ok(if incomplete {
            gate::exit::INCOMPLETE
        } else {
            gate::exit::CLEAN
        });
    }
    Ok(gate::exit_code(findings, settings.fail_on, incomplete))
}
