//! Helpers for the walk, gate, output and bad-input CLI tests: build small
//! trees in temporary folders, make fake secrets, run the binary as an
//! unprivileged user. Each test file uses a subset, hence the allow.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::{bin, Run};

/// A deterministic fake Google OAuth client secret (`GOCSPX-` + 28), distinct per `n`.
pub fn google_secret(n: usize) -> String {
    const ALPHABET: &str = "1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ";
    let rot: String = ALPHABET
        .chars()
        .cycle()
        .skip(n % ALPHABET.len())
        .take(28)
        .collect();
    format!("GOCSPX-{rot}")
}

/// A line that raises NHI101 (high) for `secret`.
pub fn google_line(secret: &str) -> String {
    format!("GOOGLE_CLIENT_SECRET={secret}\n")
}

/// A temporary tree; `write` creates parents as needed.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, data: impl AsRef<[u8]>) -> PathBuf {
        let p = self.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap();
        p
    }

    pub fn mkdir(&self, rel: &str) -> PathBuf {
        let p = self.join(rel);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    /// Run `nhiscan scan . ARGS` inside the tree.
    pub fn scan(&self, args: &[&str]) -> Run {
        let mut all = vec!["scan", "."];
        all.extend_from_slice(args);
        crate::common::run_in(self.path(), &all)
    }

    /// Paths (relative) of the findings of a JSON scan with `args`.
    pub fn finding_paths(&self, args: &[&str]) -> Vec<String> {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let r = self.scan(&all);
        assert!(r.code == 0 || r.code == 1 || r.code == 3, "{r:?}");
        let doc = crate::common::json(&r.stdout);
        let mut v: Vec<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["location"]["path"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    }
}

/// The tool that drops root for permission tests, or None (with the reason
/// printed) when the machine lacks it.
pub fn unprivileged() -> Option<Vec<String>> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !is_root {
        return Some(Vec::new());
    }
    for (tool, args) in [
        (
            "setpriv",
            vec!["--reuid=65534", "--regid=65534", "--clear-groups"],
        ),
        ("runuser", vec!["-u", "nobody", "--"]),
    ] {
        let ok = Command::new(tool)
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if ok {
            let mut v = vec![tool.to_string()];
            v.extend(args.into_iter().map(String::from));
            return Some(v);
        }
    }
    crate::common::skipped("permission test: running as root and neither setpriv nor runuser is installed (util-linux); it needs an unprivileged user");
    None
}

/// Run the binary with `args` in `cwd` as an unprivileged user.
pub fn run_unprivileged(prefix: &[String], cwd: &Path, args: &[&str]) -> Run {
    let exe = bin().get_program().to_owned();
    let mut cmd = match prefix.split_first() {
        Some((tool, rest)) => {
            let mut c = Command::new(tool);
            c.args(rest).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    let out = cmd
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run nhiscan unprivileged");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// chmod, for permission tests.
pub fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
