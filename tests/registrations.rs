//! Client registrations choosing a shared-secret method (NHI240–NHI242):
//! exact findings on the fixtures, readable messages, valid SARIF.
mod common;

use common::*;

/// (path, line, rule) for every finding the fixtures must produce; all low.
const EXPECTED: &[(&str, u64, &str)] = &[
    ("authz-server/application.yaml", 11, "NHI240"),
    ("authz-server/src/main/kotlin/Clients.kt", 9, "NHI240"),
    // No clientAuthenticatorType: Keycloak's default, a client secret.
    ("keycloak/quickstart/realm-import.json", 6, "NHI242"),
    ("keycloak/realm-export.json", 25, "NHI242"),
    ("keycloak/realm-export.json", 61, "NHI242"),
    ("keycloak/realm-export.json", 83, "NHI242"),
    // A test provider's configuration registers a client; the library's
    // defaults, presets, converters, cassettes and test tables beside it do not.
    (
        "oidc-provider/test/device_code/device_code.config.js",
        7,
        "NHI241",
    ),
    // A client registered by a module that merely `export default`s it.
    ("oidc-provider/billing.client.js", 5, "NHI241"),
    // Beside a predicate unit test (`needsSecret({…})`), a test that registers.
    (
        "oidc-provider/test/configuration/client_secrets.test.js",
        13,
        "NHI241",
    ),
    // A client named `example` outside an OpenAPI document is still a client;
    // OpenAPI examples (okta-sdk/oas-spec), registration responses
    // (server/dcr_response.go, oidc/registered-client.json) and `DEFAULTS`
    // objects are not registrations.
    // Code after a module docstring; the usage example inside
    // authlib/…/auth.py's class docstring is documentation.
    ("oidc/billing_client.py", 7, "NHI241"),
    ("oidc/clients.yaml", 5, "NHI241"),
    ("oidc/dcr_client.go", 8, "NHI241"),
    ("oidc/register-client.json", 4, "NHI241"),
    ("spring-client/.env", 1, "NHI240"),
    (
        "spring-client/src/main/java/com/example/ClientConfig.java",
        10,
        "NHI240",
    ),
    (
        "spring-client/src/main/resources/application.properties",
        2,
        "NHI240",
    ),
    (
        "spring-client/src/main/resources/application.properties",
        5,
        "NHI240",
    ),
    (
        "spring-client/src/main/resources/application.yml",
        9,
        "NHI240",
    ),
    (
        "spring-client/src/main/resources/application.yml",
        17,
        "NHI240",
    ),
    ("terraform/okta.tf", 5, "NHI241"),
];

#[test]
fn fixtures_give_exactly_the_expected_findings() {
    let r = run_in(
        &fixture("registrations"),
        &["scan", ".", "--format", "json"],
    );
    assert_eq!(
        r.code, 1,
        "low findings fail the default gate: {}",
        r.stderr
    );
    let doc = json(&r.stdout);
    let all = doc["findings"].as_array().unwrap();
    let mut got: Vec<(String, u64, String)> = all
        .iter()
        .map(|f| {
            assert_eq!(f["severity"], "low", "{f}");
            (
                f["location"]["path"].as_str().unwrap().to_string(),
                f["location"]["region"]["startLine"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<_> = EXPECTED
        .iter()
        .map(|(p, l, id)| (p.to_string(), *l, id.to_string()))
        .collect();
    want.sort();
    assert_eq!(got, want);

    let message = |path: &str, line: u64| {
        all.iter()
            .find(|f| f["location"]["path"] == path && f["location"]["region"]["startLine"] == line)
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let m = message("spring-client/src/main/resources/application.yml", 9);
    assert!(
        m.contains("`okta`") && m.contains("client_secret_basic"),
        "{m}"
    );
    let m = message("spring-client/src/main/resources/application.yml", 17);
    assert!(
        m.contains("`legacy`") && m.contains("client_secret_post"),
        "{m}"
    );
    let m = message("authz-server/application.yaml", 11);
    assert!(m.contains("`reports`"), "{m}");
    let m = message("keycloak/realm-export.json", 25);
    assert!(
        m.contains("`billing-service`") && m.contains("service-account"),
        "{m}"
    );
    assert!(message("keycloak/realm-export.json", 61).contains("client-secret-jwt"));
    // admin-cli ships public; made confidential with a service account it is reported.
    assert!(message("keycloak/realm-export.json", 83).contains("`admin-cli`"));
}

#[test]
fn sarif_is_valid_and_help_gives_the_migration_path() {
    let text = scan_to_checked_sarif(&fixture("registrations"), &[], 1);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for id in ["NHI240", "NHI241", "NHI242"] {
        let rule = rules.iter().find(|r| r["id"] == id).expect(id);
        let help = rule["help"]["markdown"].as_str().unwrap();
        for step in [
            "Register a key",
            "in parallel",
            "Switch",
            "Revoke the secret",
            "RFC 7523 §2.2",
            "RFC 7591 §2",
            "Connect Core 1.0 §9",
        ] {
            assert!(help.contains(step), "{id} help lacks {step:?}");
        }
    }
}
