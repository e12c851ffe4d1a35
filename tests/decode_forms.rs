//! Recall on the forms real leaks take (fixtures/decode): encoded content
//! (base64, percent-encoding, escaped JSON), keys split across string
//! concatenation, JWKs in code strings, unarmoured DER keys. Each finding
//! points at the encoded or split text in the file and says how it was
//! found; the negatives stay quiet.

mod common;

fn findings(path: &str) -> Vec<serde_json::Value> {
    let run = common::run(&[
        "scan",
        path,
        "--format",
        "json",
        "--fail-on",
        "none",
        "--quiet",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    common::json(&run.stdout)["findings"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn every_form_is_found_where_it_is_written() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/decode");
    let all = findings(root);
    let mut got: Vec<(String, String, u64, u64, String)> = all
        .iter()
        .map(|f| {
            let r = &f["location"]["region"];
            (
                f["location"]["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                r["startLine"].as_u64().unwrap(),
                r["endLine"].as_u64().unwrap(),
                f["properties"]["encoding"]
                    .as_str()
                    .unwrap_or("-")
                    .to_string(),
            )
        })
        .collect();
    got.sort();
    let want = [
        ("Keys.cs", "NHI155", 4, 4, "code-literal"),
        ("SplitKey.java", "NHI150", 2, 6, "code-literal"),
        ("access.log", "NHI101", 1, 1, "percent"),
        ("escaped.go", "NHI199", 3, 3, "escaped"),
        ("jwk-object.ts", "NHI155", 6, 6, "code-literal"),
        ("jwk.ts", "NHI155", 1, 1, "code-literal"),
        ("jwks.go", "NHI155", 3, 3, "code-literal"),
        ("jwks.go", "NHI155", 5, 5, "code-literal"),
        ("jwks_dict.py", "NHI155", 5, 5, "code-literal"),
        ("k8s-secret.yaml", "NHI101", 8, 8, "base64"),
        ("k8s-secret.yaml", "NHI150", 7, 7, "base64"),
        ("k8s-secret.yaml", "NHI155", 9, 9, "base64"),
        ("nested.json", "NHI155", 3, 3, "escaped"),
        ("realm-export.json", "NHI153", 6, 6, "-"),
        ("split_key.py", "NHI150", 2, 16, "code-literal"),
        ("split_key.ts", "NHI150", 3, 5, "code-literal"),
    ];
    let want: Vec<(String, String, u64, u64, String)> = want
        .iter()
        .map(|(p, r, a, b, e)| (p.to_string(), r.to_string(), *a, *b, e.to_string()))
        .collect();
    assert_eq!(got, want);
    for f in &all {
        let snippet = f["snippet"].as_str().unwrap_or("");
        assert!(
            snippet.contains("REDACTED"),
            "the encoded secret is redacted: {f}"
        );
    }
}

#[test]
fn a_decoded_secret_keeps_the_fingerprint_of_its_plain_form() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "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";
    let plain = format!("{{\"client_secret\":\"{secret}\"}}");
    let encoded: String = plain
        .bytes()
        .map(|b| match b {
            b'{' | b'}' | b'"' | b':' => format!("%{b:02X}"),
            _ => (b as char).to_string(),
        })
        .collect();
    std::fs::write(dir.path().join("a.log"), format!("GET /t?p={encoded}\n")).unwrap();
    let encoded_findings = findings(dir.path().to_str().unwrap());
    std::fs::write(dir.path().join("a.log"), format!("{plain}\n")).unwrap();
    let plain_findings = findings(dir.path().to_str().unwrap());
    assert_eq!(encoded_findings.len(), 1, "{encoded_findings:?}");
    assert_eq!(plain_findings.len(), 1, "{plain_findings:?}");
    assert_eq!(
        encoded_findings[0]["fingerprint"],
        plain_findings[0]["fingerprint"]
    );
    let text = serde_json::to_string(&encoded_findings).unwrap();
    assert!(!text.contains(&secret[7..]), "{text}");
}

#[test]
fn negatives_are_quiet() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/decode/negative");
    assert_eq!(findings(root), Vec::<serde_json::Value>::new());
}

#[test]
fn a_pem_body_that_is_no_key_structure_gets_low_confidence() {
    let dir = tempfile::tempdir().unwrap();
    // A docs-style key cut short: the armour is there, the key is not.
    std::fs::write(
        dir.path().join("README.md"),
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0\n-----END RSA PRIVATE KEY-----\n",
    )
    .unwrap();
    let f = findings(dir.path().to_str().unwrap());
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["rule_id"], "NHI150");
    assert_eq!(f[0]["confidence"], "low");
    assert_eq!(f[0]["properties"]["checksum_valid"], false);
    // Whole keys (the split and base64 ones in the fixtures) keep high confidence.
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/decode");
    for f in findings(root).iter().filter(|f| f["rule_id"] == "NHI150") {
        assert_eq!(f["confidence"], "high", "{f}");
        assert_eq!(f["properties"]["checksum_valid"], true, "{f}");
    }
}
