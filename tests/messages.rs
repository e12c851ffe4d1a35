//! Finding messages read as sentences: every message produced over the
//! fixtures (scan of every fixture folder, audit of the metadata and JWKS
//! fixtures) starts with a capital letter and uses no "job(s)"-style plural.
mod common;

use common::*;

fn check(messages: &[(String, String)]) {
    let bad: Vec<_> = messages
        .iter()
        .filter(|(_, m)| !m.chars().next().is_some_and(char::is_uppercase) || m.contains("(s)"))
        .collect();
    assert!(
        bad.is_empty(),
        "messages that do not start with a capital or use an (s) plural:\n{bad:#?}"
    );
}

fn messages(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_scan_message_over_the_fixtures_starts_with_a_capital() {
    let r = run_in(
        &fixture(""),
        &["scan", ".", "--format", "json", "--fail-on", "none", "-q"],
    );
    // Exit 3: fixtures/ci/bad holds invalid YAML on purpose (an error notice).
    assert!(r.code == 0 || r.code == 3, "{}", r.stderr);
    let all = messages(&json(&r.stdout));
    // Every family that scans files has fixtures here: the check covers them all.
    for family in ["NHI1", "NHI20", "NHI21", "NHI24", "NHI30", "NHI4"] {
        assert!(
            all.iter().any(|(id, _)| id.starts_with(family)),
            "no {family}xx finding over the fixtures"
        );
    }
    check(&all);
}

#[test]
fn every_audit_message_over_the_fixtures_starts_with_a_capital() {
    let dir = fixture("audit");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    let mut args = vec!["audit", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let r = run_in(&dir, &args);
    let all = messages(&json(&r.stdout));
    assert!(
        all.iter().any(|(id, _)| id.starts_with("NHI5")),
        "{}",
        r.stderr
    );
    check(&all);
}
