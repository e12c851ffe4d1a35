//! Code checks (rules NHI210–211, NHI301–304) over fixtures/code: every
//! finding is announced in its fixture by an `expect: NHIxxx` comment on the
//! line it starts on, and nothing else is found. Prints precision and recall
//! per family (B minting, C validation) and language.
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::*;

type Key = (String, u32, String); // path, line, rule

fn expected(root: &Path) -> BTreeSet<Key> {
    let mut out = BTreeSet::new();
    for entry in walk(root) {
        let rel = entry
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&entry).unwrap();
        for (n, line) in text.lines().enumerate() {
            let Some(pos) = line.find("expect: ") else {
                continue;
            };
            for id in line[pos + 8..].split_whitespace() {
                if id.starts_with("NHI") {
                    out.insert((rel.clone(), n as u32 + 1, id.to_string()));
                }
            }
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn family(rule: &str) -> &'static str {
    if rule.starts_with("NHI21") {
        "B minting"
    } else {
        "C validation"
    }
}

#[test]
fn fixtures_raise_exactly_the_expected_rules_and_lines() {
    let root = fixture("code");
    let r = run_in(
        &root,
        &["scan", ".", "--format", "json", "--fail-on", "none"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = json(&r.stdout);
    let mut actual = BTreeSet::new();
    for f in doc["findings"].as_array().unwrap() {
        let rule = f["rule_id"].as_str().unwrap().to_string();
        if !(rule.starts_with("NHI21") || rule.starts_with("NHI30")) {
            continue;
        }
        let path = f["location"]["path"].as_str().unwrap().to_string();
        let line = f["location"]["region"]["startLine"].as_u64().unwrap() as u32;
        actual.insert((path, line, rule));
    }
    let want = expected(&root);
    assert!(!want.is_empty());

    // (family, language) → (tp, fp, fn)
    let mut table: BTreeMap<(&str, String), (u32, u32, u32)> = BTreeMap::new();
    let lang = |p: &str| p.split('/').next().unwrap_or("").to_string();
    for k in want.union(&actual) {
        let e = table.entry((family(&k.2), lang(&k.0))).or_default();
        match (want.contains(k), actual.contains(k)) {
            (true, true) => e.0 += 1,
            (false, true) => e.1 += 1,
            (true, false) => e.2 += 1,
            _ => {}
        }
    }
    println!("family        language    tp fp fn precision recall");
    for ((fam, l), (tp, fp, fneg)) in &table {
        let p = *tp as f64 / (*tp + *fp).max(1) as f64;
        let rc = *tp as f64 / (*tp + *fneg).max(1) as f64;
        println!("{fam:<13} {l:<11} {tp:>2} {fp:>2} {fneg:>2} {p:>9.2} {rc:>6.2}");
    }
    let missing: Vec<_> = want.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nunexpected: {extra:#?}"
    );
}

#[test]
fn findings_carry_language_and_lifetime() {
    let root = fixture("code");
    let r = run_in(
        &root,
        &["scan", "go", "--format", "json", "--fail-on", "none"],
    );
    let doc = json(&r.stdout);
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "NHI210" && f["location"]["region"]["startLine"] == 20)
        .expect("the 24 h ExpiresAt finding");
    assert_eq!(f["severity"], "high");
    assert_eq!(f["properties"]["lifetime_seconds"], 86400);
    assert_eq!(f["properties"]["language"], "go");
}

#[test]
fn max_assertion_lifetime_flag_moves_the_threshold() {
    let root = fixture("code");
    let count = |args: &[&str]| {
        let mut a = vec!["scan", "python", "--format", "json", "--fail-on", "none"];
        a.extend_from_slice(args);
        let doc = json(&run_in(&root, &a).stdout);
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == "NHI210")
            .count()
    };
    let default = count(&[]);
    assert!(default >= 3);
    assert!(count(&["--max-assertion-lifetime", "100000"]) < default);
}

#[test]
fn sarif_for_the_code_fixtures_is_valid() {
    scan_to_checked_sarif(&fixture("code"), &[], 1);
}
