//! `.nhiscan.toml`: excludes, disabled rules, severity overrides, fail-on.
//! Flags win over the file.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, Result};
use serde::Deserialize;

use crate::finding::{Confidence, Severity};

pub const FILE_NAME: &str = ".nhiscan.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Globs to leave out, as `--exclude`.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Rule ids to turn off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Rule id → severity.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Default for `--fail-on`.
    pub fail_on: Option<String>,
    /// Default for `--min-confidence`: low, medium or high.
    pub min_confidence: Option<Confidence>,
    /// Default for `--max-file-size` (bytes or with a unit: 10MiB).
    pub max_file_size: Option<String>,
    /// Default for `--max-assertion-lifetime`, seconds.
    pub max_assertion_lifetime: Option<u64>,
    /// Default baseline file.
    pub baseline: Option<String>,
    /// `--validate` settings. A repository's own config may only narrow
    /// where credentials are sent, never widen it (endpoints are flags only).
    #[serde(default)]
    pub validate: ValidateConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ValidateConfig {
    /// When set, validation asks only these hosts (`host` or `*.suffix`).
    pub allowed_hosts: Option<Vec<String>>,
}

impl Config {
    /// Load `path`; a missing file is an empty config only when `optional`.
    pub fn load(path: &Path, optional: bool) -> Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config::default())
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read config {}", path.display()))
            }
        };
        Config::parse(&text).with_context(|| format!("config {}", path.display()))
    }

    /// Read a configuration from its text.
    pub fn parse(text: &str) -> Result<Config> {
        Ok(toml::from_str(text)?)
    }
}

/// Parse a size such as `10485760`, `10MiB`, `10M`, `512KiB`, `1G`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("invalid size {s:?}"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?} in {s:?}")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size {s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MiB").unwrap(), 10 << 20);
        assert_eq!(parse_size("512k").unwrap(), 512 << 10);
        assert_eq!(parse_size("42").unwrap(), 42);
        assert!(parse_size("ten").is_err());
        assert!(parse_size("1X").is_err());
    }

    #[test]
    fn config_rejects_unknown_keys() {
        let err = toml::from_str::<Config>("exclud = []").unwrap_err();
        assert!(err.to_string().contains("exclud"));
        let c: Config = toml::from_str(
            "exclude = ['fixtures/**']\nfail-on = 'high'\n[severity]\nNHI199 = 'low'\n",
        )
        .unwrap();
        assert_eq!(c.severity["NHI199"], Severity::Low);
        let c: Config = toml::from_str("min-confidence = 'medium'").unwrap();
        assert_eq!(c.min_confidence, Some(Confidence::Medium));
        let err = toml::from_str::<Config>("min-confidence = 'certain'").unwrap_err();
        assert!(err.to_string().contains("certain"), "{err}");
    }
}
