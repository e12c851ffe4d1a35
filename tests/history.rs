//! `scan --history`, `--since`, `--staged`: real repositories built with the
//! git CLI in temporary folders, checked for what is found and how it is
//! attributed (commit, path, still at HEAD).
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use common::*;
use serde_json::Value;

const AUTHOR: &str = "Alice Author";
const EMAIL: &str = "alice.author@history-test.invalid";

/// A distinct, realistic-looking Google OAuth client secret per letter.
fn secret(tag: char) -> String {
    format!("GOCSPX-{tag}a2B3c4D5e6F7g8H9i0JkLmNoPqR")
}

fn line(tag: char) -> String {
    format!("google = \"{}\"\n", secret(tag))
}

struct Repo {
    _dir: tempfile::TempDir,
    path: PathBuf,
    clock: i64,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("repo");
        std::fs::create_dir(&path).unwrap();
        let mut r = Repo {
            _dir: dir,
            path,
            clock: 1_600_000_000,
        };
        r.git(&["init", "-q", "-b", "main"]);
        r
    }

    fn git_in(&self, cwd: &Path, args: &[&str]) -> String {
        let date = format!("@{} +0000", self.clock);
        let out = Command::new("git")
            .args(args)
            .current_dir(cwd)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", AUTHOR)
            .env("GIT_AUTHOR_EMAIL", EMAIL)
            .env("GIT_COMMITTER_NAME", AUTHOR)
            .env("GIT_COMMITTER_EMAIL", EMAIL)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .expect("run git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn git(&mut self, args: &[&str]) -> String {
        self.git_in(&self.path.clone(), args)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Stage everything and commit; returns (commit id, author time).
    fn commit(&mut self, msg: &str) -> (String, i64) {
        self.clock += 86_400;
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", msg]);
        (self.git(&["rev-parse", "HEAD"]), self.clock)
    }
}

fn scan(dir: &Path, extra: &[&str]) -> (Run, Value) {
    let mut args = vec!["scan", ".", "--format", "json"];
    args.extend_from_slice(extra);
    let r = run_in(dir, &args);
    let doc = json(&r.stdout);
    (r, doc)
}

/// Findings whose snippet shows the secret tagged `tag`.
fn with_secret(doc: &Value, tag: char) -> Vec<Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["rule_id"] == "NHI101"
                && f["fingerprint"]
                    == fingerprint_of(doc, tag, f["location"]["path"].as_str().unwrap())
        })
        .cloned()
        .collect()
}

/// The fingerprint a working-tree scan gives secret `tag` at `path`
/// (memoised: each costs a run of the binary).
fn fingerprint_of(_doc: &Value, tag: char, path: &str) -> String {
    static MEMO: Mutex<BTreeMap<(char, String), String>> = Mutex::new(BTreeMap::new());
    let key = (tag, path.to_string());
    if let Some(fp) = MEMO.lock().unwrap().get(&key) {
        return fp.clone();
    }
    let fp = scan_fingerprint(tag, path);
    MEMO.lock().unwrap().insert(key, fp.clone());
    fp
}

fn scan_fingerprint(tag: char, path: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, line(tag)).unwrap();
    let r = run_in(dir.path(), &["scan", ".", "--format", "json", "-q"]);
    json(&r.stdout)["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A history with every shape the scan must handle: a secret added, kept
/// through an edit and deleted; one moved; one on a branch never merged;
/// one only reachable from a tag; one only in the stash.
struct Story {
    repo: Repo,
    added: (String, i64),
    moved: (String, i64),
    branch: (String, i64),
    tagged: (String, i64),
}

fn story() -> Story {
    let mut repo = Repo::new();
    repo.write("README.md", "hello\n");
    repo.write("config/app.env", &line('A'));
    let added = repo.commit("add config");
    repo.write("config/app.env", &format!("# edited\n{}", line('A')));
    repo.commit("edit config, secret kept");
    std::fs::remove_file(repo.path.join("config/app.env")).unwrap();
    repo.commit("remove config");
    repo.write("old/keys.txt", &line('B'));
    let moved = repo.commit("add keys");
    std::fs::create_dir(repo.path.join("new")).unwrap();
    repo.git(&["mv", "old/keys.txt", "new/keys.txt"]);
    repo.commit("move keys");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("feature.txt", &line('C'));
    let branch = repo.commit("feature work, never merged");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("release.txt", &line('D'));
    let tagged = repo.commit("release");
    repo.git(&["tag", "v1"]);
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.write("README.md", &format!("hello\n{}", line('E')));
    repo.git(&["stash", "-q"]);
    Story {
        repo,
        added,
        moved,
        branch,
        tagged,
    }
}

fn origin(f: &Value) -> (&str, i64, Option<bool>) {
    (
        f["origin"]["commit"].as_str().unwrap_or(""),
        f["origin"]["author_time"].as_i64().unwrap_or(0),
        f["origin"]["at_head"].as_bool(),
    )
}

#[test]
fn history_finds_every_reachable_secret_once_with_its_first_commit() {
    let s = story();
    let (r, doc) = scan(&s.repo.path, &["--history-only"]);
    assert_eq!(r.code, 1, "{}", r.stderr);

    // Added, edited (a second blob), deleted: one finding, first commit, gone from HEAD.
    let a = with_secret(&doc, 'A');
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0]["location"]["path"], "config/app.env");
    assert_eq!(origin(&a[0]), (s.added.0.as_str(), s.added.1, Some(false)));
    assert!(a[0]["message"].as_str().unwrap().contains(&s.added.0[..12]));

    // Moved: still at HEAD, so it carries today's path (its first commit is kept).
    let b = with_secret(&doc, 'B');
    assert_eq!(b.len(), 1, "{b:#?}");
    assert_eq!(b[0]["location"]["path"], "new/keys.txt");
    assert_eq!(origin(&b[0]), (s.moved.0.as_str(), s.moved.1, Some(true)));

    // A branch never merged, a tag, the stash.
    let c = with_secret(&doc, 'C');
    assert_eq!(origin(&c[0]).0, s.branch.0);
    assert_eq!(c[0]["location"]["path"], "feature.txt");
    let d = with_secret(&doc, 'D');
    assert_eq!(origin(&d[0]).0, s.tagged.0);
    assert_eq!(origin(&d[0]).2, Some(false));
    let e = with_secret(&doc, 'E');
    assert_eq!(e.len(), 1, "stash content is scanned: {doc:#}");
    assert_eq!(e[0]["location"]["path"], "README.md");

    assert_eq!(doc["findings"].as_array().unwrap().len(), 5, "{doc:#}");
    assert!(!r.stdout.contains(&secret('A')));
}

#[test]
fn history_with_working_tree_merges_and_text_shows_the_commit() {
    let s = story();
    // Without --history-only the working tree is scanned too: the moved
    // secret is one finding, at today's path, with the commit that added it.
    let (r, doc) = scan(&s.repo.path, &["--history"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let b = with_secret(&doc, 'B');
    assert_eq!(b.len(), 1, "{doc:#}");
    assert_eq!(b[0]["location"]["path"], "new/keys.txt");
    assert_eq!(origin(&b[0]).0, s.moved.0);

    let text = run_in(&s.repo.path, &["scan", ".", "--history"]);
    assert!(
        text.stdout
            .contains(&format!("introduced in commit {}", &s.added.0[..12])),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("no longer at HEAD"), "{}", text.stdout);
}

#[test]
fn a_committed_secret_still_in_the_tree_is_one_finding_with_its_commit() {
    let mut repo = Repo::new();
    repo.write("svc/.env", &line('F'));
    let first = repo.commit("add env");
    repo.write("svc/.env", &format!("PORT=1\n{}", line('F')));
    repo.commit("edit env");
    let (r, doc) = scan(&repo.path, &["--history"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let f = doc["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{doc:#}");
    // The current location (line 2 now), the first commit, still at HEAD.
    assert_eq!(f[0]["location"]["region"]["startLine"], 2);
    assert_eq!(origin(&f[0]), (first.0.as_str(), first.1, Some(true)));
}

/// A baseline written from a working-tree scan suppresses the one secret
/// of `repo` in a history-only scan.
fn assert_tree_baseline_covers_history(repo: &Repo) {
    let baseline = repo.path.join("../baseline.json");
    let b = baseline.to_str().unwrap();
    let w = run_in(&repo.path, &["scan", ".", "--write-baseline", b, "-q"]);
    assert_eq!(w.code, 0, "{}", w.stderr);
    let (r, doc) = scan(&repo.path, &["--history-only", "--baseline", b]);
    assert_eq!(r.code, 0, "{}\n{doc:#}", r.stderr);
    assert_eq!(doc["stats"]["suppressed_baseline"], 1);
}

#[test]
fn a_working_tree_baseline_suppresses_the_secret_in_history() {
    let mut repo = Repo::new();
    repo.write("deploy.yaml", &line('G'));
    repo.commit("one");
    repo.write("deploy.yaml", &format!("x: 1\n{}", line('G')));
    repo.commit("two");
    assert_tree_baseline_covers_history(&repo);
}

#[test]
fn a_tree_baseline_covers_a_secret_history_first_saw_under_another_path() {
    let mut repo = Repo::new();
    repo.write("old/keys.txt", &line('J'));
    repo.commit("add keys");
    std::fs::create_dir(repo.path.join("new")).unwrap();
    repo.git(&["mv", "old/keys.txt", "new/keys.txt"]);
    repo.commit("move keys");
    assert_tree_baseline_covers_history(&repo);
}

#[test]
fn past_blobs_get_only_leaked_credential_rules() {
    let code = std::fs::read_to_string(fixture("code/javascript/validation_positive.js")).unwrap();
    let mut repo = Repo::new();
    repo.write("src/verify.js", &code);
    repo.write("config/app.env", &line('K'));
    repo.commit("add service");
    // At HEAD, history runs every rule: posture findings about code that runs today.
    let (r, doc) = scan(&repo.path, &["--history-only"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let rules = |doc: &Value| {
        let mut v = rule_ids(doc);
        v.dedup();
        v
    };
    assert!(
        rules(&doc).iter().any(|r| r.starts_with("NHI30")),
        "{doc:#}"
    );
    // Removed: the code no longer runs, the leaked secret is still in every clone.
    repo.git(&["rm", "-q", "src/verify.js", "config/app.env"]);
    repo.commit("remove service");
    let (r, doc) = scan(&repo.path, &["--history-only"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(rules(&doc), ["NHI101"], "{doc:#}");
    assert_eq!(with_secret(&doc, 'K').len(), 1);
}

#[test]
fn since_scans_only_what_the_range_introduced() {
    let mut repo = Repo::new();
    repo.write("old.txt", &line('H'));
    let base = repo.commit("base");
    repo.write("pr.txt", &line('I'));
    let pr = repo.commit("pr 1");
    // Re-adding content the base already had is not new in the range.
    repo.write("copy-of-old.txt", &line('H'));
    repo.commit("pr 2");
    let (r, doc) = scan(&repo.path, &["--since", &base.0]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let f = doc["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["location"]["path"], "pr.txt");
    assert_eq!(origin(&f[0]).0, pr.0);

    let (r, _) = scan(&repo.path, &["--since", "HEAD"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bad = run_in(&repo.path, &["scan", ".", "--since", "no-such-rev"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("no-such-rev"), "{}", bad.stderr);
}

#[test]
fn staged_scans_the_index_not_the_working_tree_or_head() {
    let mut repo = Repo::new();
    repo.write("committed.txt", &line('J'));
    repo.commit("base");
    repo.write("staged.txt", &line('K'));
    repo.git(&["add", "staged.txt"]);
    // Changed after staging: the staged version (with K) is what commits.
    repo.write("staged.txt", "clean now\n");
    repo.write("unstaged.txt", &line('L'));
    let (r, doc) = scan(&repo.path, &["--staged"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let f = doc["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["location"]["path"], "staged.txt");
    assert_eq!(f[0]["origin"]["kind"], "staged");

    repo.git(&["reset", "-q"]);
    let (r, doc) = scan(&repo.path, &["--staged"]);
    assert_eq!(r.code, 0, "{}\n{doc:#}", r.stderr);
}

#[test]
fn bare_and_shallow_clones() {
    let s = story();
    let parent = s.repo.path.parent().unwrap().to_path_buf();
    let url = format!("file://{}", s.repo.path.display());
    s.repo
        .git_in(&parent, &["clone", "-q", "--bare", &url, "bare.git"]);
    let (r, doc) = scan(&parent.join("bare.git"), &["--history"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // A clone has the branches and tags but not the stash.
    for tag in ['A', 'B', 'D'] {
        assert_eq!(with_secret(&doc, tag).len(), 1, "{tag}: {doc:#}");
    }

    s.repo
        .git_in(&parent, &["clone", "-q", "--depth", "1", &url, "shallow"]);
    let (r, doc) = scan(&parent.join("shallow"), &["--history-only"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("shallow clone"), "{}", r.stderr);
    // Only the one commit is there: the moved key, at its HEAD path.
    let b = with_secret(&doc, 'B');
    assert_eq!(b[0]["location"]["path"], "new/keys.txt", "{doc:#}");
    assert!(with_secret(&doc, 'A').is_empty());
}

#[test]
fn a_corrupt_object_is_an_error_and_the_scan_goes_on() {
    let mut repo = Repo::new();
    repo.write("good.txt", &line('M'));
    repo.write("bad.txt", &format!("other content\n{}", line('N')));
    repo.commit("two files");
    let blob = repo.git(&["rev-parse", "HEAD:bad.txt"]);
    let obj = repo
        .path
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    let mut perm = std::fs::metadata(&obj).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(&obj, perm).unwrap();
    std::fs::write(&obj, b"this is not zlib data").unwrap();
    let (r, doc) = scan(&repo.path, &["--history-only", "--fail-on", "none"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("bad.txt"), "{}", r.stderr);
    assert_eq!(with_secret(&doc, 'M').len(), 1, "{doc:#}");
}

#[test]
fn huge_blobs_are_skipped_with_a_notice() {
    let mut repo = Repo::new();
    repo.write("big.txt", &format!("{}{}", "x".repeat(4096), line('O')));
    repo.write("small.txt", &line('P'));
    repo.commit("files");
    let (r, doc) = scan(&repo.path, &["--history-only", "--max-file-size", "1KiB"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("big.txt"), "{}", r.stderr);
    assert!(r.stderr.contains("max-file-size"), "{}", r.stderr);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn not_a_repository_is_fatal_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "nothing").unwrap();
    for flag in ["--history", "--staged"] {
        let r = run_in(dir.path(), &["scan", ".", flag]);
        assert_eq!(r.code, 2, "{flag}: {}", r.stderr);
        assert!(r.stderr.contains("is not a git repository"), "{}", r.stderr);
    }
}

#[test]
fn sarif_from_history_is_valid_and_names_no_author() {
    let s = story();
    let out = tempfile::tempdir().unwrap();
    let sarif = out.path().join("h.sarif");
    let baseline = out.path().join("b.json");
    let r = run_in(
        &s.repo.path,
        &[
            "scan",
            ".",
            "--history-only",
            "--format",
            "sarif",
            "-o",
            sarif.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let text = std::fs::read_to_string(&sarif).unwrap();
    assert!(text.contains(&s.added.0), "the commit is in properties");
    for personal in [AUTHOR, EMAIL, "Alice", "history-test.invalid"] {
        assert!(!text.contains(personal), "{personal} in SARIF");
    }
    assert!(!text.contains(&secret('A')));
    assert_sarif_valid(&sarif, None);

    let w = run_in(
        &s.repo.path,
        &[
            "scan",
            ".",
            "--history",
            "--write-baseline",
            baseline.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(w.code, 0, "{}", w.stderr);
    let b = std::fs::read_to_string(&baseline).unwrap();
    assert!(!b.contains(AUTHOR) && !b.contains(EMAIL));
}
