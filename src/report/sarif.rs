//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning ingests it. Written
//! with serde_json rather than serde-sarif: the log is small and fixed in
//! shape, and building it directly keeps property order and omissions exact
//! without a large generated type tree.

use std::io::{self, Write};

use serde_json::{json, Map, Value};

use super::Report;
use crate::detect::NoticeKind;
use crate::finding::{Finding, Location, Origin, Severity};
use crate::rules::Rule;

/// GitHub's limit on results per run; beyond it we keep the most severe.
pub const MAX_RESULTS: usize = 25_000;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFO_URI: &str = "https://github.com/nhiscan/nhiscan";

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let log = build(report);
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

pub fn build(report: &Report) -> Value {
    let rules: Vec<&Rule> = report
        .catalogue
        .rules()
        .iter()
        .filter(|r| r.enabled)
        .collect();
    let rule_values: Vec<Value> = rules.iter().map(|r| rule(r)).collect();

    // Deterministic truncation: most severe first, then report order.
    let mut chosen: Vec<&Finding> = report.findings.iter().collect();
    let truncated = chosen.len() > MAX_RESULTS;
    if truncated {
        chosen.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.sort_key().cmp(&b.sort_key()))
        });
        chosen.truncate(MAX_RESULTS);
        chosen.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }
    let results: Vec<Value> = chosen
        .iter()
        .map(|f| {
            let index = rules.iter().position(|r| r.id == f.rule_id);
            result(f, index)
        })
        .collect();

    let mut notifications: Vec<Value> = report
        .notices
        .iter()
        .filter(|n| n.kind == NoticeKind::Error)
        .map(|n| {
            json!({
                "level": "error",
                "message": { "text": format!("{}: {}", n.path, n.message) },
            })
        })
        .collect();
    if truncated {
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!(
                "{} results exceed GitHub's limit of {MAX_RESULTS}; the least severe were left out",
                report.findings.len()
            ) },
        }));
    }

    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "nhiscan",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFO_URI,
                "rules": rule_values,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn rule(r: &Rule) -> Value {
    let mut props = Map::new();
    props.insert("tags".into(), json!(r.tags));
    props.insert("precision".into(), json!(r.confidence.sarif_precision()));
    props.insert("problem.severity".into(), json!(r.severity.sarif_level()));
    // security-severity must lie in (0, 10]; info rules carry none.
    if r.severity != Severity::Info {
        props.insert(
            "security-severity".into(),
            json!(r.severity.security_severity()),
        );
    }
    json!({
        "id": r.id,
        "name": r.name,
        "shortDescription": { "text": r.short_description },
        "fullDescription": { "text": r.full_description.trim() },
        "help": { "text": r.help_text(), "markdown": r.help },
        "helpUri": format!("{INFO_URI}/blob/main/docs/rules/{}.md", r.id),
        "defaultConfiguration": { "level": r.severity.sarif_level() },
        "properties": props,
    })
}

fn physical(loc: &Location) -> Value {
    let r = &loc.region;
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(&loc.path), "uriBaseId": "%SRCROOT%" },
            "region": {
                "startLine": r.start_line.max(1),
                "startColumn": r.start_column.max(1),
                "endLine": r.end_line.max(r.start_line).max(1),
                "endColumn": r.end_column.max(1),
            },
        },
    })
}

/// Percent-encode what a relative URI reference cannot carry literally.
fn uri(path: &str) -> String {
    let mut s = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'/'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'@'
            | b'+'
            | b','
            | b'=' => s.push(b as char),
            _ => s.push_str(&format!("%{b:02X}")),
        }
    }
    s
}

fn result(f: &Finding, rule_index: Option<usize>) -> Value {
    let mut props = Map::new();
    props.insert("severity".into(), json!(f.severity));
    props.insert("confidence".into(), json!(f.confidence));
    props.insert("context".into(), json!(f.context));
    match &f.origin {
        Origin::Git {
            commit,
            author_time,
            at_head,
        } => {
            props.insert("commit".into(), json!(commit));
            props.insert("commitTime".into(), json!(author_time));
            if let Some(h) = at_head {
                props.insert("atHead".into(), json!(h));
            }
        }
        Origin::Remote { url } => {
            props.insert("url".into(), json!(url));
        }
        Origin::Staged => {
            props.insert("staged".into(), json!(true));
        }
        Origin::WorkingTree => {}
    }
    for (k, v) in &f.properties {
        props.insert(k.clone(), v.clone());
    }
    if let Some(v) = &f.validity {
        props.insert("validity".into(), json!(v.status));
        props.insert("validityReason".into(), json!(v.describe()));
    }
    // When the content was not at hand, derive a stable stand-in from our own
    // content fingerprint so code scanning still tracks the alert.
    let line_hash = f.line_hash.clone().unwrap_or_else(|| {
        format!(
            "{}:1",
            &f.fingerprint[f.fingerprint.len().saturating_sub(16)..]
        )
    });
    let mut v = json!({
        "ruleId": f.rule_id,
        "level": f.severity.sarif_level(),
        "message": { "text": f.message },
        "locations": [physical(&f.location)],
        "partialFingerprints": {
            "primaryLocationLineHash": line_hash,
            "nhiscan/v1": f.fingerprint,
        },
        "properties": props,
    });
    if let Some(i) = rule_index {
        v["ruleIndex"] = json!(i);
    }
    if let Some(s) = &f.snippet {
        v["locations"][0]["physicalLocation"]["region"]["snippet"] = json!({ "text": s });
    }
    if !f.related.is_empty() {
        let related: Vec<Value> = f
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut l = physical(&r.location);
                l["id"] = json!(i + 1);
                l["message"] = json!({ "text": r.message });
                l
            })
            .collect();
        v["relatedLocations"] = json!(related);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn uris_are_relative_and_encoded() {
        assert_eq!(uri("src/a b.py"), "src/a%20b.py");
        assert_eq!(uri("dir/x#y.txt"), "dir/x%23y.txt");
        assert_eq!(
            uri("login.example.com/.well-known/openid-configuration"),
            "login.example.com/.well-known/openid-configuration"
        );
    }
}
