//! The one finding model every detector produces and every report consumes.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::item::{Provenance, Region};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// SARIF `level` for this severity (critical/high → error, medium → warning, else note).
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "note",
        }
    }

    /// GitHub's `security-severity` score for this severity.
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "2.0",
            Severity::Info => "0.0",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    #[default]
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    /// One step up (used when corroborating evidence, such as a paired client id, is found).
    pub fn raised(self) -> Confidence {
        match self {
            Confidence::Low => Confidence::Medium,
            _ => Confidence::High,
        }
    }

    /// One step down (a secret in tests, docs or vendored code; a credential
    /// its issuer rejected still leaked, but matters less).
    pub fn lowered(self) -> Confidence {
        match self {
            Confidence::High => Confidence::Medium,
            _ => Confidence::Low,
        }
    }

    pub fn parse(s: &str) -> Option<Confidence> {
        [Confidence::Low, Confidence::Medium, Confidence::High]
            .into_iter()
            .find(|c| c.as_str() == s)
    }

    /// SARIF `precision` vocabulary.
    pub fn sarif_precision(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of file a finding sits in, from its path and content (see
/// `detect::file_context`). A reviewer triages by it; secret rules lower
/// their confidence outside production code and CI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileContext {
    /// Code and configuration that ships or runs (the default).
    #[default]
    Production,
    /// Tests, fixtures, test data, snapshots.
    Test,
    /// Documentation, examples, samples, notebooks.
    Docs,
    /// Third-party code copied in (vendor/, node_modules/, *.min.js).
    Vendored,
    /// Generated files ("Code generated … DO NOT EDIT", lockfiles, *.pb.go).
    Generated,
    /// CI configuration (workflows, pipelines).
    Ci,
}

impl FileContext {
    pub const ALL: [FileContext; 6] = [
        FileContext::Production,
        FileContext::Ci,
        FileContext::Test,
        FileContext::Docs,
        FileContext::Vendored,
        FileContext::Generated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FileContext::Production => "production",
            FileContext::Test => "test",
            FileContext::Docs => "docs",
            FileContext::Vendored => "vendored",
            FileContext::Generated => "generated",
            FileContext::Ci => "ci",
        }
    }
}

impl fmt::Display for FileContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding is: a repository-relative path and a region in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub path: String,
    pub region: Region,
}

/// A secondary location (e.g. the client id paired with a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

/// Where the scanned content came from, for reports (commit, URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    WorkingTree,
    Git {
        commit: String,
        author_time: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        at_head: Option<bool>,
    },
    Staged,
    Remote {
        url: String,
    },
}

impl Origin {
    pub fn from_provenance(p: &Provenance) -> Origin {
        match p {
            Provenance::File { .. } => Origin::WorkingTree,
            Provenance::GitBlob {
                commit,
                author_time,
                at_head,
                ..
            } => Origin::Git {
                commit: commit.clone(),
                author_time: *author_time,
                at_head: *at_head,
            },
            Provenance::Staged { .. } => Origin::Staged,
            Provenance::Remote { url, .. } => Origin::Remote { url: url.clone() },
        }
    }
}

/// Whether a found credential still works, as `--validate` found out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidityStatus {
    /// The issuer accepted the credential: it is live.
    Valid,
    /// The issuer rejected it (rotated, revoked, or never valid).
    Invalid,
    /// Asked, but the answer did not say (timeout, 5xx, an unexpected reply).
    Unknown,
    /// Not asked: no validator for this kind, or what it needs was not beside it.
    NotChecked,
}

impl ValidityStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ValidityStatus::Valid => "valid",
            ValidityStatus::Invalid => "invalid",
            ValidityStatus::Unknown => "unknown",
            ValidityStatus::NotChecked => "not_checked",
        }
    }
}

/// A validation result: the status, where it was checked, and why, in words
/// built only from the HTTP status and the OAuth error code (never a body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validity {
    pub status: ValidityStatus,
    /// The validator, e.g. `google`, `oauth` (an issuer's token endpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validator: Option<String>,
    /// The host asked, when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub reason: String,
}

impl Validity {
    /// One line for people: `LIVE` stands out; the reason says how it was learned.
    pub fn describe(&self) -> String {
        let what = match self.status {
            ValidityStatus::Valid => "LIVE: the issuer accepted this credential",
            ValidityStatus::Invalid => "rejected by the issuer (rotated, revoked or never valid)",
            ValidityStatus::Unknown => "validity unknown",
            ValidityStatus::NotChecked => "validity not checked",
        };
        let at = match (&self.validator, &self.host) {
            (Some(v), Some(h)) => format!(" ({v}, {h})"),
            (Some(v), None) => format!(" ({v})"),
            _ => String::new(),
        };
        format!("{what}{at}: {}", self.reason)
    }
}

/// What validation needs of a finding, kept in memory only: the secret, the
/// identifier paired with it, and a few facts from a key file. Never
/// serialised, and its `Debug` prints nothing of it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Material {
    pub secret: String,
    /// The identifier a rule paired with the secret (client id, tenant, org domain).
    pub paired_id: Option<String>,
    /// Named facts from a key file (`client_email`, `private_key_id`, JWK public members).
    pub extra: BTreeMap<&'static str, String>,
}

impl fmt::Debug for Material {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Material([REDACTED])")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub rule_name: String,
    pub severity: Severity,
    pub confidence: Confidence,
    /// The kind of file the finding sits in.
    pub context: FileContext,
    pub message: String,
    pub location: Location,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// The matched line with any secret redacted (see [`redact`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// Content fingerprint: rule id + keyed hash of the secret (or normalised
    /// matched content) + path. Never the line number, never the raw secret.
    pub fingerprint: String,
    pub origin: Origin,
    /// Detector-specific facts (claims, URL, lifetime …). Never raw secrets.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, serde_json::Value>,
    /// GitHub's `primaryLocationLineHash` for the start line, when the
    /// scanned content was at hand to compute it (see `linehash`).
    #[serde(skip)]
    pub line_hash: Option<String>,
    /// Set by `--validate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity: Option<Validity>,
    /// For `--validate` only; never serialised.
    #[serde(skip)]
    pub material: Option<Box<Material>>,
}

impl Finding {
    /// Deterministic report order.
    pub fn sort_key(&self) -> (&str, u32, u32, &str, &str) {
        (
            &self.location.path,
            self.location.region.start_line,
            self.location.region.start_column,
            &self.rule_id,
            &self.fingerprint,
        )
    }
}

/// The key for fingerprint hashes. Public and fixed so baselines are portable
/// between machines; it still keeps raw secrets out of fingerprints and makes
/// the hash specific to nhiscan (it cannot be looked up in generic hash tables).
const FINGERPRINT_KEY: &[u8; 32] = b"nhiscan fingerprint key v1 ....!";

/// Keyed hash of secret material, hex, 32 characters.
pub fn secret_hash(secret: &[u8]) -> String {
    let h = blake3::keyed_hash(FINGERPRINT_KEY, secret);
    h.to_hex()[..32].to_string()
}

/// The fingerprint of a finding: rule id, the keyed hash of the secret or of
/// the normalised matched content, and the path. Line numbers stay out so a
/// baseline survives edits above the line.
pub fn fingerprint(rule_id: &str, content: &[u8], path: &str) -> String {
    let mut hasher = blake3::Hasher::new_keyed(FINGERPRINT_KEY);
    hasher.update(rule_id.as_bytes());
    hasher.update(&[0]);
    hasher.update(secret_hash(content).as_bytes());
    hasher.update(&[0]);
    hasher.update(path.as_bytes());
    format!("{}:{}", rule_id, &hasher.finalize().to_hex()[..32])
}

/// Normalise code for a content fingerprint: whitespace runs fold to one space.
pub fn normalise(content: &[u8]) -> Vec<u8> {
    let s = String::from_utf8_lossy(content);
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .into_bytes()
}

pub use crate::redact::redact_url;

/// A printable stand-in for a secret: at most its first 4 characters and its length.
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    let shown = if n >= 12 { 4 } else { n / 4 };
    let prefix: String = secret.chars().take(shown).collect();
    format!("{prefix}…[REDACTED {n} chars]")
}

/// `yyyy-mm-dd` (UTC) of a Unix time: for reports and for messages that
/// name a date (an expired token). Howard Hinnant's civil-from-days.
pub fn civil_date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_at_most_four_characters() {
        let r = redact("GOCSPX-abcdefghijklmnopqrstuvwxyz12"); // nhiscan:ignore (a fake secret for the redaction test)
        assert!(r.starts_with("GOCS…"));
        assert!(r.contains("35 chars"));
        assert!(!r.contains("GOCSP"));
        // Short secrets show proportionally less.
        assert!(redact("hunter2hunt").starts_with("hu…"));
    }

    #[test]
    fn fingerprint_ignores_line_and_hides_secret() {
        let a = fingerprint("NHI101", b"GOCSPX-secretvalue", "src/a.py");
        let b = fingerprint("NHI101", b"GOCSPX-secretvalue", "src/a.py");
        let c = fingerprint("NHI101", b"GOCSPX-secretvalue", "src/b.py");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(!a.contains("secretvalue"));
        assert!(a.starts_with("NHI101:"));
    }

    #[test]
    fn severity_order_and_levels() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
        assert_eq!(Severity::Medium.sarif_level(), "warning");
        assert_eq!(Severity::parse("high"), Some(Severity::High));
        assert_eq!(Severity::parse("nope"), None);
    }
}
