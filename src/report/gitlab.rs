//! `--format gitlab`: GitLab's secret-detection report (`gl-secret-detection-report.json`,
//! `artifacts: reports: secret_detection:`), schema version [`SCHEMA_VERSION`].
//! The schema is committed under fixtures/gitlab/ and the tests validate
//! against it.
//!
//! Two fields need facts a report does not otherwise hold:
//! - `location.commit.sha` is required. Findings from git history carry
//!   their commit; for working-tree and staged findings we use
//!   `$CI_COMMIT_SHA` (set in every GitLab CI job) or, outside CI, GitLab's
//!   own analyzer's placeholder `0000000`.
//! - `scan.start_time`/`end_time`: now (or `$SOURCE_DATE_EPOCH`, for
//!   reproducible output) minus the run's duration.

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::text::date;
use super::Report;
use crate::detect::NoticeKind;
use crate::finding::{Finding, Origin, Severity};

pub const SCHEMA_VERSION: &str = "15.0.7";
const SCHEMA_URL: &str = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.0.7/dist/secret-detection-report-format.json";
const INFO_URI: &str = "https://github.com/nhiscan/nhiscan";
/// What GitLab's own analyzer writes when a finding has no commit.
const NO_COMMIT: &str = "0000000";

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

/// `yyyy-mm-ddThh:mm:ss` (UTC), the only form the schema accepts.
pub fn timestamp(secs: i64) -> String {
    let t = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}",
        date(secs),
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

fn now() -> i64 {
    if let Some(s) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
    {
        return s;
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A UUID-shaped id from the finding's fingerprint hash, so the same finding
/// keeps its id across runs (GitLab recommends UUIDs here).
fn vulnerability_id(f: &Finding) -> String {
    let hex: String = f
        .fingerprint
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .chars()
        .chain(std::iter::repeat('0'))
        .take(32)
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn vulnerability(f: &Finding, report: &Report, ci_commit: &str) -> Value {
    let rule = report.catalogue.get(&f.rule_id);
    let sha = match &f.origin {
        Origin::Git { commit, .. } => commit.as_str(),
        _ => ci_commit,
    };
    let docs = format!("{INFO_URI}/blob/main/docs/rules/{}.md", f.rule_id);
    let mut links = vec![json!({ "name": format!("{} documentation", f.rule_id), "url": docs })];
    if let Some(r) = rule {
        links.extend(
            r.references
                .iter()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .map(|u| json!({ "url": u })),
        );
    }
    let mut description = f.message.clone();
    if let Some(v) = &f.validity {
        description.push_str("\n\n");
        description.push_str(&v.describe());
    }
    if let Some(s) = &f.snippet {
        // Already redacted by the detector; never the raw secret.
        description.push_str("\n\n`");
        description.push_str(&s.replace('`', "'"));
        description.push('`');
    }
    let mut v = json!({
        "id": vulnerability_id(f),
        "category": "secret_detection",
        "name": rule.map_or_else(|| f.rule_name.clone(), |r| r.short_description.clone()),
        "description": description,
        "severity": severity(f.severity),
        "confidence": match f.confidence {
            crate::finding::Confidence::High => "High",
            crate::finding::Confidence::Medium => "Medium",
            crate::finding::Confidence::Low => "Low",
        },
        "identifiers": [{
            "type": "nhiscan_rule_id",
            "name": format!("nhiscan {} {}", f.rule_id, f.rule_name),
            "value": f.rule_id,
            "url": format!("{INFO_URI}/blob/main/docs/rules/{}.md", f.rule_id),
        }],
        "links": links,
        "location": {
            "file": f.location.path,
            "start_line": f.location.region.start_line.max(1),
            "end_line": f.location.region.end_line.max(f.location.region.start_line).max(1),
            "commit": { "sha": sha },
        },
    });
    if let Some(r) = rule {
        v["solution"] = json!(r.fix.trim());
    }
    v
}

pub fn build(report: &Report) -> Value {
    let ci_commit = std::env::var("CI_COMMIT_SHA")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| NO_COMMIT.to_string());
    let end = now();
    let start = end - (report.stats.duration_ms / 1000) as i64;
    let tool = json!({
        "id": "nhiscan",
        "name": "nhiscan",
        "url": INFO_URI,
        "version": env!("CARGO_PKG_VERSION"),
        "vendor": { "name": "nhiscan" },
    });
    let messages: Vec<Value> = report
        .notices
        .iter()
        .filter(|n| n.kind == NoticeKind::Error)
        .map(|n| json!({ "level": "warn", "value": format!("{}: {}", n.path, n.message) }))
        .collect();
    let vulnerabilities: Vec<Value> = report
        .findings
        .iter()
        .map(|f| vulnerability(f, report, &ci_commit))
        .collect();
    json!({
        "version": SCHEMA_VERSION,
        "schema": SCHEMA_URL,
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": "secret_detection",
            "start_time": timestamp(start),
            "end_time": timestamp(end),
            // Unreadable inputs are reported as messages; the scan itself ran.
            "status": "success",
            "messages": messages,
        },
        "vulnerabilities": vulnerabilities,
    })
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &build(report))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_the_schema_shape() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00");
        assert_eq!(timestamp(1_700_000_000), "2023-11-14T22:13:20");
    }
}
