//! Benchmark server for `nhiscan audit` (run through bench/audit.sh): serves N
//! authorization servers (`/t0` … `/t{N-1}`, each with metadata and a JWKS)
//! over HTTPS on 127.0.0.1 with a CA made at start, writes a targets file
//! and the CA into DIR, prints `READY`, and serves until stdin closes.
//!
//! Usage: audit_bench DIR [N]

#[path = "../tests/audit/server.rs"]
mod server;
#[path = "../tests/audit/tls.rs"]
mod tls;

use std::io::Read;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: audit_bench DIR [N]"));
    let n: usize = args.next().map_or(1000, |s| s.parse().expect("N"));
    let ca = tls::Ca::new("nhiscan bench CA");
    ca.write(&dir);
    let srv = server::start(&ca.leaf(&["127.0.0.1"]), false);
    let targets: String = (0..n).map(|i| format!("{}/t{i}\n", srv.base())).collect();
    std::fs::write(dir.join("targets.txt"), targets).unwrap();
    println!("READY {}", srv.port);
    // Serve until the driver closes our stdin.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}
