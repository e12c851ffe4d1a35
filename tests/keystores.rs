//! Committed key stores (NHI154): binary JKS, JCEKS and PKCS#12 files are
//! scanned rather than skipped as binary, reported when they hold key
//! entries, with the well-known-password check, and never show their bytes.

mod common;

fn scan_json(path: &str) -> serde_json::Value {
    let run = common::run(&["scan", path, "--format", "json", "--fail-on", "none"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    common::json(&run.stdout)
}

#[test]
fn key_stores_are_reported_with_the_password_check_and_trust_stores_are_not() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/keystores");
    let report = scan_json(root);
    let findings = report["findings"].as_array().unwrap();
    let mut got: Vec<(String, String, bool)> = findings
        .iter()
        .map(|f| {
            assert_eq!(f["rule_id"], "NHI154", "{f}");
            assert!(
                f.get("snippet").is_none(),
                "no bytes of a store are shown: {f}"
            );
            (
                f["location"]["path"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["properties"]["well_known_password"].as_bool().unwrap(),
            )
        })
        .collect();
    got.sort();
    let want = [
        ("default.jks", "critical", true),
        ("empty-password.p12", "critical", true),
        ("legacy-sha1.p12", "critical", true),
        ("openssl-default.p12", "critical", true),
        ("secret.jceks", "critical", true),
        ("strong.p12", "high", false),
    ];
    let want: Vec<(String, String, bool)> = want
        .iter()
        .map(|(p, s, o)| (p.to_string(), s.to_string(), *o))
        .collect();
    assert_eq!(got, want);
    let text = serde_json::to_string(&report).unwrap();
    assert!(
        !text.contains("nhiscan-test"),
        "nothing from inside a store is printed"
    );
    assert!(!text.contains("changeit"), "the password is never printed");
}

#[test]
fn other_binaries_are_still_skipped_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("blob.bin"), b"\x00\x01\x02binary").unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/keystores/default.jks"
        ),
        dir.path().join("client.jks"),
    )
    .unwrap();
    let out = common::run(&["scan", dir.path().to_str().unwrap(), "--fail-on", "none"]);
    let stderr = &out.stderr;
    assert!(
        stderr.contains("blob.bin") && stderr.contains("binary"),
        "{stderr}"
    );
    assert!(!stderr.contains("client.jks"), "{stderr}");
    assert!(out.stdout.contains("NHI154"));
}
