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
