//! Shared helpers for CLI tests: run the real binary, check SARIF (schema and
//! GitHub's ingestion rules, in `sarif`). Each test file uses a subset, hence
//! the allow.
#![allow(dead_code)]

pub mod sarif;

pub use sarif::assert_sarif_valid;

pub mod oidc;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nhiscan"))
}

/// Run nhiscan with `args` in `cwd`, with no colour and no stdin.
pub fn run_in(cwd: &Path, args: &[&str]) -> Run {
    let out = bin()
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run nhiscan");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn run(args: &[&str]) -> Run {
    run_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// Absolute path of a file or folder under fixtures/.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// Say that a test left out part of its work because a tool is missing.
/// Written to stderr directly: the test harness captures `eprintln!` and
/// shows it only for failing tests, and a skip must be seen in a passing run.
pub fn skipped(what: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {what}");
}

/// Parse a JSON report written by `--format json`.
pub fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

/// The rule ids of a JSON report's findings, sorted (repeats kept).
pub fn rule_ids(report: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// Scan `dir` as `.` into a SARIF file (with `extra` flags), assert the exit
/// code, check it (schema, ingestion rules, every location a real line of a
/// file under `dir`), and return its text.
pub fn scan_to_checked_sarif(dir: &Path, extra: &[&str], expected_code: i32) -> String {
    let out = tempfile::tempdir().unwrap();
    let sarif = out.path().join("scan.sarif");
    let mut args = vec![
        "scan",
        ".",
        "--format",
        "sarif",
        "-o",
        sarif.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let r = run_in(dir, &args);
    assert_eq!(r.code, expected_code, "{}", r.stderr);
    assert_sarif_valid(&sarif, Some(dir));
    std::fs::read_to_string(&sarif).unwrap()
}
