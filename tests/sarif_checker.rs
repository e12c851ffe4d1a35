//! The SARIF checker in tests/common/sarif.rs checks what it claims: a real
//! nhiscan log passes, and each schema or ingestion-rule break in it is
//! reported. Without this a checker that found nothing would pass everything.
mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::sarif::{ingestion_problems, sarif_problems};
use common::*;
use serde_json::{json, Value};

/// A real log: the smoke fixture scanned to SARIF (it has findings with
/// related locations), with the fixture folder to check locations against.
fn real_log() -> (Value, std::path::PathBuf) {
    static LOG: OnceLock<Value> = OnceLock::new();
    let dir = fixture("smoke");
    let log =
        LOG.get_or_init(|| serde_json::from_str(&scan_to_checked_sarif(&dir, &[], 1)).unwrap());
    (log.clone(), dir)
}

/// Apply `change` to a copy of the real log and return what the checker says.
fn problems_after(change: impl FnOnce(&mut Value)) -> String {
    let (mut log, dir) = real_log();
    change(&mut log);
    sarif_problems(&log, Some(&dir)).join("\n")
}

fn result0(log: &mut Value) -> &mut Value {
    &mut log["runs"][0]["results"][0]
}

fn set_uri(log: &mut Value, uri: &str) {
    result0(log)["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = json!(uri);
}

fn region0(log: &mut Value) -> &mut Value {
    &mut result0(log)["locations"][0]["physicalLocation"]["region"]
}

fn rule0(log: &mut Value) -> &mut Value {
    &mut log["runs"][0]["tool"]["driver"]["rules"][0]
}

#[test]
fn a_real_log_has_no_problem_and_has_results_to_break() {
    let (log, dir) = real_log();
    assert_eq!(sarif_problems(&log, Some(&dir)), Vec::<String>::new());
    assert!(!log["runs"][0]["results"].as_array().unwrap().is_empty());
    assert!(result0(&mut log.clone())["relatedLocations"][0].is_object());
}

#[test]
fn the_schema_is_enforced() {
    let p = problems_after(|l| l["runs"][0]["bogus"] = json!(1));
    assert!(p.contains("schema: /runs/0"), "{p}");
    let p = problems_after(|l| result0(l)["level"] = json!("fatal"));
    assert!(p.contains("schema: /runs/0/results/0/level"), "{p}");
    // Formats are checked too: a uri-reference cannot hold a raw space.
    let p = problems_after(|l| set_uri(l, "a b.env"));
    assert!(p.contains("schema: /runs/0/results/0/locations/0"), "{p}");
}

#[test]
fn uris_must_be_relative_paths_in_the_repository() {
    for (uri, says) in [
        ("https://example.com/.env", "has a scheme (https:)"),
        ("file:///work/.env", "has a scheme (file:)"),
        ("/etc/passwd", "is absolute"),
        ("../outside.env", "'..' segment"),
    ] {
        let p = problems_after(|l| set_uri(l, uri));
        assert!(p.contains(says), "{uri}: {p}");
    }
    let p = problems_after(|l| {
        result0(l)["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
            json!("https://example.com/x");
    });
    assert!(p.contains("related 0: uri"), "{p}");
}

#[test]
fn regions_must_start_at_line_one_or_later_and_lie_in_the_file() {
    let p = problems_after(|l| region0(l)["startLine"] = json!(0));
    assert!(p.contains("region.startLine missing or below 1"), "{p}");
    let p = problems_after(|l| region0(l)["startColumn"] = json!(0));
    assert!(p.contains("region.startColumn is not a number >= 1"), "{p}");
    let p = problems_after(|l| region0(l)["startLine"] = json!(100_000));
    assert!(p.contains("is beyond the end of"), "{p}");
    let p = problems_after(|l| {
        region0(l)["startColumn"] = json!(10_000);
        region0(l)["endColumn"] = json!(10_001);
    });
    assert!(p.contains("startColumn 10000 is beyond line"), "{p}");
    let p = problems_after(|l| {
        let r = region0(l);
        r["endLine"] = r["startLine"].clone();
        r["endColumn"] = json!(1);
        r["startColumn"] = json!(5);
    });
    assert!(p.contains("region ends before it starts"), "{p}");
    let p = problems_after(|l| set_uri(l, "no-such-file.env"));
    assert!(p.contains("no-such-file.env is not a file under"), "{p}");
}

#[test]
fn results_need_a_known_rule_a_message_a_location_and_fingerprints() {
    let p = problems_after(|l| result0(l)["ruleId"] = json!("NHI000"));
    assert!(p.contains("ruleId is not among tool.driver.rules"), "{p}");
    assert!(p.contains("does not name rule NHI000"), "{p}");
    let p = problems_after(|l| result0(l)["message"]["text"] = json!(""));
    assert!(p.contains("message.text missing or empty"), "{p}");
    let p = problems_after(|l| result0(l)["locations"] = json!([]));
    assert!(p.contains("no locations"), "{p}");
    let p = problems_after(|l| {
        result0(l)
            .as_object_mut()
            .unwrap()
            .remove("partialFingerprints");
    });
    assert!(p.contains("partialFingerprints missing"), "{p}");
    let p = problems_after(|l| {
        let locs = vec![result0(l)["locations"][0].clone(); 1001];
        result0(l)["locations"] = Value::from(locs);
    });
    assert!(p.contains("1001 locations (max 1000)"), "{p}");
}

#[test]
fn rules_need_descriptions_help_unique_ids_and_a_valid_severity() {
    for key in ["shortDescription", "fullDescription", "help"] {
        let p = problems_after(|l| {
            rule0(l).as_object_mut().unwrap().remove(key);
        });
        assert!(p.contains(&format!("{key}.text missing")), "{key}: {p}");
    }
    let p = problems_after(|l| {
        let rules = l["runs"][0]["tool"]["driver"]["rules"]
            .as_array_mut()
            .unwrap();
        rules.push(rules[0].clone());
    });
    assert!(p.contains("appears twice"), "{p}");
    let p = problems_after(|l| {
        let r = rule0(l);
        r["name"] = r["id"].clone();
    });
    assert!(p.contains("name equals id"), "{p}");
    for sev in [json!("0"), json!("11"), json!(5.0), json!("high")] {
        let p = problems_after(|l| {
            rule0(l)["properties"]["security-severity"] = sev.clone();
        });
        assert!(p.contains("security-severity"), "{sev}: {p}");
    }
}

#[test]
fn upload_limits_are_enforced() {
    // The schema pass over 25,001 results takes seconds in a debug build and
    // is not what these cases test: ingestion rules only.
    let (log, dir) = real_log();
    let problems_after = |change: &dyn Fn(&mut Value)| {
        let mut log = log.clone();
        change(&mut log);
        ingestion_problems(&log, Some(&dir)).join("\n")
    };
    let p = problems_after(&|l| {
        let run = l["runs"][0].clone();
        l["runs"] = Value::from(vec![run; 21]);
    });
    assert!(p.contains("21 runs (code scanning takes 20)"), "{p}");
    let p = problems_after(&|l| {
        let r = result0(l).clone();
        l["runs"][0]["results"] = Value::from(vec![r; 25_001]);
    });
    assert!(p.contains("25001 results (max 25000)"), "{p}");
    let p = problems_after(&|l| l["version"] = json!("2.0.0"));
    assert!(p.contains("code scanning takes 2.1.0"), "{p}");
}

#[test]
fn the_schema_file_is_the_published_one() {
    // tests/sarif/README.md names the source and this digest.
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sarif/sarif-schema-2.1.0.json"),
    )
    .unwrap();
    let digest = blake3::hash(&bytes).to_hex().to_string();
    let readme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sarif/README.md"),
    )
    .unwrap();
    assert!(
        readme.contains(&digest),
        "schema digest {digest} is not in tests/sarif/README.md"
    );
}
