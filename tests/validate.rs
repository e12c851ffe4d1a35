//! `scan --validate` and `nhiscan validate`: against a real OpenID provider
//! (oidc-provider, confidential clients with client_secret_basic and
//! client_secret_post), against a loopback HTTPS server answering as each
//! vendor documents, and against hostile servers. Every run also checks that
//! no planted secret appears whole in any output.

mod common;
#[allow(dead_code)]
#[path = "audit/server.rs"]
mod server;
#[path = "audit/tls.rs"]
mod tls;
#[path = "validate/vendor.rs"]
mod vendor;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::time::Instant;

use common::oidc::Provider;
use common::{json, run_in, Run};
use vendor::{Mode, GCP_KEY_ID, GOOD, JWK_D, JWK_X, JWK_Y, PEM_BODY};

/// A rejected variant of a good secret: same shape, last 12 characters reversed.
fn rotated(s: &str) -> String {
    let (head, tail) = s.split_at(s.len() - 12);
    format!("{head}{}", tail.chars().rev().collect::<String>())
}

fn pki(dir: &Path) -> tls::Leaf {
    let ca = tls::Ca::new("nhiscan validate test CA");
    ca.write(dir);
    ca.leaf(&["127.0.0.1", "localhost"])
}

/// Validity status per file name, from a JSON report.
fn statuses(report: &serde_json::Value) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        if let Some(v) = f.get("validity") {
            m.entry(f["location"]["path"].as_str().unwrap().to_string())
                .or_default()
                .push(format!(
                    "{} {}",
                    f["rule_id"].as_str().unwrap(),
                    v["status"].as_str().unwrap()
                ));
            if std::env::var_os("NHISCAN_TEST_DEBUG").is_some() {
                eprintln!("{}: {}", f["location"]["path"], v["reason"]);
            }
        }
    }
    m
}

fn assert_no_secret(run: &Run, secrets: &[String]) {
    for s in secrets {
        assert!(
            !run.stdout.contains(s.as_str()) && !run.stderr.contains(s.as_str()),
            "a secret was printed whole"
        );
    }
}

fn scan(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "scan",
        ".",
        "--no-ignore",
        "--format",
        "json",
        "--fail-on",
        "none",
        "--validate",
        "--ca-cert",
        "ca.pem",
    ];
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

/// Plant every vendor's credential, good and rotated, in `dir`.
fn plant_vendors(dir: &Path) -> Vec<String> {
    let key = rcgen::KeyPair::generate().unwrap().serialize_pem();
    let sa = |email: &str| {
        serde_json::json!({
            "type": "service_account",
            "project_id": "billing-prod",
            "private_key_id": GCP_KEY_ID,
            "private_key": key,
            "client_email": email,
        })
        .to_string()
    };
    let mut secrets = Vec::new();
    for (tag, pick) in [("good", false), ("rotated", true)] {
        let s = |i: usize| {
            let g = GOOD[i].to_string();
            if pick {
                rotated(&g)
            } else {
                g
            }
        };
        let files = [
            ("google", format!("GOOGLE_CLIENT_ID=123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com\nGOOGLE_CLIENT_SECRET={}\n", s(0))),
            ("github", format!("GITHUB_CLIENT_ID=Iv1.47e256e3a3df2840\nGITHUB_CLIENT_SECRET={}\n", s(1))),
            ("ghtoken", format!("GH_TOKEN={}\n", s(2))),
            ("gitlab", format!("gitlab:\n  application_id: 2bf4c1e0d8a7356f9e24b1c0d5a8e7f63c9b2a1d0e8f7c6b5a4d3e2f1c0b9a87\n  secret: {}\n", s(3))),
            ("slack", format!("SLACK_CLIENT_ID=119305534728.2970999402992\nSLACK_CLIENT_SECRET={}\n", s(4))),
            ("slackbot", format!("SLACK_BOT_TOKEN={}\n", s(5))),
            ("oktatoken", format!("OKTA_ORG_URL=https://dev-48213.okta.com\nOKTA_API_TOKEN={}\n", s(6))),
            ("okta", format!("okta.oauth2.issuer=https://dev-48213.okta.com\nokta.oauth2.client-id=0oa4vFzJIeMn31zxsi8j\nokta.oauth2.client-secret={}\n", s(7))),
            ("auth0", format!("AUTH0_DOMAIN=acme-prod.eu.auth0.com\nAUTH0_CLIENT_ID=ETYlc03D7F89hG7cesnRuhlqBCTmtgRS\nAUTH0_CLIENT_SECRET={}\n", s(8))),
            ("entra", format!("{{\n  \"AzureAd\": {{\n    \"TenantId\": \"6b1f7c2e-4d3a-4f8e-9a0b-2c5d7e9f1a3b\",\n    \"ClientId\": \"0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f\",\n    \"ClientSecret\": \"{}\"\n  }}\n}}\n", s(9))),
        ];
        for (name, text) in files {
            let ext = if name == "entra" {
                "json"
            } else if name == "gitlab" {
                "yml"
            } else {
                "env"
            };
            std::fs::write(dir.join(format!("{name}-{tag}.{ext}")), text).unwrap();
        }
        for i in 0..GOOD.len() {
            secrets.push(s(i));
        }
    }
    std::fs::write(
        dir.join("gcp-good.json"),
        sa("billing@billing-prod.iam.gserviceaccount.com"),
    )
    .unwrap();
    std::fs::write(
        dir.join("gcp-rotated.json"),
        sa("deleted@billing-prod.iam.gserviceaccount.com"),
    )
    .unwrap();
    secrets
}

fn vendor_flags(base: &str) -> Vec<String> {
    let mut v = vec!["--validate-allow-private".to_string()];
    for vendor in [
        "google",
        "entra",
        "github",
        "github-api",
        "gitlab",
        "slack",
        "okta",
        "auth0",
        "gcp",
    ] {
        v.push("--validate-endpoint".into());
        v.push(format!("{vendor}={base}"));
    }
    v
}

#[test]
fn vendor_validators_read_each_vendors_documented_answers() {
    let dir = tempfile::tempdir().unwrap();
    let srv = vendor::start(&pki(dir.path()), Mode::Vendors);
    let secrets = plant_vendors(dir.path());
    let flags = vendor_flags(&srv.base());
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let r = scan(dir.path(), &flags);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_no_secret(&r, &secrets);
    let got = statuses(&json(&r.stdout));
    let want = |rule: &str, status: &str| vec![format!("{rule} {status}")];
    for (name, ext, rule) in [
        ("google", "env", "NHI101"),
        ("entra", "json", "NHI102"),
        ("github", "env", "NHI103"),
        ("ghtoken", "env", "NHI104"),
        ("gitlab", "yml", "NHI105"),
        ("slack", "env", "NHI106"),
        ("slackbot", "env", "NHI107"),
        ("oktatoken", "env", "NHI108"),
        ("okta", "env", "NHI109"),
        ("auth0", "env", "NHI110"),
        ("gcp", "json", "NHI162"),
    ] {
        let ext = if name == "okta" { "env" } else { ext };
        assert_eq!(
            got.get(&format!("{name}-good.{ext}")),
            Some(&want(rule, "valid")),
            "{name} good: {got:?}"
        );
        assert_eq!(
            got.get(&format!("{name}-rotated.{ext}")),
            Some(&want(rule, "invalid")),
            "{name} rotated: {got:?}"
        );
    }
    // A live credential is critical; the stderr announcement names the host.
    let report = json(&r.stdout);
    let live = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["location"]["path"] == "google-good.env")
        .unwrap();
    assert_eq!(live["severity"], "critical");
    assert!(
        r.stderr.contains("hosts that may be contacted: 127.0.0.1"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("22 distinct credential(s): 11 live, 11 rejected"),
        "{}",
        r.stderr
    );

    // --only-valid keeps the live ones; SARIF and text carry the verdict.
    let mut only = flags.clone();
    only.push("--only-valid");
    let r = scan(dir.path(), &only);
    let n = json(&r.stdout)["findings"].as_array().unwrap().len();
    assert_eq!(n, 11, "{}", r.stdout);
    let mut text_flags: Vec<&str> = vec![
        "scan",
        ".",
        "--no-ignore",
        "--fail-on",
        "none",
        "--validate",
        "--ca-cert",
        "ca.pem",
        "--only-valid",
    ];
    text_flags.extend_from_slice(&flags);
    let t = run_in(dir.path(), &text_flags);
    assert!(
        t.stdout
            .contains("LIVE: the issuer accepted this credential (google, 127.0.0.1)"),
        "{}",
        t.stdout
    );
    assert_no_secret(&t, &secrets);
    let mut sarif_flags = text_flags.clone();
    sarif_flags.extend(["--format", "sarif"]);
    let s = run_in(dir.path(), &sarif_flags);
    let sarif = json(&s.stdout);
    assert_eq!(
        sarif["runs"][0]["results"][0]["properties"]["validity"],
        "valid"
    );
    assert_no_secret(&s, &secrets);
}

#[test]
fn private_jwk_is_looked_up_in_the_client_jwks_named_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let srv = vendor::start(&pki(dir.path()), Mode::Vendors);
    for (name, set) in [("live", "client"), ("rotated", "rotated")] {
        std::fs::write(
            dir.path().join(format!("client-{name}.json")),
            format!(
                "{{\n  \"client_id\": \"billing\",\n  \"jwks_uri\": \"{}/{set}/jwks\",\n  \"signing_key\": {{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"{JWK_X}\",\"y\":\"{JWK_Y}\",\"d\":\"{JWK_D}\",\"kid\":\"1\"}}\n}}\n",
                srv.base()
            ),
        )
        .unwrap();
    }
    let r = scan(dir.path(), &["--validate-allow-private"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains(JWK_D) && !r.stderr.contains(JWK_D));
    let got = statuses(&json(&r.stdout));
    assert_eq!(got["client-live.json"], ["NHI155 valid"], "{got:?}");
    assert_eq!(got["client-rotated.json"], ["NHI155 invalid"], "{got:?}");
}

#[test]
fn pem_key_is_looked_up_by_its_public_half() {
    let dir = tempfile::tempdir().unwrap();
    let srv = vendor::start(&pki(dir.path()), Mode::Vendors);
    let pem = PEM_BODY.replace("\\n", "\n");
    for (name, set) in [("live", "pem"), ("rotated", "rotated")] {
        std::fs::write(
            dir.path().join(format!("client-{name}.yaml")),
            format!(
                "client_id: billing\njwks_uri: {}/{set}/jwks\nprivate_key: |\n  -----BEGIN PRIVATE KEY-----\n  {}\n  -----END PRIVATE KEY-----\n",
                srv.base(),
                pem.replace('\n', "\n  ")
            ),
        )
        .unwrap();
    }
    let r = scan(dir.path(), &["--validate-allow-private"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got = statuses(&json(&r.stdout));
    assert_eq!(got["client-live.yaml"], ["NHI150 valid"], "{got:?}");
    assert_eq!(got["client-rotated.yaml"], ["NHI150 invalid"], "{got:?}");
    assert!(!r.stdout.contains("BjABTesHj9V5322d"));
}

#[test]
fn self_hosted_gitlab_named_beside_the_secret_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let srv = vendor::start(&pki(dir.path()), Mode::Vendors);
    std::fs::write(
        dir.path().join("gitlab.yml"),
        format!(
            "gitlab:\n  gitlab_url: {}\n  application_id: 2bf4c1e0d8a7356f9e24b1c0d5a8e7f63c9b2a1d0e8f7c6b5a4d3e2f1c0b9a87\n  secret: {}\n",
            srv.base(),
            GOOD[3]
        ),
    )
    .unwrap();
    // No --validate-endpoint: the host comes from the file.
    let r = scan(dir.path(), &["--validate-allow-private"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got = statuses(&json(&r.stdout));
    assert_eq!(got["gitlab.yml"], ["NHI105 valid"], "{got:?}");
    assert!(srv.requests.load(Ordering::SeqCst) >= 1);
    // Without the flag the private host is refused and nothing is sent.
    let before = srv.requests.load(Ordering::SeqCst);
    let r = scan(dir.path(), &[]);
    let got = statuses(&json(&r.stdout));
    assert_eq!(got["gitlab.yml"], ["NHI105 not_checked"], "{got:?}");
    assert_eq!(srv.requests.load(Ordering::SeqCst), before);
}

#[test]
fn each_distinct_credential_is_asked_once_and_the_rate_limit_holds() {
    let dir = tempfile::tempdir().unwrap();
    let srv = vendor::start(&pki(dir.path()), Mode::Vendors);
    // The same Google secret in 6 files: one request.
    for i in 0..6 {
        std::fs::write(
            dir.path().join(format!("copy{i}.env")),
            format!("GOOGLE_CLIENT_ID=123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com\nGOOGLE_CLIENT_SECRET={}\n", GOOD[0]),
        )
        .unwrap();
    }
    // Five different ones at 4 requests a second: at least a second.
    for i in 0..5 {
        std::fs::write(
            dir.path().join(format!("other{i}.env")),
            format!("GOOGLE_CLIENT_ID=123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com\nGOOGLE_CLIENT_SECRET=GOCSPX-Zq8Lm3Nx7Rt2Wv5Yb9Kc4Hd6Jf{i}A\n"),
        )
        .unwrap();
    }
    let ep = format!("google={}", srv.base());
    let start = Instant::now();
    let r = scan(
        dir.path(),
        &[
            "--validate-allow-private",
            "--validate-endpoint",
            &ep,
            "--validate-rate",
            "4",
        ],
    );
    let took = start.elapsed();
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The live one is asked twice (the second time with a made-up secret, the
    // control); each rotated one once.
    assert_eq!(srv.requests.load(Ordering::SeqCst), 7);
    assert!(took.as_secs_f64() >= 1.5, "7 requests at 4/s took {took:?}");
    let got = statuses(&json(&r.stdout));
    assert_eq!(got.values().filter(|v| v[0].ends_with(" valid")).count(), 6);
    assert_eq!(
        got.values().filter(|v| v[0].ends_with(" invalid")).count(),
        5
    );
}

#[test]
fn hostile_servers_never_make_a_secret_valid() {
    let dir = tempfile::tempdir().unwrap();
    let leaf = pki(dir.path());
    let secrets = plant_vendors(dir.path());
    for (mode, expect) in [
        (Mode::AlwaysOk, "unknown"),
        (Mode::Redirect, "unknown"),
        (Mode::Slow, "unknown"),
        (Mode::Huge, "unknown"),
        (Mode::StallBody, "unknown"),
        (Mode::Echo, "unknown"),
    ] {
        let srv = vendor::start(&leaf, mode);
        let started = Instant::now();
        let flags = vendor_flags(&srv.base());
        let mut flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        flags.extend([
            "--timeout",
            "1",
            "--validate-concurrency",
            "16",
            "--validate-rate",
            "100",
        ]);
        let r = scan(dir.path(), &flags);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_no_secret(&r, &secrets);
        let got = statuses(&json(&r.stdout));
        for (file, v) in &got {
            // Where a vendor has no probe the result is not_checked; no hostile
            // answer may ever come out valid or invalid.
            assert!(
                v.iter()
                    .all(|s| s.ends_with(expect) || s.ends_with("not_checked")),
                "{file}: {v:?}"
            );
        }
        assert!(got.values().any(|v| v[0].ends_with(expect)));
        // One deadline per request covers the body too: 23 credentials, 16 at
        // a time, 1 s each, never the 10 s a stalled server would take.
        assert!(
            started.elapsed().as_secs() < 8,
            "took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn private_addresses_are_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let srv = vendor::start(&pki(dir.path()), Mode::Vendors);
    plant_vendors(dir.path());
    let flags = vendor_flags(&srv.base());
    // The same endpoints without --validate-allow-private.
    let flags: Vec<&str> = flags.iter().skip(1).map(String::as_str).collect();
    let r = scan(dir.path(), &flags);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(srv.requests.load(Ordering::SeqCst), 0, "nothing was sent");
    let got = statuses(&json(&r.stdout));
    assert!(
        got.values().flatten().all(|s| s.ends_with("not_checked")),
        "{got:?}"
    );
    // A bad endpoint override is a usage error.
    let r = scan(
        dir.path(),
        &["--validate-endpoint", "google=http://127.0.0.1:1"],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not an https URL"), "{}", r.stderr);
}

#[test]
fn validate_command_checks_one_secret_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let srv = vendor::start(&pki(dir.path()), Mode::Vendors);
    let ep = format!("google={}", srv.base());
    let check = |secret: &str| {
        let mut child = common::bin()
            .args([
                "validate",
                "--kind",
                "google",
                "--client-id",
                "123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com",
                "--validate-endpoint",
                &ep,
                "--validate-allow-private",
                "--ca-cert",
                "ca.pem",
            ])
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{secret}").unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(!text.contains(secret));
        (out.status.code().unwrap(), text)
    };
    let (code, text) = check(GOOD[0]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.starts_with("valid (google, 127.0.0.1): HTTP 400 invalid_grant"),
        "{text}"
    );
    let (code, text) = check(&rotated(GOOD[0]));
    assert_eq!(code, 0, "{text}");
    assert!(
        text.starts_with("invalid (google, 127.0.0.1): HTTP 401 invalid_client"),
        "{text}"
    );
    // No client id: not checked, nothing sent.
    let mut child = common::bin()
        .args(["validate", "--kind", "google"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{}", GOOD[0]).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("not_checked"));
}

// ---- a real OpenID provider ----------------------------------------------

fn start_provider(dir: &Path, leaf: &tls::Leaf, basic: &str, post: &str) -> Option<Provider> {
    std::fs::write(dir.join("leaf.pem"), &leaf.cert_pem).unwrap();
    std::fs::write(dir.join("leaf-key.pem"), &leaf.key_pem).unwrap();
    common::oidc::start(dir, &["validate", basic, post])
}

#[test]
fn real_provider_basic_and_post_clients_rotated_secret_and_provider_down() {
    let dir = tempfile::tempdir().unwrap();
    let leaf = pki(dir.path());
    let basic = "Rk4sW9pLz2Qx7Nv3Hb6TqP8m";
    let post = "Jt5vB2nXq9Lm4Wc7Hs3KpR6d";
    let Some(provider) = start_provider(dir.path(), &leaf, basic, post) else {
        return;
    };
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    std::fs::copy(dir.path().join("ca.pem"), repo.join("ca.pem")).unwrap();
    let issuer = format!("https://127.0.0.1:{}", provider.port);
    let plant = |name: &str, id: &str, secret: &str| {
        std::fs::write(
            repo.join(name),
            format!("oidc:\n  issuer: {issuer}\n  client_id: {id}\n  client_secret: {secret}\n"),
        )
        .unwrap();
    };
    plant("billing.yaml", "billing-service", basic);
    plant("reporting.yaml", "reporting-service", post);
    plant(
        "rotated.yaml",
        "billing-service",
        "Mq3Zt8Kw2Xv6Pn9Rb4Lc7Hj5",
    );
    let secrets = vec![basic.to_string(), post.to_string()];
    let r = scan(&repo, &["--validate-allow-private"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_no_secret(&r, &secrets);
    let got = statuses(&json(&r.stdout));
    assert_eq!(got["billing.yaml"], ["NHI199 valid"], "{got:?}");
    assert_eq!(got["reporting.yaml"], ["NHI199 valid"], "{got:?}");
    assert_eq!(got["rotated.yaml"], ["NHI199 invalid"], "{got:?}");

    drop(provider);
    let r = scan(&repo, &["--validate-allow-private", "--timeout", "2"]);
    let got = statuses(&json(&r.stdout));
    for f in ["billing.yaml", "reporting.yaml", "rotated.yaml"] {
        assert_eq!(got[f], ["NHI199 unknown"], "{got:?}");
    }
}
