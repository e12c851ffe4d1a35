//! Where a finding lives (issue 10): the context of each finding in JSON,
//! SARIF and text, confidence lowered outside production code and CI,
//! `--min-confidence` and its config key, one finding per secret with the
//! other rules named in `also_matched`, and references that are not reported.
mod common;

use common::*;
use serde_json::Value;

fn scan_json(extra: &[&str]) -> (Run, Vec<Value>) {
    let mut args = vec!["scan", ".", "--format", "json", "-q"];
    args.extend_from_slice(extra);
    let r = run_in(&fixture("context"), &args);
    let findings = json(&r.stdout)["findings"].as_array().unwrap().clone();
    (r, findings)
}

fn at<'a>(findings: &'a [Value], path: &str) -> Vec<&'a Value> {
    findings
        .iter()
        .filter(|f| f["location"]["path"] == path)
        .collect()
}

#[test]
fn each_finding_says_where_it_lives_and_confidence_follows() {
    let (r, findings) = scan_json(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // (path, rule, context, confidence): the same rule, paired alike, is
    // one step less sure outside production code and CI.
    let want = [
        ("src/settings.py", "NHI199", "production", "high"),
        ("tests/test_login.py", "NHI199", "test", "low"),
        ("docs/setup.md", "NHI199", "docs", "medium"),
        ("vendor/oidc/client.js", "NHI199", "vendored", "low"),
        ("gen/api_client.go", "NHI199", "generated", "low"),
        (".github/workflows/deploy.yml", "NHI199", "ci", "medium"),
        ("src/tokens.js", "NHI104", "production", "low"),
    ];
    for (path, rule, context, confidence) in want {
        let here = at(&findings, path);
        assert_eq!(here.len(), 1, "{path}: {here:?}");
        assert_eq!(here[0]["rule_id"], rule, "{path}");
        assert_eq!(here[0]["context"], context, "{path}");
        assert_eq!(here[0]["confidence"], confidence, "{path}");
    }
    assert_eq!(findings.len(), want.len(), "{findings:#?}");
}

#[test]
fn references_placeholders_and_parameter_names_are_not_secrets() {
    let (_, findings) = scan_json(&[]);
    // src/client.py holds only references, a constant naming the form
    // parameter, a doc comment naming an environment variable and a key
    // that only starts like `client_secret`.
    assert!(at(&findings, "src/client.py").is_empty(), "{findings:#?}");
    // The variable name in the docs is not reported; the literal is.
    let docs = at(&findings, "docs/setup.md");
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["location"]["region"]["startLine"], 3);
}

#[test]
fn one_finding_per_secret_names_the_other_rules() {
    let (_, findings) = scan_json(&[]);
    let ci = at(&findings, ".github/workflows/deploy.yml");
    assert_eq!(ci.len(), 1, "NHI410 yields to NHI199 on the same value");
    assert_eq!(
        ci[0]["properties"]["also_matched"],
        serde_json::json!(["NHI410"])
    );
    // The same token twice on one line: one finding.
    assert_eq!(at(&findings, "src/tokens.js").len(), 1);
}

#[test]
fn min_confidence_filters_before_the_gate() {
    let (r, findings) = scan_json(&["--min-confidence", "high"]);
    assert_eq!(r.code, 1);
    let paths: Vec<&str> = findings
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["src/settings.py"]);
    assert_eq!(json(&r.stdout)["stats"]["below_min_confidence"], 6);

    // Nothing left at the level: the gate passes.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tests")).unwrap();
    std::fs::copy(
        fixture("context/tests/test_login.py"),
        dir.path().join("tests/test_login.py"),
    )
    .unwrap();
    let low_only = run_in(dir.path(), &["scan", ".", "--min-confidence", "medium"]);
    assert_eq!(low_only.code, 0, "{}", low_only.stdout);
    assert!(
        low_only
            .stdout
            .contains("hidden: 1 below --min-confidence medium"),
        "{}",
        low_only.stdout
    );
    // The config key does the same; the flag wins over it.
    std::fs::write(
        dir.path().join(".nhiscan.toml"),
        "min-confidence = 'medium'\n",
    )
    .unwrap();
    assert_eq!(run_in(dir.path(), &["scan", "."]).code, 0);
    let flag = run_in(dir.path(), &["scan", ".", "--min-confidence", "low"]);
    assert_eq!(flag.code, 1, "{}", flag.stdout);
    // A bad level is a usage error, in the flag and in the file.
    assert_eq!(
        run_in(dir.path(), &["scan", ".", "--min-confidence", "sure"]).code,
        2
    );
    std::fs::write(
        dir.path().join(".nhiscan.toml"),
        "min-confidence = 'sure'\n",
    )
    .unwrap();
    let bad = run_in(dir.path(), &["scan", "."]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("min-confidence"), "{}", bad.stderr);
}

#[test]
fn text_shows_context_per_finding_and_counts_by_rule_and_context() {
    let r = run_in(&fixture("context"), &["scan", ".", "-q"]);
    for line in [
        "tests/test_login.py:2:41  NHI199 generic-oauth-client-secret  [medium, confidence low, test]\n",
        "  also matched: NHI410\n",
        "by rule: 6 NHI199, 1 NHI104\n",
        "by context: 2 production, 1 ci, 1 test, 1 docs, 1 vendored, 1 generated\n",
    ] {
        assert!(r.stdout.contains(line), "{line}\n{}", r.stdout);
    }
}

#[test]
fn sarif_carries_the_context() {
    let sarif = scan_to_checked_sarif(&fixture("context"), &[], 1);
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 7);
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        let context = r["properties"]["context"].as_str().unwrap();
        let want = match uri.split('/').next().unwrap() {
            "src" => "production",
            "tests" => "test",
            "docs" => "docs",
            "vendor" => "vendored",
            "gen" => "generated",
            ".github" => "ci",
            other => panic!("unexpected {other}"),
        };
        assert_eq!(context, want, "{uri}");
    }
}
