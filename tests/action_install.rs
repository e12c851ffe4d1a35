//! The Action's install step (scripts/action-install.sh) against a loopback
//! server serving release-shaped assets: a good archive is verified and runs,
//! a tampered archive or checksum file is refused without falling back to a
//! source build, and a missing asset or a commit pin falls back to building
//! from source (with a stand-in `cargo` that records its arguments).
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const VERSION: &str = "9.8.7";
const TRIPLE: &str = "x86_64-unknown-linux-musl";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Serves files under `dir` over plain HTTP on 127.0.0.1 (404 for anything
/// missing) from a background thread; returns the base URL.
fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // Drain the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
                line.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let file = dir.join(path.trim_start_matches('/'));
            let (status, body) = match std::fs::read(&file) {
                Ok(b) if !path.contains("..") => ("200 OK", b),
                _ => ("404 Not Found", b"not found".to_vec()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{addr}")
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// A release folder `v{VERSION}/` holding the archive for TRIPLE (a stand-in
/// binary inside `nhiscan-{VERSION}-{TRIPLE}/`, small so the test is quick)
/// and SHA256SUMS.
fn release(dir: &Path) -> PathBuf {
    let rel = dir.join(format!("v{VERSION}"));
    let stage = dir
        .join("stage")
        .join(format!("nhiscan-{VERSION}-{TRIPLE}"));
    std::fs::create_dir_all(&rel).unwrap();
    std::fs::create_dir_all(&stage).unwrap();
    let stand_in = stage.join("nhiscan");
    std::fs::write(&stand_in, format!("#!/bin/sh\necho nhiscan {VERSION}\n")).unwrap();
    std::fs::set_permissions(&stand_in, std::fs::Permissions::from_mode(0o755)).unwrap();
    let asset = format!("nhiscan-{VERSION}-{TRIPLE}.tar.gz");
    let ok = Command::new("tar")
        .arg("-czf")
        .arg(rel.join(&asset))
        .arg("-C")
        .arg(dir.join("stage"))
        .arg(format!("nhiscan-{VERSION}-{TRIPLE}"))
        .status()
        .unwrap();
    assert!(ok.success());
    let sums = format!(
        "{}  {asset}\n{}  nhiscan-{VERSION}-aarch64-apple-darwin.tar.gz\n",
        sha256(&rel.join(&asset)),
        "0".repeat(64)
    );
    std::fs::write(rel.join("SHA256SUMS"), sums).unwrap();
    rel
}

/// A stand-in `cargo` that records its arguments and "builds" a binary that
/// prints a version, so the fallback is observable without compiling.
fn fake_cargo(dir: &Path) -> (PathBuf, PathBuf) {
    let bin = dir.join("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.join("cargo-args");
    let script = bin.join("cargo");
    std::fs::write(
        &script,
        format!(
            "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > '{}'\n\
             root=$4\nmkdir -p \"$root/bin\"\n\
             printf '#!/bin/sh\\necho nhiscan built-from-source\\n' > \"$root/bin/nhiscan\"\n\
             chmod +x \"$root/bin/nhiscan\"\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin, log)
}

struct Install {
    code: i32,
    outputs: String,
    stderr: String,
    cargo_args: Option<String>,
}

fn install(dir: &Path, base: &str, action_ref: &str) -> Install {
    let (fakebin, log) = fake_cargo(dir);
    let outputs = dir.join("github-output");
    let _ = std::fs::remove_file(&outputs);
    let _ = std::fs::remove_file(&log);
    let out = Command::new("bash")
        .arg(root().join("scripts/action-install.sh"))
        .env(
            "PATH",
            format!("{}:{}", fakebin.display(), std::env::var("PATH").unwrap()),
        )
        .env("GITHUB_ACTION_REF", action_ref)
        .env("GITHUB_ACTION_PATH", root())
        .env("GITHUB_OUTPUT", &outputs)
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("NHISCAN_INSTALL_DIR", dir.join("install"))
        .env("NHISCAN_RELEASE_BASE_URL", base)
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap();
    Install {
        code: out.status.code().unwrap_or(-1),
        outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        cargo_args: std::fs::read_to_string(&log).ok(),
    }
}

fn tools_present() -> bool {
    let missing: Vec<_> = ["curl", "tar", "sha256sum"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if !missing.is_empty() {
        // CI installs them: there a missing tool is a failure, not a skip.
        assert!(
            std::env::var_os("NHISCAN_REQUIRE_TOOLS").is_none(),
            "the install step needs {missing:?}"
        );
        common::skipped(&format!(
            "the install step needs {missing:?}, not installed here"
        ));
    }
    missing.is_empty()
}

#[test]
fn good_release_asset_is_verified_installed_and_cached() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    release(dir.path());
    let base = serve(dir.path().to_path_buf());
    let r = install(dir.path(), &base, &format!("v{VERSION}"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("matches SHA256SUMS"), "{}", r.stderr);
    assert!(r.cargo_args.is_none(), "no source build for a good release");
    let bin = dir.path().join("install/bin/nhiscan");
    assert_eq!(r.outputs, format!("bin={}\n", bin.display()));
    let v = Command::new(&bin).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&v.stdout),
        format!("nhiscan {VERSION}\n")
    );

    // A second run downloads and verifies again: a cache entry proves nothing.
    let again = install(dir.path(), &base, &format!("v{VERSION}"));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("matches SHA256SUMS"),
        "{}",
        again.stderr
    );
    assert!(!again.stderr.contains("from the cache"), "{}", again.stderr);
}

#[test]
fn tampered_binary_is_refused_without_a_fallback() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rel = release(dir.path());
    // Replace the archive after its checksum was recorded.
    let asset = rel.join(format!("nhiscan-{VERSION}-{TRIPLE}.tar.gz"));
    let mut bytes = std::fs::read(&asset).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0x55;
    std::fs::write(&asset, bytes).unwrap();
    let base = serve(dir.path().to_path_buf());
    let r = install(dir.path(), &base, &format!("v{VERSION}"));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("checksum mismatch"), "{}", r.stderr);
    assert!(
        r.cargo_args.is_none(),
        "tampering must not fall back to a build"
    );
    assert!(r.outputs.is_empty());
    assert!(!dir.path().join("install/bin/nhiscan").exists());
}

#[test]
fn tampered_or_incomplete_checksum_file_is_refused() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rel = release(dir.path());
    let sums = rel.join("SHA256SUMS");
    let text = std::fs::read_to_string(&sums).unwrap();
    // One changed digit in the listed checksum.
    let flipped = if text.starts_with('0') { "1" } else { "0" };
    std::fs::write(&sums, format!("{flipped}{}", &text[1..])).unwrap();
    let base = serve(dir.path().to_path_buf());
    let r = install(dir.path(), &base, &format!("v{VERSION}"));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("checksum mismatch"), "{}", r.stderr);
    assert!(r.cargo_args.is_none());

    // A checksum file that does not list the asset at all.
    let other: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    std::fs::write(&sums, other).unwrap();
    let r = install(dir.path(), &base, &format!("v{VERSION}"));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("not listed"), "{}", r.stderr);
    assert!(r.cargo_args.is_none());
}

#[test]
fn missing_asset_or_commit_pin_builds_from_source() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rel = release(dir.path());
    std::fs::remove_file(rel.join(format!("nhiscan-{VERSION}-{TRIPLE}.tar.gz"))).unwrap();
    let base = serve(dir.path().to_path_buf());
    let r = install(dir.path(), &base, &format!("v{VERSION}"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("has no nhiscan-"), "{}", r.stderr);
    let args = r.cargo_args.expect("cargo install ran");
    let install_dir = dir.path().join("install");
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        [
            "install",
            "--locked",
            "--root",
            install_dir.to_str().unwrap(),
            "--path",
            root().to_str().unwrap(),
        ]
    );
    assert_eq!(
        r.outputs,
        format!("bin={}\n", install_dir.join("bin/nhiscan").display())
    );

    // A commit pin has no release: straight to the source build, no download.
    let dir = tempfile::tempdir().unwrap();
    let r = install(
        dir.path(),
        "http://127.0.0.1:9/unused",
        "0123456789abcdef0123456789abcdef01234567",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("not a release tag"), "{}", r.stderr);
    assert!(r.cargo_args.is_some());
    // The next run of the same commit pin finds its build in the cache folder.
    let again = install(
        dir.path(),
        "http://127.0.0.1:9/unused",
        "0123456789abcdef0123456789abcdef01234567",
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("from the cache"), "{}", again.stderr);
    assert!(again.cargo_args.is_none(), "no second build");
}

#[test]
fn plain_http_is_refused_except_on_loopback() {
    for base in [
        "http://downloads.example.com/releases",
        "http://127.0.0.1:1@downloads.example.com/releases",
        "http://localhost.example.com/releases",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let r = install(dir.path(), base, &format!("v{VERSION}"));
        assert_eq!(r.code, 1, "{base}");
        assert!(r.stderr.contains("must be https"), "{}", r.stderr);
        assert!(r.cargo_args.is_none());
    }
}
