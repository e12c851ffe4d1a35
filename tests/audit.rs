//! `nhiscan audit`: offline fixtures for every check, an in-process HTTPS
//! server for real fetching and hostile responses.

mod common;
#[path = "audit/server.rs"]
mod server;
#[path = "audit/tls.rs"]
mod tls;

use std::path::Path;

use common::{assert_sarif_valid, fixture, json, rule_ids as rules_of, run, run_in};

fn audit_json(file: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let path = fixture(&format!("audit/{file}"));
    let mut args = vec!["audit", path.to_str().unwrap(), "--format", "json", "-q"];
    args.extend_from_slice(extra);
    let r = run(&args);
    (r.code, json(&r.stdout))
}

#[test]
fn every_offline_fixture_raises_its_checks() {
    let cases: &[(&str, &[&str])] = &[
        (
            "shared-secret-only.json",
            &["NHI501", "NHI510", "NHI515", "NHI516", "NHI517"],
        ),
        ("implied-basic.json", &["NHI501"]),
        (
            "weak-everything.json",
            &[
                "NHI502", "NHI503", "NHI504", "NHI508", "NHI509", "NHI509", "NHI511", "NHI512",
                "NHI513", "NHI514", "NHI515", "NHI516", "NHI517",
            ],
        ),
        ("rs256-only.json", &["NHI506"]),
        ("algs-unlisted.json", &["NHI505"]),
        ("fapi2-good.json", &[]),
        ("github-actions.json", &[]),
        (
            "jwks-bad.json",
            &["NHI520", "NHI521", "NHI522", "NHI523", "NHI523", "NHI524"],
        ),
        ("jwks-single.json", &["NHI525"]),
        ("jwks-good.json", &[]),
    ];
    for (file, want) in cases {
        let (code, report) = audit_json(file, &[]);
        assert_eq!(rules_of(&report), *want, "{file}");
        // Info findings (NHI524/525 alone) do not gate at the default --fail-on low.
        let gated = want.iter().any(|r| !["NHI524", "NHI525"].contains(r));
        assert_eq!(code, i32::from(gated), "{file}");
    }
}

#[test]
fn implied_default_and_locations_in_local_files() {
    let (_, report) = audit_json("implied-basic.json", &[]);
    let f = &report["findings"][0];
    assert_eq!(f["properties"]["implied"], true);
    // Local files are located at the member itself.
    assert_eq!(f["location"]["region"]["startLine"], 3);
    let (_, report) = audit_json("jwks-bad.json", &[]);
    let private = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "NHI521")
        .unwrap();
    assert_eq!(private["properties"]["members"], serde_json::json!(["d"]));
    // No private key material in the report.
    assert!(!report.to_string().contains("jpsQnnGQ"));
}

#[test]
fn fapi2_profile_raises_fapi_checks_to_high() {
    let (_, plain) = audit_json("shared-secret-only.json", &["--fail-on", "high"]);
    let (code, fapi) = audit_json(
        "shared-secret-only.json",
        &["--profile", "fapi2", "--fail-on", "high"],
    );
    let sev = |r: &serde_json::Value, id: &str| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == id)
            .map(|f| f["severity"].as_str().unwrap().to_string())
    };
    assert_eq!(sev(&plain, "NHI516").as_deref(), Some("low"));
    assert_eq!(sev(&fapi, "NHI516").as_deref(), Some("high"));
    assert_eq!(sev(&fapi, "NHI510").as_deref(), Some("high"));
    assert_eq!(code, 1);
}

#[test]
fn unreadable_documents_are_errors_and_others_still_audited() {
    let bad = fixture("audit/not-json.json");
    let neither = fixture("audit/neither.json");
    let good = fixture("audit/jwks-single.json");
    let r = run(&[
        "audit",
        bad.to_str().unwrap(),
        neither.to_str().unwrap(),
        good.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "high",
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("not a JSON document"), "{}", r.stderr);
    assert!(
        r.stderr.contains("neither authorization-server metadata"),
        "{}",
        r.stderr
    );
    assert_eq!(rules_of(&json(&r.stdout)), ["NHI525"]);
}

#[test]
fn targets_file_of_local_documents_gives_valid_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.sarif");
    let r = run(&[
        "audit",
        "--targets",
        "fixtures/audit/targets.txt",
        "--format",
        "sarif",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let sarif = std::fs::read_to_string(&out).unwrap();
    assert!(sarif.contains("fixtures/audit/shared-secret-only.json"));
    assert!(sarif.contains("NHI520"));
    assert_sarif_valid(&out, Some(Path::new(env!("CARGO_MANIFEST_DIR"))));
}

/// A temp dir with the test CA and a targets file.
fn workdir(ca: &tls::Ca, targets: &[String]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ca.write(dir.path());
    let mut text = String::from("# servers to audit\n\n");
    for t in targets {
        text.push_str(t);
        text.push('\n');
    }
    std::fs::write(dir.path().join("targets.txt"), text).unwrap();
    dir
}

fn line_of(report: &serde_json::Value, rule: &str, url_part: &str) -> Option<u64> {
    report["findings"].as_array().unwrap().iter().find_map(|f| {
        let url = f["origin"]["url"].as_str().unwrap_or("");
        (f["rule_id"] == rule && url.contains(url_part))
            .then(|| f["location"]["region"]["startLine"].as_u64().unwrap())
    })
}

#[test]
fn hostile_servers_each_give_a_clear_error_while_others_are_audited() {
    let ca = tls::Ca::new("nhiscan test CA");
    let srv = server::start(&ca.leaf(&["127.0.0.1", "localhost"]), false);
    let other_name = server::start(&ca.leaf(&["other.example"]), false);
    let rogue = tls::Ca::new("untrusted CA");
    let untrusted = server::start(&rogue.leaf(&["127.0.0.1"]), false);
    let b = srv.base();
    let cases: Vec<(String, &str)> = vec![
        (format!("{b}/slow"), "timed out"),
        (format!("{b}/endless"), "larger than"),
        (format!("{b}/loop"), "redirects"),
        (format!("{b}/tohttp"), "not https"),
        (format!("{b}/html"), "content type"),
        (format!("{b}/badjson"), "not a JSON document"),
        (format!("{b}/missing"), "HTTP status 404"),
        (format!("{b}/error"), "HTTP status 500"),
        (
            format!("{}/secret", other_name.base()),
            "not valid for name",
        ),
        (format!("{}/secret", untrusted.base()), "UnknownIssuer"),
    ];
    let mut targets: Vec<String> = vec![format!("{b}/secret"), format!("{b}/pkjwt")];
    targets.extend(cases.iter().map(|(t, _)| t.clone()));
    let dir = workdir(&ca, &targets);
    let r = run_in(
        dir.path(),
        &[
            "audit",
            "--targets",
            "targets.txt",
            "--ca-cert",
            "ca.pem",
            "--timeout",
            "1",
            "--retries",
            "0",
            "--max-response-size",
            "256KiB",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    for (target, want) in &cases {
        let line = r
            .stderr
            .lines()
            .find(|l| l.contains(target.as_str()))
            .unwrap_or_else(|| panic!("no error for {target}:\n{}", r.stderr));
        assert!(line.contains(want), "{target}: want {want:?} in {line:?}");
    }
    let report = json(&r.stdout);
    // Found at the targets file's lines 3 and 4; the JWKS (with an oct key) too.
    assert_eq!(line_of(&report, "NHI501", "/secret/"), Some(3));
    assert_eq!(line_of(&report, "NHI520", "/secret/jwks"), Some(3));
    assert_eq!(line_of(&report, "NHI520", "/pkjwt/jwks"), Some(4));
    assert_eq!(line_of(&report, "NHI501", "/pkjwt/"), None);
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["location"]["path"], "targets.txt");
    }

    // Only hostile targets: nothing to gate, but the audit is incomplete.
    let dir = workdir(&ca, &[format!("{b}/missing"), format!("{b}/html")]);
    let r = run_in(
        dir.path(),
        &["audit", "--targets", "targets.txt", "--ca-cert", "ca.pem"],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
}

#[test]
fn cli_targets_sit_at_a_scheme_less_pseudo_path_and_sarif_is_valid() {
    let ca = tls::Ca::new("nhiscan test CA");
    let srv = server::start(&ca.leaf(&["127.0.0.1"]), false);
    let dir = workdir(&ca, &[]);
    let b = srv.base();
    let mismatch = format!("{b}/mismatch");
    // RFC 8414 path insertion: only /.well-known/oauth-authorization-server/rfc8414 exists.
    let rfc8414 = format!("{b}/rfc8414");
    let r = run_in(
        dir.path(),
        &[
            "audit",
            &mismatch,
            &rfc8414,
            "--ca-cert",
            "ca.pem",
            "--format",
            "sarif",
            "-o",
            "out.sarif",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let sarif: serde_json::Value =
        json(&std::fs::read_to_string(dir.path().join("out.sarif")).unwrap());
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let port = srv.port;
    let uri_of = |rule: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == rule)
            .map(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .unwrap_or_else(|| panic!("no {rule}"))
    };
    assert_eq!(
        uri_of("NHI507"),
        format!("127.0.0.1_{port}/mismatch/.well-known/openid-configuration")
    );
    assert_eq!(
        uri_of("NHI501"),
        format!("127.0.0.1_{port}/.well-known/oauth-authorization-server/rfc8414")
    );
    for res in results {
        let uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(!uri.contains("://"), "{uri}");
        assert!(res["message"]["text"]
            .as_str()
            .unwrap()
            .contains("https://"));
    }
    assert_sarif_valid(&dir.path().join("out.sarif"), None);
}

#[test]
fn plain_http_only_to_loopback_and_only_when_allowed() {
    let ca = tls::Ca::new("nhiscan test CA");
    let plain = server::start(&ca.leaf(&["127.0.0.1"]), true);
    let dir = workdir(&ca, &[]);
    let url = format!("http://127.0.0.1:{}/secret", plain.port);
    let r = run_in(dir.path(), &["audit", &url, "--format", "json"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("only https is allowed"), "{}", r.stderr);
    let r = run_in(
        dir.path(),
        &[
            "audit",
            &url,
            "--allow-http-loopback",
            "--format",
            "json",
            // Its jwks_uri says https to a plain-http port: fail fast.
            "--timeout",
            "1",
            "--retries",
            "0",
        ],
    );
    // The document names https endpoints on a server that answered over http:
    // audited (shared-secret only), and the issuer does not match.
    let report = json(&r.stdout);
    let rules = rules_of(&report);
    assert!(rules.contains(&"NHI501".to_string()), "{rules:?}");
    assert!(rules.contains(&"NHI507".to_string()), "{rules:?}");
}

#[test]
fn scan_audit_issuers_audits_each_referenced_server_once_at_its_lines() {
    let ca = tls::Ca::new("nhiscan test CA");
    let srv = server::start(&ca.leaf(&["127.0.0.1"]), false);
    let dir = workdir(&ca, &[]);
    let b = srv.base();
    std::fs::write(
        dir.path().join("application.yml"),
        format!(
            "spring:\n  security:\n    oauth2:\n      client:\n        provider:\n          corp:\n            issuer-uri: {b}/secret\n            token-uri: {b}/missing/oauth2/token\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join(".env"), format!("OIDC_ISSUER={b}/secret\n")).unwrap();

    // Off by default: no network, no audit findings.
    let r = run_in(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(rules_of(&json(&r.stdout)).is_empty());

    let r = run_in(
        dir.path(),
        &[
            "scan",
            ".",
            "--audit-issuers",
            "--ca-cert",
            "ca.pem",
            "--format",
            "sarif",
            "-o",
            "out.sarif",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    // The token-uri guess found no discovery document: skipped, not an error.
    assert!(r.stderr.contains("skipped"), "{}", r.stderr);
    let sarif: serde_json::Value =
        json(&std::fs::read_to_string(dir.path().join("out.sarif")).unwrap());
    let mut at: Vec<(String, u64)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "NHI501")
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                loc["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    at.sort();
    assert_eq!(
        at,
        [(".env".to_string(), 1), ("application.yml".to_string(), 7)]
    );
    assert_sarif_valid(&dir.path().join("out.sarif"), Some(dir.path()));
}

#[test]
fn transient_5xx_is_retried_with_backoff() {
    let ca = tls::Ca::new("nhiscan test CA");
    let srv = server::start(&ca.leaf(&["127.0.0.1"]), false);
    let dir = workdir(&ca, &[]);
    let target = format!("{}/flaky", srv.base());
    // Every first attempt gets a 503: with retries the audit completes …
    let r = run_in(
        dir.path(),
        &["audit", &target, "--ca-cert", "ca.pem", "--format", "json"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(rules_of(&json(&r.stdout)).contains(&"NHI501".to_string()));
    // … without them it is an error for that target.
    let r = run_in(
        dir.path(),
        &["audit", &target, "--ca-cert", "ca.pem", "--retries", "0"],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("HTTP status 503"), "{}", r.stderr);

    // A --targets run's SARIF is valid for code scanning against the repository.
    let dir = workdir(&ca, &[target]);
    let r = run_in(
        dir.path(),
        &[
            "audit",
            "--targets",
            "targets.txt",
            "--ca-cert",
            "ca.pem",
            "--format",
            "sarif",
            "-o",
            "out.sarif",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_sarif_valid(&dir.path().join("out.sarif"), Some(dir.path()));
}
