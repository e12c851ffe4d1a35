//! Bad input: special files, huge and sparse files, one-line files,
//! unreadable files and folders. Each is a notice and the scan completes;
//! only an unreadable root is fatal.
mod common;
mod support;

use std::time::{Duration, Instant};

use common::*;
use support::*;

#[test]
fn fifos_sockets_and_devices_are_notices_and_the_scan_completes() {
    let t = Tree::new();
    t.write("real.env", google_line(&google_secret(1)));
    let fifo = t.join("pipe");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo failed");
    let _sock = std::os::unix::net::UnixListener::bind(t.join("agent.sock")).unwrap();
    // A character device needs CAP_MKNOD (CI runs as root in a container that
    // has it); without it, /dev/null itself is passed as a second root.
    let in_tree = std::process::Command::new("mknod")
        .arg(t.join("null"))
        .args(["c", "1", "3"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let mut args = vec!["scan", ".", "--format", "json"];
    if !in_tree {
        eprintln!("mknod not permitted here: scanning /dev/null as a root instead");
        args.push("/dev/null");
    }
    let started = Instant::now();
    let r = run_in(t.path(), &args);
    // A FIFO opened for reading would block forever: it must not be opened.
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(json(&r.stdout)["findings"].as_array().unwrap().len(), 1);
    let dev = if in_tree { "null" } else { "/dev/null" };
    for name in ["pipe", "agent.sock", dev] {
        assert!(
            r.stderr
                .contains(&format!("skipped: {name}: not a regular file")),
            "{name}: {}",
            r.stderr
        );
    }
}

#[test]
fn a_5gb_sparse_file_is_skipped_by_size() {
    let t = Tree::new();
    let f = std::fs::File::create(t.join("huge.env")).unwrap();
    f.set_len(5 << 30).unwrap();
    t.write("real.env", google_line(&google_secret(1)));
    let started = Instant::now();
    let r = t.scan(&["--format", "json"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("skipped: huge.env: 5368709120 bytes is over --max-file-size"),
        "{}",
        r.stderr
    );
}

/// A figure `/usr/bin/time -v` printed, e.g. "Maximum resident set size (kbytes)".
fn time_field(stderr: &str, name: &str) -> Option<f64> {
    stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix(name)?.strip_prefix(": "))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn a_100mb_single_line_file_is_scanned_quickly_in_bounded_memory() {
    let t = Tree::new();
    let mut data = vec![b'a'; 100 << 20];
    let line = google_line(&google_secret(1));
    let at = data.len() - 4096;
    // The secret in the middle of the line, delimited by spaces.
    data[at..at + line.len() - 1].copy_from_slice(&line.as_bytes()[..line.len() - 1]);
    data[at - 1] = b' ';
    data[at + line.len() - 1] = b' ';
    t.write("one-line.txt", &data);
    drop(data);
    // Over the default 10 MiB: skipped unless the limit is raised.
    let r = t.scan(&["--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("skipped: one-line.txt"), "{}", r.stderr);

    let exe = env!("CARGO_BIN_EXE_nhiscan");
    let timed = std::path::Path::new("/usr/bin/time").exists();
    let mut cmd = if timed {
        let mut c = std::process::Command::new("/usr/bin/time");
        c.arg("-v").arg(exe);
        c
    } else {
        common::skipped(
            "100 MB line: peak memory is not measured (/usr/bin/time, package `time`, is missing)",
        );
        std::process::Command::new(exe)
    };
    let started = Instant::now();
    let out = cmd
        .args(["scan", ".", "--format", "json", "--max-file-size", "200MiB"])
        .current_dir(t.path())
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let doc = json(&String::from_utf8_lossy(&out.stdout));
    let f = &doc["findings"][0];
    assert_eq!(f["rule_id"], "NHI101");
    assert_eq!(f["location"]["region"]["startLine"], 1);
    assert_eq!(
        f["location"]["region"]["startColumn"],
        at + "GOOGLE_CLIENT_SECRET=".len() + 1
    );
    // CPU time, not wall time: CI machines are shared. A debug build, so the
    // bound is generous, but it catches quadratic work (a snippet or column
    // computed per character, a copy of the line per check).
    match (
        time_field(&stderr, "User time (seconds)"),
        time_field(&stderr, "System time (seconds)"),
    ) {
        (Some(u), Some(s)) => assert!(u + s < 40.0, "CPU {u}+{s} s"),
        _ => assert!(took < Duration::from_secs(180), "took {took:?}"),
    }
    if let Some(kib) = time_field(&stderr, "Maximum resident set size (kbytes)") {
        // The file is held once (100 MiB) plus small per-finding work.
        assert!(kib < 300.0 * 1024.0, "peak RSS {kib} KiB");
    }
}

#[test]
fn unreadable_files_and_folders_are_errors_and_the_scan_completes() {
    let Some(prefix) = unprivileged() else { return };
    let t = Tree::new();
    chmod(t.path(), 0o755);
    t.write("real.env", google_line(&google_secret(1)));
    let locked = t.write("locked.env", google_line(&google_secret(2)));
    chmod(&locked, 0o000);
    let dir = t.mkdir("private");
    t.write("private/inner.env", google_line(&google_secret(3)));
    chmod(&dir, 0o000);
    let r = run_unprivileged(
        &prefix,
        t.path(),
        &["scan", ".", "--format", "json", "--fail-on", "none"],
    );
    // Nothing gates (fail-on none), but the scan was incomplete.
    assert_eq!(r.code, 3, "{r:?}");
    let doc = json(&r.stdout);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["stats"]["errors"], 2, "{}", r.stdout);
    assert!(
        r.stderr.contains("error: locked.env: cannot read"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("error: private: cannot read: Permission denied"),
        "{}",
        r.stderr
    );
    // Findings still gate over an incomplete scan.
    let r = run_unprivileged(&prefix, t.path(), &["scan", ".", "-q"]);
    assert_eq!(r.code, 1, "{r:?}");
    chmod(&dir, 0o755);
}

#[test]
fn an_unreadable_root_is_fatal_with_a_clear_message() {
    let Some(prefix) = unprivileged() else { return };
    let t = Tree::new();
    chmod(t.path(), 0o755);
    let root = t.mkdir("root");
    t.write("root/a.env", google_line(&google_secret(1)));
    chmod(&root, 0o000);
    let r = run_unprivileged(&prefix, t.path(), &["scan", "root"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("nhiscan: error: cannot read root: Permission denied"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    chmod(&root, 0o755);
}
