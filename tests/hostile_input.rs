//! Hostile content and configuration (issue 12, items 4 and 6): secrets
//! beside the match, forged workflow commands in file names, non-UTF-8 names,
//! inputs checked before scanning, empty-matching rules, a repository's own
//! config, absurd thread counts.
mod common;
mod support;

use std::time::{Duration, Instant};

use common::*;
use support::*;

/// Nothing the scan prints may hold `secret` whole, in any format.
fn assert_never_printed(tree: &Tree, args: &[&str], secret: &str) {
    for format in ["text", "json", "sarif", "github", "gitlab", "junit"] {
        let mut all = vec!["--format", format];
        all.extend_from_slice(args);
        let r = tree.scan(&all);
        assert!(r.code == 1 || r.code == 3, "{format}: {r:?}");
        assert!(!r.stdout.contains(secret), "{format} stdout: {}", r.stdout);
        assert!(!r.stderr.contains(secret), "{format} stderr: {}", r.stderr);
    }
}

#[test]
fn a_second_copy_of_a_secret_on_the_line_is_masked() {
    let tree = Tree::new();
    // No digit: the snippet's masking heuristics let this copy through
    // whole before the one redaction point.
    let s = "GOCSPX-aBcDeFgHiJkLmNoPqRsTuVwXyZaBcD";
    tree.write(
        "a.env",
        format!("GOOGLE_CLIENT_SECRET={s} # old value was {s}\n"),
    );
    assert_never_printed(&tree, &[], s);
}

#[test]
fn a_secret_used_as_a_ci_key_is_masked_in_the_unknown_keys_note() {
    let tree = Tree::new();
    let s = google_secret(8);
    tree.write(
        ".github/workflows/ci.yml",
        format!(
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    {s}: x\n    steps:\n      - run: echo hi\n"
        ),
    );
    let r = tree.scan(&["--format", "json"]);
    assert!(r.stdout.contains("unknown to GitHub Actions"), "{r:?}");
    assert_never_printed(&tree, &[], &s);
}

#[test]
fn a_file_name_cannot_forge_a_workflow_command() {
    let tree = Tree::new();
    // A finding's path and a notice's path (a binary file is skipped with a
    // notice on stderr, which GitHub Actions reads for commands too).
    tree.write(
        "a\n::warning file=x::forged.env",
        google_line(&google_secret(9)),
    );
    tree.write("b\n::warning file=x::forged.bin", b"bin\0ary");
    for format in ["github", "text", "gitlab", "junit"] {
        let r = tree.scan(&["--format", format]);
        assert_eq!(r.code, 1, "{format}: {r:?}");
        assert!(r.stderr.contains("forged.bin"), "{format}: {r:?}");
        for line in r.stdout.lines().chain(r.stderr.lines()) {
            assert!(!line.starts_with("::warning file=x"), "{format}: {line}");
        }
    }
}

#[cfg(unix)]
#[test]
fn two_non_utf8_names_stay_two_paths() {
    use std::os::unix::ffi::OsStrExt as _;
    let tree = Tree::new();
    for (i, byte) in [0xFFu8, 0xFE].into_iter().enumerate() {
        let bytes = [b'x', byte, b'.', b'e', b'n', b'v'];
        let name = std::ffi::OsStr::from_bytes(&bytes);
        std::fs::write(tree.path().join(name), google_line(&google_secret(20 + i))).unwrap();
    }
    let paths = tree.finding_paths(&[]);
    assert_eq!(paths, ["x\\xFE.env", "x\\xFF.env"]);
}

#[test]
fn a_corrupt_baseline_stops_the_run_before_scanning() {
    let tree = Tree::new();
    tree.write("a.env", google_line(&google_secret(1)));
    tree.write("baseline.json", "{ not json");
    let r = tree.scan(&["--baseline", "baseline.json", "--format", "json"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("baseline"), "{r:?}");
    assert!(r.stdout.is_empty(), "no report: {r:?}");
}

#[test]
fn a_rule_pattern_matching_the_empty_string_is_refused() {
    let tree = Tree::new();
    let rule = std::fs::read_to_string(fixture("../rules/oauth-client-secrets.yaml")).unwrap();
    // The first rule of the file, renamed, with a pattern that matches nothing at all.
    let first = rule.split("\n  - id: ").nth(1).unwrap();
    let body = format!("rules:\n  - id: {first}")
        .replacen("NHI101", "CUSTOM1", 1)
        .replace(
            r"pattern: '\b(?P<secret>GOCSPX-[A-Za-z0-9_-]{28})(?:[^A-Za-z0-9_-]|$)'",
            "pattern: 'x*'",
        );
    assert!(body.contains("pattern: 'x*'"), "{body}");
    tree.write("rules/custom.yaml", body);
    tree.write("a.txt", "hello\n");
    let r = run_in(tree.path(), &["rules", "check", "--rules", "rules"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("empty string") || r.stdout.contains("empty string"),
        "{r:?}"
    );
    let r = tree.scan(&["--rules", "rules"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("empty string"), "{r:?}");
}

#[test]
fn a_repository_config_cannot_silently_blind_the_scan() {
    let tree = Tree::new();
    tree.write("a.env", google_line(&google_secret(2)));
    tree.write(".nhiscan.toml", "max-file-size = \"0\"\n");
    let r = tree.scan(&[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("every file"), "{r:?}");
    tree.write(".nhiscan.toml", "exclude = [\"**\"]\n");
    let r = tree.scan(&["--format", "json"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("nothing was scanned"), "{r:?}");
    tree.write(
        ".nhiscan.toml",
        "exclude = [\"docs/**\"]\ndisable = [\"NHI101\"]\n",
    );
    let r = tree.scan(&["--format", "json"]);
    // The generic rule still sees the secret; the narrowing is said aloud.
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("narrows the scan: exclude (1 glob(s)); disable (NHI101)"),
        "{r:?}"
    );
}

#[test]
fn a_huge_thread_count_is_capped() {
    let tree = Tree::new();
    for i in 0..7 {
        tree.write(&format!("f{i}.txt"), "nothing here\n");
    }
    let t = Instant::now();
    let r = tree.scan(&["-j", "100000"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("threads per core"), "{r:?}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

/// The span-keeping JSON reader takes ~28× its input: a document over its
/// limit is skipped for the structured key checks, with a notice, and the
/// secret rules still run on it.
#[test]
fn a_huge_json_document_is_not_read_into_a_tree() {
    let tree = Tree::new();
    let s = google_secret(11);
    let mut doc = format!("{{\"kty\": \"oct\", \"google\": \"{s}\", \"a\": [");
    doc.push_str(&"1,".repeat(3 << 20));
    doc.push_str("1]}\n");
    tree.write("big.json", doc);
    let r = tree.scan(&["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("not checked for private JWKs"),
        "{}",
        r.stderr
    );
    assert!(json(&r.stdout)["findings"].as_array().unwrap().len() == 1);
}

/// `--audit-issuers` takes its URLs from the scanned files: their number is
/// capped with a notice, and loopback targets are refused without a request.
#[test]
fn the_number_of_issuers_audited_is_capped() {
    let tree = Tree::new();
    let lines: String = (0..70)
        .map(|i| format!("T{i}_ISSUER=https://127.0.0.1:9/tenant{i}\n"))
        .collect();
    tree.write("issuers.env", lines);
    let t = Instant::now();
    let r = tree.scan(&["--audit-issuers", "--format", "json"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr
            .contains("name 70 authorization servers; only the first 64"),
        "{r:?}"
    );
    assert!(r.stderr.contains("not a public address"), "{r:?}");
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
}
