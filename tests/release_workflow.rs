//! The release workflow and the Action hold to what they promise: every
//! action pinned by a full commit id, no workflow-wide permissions, each job's
//! permissions stated, the five release targets built, SHA256SUMS and
//! provenance produced; and nhiscan's own CI rules find nothing in them.
//! (zizmor and hadolint run on them in .ci/run.)
mod common;

use common::*;
use serde_yaml_ng::Value;

fn workflow() -> Value {
    let p = fixture("../.github/workflows/release.yml");
    serde_yaml_ng::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Every `uses:` value anywhere under `v`.
fn uses(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Mapping(m) => {
            for (k, x) in m {
                if k.as_str() == Some("uses") {
                    out.push(x.as_str().unwrap_or_default().to_string());
                }
                uses(x, out);
            }
        }
        Value::Sequence(s) => s.iter().for_each(|x| uses(x, out)),
        _ => {}
    }
}

#[test]
fn every_action_is_pinned_by_commit() {
    let mut all = Vec::new();
    uses(&workflow(), &mut all);
    let action: Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(fixture("../action.yml")).unwrap(),
    )
    .unwrap();
    uses(&action, &mut all);
    assert!(all.len() >= 8, "{all:?}");
    for u in all {
        let pin = u.rsplit_once('@').map(|(_, p)| p).unwrap_or("");
        assert!(
            pin.len() == 40 && pin.bytes().all(|b| b.is_ascii_hexdigit()),
            "not pinned by commit: {u}"
        );
    }
}

#[test]
fn permissions_are_per_job_and_least() {
    let w = workflow();
    assert_eq!(
        w["permissions"],
        Value::Mapping(Default::default()),
        "no workflow-wide permissions"
    );
    let jobs = w["jobs"].as_mapping().unwrap();
    for (name, job) in jobs {
        let perms = job["permissions"]
            .as_mapping()
            .unwrap_or_else(|| panic!("job {name:?} states no permissions"));
        for (scope, level) in perms {
            let scope = scope.as_str().unwrap();
            // Writes only where the job publishes something.
            if level.as_str() == Some("write") {
                assert!(
                    matches!(
                        (name.as_str().unwrap(), scope),
                        ("github-release", "contents" | "id-token" | "attestations")
                            | ("pypi", "id-token")
                            | ("container", "packages" | "id-token" | "attestations")
                    ),
                    "{name:?} writes {scope}"
                );
            }
        }
    }
}

#[test]
fn five_targets_checksums_and_provenance() {
    let w = workflow();
    let targets: Vec<&str> = w["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            "x86_64-unknown-linux-musl",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "aarch64-apple-darwin",
            "x86_64-pc-windows-msvc"
        ]
    );
    let text = std::fs::read_to_string(fixture("../.github/workflows/release.yml")).unwrap();
    assert!(text.contains("sha256sum -- * > SHA256SUMS"));
    assert!(text.contains("actions/attest-build-provenance@"));
    // Tag pushes only.
    assert!(w["on"]["push"]["tags"].is_sequence());
    assert!(w["on"]["push"]["branches"].is_null());
}

#[test]
fn nhiscan_finds_nothing_in_its_own_release_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let r = run_in(
        root,
        &["scan", ".github", "action.yml", "Dockerfile", "pyproject.toml", "-q"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}
