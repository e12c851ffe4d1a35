//! Hostile git objects (issue 12, item 1): repositories built with git
//! plumbing whose trees spell out 10⁹ paths over shared subtrees, or contain
//! themselves (a corrupt loose object written by hand). `--history` and
//! `--staged` must finish quickly, report the corruption and still scan.
mod common;
mod support;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use support::*;

fn git(dir: &Path, args: &[&str], input: Option<&[u8]>) -> String {
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run git");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.unwrap_or_default())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn init() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"], None);
    (dir, repo)
}

/// Point `main` at a new commit of `tree`.
fn commit(repo: &Path, tree: &str) {
    let c = git(repo, &["commit-tree", tree, "-m", "hostile"], None);
    git(repo, &["update-ref", "refs/heads/main", &c], None);
}

fn hash_blob(repo: &Path, data: &str) -> String {
    git(
        repo,
        &["hash-object", "-w", "--stdin"],
        Some(data.as_bytes()),
    )
}

/// Run `scan . ARGS --format json` with a time limit, killing a runaway.
fn scan_within(repo: &Path, args: &[&str], limit: Duration) -> (Run, Duration) {
    let mut all = vec!["scan", ".", "--format", "json"];
    all.extend_from_slice(args);
    let t = Instant::now();
    let mut child = bin()
        .args(&all)
        .current_dir(repo)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed() > limit {
            child.kill().unwrap();
            panic!("scan {args:?} ran over {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
        t.elapsed(),
    )
}

/// Nine levels of ten copies of the level below: 10⁹ paths in 10 objects.
#[test]
fn shared_subtrees_spelling_a_billion_paths_are_read_once() {
    let (_d, repo) = init();
    let secret = google_secret(3);
    let blob = hash_blob(&repo, &google_line(&secret));
    let mut tree = {
        let listing: String = (0..10)
            .map(|i| format!("100644 blob {blob}\tf{i}.env\n"))
            .collect();
        git(&repo, &["mktree"], Some(listing.as_bytes()))
    };
    for _ in 0..8 {
        let listing: String = (0..10)
            .map(|i| format!("040000 tree {tree}\td{i}\n"))
            .collect();
        tree = git(&repo, &["mktree"], Some(listing.as_bytes()));
    }
    commit(&repo, &tree);
    // The index names one new file (the pre-commit case), not HEAD's 10⁹.
    let other = hash_blob(&repo, &google_line(&google_secret(4)));
    git(
        &repo,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("100644,{other},d0/d1/new.env"),
        ],
        None,
    );
    for mode in ["--history-only", "--staged"] {
        let (r, took) = scan_within(&repo, &[mode], Duration::from_secs(60));
        assert_eq!(r.code, 1, "{mode}: {r:?}");
        let doc = json(&r.stdout);
        assert_eq!(
            doc["findings"].as_array().unwrap().len(),
            1,
            "{mode}: {r:?}"
        );
        assert!(took < Duration::from_secs(20), "{mode} took {took:?}");
    }
}

/// Adler-32 of `data` (zlib's trailer).
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// A zlib stream of `data` in stored (uncompressed) deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = data.chunks(65535).collect();
    for (i, c) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = c.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(c);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// A loose tree object stored under an id of our choosing whose content
/// lists that same id as its subdirectory `loop` (no hash can do this, so
/// only a corrupt repository holds one), beside a file with a secret.
#[test]
fn a_tree_that_contains_itself_is_reported_as_corrupt() {
    let (_d, repo) = init();
    let secret = google_secret(5);
    let blob = hash_blob(&repo, &google_line(&secret));
    let self_id = "5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f";
    let hex = |s: &str| -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    };
    let mut body = Vec::new();
    body.extend_from_slice(b"100644 a.env\0");
    body.extend_from_slice(&hex(&blob));
    body.extend_from_slice(b"40000 loop\0");
    body.extend_from_slice(&hex(self_id));
    let mut object = format!("tree {}\0", body.len()).into_bytes();
    object.extend_from_slice(&body);
    let dir = repo.join(".git/objects").join(&self_id[..2]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&self_id[2..]), zlib_stored(&object)).unwrap();
    let commit_text = format!(
        "tree {self_id}\nauthor T <t@example.invalid> 1600000000 +0000\ncommitter T <t@example.invalid> 1600000000 +0000\n\nloop\n"
    );
    let c = git(
        &repo,
        &[
            "hash-object",
            "-w",
            "-t",
            "commit",
            "--literally",
            "--stdin",
        ],
        Some(commit_text.as_bytes()),
    );
    git(&repo, &["update-ref", "refs/heads/main", &c], None);
    let other = hash_blob(&repo, &google_line(&google_secret(6)));
    git(
        &repo,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("100644,{other},loop/loop/loop/b.env"),
        ],
        None,
    );
    for mode in ["--history-only", "--staged"] {
        // `--fail-on none`: the findings do not gate, the corruption does (exit 3).
        let (r, _) = scan_within(&repo, &[mode, "--fail-on", "none"], Duration::from_secs(60));
        assert_eq!(r.code, 3, "{mode}: {r:?}");
        let doc = json(&r.stdout);
        assert!(
            r.stderr.contains("contains itself"),
            "{mode}: the cycle is reported: {r:?}"
        );
        assert_eq!(
            doc["findings"].as_array().unwrap().len(),
            1,
            "{mode}: {r:?}"
        );
    }
}
