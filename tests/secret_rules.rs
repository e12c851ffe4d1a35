//! Per-rule results on realistic files: fixtures/secrets/<rule-name>/ holds
//! `positive*` files (each expected finding listed in fixtures/secrets/EXPECTED
//! as `<rule-name>/<file>:<line>`) and `negative*` files. One scan of the whole
//! folder with `--format json`; then, per rule: every expected line raises the
//! rule there, nothing else fires in positive files, and the rule never fires
//! in negative files. The per-rule table is printed (run with --nocapture).
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::*;

/// Rules whose fixtures live here; each must have a folder.
const RULES: &[&str] = &[
    "google-oauth-client-secret",
    "entra-client-secret",
    "github-oauth-app-client-secret",
    "github-app-token",
    "gitlab-application-secret",
    "slack-app-client-secret",
    "slack-bot-token",
    "okta-api-token",
    "okta-client-secret",
    "auth0-client-secret",
    "salesforce-consumer-secret",
    "discord-client-secret",
    "generic-oauth-client-secret",
    "pem-private-key",
    "encrypted-pem-private-key",
    "putty-private-key",
    "jwk-private-key",
    "jwk-symmetric-key",
    "aws-secret-access-key",
    "aws-access-key-id",
    "gcp-service-account-key",
];

#[derive(Default)]
struct Tally {
    expected: usize,
    found: usize,
    false_positives: usize,
    other_on_negatives: usize,
    problems: Vec<String>,
}

fn files(dir: &Path, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    v.sort();
    v
}

#[test]
fn every_secret_rule_finds_its_positives_and_spares_its_negatives() {
    let root = fixture("secrets");
    let r = run_in(&root, &["scan", ".", "--format", "json", "-q"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = json(&r.stdout);
    assert_eq!(doc["notices"].as_array().unwrap().len(), 0, "{}", r.stdout);

    // (path, line) → rule names found there.
    let mut found: BTreeMap<(String, u64), BTreeSet<String>> = BTreeMap::new();
    for f in doc["findings"].as_array().unwrap() {
        let path = f["location"]["path"].as_str().unwrap().to_string();
        let line = f["location"]["region"]["startLine"].as_u64().unwrap();
        let rule = f["rule_name"].as_str().unwrap().to_string();
        found.entry((path, line)).or_default().insert(rule);
    }

    let manifest = std::fs::read_to_string(root.join("EXPECTED")).unwrap();
    let mut expected: BTreeSet<(String, u64)> = BTreeSet::new();
    for l in manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (path, line) = l.rsplit_once(':').expect("path:line");
        expected.insert((path.to_string(), line.parse().expect("line number")));
    }

    let mut table: BTreeMap<&str, Tally> = BTreeMap::new();
    for &rule in RULES {
        let dir = root.join(rule);
        assert!(dir.is_dir(), "no fixtures for {rule}");
        let t = table.entry(rule).or_default();
        let positives = files(&dir, "positive");
        let negatives = files(&dir, "negative");
        assert!(!positives.is_empty() && !negatives.is_empty(), "{rule}");
        for file in &positives {
            let path = format!("{rule}/{file}");
            let want: Vec<u64> = expected
                .iter()
                .filter(|(p, _)| *p == path)
                .map(|(_, l)| *l)
                .collect();
            assert!(!want.is_empty(), "{path} has no EXPECTED line");
            t.expected += want.len();
            for &line in &want {
                match found.get(&(path.clone(), line)) {
                    Some(rules) if rules.contains(rule) => t.found += 1,
                    other => t
                        .problems
                        .push(format!("{path}:{line}: expected {rule}, got {other:?}")),
                }
            }
            for ((p, line), rules) in found.range((path.clone(), 0)..=(path.clone(), u64::MAX)) {
                for got in rules {
                    if !(got == rule && want.contains(line)) {
                        t.problems.push(format!("{p}:{line}: unexpected {got}"));
                    }
                }
            }
        }
        for file in &negatives {
            let path = format!("{rule}/{file}");
            for ((p, line), rules) in found.range((path.clone(), 0)..=(path.clone(), u64::MAX)) {
                for got in rules {
                    if got == rule {
                        t.false_positives += 1;
                        t.problems.push(format!("{p}:{line}: false positive {got}"));
                    } else {
                        t.other_on_negatives += 1;
                    }
                }
            }
        }
    }

    println!(
        "| rule | positives found / expected | false positives on negatives | other rules on negatives |"
    );
    println!("|---|---|---|---|");
    for (rule, t) in &table {
        println!(
            "| {rule} | {}/{} | {} | {} |",
            t.found, t.expected, t.false_positives, t.other_on_negatives
        );
    }
    let problems: Vec<&String> = table.values().flat_map(|t| &t.problems).collect();
    assert!(
        problems.is_empty(),
        "{}",
        problems
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );

    // No secret from an expected line reaches the report: every long token on
    // those lines (the secrets, never the short key names) must be absent.
    for (path, line) in &expected {
        let text = std::fs::read_to_string(root.join(path)).unwrap();
        let l = text.lines().nth(*line as usize - 1).unwrap();
        for token in l
            .split(|c: char| !(c.is_ascii_alphanumeric() || "+/_~.-".contains(c)))
            .filter(|t| t.len() >= 20 && t.chars().any(|c| c.is_ascii_digit()))
        {
            assert!(
                !r.stdout.contains(token),
                "{path}:{line}: report leaks {}…",
                &token[..4]
            );
        }
    }
}

#[test]
fn pairing_checksum_and_overlaps_are_reported_as_designed() {
    let root = fixture("secrets");
    let r = run_in(&root, &["scan", ".", "--format", "json", "-q"]);
    let doc = json(&r.stdout);
    let findings = doc["findings"].as_array().unwrap();
    let at = |path: &str, line: u64| {
        findings
            .iter()
            .find(|f| f["location"]["path"] == path && f["location"]["region"]["startLine"] == line)
            .unwrap_or_else(|| panic!("no finding at {path}:{line}"))
    };
    // Each AWS secret pairs with the nearest key id, not the first in the window.
    let second = at("aws-secret-access-key/positive_credentials.ini", 8);
    assert_eq!(second["related"][0]["location"]["region"]["startLine"], 7);
    assert_eq!(second["confidence"], "high");
    // A valid GitHub checksum raises the confidence.
    let token = at("github-app-token/positive.py", 5);
    assert_eq!(token["properties"]["checksum_valid"], true);
    assert_eq!(token["confidence"], "high");
    // The service-account key names its client_email, and the PEM inside it
    // is not reported a second time by the generic PEM rule.
    let sa = at("gcp-service-account-key/positive.json", 5);
    assert_eq!(sa["rule_id"], "NHI162");
    assert!(sa["related"][0]["message"]
        .as_str()
        .unwrap()
        .contains("service account"));
    assert!(!findings.iter().any(|f| f["location"]["path"]
        == "gcp-service-account-key/positive.json"
        && f["rule_id"] == "NHI150"));
}

#[test]
fn invalid_github_checksum_is_reported_with_low_confidence() {
    let dir = tempfile::tempdir().unwrap();
    // The last character changed: the CRC32 no longer matches.
    std::fs::write(
        dir.path().join("ci.env"),
        "GH_TOKEN=gho_ArRFxtoGcKFDVNv4XNfAPZpnfOATZ20XVDDV\n",
    )
    .unwrap();
    let r = run_in(dir.path(), &["scan", ".", "--format", "json", "-q"]);
    let doc = json(&r.stdout);
    let f = &doc["findings"][0];
    assert_eq!(f["rule_id"], "NHI104");
    assert_eq!(f["confidence"], "low");
    assert_eq!(f["properties"]["checksum_valid"], false);
}

#[test]
fn sarif_of_the_secret_fixtures_passes_the_code_scanning_checker() {
    let text = scan_to_checked_sarif(&fixture("secrets"), &["-q"], 1);
    // Related locations (paired ids) make it into the SARIF too.
    assert!(text.contains("relatedLocations"), "no related locations");
}
