//! End-to-end: the binary scans a folder, reports in each format, gates.
mod common;

use common::*;

#[test]
fn finds_paired_google_secret_and_fails_the_gate() {
    let dir = fixture("smoke");
    let r = run_in(&dir, &["scan", ".", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = json(&r.stdout);
    let f = &doc["findings"][0];
    assert_eq!(f["rule_id"], "NHI101");
    assert_eq!(f["location"]["path"], ".env");
    assert_eq!(f["location"]["region"]["startLine"], 2);
    assert_eq!(f["confidence"], "high");
    assert_eq!(f["related"][0]["location"]["region"]["startLine"], 1);
    assert!(!r.stdout.contains("1a2B3c4D5e6F7g8H9i0JkLmNoPqR"));
}

#[test]
fn sarif_passes_the_code_scanning_checker() {
    let text = scan_to_checked_sarif(&fixture("smoke"), &[], 1);
    assert!(!text.contains("1a2B3c4D5e6F7g8H9i0JkLmNoPqR"));
}

#[test]
fn fail_on_none_passes_and_missing_root_is_fatal() {
    let dir = fixture("smoke");
    assert_eq!(
        run_in(&dir, &["scan", ".", "--fail-on", "none", "-q"]).code,
        0
    );
    let r = run(&["scan", "/nonexistent/nhiscan-root"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot read /nonexistent/nhiscan-root"),
        "{}",
        r.stderr
    );
}
