//! `nhiscan audit` against a real OpenID provider: the npm package
//! `oidc-provider` (tests/oidc/, installed by `npm ci` in .ci/run), served on
//! 127.0.0.1 over HTTPS with a CA and leaf certificate made here. Configured
//! once with shared-secret client authentication only and once with
//! private_key_jwt too; nhiscan must judge the two differently.

mod common;
#[path = "audit/tls.rs"]
mod tls;

use std::path::Path;

use common::oidc::Provider;
use common::{json, run_in};

/// None when the npm package is not installed and CI does not require it.
fn start(dir: &Path, mode: &str) -> Option<Provider> {
    common::oidc::start(dir, &[mode])
}

fn audit(dir: &Path, p: &Provider) -> serde_json::Value {
    let issuer = format!("https://127.0.0.1:{}", p.port);
    let r = run_in(
        dir,
        &["audit", &issuer, "--ca-cert", "ca.pem", "--format", "json"],
    );
    assert!(r.code == 0 || r.code == 1, "{}\n{}", r.code, r.stderr);
    json(&r.stdout)
}

fn summary(report: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f["rule_id"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn shared_secret_only_provider_is_judged_differently_from_private_key_jwt() {
    let dir = tempfile::tempdir().unwrap();
    let ca = tls::Ca::new("nhiscan test CA");
    ca.write(dir.path());
    let leaf = ca.leaf(&["127.0.0.1"]);
    std::fs::write(dir.path().join("leaf.pem"), &leaf.cert_pem).unwrap();
    std::fs::write(dir.path().join("leaf-key.pem"), &leaf.key_pem).unwrap();

    let Some(secret) = start(dir.path(), "secret") else {
        return;
    };
    let pkjwt = start(dir.path(), "pkjwt").unwrap();
    let a = summary(&audit(dir.path(), &secret));
    let b = summary(&audit(dir.path(), &pkjwt));
    eprintln!("shared secrets only:\n  {}", a.join("\n  "));
    eprintln!("with private_key_jwt:\n  {}", b.join("\n  "));

    let has = |v: &[String], id: &str| v.iter().any(|l| l.starts_with(id));
    // The shared-secret-only server stands out with a high finding …
    assert!(has(&a, "NHI501 high"), "{a:#?}");
    // … which the server offering private_key_jwt does not get.
    assert!(!has(&b, "NHI501"), "{b:#?}");
    // Both were fetched and their JWKS audited (oidc-provider's dev keys).
    assert!(a.iter().all(|l| l.contains("https://127.0.0.1:")), "{a:#?}");
    assert_ne!(a, b);
}
