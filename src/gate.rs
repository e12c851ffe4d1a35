//! The gate: inline ignores, baselines, and the exit code.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Severity};

/// Exit codes, documented in the README.
pub mod exit {
    /// Nothing at or above `--fail-on`, and every input was read.
    pub const CLEAN: u8 = 0;
    /// Findings at or above `--fail-on`.
    pub const FINDINGS: u8 = 1;
    /// The run could not complete (bad usage, unreadable root, fatal error).
    pub const FATAL: u8 = 2;
    /// The run completed, nothing gated, but some inputs could not be read or
    /// parsed: the result is incomplete, so a CI gate should not pass silently.
    pub const INCOMPLETE: u8 = 3;
}

/// Markers that suppress findings on their line. `nhiscan:ignore[ID,ID]`
/// limits the suppression to those rules; the others are honoured so users
/// migrating from gitleaks or detect-secrets keep their annotations.
pub fn inline_ignored(line: &[u8], rule_id: &str) -> bool {
    use memchr::memmem;
    // Bytes, not a decoded copy: the line can be a whole minified file.
    if memmem::find(line, b"gitleaks:allow").is_some()
        || memmem::find(line, b"pragma: allowlist secret").is_some()
    {
        return true;
    }
    const MARK: &[u8] = b"nhiscan:ignore";
    for i in memmem::find_iter(line, MARK) {
        let after = &line[i + MARK.len()..];
        match after.strip_prefix(b"[") {
            Some(list) => {
                if let Some(end) = memchr::memchr(b']', list) {
                    if list[..end]
                        .split(|&b| b == b',')
                        .any(|id| id.trim_ascii() == rule_id.as_bytes())
                    {
                        return true;
                    }
                }
            }
            None => return true,
        }
    }
    false
}

/// The fail threshold: None means never fail on findings.
pub fn parse_fail_on(s: &str) -> Result<Option<Severity>> {
    if s == "none" {
        return Ok(None);
    }
    match Severity::parse(s) {
        Some(sev) => Ok(Some(sev)),
        None => bail!("--fail-on takes critical, high, medium, low, info or none, not {s:?}"),
    }
}

pub fn exit_code(findings: &[Finding], fail_on: Option<Severity>, incomplete: bool) -> u8 {
    let gated = fail_on.is_some_and(|t| findings.iter().any(|f| f.severity >= t));
    if gated {
        exit::FINDINGS
    } else if incomplete {
        exit::INCOMPLETE
    } else {
        exit::CLEAN
    }
}

/// A baseline file: fingerprints only (with rule and path so a person can
/// review it). Never a secret, never a line number.
#[derive(Debug, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub tool: String,
    pub findings: Vec<BaselineEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule_id: String,
    pub path: String,
}

impl Baseline {
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        let set: BTreeSet<BaselineEntry> = findings
            .iter()
            .map(|f| BaselineEntry {
                fingerprint: f.fingerprint.clone(),
                rule_id: f.rule_id.clone(),
                path: f.location.path.clone(),
            })
            .collect();
        Baseline {
            version: 1,
            tool: format!("nhiscan {}", env!("CARGO_PKG_VERSION")),
            findings: set.into_iter().collect(),
        }
    }

    pub fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read baseline {}", path.display()))?;
        Baseline::parse(&text).with_context(|| format!("baseline {}", path.display()))
    }

    /// Read a baseline from its text (JSON, version 1).
    pub fn parse(text: &str) -> Result<Baseline> {
        let b: Baseline = serde_json::from_str(text).context("not a nhiscan baseline")?;
        if b.version != 1 {
            bail!("unsupported version {}", b.version);
        }
        Ok(b)
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        std::fs::write(path, text)
            .with_context(|| format!("cannot write baseline {}", path.display()))
    }

    /// The fingerprints recorded.
    pub fn fingerprints(&self) -> BTreeSet<String> {
        self.findings
            .iter()
            .map(|e| e.fingerprint.clone())
            .collect()
    }

    /// Remove baselined findings; returns how many were removed.
    pub fn filter(&self, findings: &mut Vec<Finding>) -> usize {
        let known: BTreeSet<&str> = self
            .findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        let before = findings.len();
        findings.retain(|f| !known.contains(f.fingerprint.as_str()));
        before - findings.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markers() {
        assert!(inline_ignored(b"secret = 'x' # nhiscan:ignore", "NHI101"));
        assert!(inline_ignored(
            b"x # nhiscan:ignore[NHI101, NHI199]",
            "NHI199"
        ));
        assert!(!inline_ignored(b"x # nhiscan:ignore[NHI101]", "NHI199"));
        assert!(inline_ignored(b"x // gitleaks:allow", "NHI150"));
        assert!(inline_ignored(b"x # pragma: allowlist secret", "NHI150"));
        assert!(!inline_ignored(b"x = 1", "NHI150"));
    }

    #[test]
    fn fail_on_parsing_and_exit_codes() {
        assert_eq!(parse_fail_on("none").unwrap(), None);
        assert_eq!(parse_fail_on("high").unwrap(), Some(Severity::High));
        assert!(parse_fail_on("severe").is_err());
        assert_eq!(exit_code(&[], Some(Severity::Low), false), exit::CLEAN);
        assert_eq!(exit_code(&[], Some(Severity::Low), true), exit::INCOMPLETE);
    }
}
