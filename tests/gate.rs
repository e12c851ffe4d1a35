//! The gate: --fail-on thresholds and exit codes, baselines, inline
//! ignores, and `.nhiscan.toml` with flags winning over it.
mod common;
mod support;

use common::*;
use support::*;

const KEY: &str = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA2a2rwplBQLF29amygykEMmYz0+Kcj3bKBp29P2rFj7Ffk7xq\nK9mB6Zr0N+SdWpFMmT7Ggq9kW9Q4RzqtkLDhT7uVdJk9fJbWq3ZkR5tR8YpUwJ2x\n-----END RSA PRIVATE KEY-----\n";

/// One high (NHI101) and one critical (NHI150) finding.
fn two_severities() -> Tree {
    let t = Tree::new();
    t.write("app.env", google_line(&google_secret(1)));
    t.write("keys/id_rsa", KEY);
    t
}

fn rule_ids(r: &Run) -> Vec<String> {
    let doc = json(&r.stdout);
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn fail_on_each_level_and_none() {
    let t = Tree::new();
    t.write("app.env", google_line(&google_secret(1))); // high
    for (level, code) in [
        ("critical", 0),
        ("high", 1),
        ("medium", 1),
        ("low", 1),
        ("info", 1),
        ("none", 0),
    ] {
        let r = t.scan(&["--fail-on", level, "-q"]);
        assert_eq!(r.code, code, "--fail-on {level}: {}", r.stderr);
    }
    // Default is low.
    assert_eq!(t.scan(&["-q"]).code, 1);
    let bad = t.scan(&["--fail-on", "severe"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("severe"), "{}", bad.stderr);
}

#[test]
fn info_never_fails_by_default_and_clean_is_zero() {
    let t = Tree::new();
    t.write("app.env", google_line(&google_secret(1)));
    t.write(".nhiscan.toml", "[severity]\nNHI101 = 'info'\n");
    assert_eq!(t.scan(&["-q"]).code, 0);
    assert_eq!(t.scan(&["-q", "--fail-on", "info"]).code, 1);
    let clean = Tree::new();
    clean.write("README.md", "nothing here\n");
    let r = clean.scan(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn baseline_survives_moved_lines_and_a_new_secret_still_fails() {
    let t = two_severities();
    let base = t.join("nhiscan-baseline.json");
    let w = t.scan(&["--write-baseline", base.to_str().unwrap()]);
    assert_eq!(w.code, 0, "{}", w.stderr);
    let text = std::fs::read_to_string(&base).unwrap();
    assert!(!text.contains(&google_secret(1)[7..]), "{text}");
    assert!(!text.contains("MIIEowIBAAKCAQEA2a2rwplBQLF29amygykEMmYz0"));
    assert!(
        !text.contains("\"line"),
        "baselines carry no line numbers: {text}"
    );

    // Lines move: still suppressed.
    t.write(
        "app.env",
        format!("# moved\n\n\nOTHER=1\n{}", google_line(&google_secret(1))),
    );
    let r = t.scan(&["--baseline", base.to_str().unwrap(), "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(json(&r.stdout)["stats"]["suppressed_baseline"], 2);

    // A new secret in the same file fails; the old one stays suppressed.
    t.write(
        "app.env",
        format!(
            "{}{}",
            google_line(&google_secret(1)),
            google_line(&google_secret(9))
        ),
    );
    let r = t.scan(&["--baseline", base.to_str().unwrap(), "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = json(&r.stdout);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["findings"][0]["location"]["region"]["startLine"], 2);

    // The same secret moved to another file is a new finding (the path is in the fingerprint).
    t.write("moved/app.env", google_line(&google_secret(1)));
    std::fs::remove_file(t.join("app.env")).unwrap();
    let r = t.scan(&["--baseline", base.to_str().unwrap(), "-q"]);
    assert_eq!(r.code, 1);

    let bad = t.write("bad-baseline.json", "{not json");
    let r = t.scan(&["--baseline", bad.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn inline_markers_suppress_their_line_only() {
    let t = Tree::new();
    let s = |n| google_secret(n);
    t.write(
        "app.env",
        format!(
            "A={} # nhiscan:ignore\n\
             B={} # nhiscan:ignore[NHI101]\n\
             C={} # nhiscan:ignore[NHI199, NHI150]\n\
             D={} # gitleaks:allow\n\
             E={} # pragma: allowlist secret\n\
             F={}\n",
            s(1),
            s(2),
            s(3),
            s(4),
            s(5),
            s(6)
        ),
    );
    let r = t.scan(&["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = json(&r.stdout);
    let lines: Vec<i64> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["region"]["startLine"].as_i64().unwrap())
        .collect();
    // Line 3 names other rules only; line 6 has no marker.
    assert_eq!(lines, [3, 6]);
    assert_eq!(doc["stats"]["suppressed_inline"], 4);
}

#[test]
fn config_file_excludes_disables_overrides_and_sets_fail_on() {
    let t = two_severities();
    t.write("vendor/x.env", google_line(&google_secret(3)));
    t.write(
        ".nhiscan.toml",
        "exclude = ['vendor/**']\n\
         disable = ['NHI150']\n\
         fail-on = 'critical'\n\
         [severity]\n\
         NHI101 = 'critical'\n",
    );
    let r = t.scan(&["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = json(&r.stdout);
    assert_eq!(rule_ids(&r), ["NHI101"]);
    assert_eq!(doc["findings"][0]["location"]["path"], "app.env");
    assert_eq!(doc["findings"][0]["severity"], "critical");

    // Flags win: --fail-on over fail-on; --exclude adds to exclude.
    assert_eq!(t.scan(&["-q", "--fail-on", "none"]).code, 0);
    let r = t.scan(&["--format", "json", "--exclude", "*.env"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(rule_ids(&r).is_empty());

    // Without the overrides the key fails at critical again.
    std::fs::remove_dir_all(t.join("vendor")).unwrap();
    t.write(".nhiscan.toml", "fail-on = 'critical'\n");
    let r = t.scan(&["--format", "json"]);
    assert_eq!(r.code, 1);
    assert_eq!(rule_ids(&r), ["NHI101", "NHI150"]);
    assert_eq!(t.scan(&["-q", "--fail-on", "low"]).code, 1);
    t.write(
        ".nhiscan.toml",
        "[severity]\nNHI150 = 'low'\nNHI101 = 'low'\n",
    );
    assert_eq!(t.scan(&["-q", "--fail-on", "medium"]).code, 0);
}

#[test]
fn an_invalid_config_is_fatal() {
    for (text, needle) in [
        ("exclud = ['x']\n", "exclud"),
        ("fail-on = 'sometimes'\n", "sometimes"),
        ("disable = ['NHI999']\n", "NHI999"),
        ("[severity]\nNHI101 = 'urgent'\n", "urgent"),
        ("exclude = [\n", ".nhiscan.toml"),
    ] {
        let t = Tree::new();
        t.write("app.env", google_line(&google_secret(1)));
        t.write(".nhiscan.toml", text);
        let r = t.scan(&[]);
        assert_eq!(r.code, 2, "{text}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{text}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{}", r.stdout);
    }
    // --config names another file; a missing one is fatal.
    let t = Tree::new();
    let r = t.scan(&["--config", "nope.toml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}
