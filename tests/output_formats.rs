//! Reports: committed snapshots of text, JSON and SARIF for a small fixture,
//! SARIF validity, no raw secret anywhere, `--output`, deterministic output,
//! and what goes to stderr.
mod common;
mod support;

use common::*;
use support::*;

/// The fixture's secrets, none of which may appear in any output.
const SECRETS: &[&str] = &[
    "Zq8Lm3Nx7Rt2Wv5Yb9Kc4Hd6Jf1G",
    "Zk3u8Qe1Rm4Tn7Wp2Ys5Vb",
    "MIIEowIBAAKCAQEA2a2rwplBQLF29amygykEMmYz0",
    "K9mB6Zr0N+SdWpFMmT7Ggq9kW9Q4RzqtkLDhT7uVdJk9fJbWq3ZkR5tR8YpUwJ2x",
];

fn dir() -> std::path::PathBuf {
    fixture("cli/outputs")
}

fn assert_no_secret(what: &str, text: &str) {
    for s in SECRETS {
        // Beyond the 4 characters a redaction may show.
        assert!(!text.contains(&s[4..]), "{what} leaks {s}:\n{text}");
    }
}

/// Replace the run's duration, the only thing that differs between runs.
fn redact_duration(text: &str) -> String {
    let re_text = regex::Regex::new(r"in \d+\.\d+ s\b").unwrap();
    let re_json = regex::Regex::new(r#""duration_ms": \d+"#).unwrap();
    let t = re_text.replace_all(text, "in [duration] s");
    re_json
        .replace_all(&t, r#""duration_ms": "[duration]""#)
        .replace(env!("CARGO_PKG_VERSION"), "[version]")
}

fn scan(format: &str) -> Run {
    run_in(&dir(), &["scan", ".", "--format", format])
}

#[test]
fn text_report_snapshot() {
    let r = scan("text");
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!(
        "text",
        format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            r.code,
            redact_duration(&r.stdout),
            r.stderr
        )
    );
}

#[test]
fn json_report_snapshot() {
    let r = scan("json");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(json(&r.stdout)["schema_version"], 1);
    insta::assert_snapshot!("json", redact_duration(&r.stdout));
}

#[test]
fn sarif_report_snapshot_and_validity() {
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("r.sarif");
    let r = run_in(
        &dir(),
        &[
            "scan",
            ".",
            "--format",
            "sarif",
            "--output",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.is_empty(),
        "--output leaves stdout empty: {}",
        r.stdout
    );
    assert_sarif_valid(&path, Some(&dir()));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_no_secret("sarif", &text);
    // The driver lists the whole catalogue, which grows as rules are added:
    // check each result's ruleIndex against it, then keep only the rules the
    // results use, without their help text (rule files own it and
    // assert_sarif_valid checks it).
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let run = &mut doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap().clone();
    let mut used = std::collections::BTreeSet::new();
    for result in run["results"].as_array_mut().unwrap() {
        let idx = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], result["ruleId"]);
        used.insert(result["ruleId"].as_str().unwrap().to_string());
        result["ruleIndex"] = "[index]".into();
    }
    let kept: Vec<serde_json::Value> = rules
        .into_iter()
        .filter(|r| used.contains(r["id"].as_str().unwrap()))
        .map(|mut r| {
            for key in ["fullDescription", "help", "shortDescription"] {
                r.as_object_mut().unwrap().remove(key);
            }
            r
        })
        .collect();
    run["tool"]["driver"]["rules"] = kept.into();
    let text = serde_json::to_string_pretty(&doc).unwrap();
    insta::assert_snapshot!("sarif", redact_duration(&text));
}

#[test]
fn no_raw_secret_in_any_output_baseline_or_stderr() {
    let out = tempfile::tempdir().unwrap();
    for format in ["text", "json", "sarif"] {
        let r = scan(format);
        assert_no_secret(format, &r.stdout);
        assert_no_secret("stderr", &r.stderr);
    }
    let base = out.path().join("baseline.json");
    let r = run_in(
        &dir(),
        &["scan", ".", "--write-baseline", base.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_no_secret("stderr", &r.stderr);
    assert_no_secret("baseline", &std::fs::read_to_string(&base).unwrap());
    assert!(
        r.stderr.contains("wrote 3 finding(s) to baseline"),
        "{}",
        r.stderr
    );
}

#[test]
fn output_file_gets_the_report_and_a_bad_path_is_fatal() {
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("report.json");
    let r = run_in(
        &dir(),
        &[
            "scan",
            ".",
            "--format",
            "json",
            "-o",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 3);
    let r = run_in(&dir(), &["scan", ".", "-o", "/nonexistent/dir/report.txt"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cannot write report"), "{}", r.stderr);
}

#[test]
fn two_runs_are_byte_identical_apart_from_duration() {
    // Many files so the parallel walk's order varies between runs.
    let t = Tree::new();
    for i in 0..60 {
        t.write(
            &format!("d{}/f{i}.env", i % 7),
            format!("{}{}", "x=1\n".repeat(i), google_line(&google_secret(i))),
        );
    }
    for format in ["text", "json", "sarif"] {
        let a = t.scan(&["--format", format, "-j", "4"]);
        let b = t.scan(&["--format", format, "-j", "4"]);
        assert_eq!(a.code, 1);
        assert_eq!(
            redact_duration(&a.stdout),
            redact_duration(&b.stdout),
            "{format}"
        );
        assert_eq!(a.stderr, b.stderr);
    }
}

#[test]
fn stderr_is_quiet_when_not_a_terminal_and_quiet_silences_skips() {
    // stderr is a pipe here: no progress bar, only the skip notice.
    let r = scan("json");
    assert_eq!(
        r.stderr, "nhiscan: skipped: deploy/blob.bin: binary file\n",
        "{}",
        r.stderr
    );
    let q = run_in(&dir(), &["scan", ".", "--format", "json", "--quiet"]);
    assert_eq!(q.code, 1);
    assert!(q.stderr.is_empty(), "{}", q.stderr);
    // Errors are still printed under --quiet: they make the result incomplete.
    let t = Tree::new();
    std::os::unix::fs::symlink("/nowhere", t.join("dangling")).unwrap();
    let r = t.scan(&["--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}
