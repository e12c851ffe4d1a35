//! JWT literals (NHI201–NHI207): the fixtures give exactly the expected
//! findings; no output format ever carries a token or a piece of one; the
//! lifetime limit follows --max-assertion-lifetime; garbage is ignored quickly.
mod common;

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use serde_json::Value;

/// (path, line, rule, severity, also matched) for every finding the fixtures
/// must produce: one per token, the strongest rule, the others it matched
/// listed. Tokens whose `exp` has passed rate a step lower than live ones.
const EXPECTED: &[(&str, u64, &str, &str, &str)] = &[
    // Live (exp in 2100): high.
    (".env", 4, "NHI201", "high", "NHI202"),
    ("api/token.http", 5, "NHI201", "medium", ""),
    // Unsigned: critical whether expired or not.
    (
        "config/assertion.json",
        4,
        "NHI205",
        "critical",
        "NHI201 NHI203",
    ),
    // exp before iat: said so, and no lifetime finding.
    ("config/backwards.json", 3, "NHI201", "medium", ""),
    ("config/deploy.yaml", 4, "NHI201", "medium", "NHI202"),
    ("config/services.php", 6, "NHI201", "medium", "NHI202"),
    // A DPoP proof has no exp by design.
    ("docs/dpop.md", 5, "NHI206", "info", ""),
    ("docs/login-debugging.md", 6, "NHI206", "info", ""),
    ("docs/login-debugging.md", 11, "NHI206", "info", ""),
    ("docs/unsigned.md", 5, "NHI205", "medium", "NHI206"),
    // A recorded request whose signature was replaced by a placeholder.
    ("negatives/cassette.yaml", 3, "NHI206", "info", ""),
    ("negatives/siop.json", 2, "NHI206", "info", ""),
    (
        "scripts/get-token.sh",
        8,
        "NHI201",
        "medium",
        "NHI202 NHI204",
    ),
    // A jwt-bearer grant assertion: jti is optional there, so no NHI204.
    ("scripts/google-grant.sh", 3, "NHI201", "medium", "NHI202"),
    ("scripts/old-assertion.sh", 4, "NHI201", "medium", "NHI202"),
    ("src/edge.go", 4, "NHI201", "medium", ""),
    ("src/partner.ts", 2, "NHI201", "medium", "NHI207"),
    ("src/sync.py", 5, "NHI201", "medium", "NHI202"),
];

type Row = (String, u64, String, String, String);

fn findings(doc: &Value) -> Vec<Row> {
    let mut v: Vec<_> = doc["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            let also: Vec<&str> = f["properties"]["alsoMatched"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            (
                f["location"]["path"].as_str().unwrap().to_string(),
                f["location"]["region"]["startLine"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                also.join(" "),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn fixtures_give_exactly_the_expected_findings() {
    let r = run_in(&fixture("jwt"), &["scan", ".", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = json(&r.stdout);
    let got = findings(&doc);
    let mut want: Vec<_> = EXPECTED
        .iter()
        .map(|(p, l, id, s, a)| {
            (
                p.to_string(),
                *l,
                id.to_string(),
                s.to_string(),
                a.to_string(),
            )
        })
        .collect();
    want.sort();
    assert_eq!(got, want);

    // Messages carry the lifetime and the claims that matter.
    let msg = |path: &str, id: &str| -> String {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["location"]["path"] == path && f["rule_id"] == id)
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let m = msg(".env", "NHI201");
    assert!(m.contains("lifetime 86400 s (24 h)"), "{m}");
    assert!(m.contains("iss billing-service"), "{m}");
    assert!(
        m.contains("aud https://login.example.com/oauth2/v1/token"),
        "{m}"
    );
    assert!(m.contains("kid billing-2026"), "{m}");
    assert!(!m.contains("expired"), "{m}");
    assert!(msg("scripts/get-token.sh", "NHI201").contains("lifetime 600 s (10 min)"));
    let old = msg("scripts/old-assertion.sh", "NHI201");
    assert!(old.contains("expired on 2019-01-02"), "{old}");
    let back = msg("config/backwards.json", "NHI201");
    assert!(
        back.contains("exp before iat") && !back.contains("lifetime"),
        "{back}"
    );
    let dpop = msg("docs/dpop.md", "NHI206");
    assert!(
        dpop.contains("DPoP proof") && !dpop.contains("never expires"),
        "{dpop}"
    );
    assert!(msg("api/token.http", "NHI201").contains("lifetime 300 s (5 min)"));
    assert!(msg("config/assertion.json", "NHI205").contains("never expires"));
    assert!(msg("src/edge.go", "NHI201").contains("lifetime unknown"));
    assert!(msg("scripts/google-grant.sh", "NHI201").contains("jwt-bearer grant"));
    // The ID token's subject is an email address: never reported.
    assert!(!r.stdout.contains("jane.doe@example.com"));
}

/// Every token-shaped string in the fixture files, with its three segments.
fn fixture_tokens(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            for (i, _) in text.match_indices("eyJ") {
                let tok: String = text[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .collect();
                if tok.matches('.').count() >= 2 {
                    out.extend(tok.split('.').filter(|s| s.len() >= 12).map(str::to_string));
                    out.push(tok);
                }
            }
        }
    }
    assert!(out.len() > 20, "fixtures hold tokens");
    out
}

#[test]
fn no_token_or_segment_in_any_output_format() {
    let dir = fixture("jwt");
    let tokens = fixture_tokens(&dir);
    let out = tempfile::tempdir().unwrap();
    for format in ["text", "json", "sarif"] {
        let file = out.path().join(format!("r.{format}"));
        let r = run_in(
            &dir,
            &[
                "scan",
                ".",
                "--format",
                format,
                "-o",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        let text = std::fs::read_to_string(&file).unwrap() + &r.stdout + &r.stderr;
        for t in &tokens {
            assert!(!text.contains(t.as_str()), "{format} output contains {t}");
        }
        if format == "sarif" {
            assert_sarif_valid(&file, Some(&dir));
        }
    }
}

fn token(header: &str, claims: &str) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims),
        URL_SAFE_NO_PAD.encode("not a real signature, made up for the test")
    )
}

fn assertion(lifetime: u64) -> String {
    token(
        r#"{"alg":"ES256","kid":"t"}"#,
        &format!(
            r#"{{"iss":"svc","sub":"svc","aud":"https://as.test/token","jti":"j","iat":4102444800,"exp":{}}}"#,
            4_102_444_800 + lifetime
        ),
    )
}

/// (path, limit) of every token found too long-lived: reported as NHI202 or,
/// behind the hard-coded-assertion finding, named in its `alsoMatched`.
fn lifetime_findings(dir: &Path, extra: &[&str]) -> Vec<(String, u64)> {
    let mut args = vec!["scan", ".", "--format", "json", "--fail-on", "none"];
    args.extend_from_slice(extra);
    let r = run_in(dir, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut v: Vec<_> = json(&r.stdout)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["rule_id"] == "NHI202"
                || f["properties"]["alsoMatched"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|r| r == "NHI202"))
        })
        .map(|f| {
            (
                f["location"]["path"].as_str().unwrap().to_string(),
                f["properties"]["max_lifetime_seconds"].as_u64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn lifetime_limit_follows_flag_and_config() {
    let dir = tempfile::tempdir().unwrap();
    for (name, life) in [("a.env", 240), ("b.env", 600), ("c.env", 5000)] {
        std::fs::write(
            dir.path().join(name),
            format!("CLIENT_ASSERTION={}\n", assertion(life)),
        )
        .unwrap();
    }
    let s = |p: &str, max: u64| (p.to_string(), max);
    assert_eq!(
        lifetime_findings(dir.path(), &[]),
        [s("b.env", 300), s("c.env", 300)]
    );
    assert_eq!(
        lifetime_findings(dir.path(), &["--max-assertion-lifetime", "900"]),
        [s("c.env", 900)]
    );
    assert_eq!(
        lifetime_findings(dir.path(), &["--max-assertion-lifetime", "60"]),
        [s("a.env", 60), s("b.env", 60), s("c.env", 60)]
    );
    std::fs::write(
        dir.path().join(".nhiscan.toml"),
        "max-assertion-lifetime = 7200\n",
    )
    .unwrap();
    assert!(lifetime_findings(dir.path(), &[]).is_empty());
}

#[test]
fn large_garbled_input_is_ignored_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::with_capacity(6 << 20);
    let mut i = 0u32;
    while data.len() < 6 << 20 {
        data.extend_from_slice(b"eyJ");
        data.extend_from_slice(URL_SAFE_NO_PAD.encode(i.to_le_bytes()).as_bytes());
        data.extend_from_slice(if i.is_multiple_of(3) {
            b".eyJ."
        } else {
            b" eyJhbGci\xff."
        });
        i += 1;
    }
    std::fs::write(dir.path().join("blob.txt"), &data).unwrap();
    let start = std::time::Instant::now();
    let r = run_in(dir.path(), &["scan", ".", "--format", "json", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r.stdout)["findings"].as_array().unwrap().len(), 0);
    assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
}
