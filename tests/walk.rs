//! The working-tree walk: ignore files, excludes, hidden files, `.git/`,
//! symlinks, binaries, sizes, encodings, and where findings are placed.
mod common;
mod support;

use common::*;
use support::*;

#[test]
fn gitignore_and_ignore_files_are_honoured_and_no_ignore_turns_them_off() {
    let t = Tree::new();
    // A git checkout: .gitignore applies only inside one.
    t.write(".git/HEAD", "ref: refs/heads/main\n");
    t.write(".gitignore", "build/\n*.log\n");
    t.write(".ignore", "scratch.txt\n");
    t.write("build/out.env", google_line(&google_secret(1)));
    t.write("app.log", google_line(&google_secret(2)));
    t.write("scratch.txt", google_line(&google_secret(3)));
    t.write("src/kept.env", google_line(&google_secret(4)));
    assert_eq!(t.finding_paths(&[]), ["src/kept.env"]);
    assert_eq!(
        t.finding_paths(&["--no-ignore"]),
        ["app.log", "build/out.env", "scratch.txt", "src/kept.env"]
    );
}

#[test]
fn gitignore_outside_a_git_checkout_is_not_honoured_but_ignore_is() {
    // An exported tree (a tarball) whose .gitignore ignores everything must
    // still be scanned; .ignore files are nhiscan's and ripgrep's own.
    let t = Tree::new();
    t.write(".gitignore", "/*\n");
    t.write(".ignore", "scratch.txt\n");
    t.write("scratch.txt", google_line(&google_secret(3)));
    t.write("src/kept.env", google_line(&google_secret(4)));
    assert_eq!(t.finding_paths(&[]), ["src/kept.env"]);
}

#[test]
fn exclude_globs_prune_names_and_folders() {
    let t = Tree::new();
    t.write("vendor/lib/a.env", google_line(&google_secret(1)));
    t.write("web/app.min.js", google_line(&google_secret(2)));
    t.write("docs/x/y.txt", google_line(&google_secret(3)));
    t.write("src/main.env", google_line(&google_secret(4)));
    assert_eq!(
        t.finding_paths(&[
            "--exclude",
            "vendor/",
            "--exclude",
            "*.min.js",
            "--exclude",
            "docs/**"
        ]),
        ["src/main.env"]
    );
}

#[test]
fn hidden_files_are_read_but_dot_git_never_is() {
    let t = Tree::new();
    t.write(
        ".github/workflows/ci.yml",
        format!("env:\n  {}", google_line(&google_secret(1))),
    );
    t.write(".env.production", google_line(&google_secret(2)));
    t.write(".gitlab-ci.yml", google_line(&google_secret(3)));
    t.write(".git/config", google_line(&google_secret(4)));
    t.write(".git/objects/ab/cdef", google_line(&google_secret(5)));
    let paths = t.finding_paths(&["--no-ignore"]);
    assert_eq!(
        paths,
        [
            ".env.production",
            ".github/workflows/ci.yml",
            ".gitlab-ci.yml"
        ]
    );
}

#[test]
fn symlinks_are_not_followed_and_broken_ones_are_a_notice() {
    let t = Tree::new();
    let outside = Tree::new();
    outside.write("secret.env", google_line(&google_secret(1)));
    outside.write("dir/inner.env", google_line(&google_secret(2)));
    std::os::unix::fs::symlink(outside.join("secret.env"), t.join("link.env")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("dir"), t.join("linkdir")).unwrap();
    std::os::unix::fs::symlink(t.join("nowhere"), t.join("broken")).unwrap();
    t.write("real.env", google_line(&google_secret(3)));
    let r = t.scan(&["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = json(&r.stdout);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["findings"][0]["location"]["path"], "real.env");
    for name in ["link.env", "linkdir", "broken"] {
        assert!(
            r.stderr
                .contains(&format!("skipped: {name}: symbolic link not followed")),
            "{name}: {}",
            r.stderr
        );
    }
}

#[test]
fn binary_files_are_skipped_with_a_counted_notice() {
    let t = Tree::new();
    let mut data = google_line(&google_secret(1)).into_bytes();
    data.extend_from_slice(b"\0\x01\x02");
    t.write("blob.bin", &data);
    t.write("img.png", b"\x89PNG\r\n\x1a\n\0\0\0");
    let r = t.scan(&["--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = json(&r.stdout);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
    assert_eq!(doc["stats"]["skipped"], 2, "{}", r.stdout);
    assert!(
        r.stderr.contains("skipped: blob.bin: binary file"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("skipped: img.png: binary file"),
        "{}",
        r.stderr
    );
}

#[test]
fn max_file_size_skips_larger_files_and_accepts_units() {
    let t = Tree::new();
    let mut big = google_line(&google_secret(1));
    big.push_str(&"x".repeat(2048));
    t.write("big.env", &big);
    t.write("small.env", google_line(&google_secret(2)));
    assert_eq!(t.finding_paths(&["--max-file-size", "1KiB"]), ["small.env"]);
    let r = t.scan(&["--max-file-size", "1k"]);
    assert!(
        r.stderr.contains("skipped: big.env:") && r.stderr.contains("--max-file-size"),
        "{}",
        r.stderr
    );
    assert_eq!(
        t.finding_paths(&["--max-file-size", "1MiB"]),
        ["big.env", "small.env"]
    );
    let bad = t.scan(&["--max-file-size", "ten"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn invalid_utf8_is_decoded_lossily_and_still_found() {
    let t = Tree::new();
    let mut data = b"caf\xe9 \xff\xfe broken = 1\n".to_vec();
    // A truncated two-byte sequence before the secret on its own line.
    data.extend_from_slice(b"\xc3(x ");
    data.extend_from_slice(google_line(&google_secret(1)).as_bytes());
    t.write("latin1.env", &data);
    let r = t.scan(&["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = json(&r.stdout);
    let f = &doc["findings"][0];
    assert_eq!(f["rule_id"], "NHI101");
    assert_eq!(f["location"]["region"]["startLine"], 2);
}

#[test]
fn crlf_files_get_the_same_lines_and_columns_as_lf_files() {
    let t = Tree::new();
    let body = |nl: &str| {
        format!(
            "# config{nl}{nl}name = demo{nl}  GOOGLE_CLIENT_SECRET={}{nl}",
            google_secret(7)
        )
    };
    t.write("lf.env", body("\n"));
    t.write("crlf.env", body("\r\n"));
    let r = t.scan(&["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = json(&r.stdout);
    let regions: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["region"].clone())
        .collect();
    assert_eq!(regions.len(), 2, "{}", r.stdout);
    assert_eq!(regions[0], regions[1]);
    assert_eq!(regions[0]["startLine"], 4);
    assert_eq!(regions[0]["startColumn"], 24, "{}", regions[0]);
    assert_eq!(regions[0]["endLine"], 4);
}

/// Run git in `dir` with no user or system configuration.
fn git(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

#[test]
fn files_git_tracks_are_read_even_when_gitignore_matches_them() {
    let t = Tree::new();
    git(t.path(), &["init", "-q"]);
    let jwk = std::fs::read_to_string(fixture("secrets/jwk-private-key/positive.json")).unwrap();
    t.write(".gitignore", "*.jwk\nbuild/\n*.log\nvendor/\n");
    t.write(".ignore", "notes/\n");
    // Committed under an ignore pattern (`git add -f`): in every clone, so read.
    t.write("keys/tempkey.jwk", &jwk);
    t.write("build/out.env", google_line(&google_secret(1)));
    // Ignored and untracked (local output): stays out.
    t.write("keys/local.jwk", &jwk);
    t.write("app.log", google_line(&google_secret(2)));
    // Tracked, but the user keeps it out: `.ignore` and `--exclude` still count.
    t.write("notes/n.env", google_line(&google_secret(3)));
    t.write("vendor/v.env", google_line(&google_secret(4)));
    // Tracked and then deleted from the working tree: nothing to read, no error.
    t.write("keys/gone.jwk", &jwk);
    t.write("src/kept.env", google_line(&google_secret(5)));
    git(
        t.path(),
        &[
            "add",
            "-f",
            ".gitignore",
            "keys/tempkey.jwk",
            "keys/gone.jwk",
            "build/out.env",
            "notes/n.env",
            "vendor/v.env",
            "src/kept.env",
        ],
    );
    std::fs::remove_file(t.join("keys/gone.jwk")).unwrap();

    let r = t.scan(&["--format", "json", "--exclude", "vendor/"]);
    assert_eq!(r.code, 1, "findings, no read error: {r:?}");
    let doc = json(&r.stdout);
    let mut paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths, ["build/out.env", "keys/tempkey.jwk", "src/kept.env"]);

    // A root below the top of the working copy: same rule, paths relative to it.
    let r = run_in(&t.join("keys"), &["scan", ".", "--format", "json"]);
    let doc = json(&r.stdout);
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert!(
        !paths.is_empty() && paths.iter().all(|p| *p == "tempkey.jwk"),
        "{paths:?}"
    );

    // --no-ignore reads everything on disk, tracked or not.
    assert_eq!(
        t.finding_paths(&["--no-ignore"])
            .into_iter()
            .filter(|p| p.ends_with(".jwk"))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>(),
        ["keys/local.jwk", "keys/tempkey.jwk"]
    );
}
