//! The real OpenID provider the audit and validation tests run against: the
//! npm package `oidc-provider` (tests/oidc/server.mjs, installed by `npm ci`
//! in .ci/run), on 127.0.0.1 over HTTPS with the leaf certificate the test
//! wrote as `leaf.pem`/`leaf-key.pem` in `dir`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running provider; stopped (killed and waited for) when dropped.
pub struct Provider {
    child: Child,
    pub port: u16,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn oidc_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc"))
}

/// Start `server.mjs` with `args` after the certificate paths. None (with a
/// visible skip) when the npm package is not installed and CI does not
/// require it (`NHISCAN_REQUIRE_OIDC`).
pub fn start(dir: &Path, args: &[&str]) -> Option<Provider> {
    if !oidc_dir().join("node_modules/oidc-provider").exists() {
        assert!(
            std::env::var_os("NHISCAN_REQUIRE_OIDC").is_none(),
            "oidc-provider is not installed: run `npm ci` in tests/oidc"
        );
        super::skipped(
            "the npm package oidc-provider is not installed (`npm ci` in tests/oidc; .ci/run does it)",
        );
        return None;
    }
    let child = Command::new("node")
        .arg(oidc_dir().join("server.mjs"))
        .arg(dir.join("leaf.pem"))
        .arg(dir.join("leaf-key.pem"))
        .args(args)
        .current_dir(oidc_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run node");
    // Owned by Provider at once, so it is killed and waited for on every path.
    let mut provider = Provider { child, port: 0 };
    let mut line = String::new();
    BufReader::new(provider.child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    provider.port = line
        .trim()
        .strip_prefix("LISTENING ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("provider did not start: {line:?}"));
    Some(provider)
}
