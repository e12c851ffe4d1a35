//! The CI-facing formats: GitHub annotations, GitLab's secret-detection
//! report (validated against GitLab's schema), JUnit XML.
mod common;

use common::*;

const GOOGLE_SECRET: &str = "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";
const GENERIC_SECRET: &str = "q8Zr3kLm9TfXv2Wb7HnYp4Qs";

/// A folder with `high` files holding a Google client secret (errors) and
/// `medium` files holding a generic client secret (warnings).
fn corpus(high: usize, medium: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..high {
        std::fs::write(
            dir.path().join(format!("google{i:02}.env")),
            format!("GOOGLE_CLIENT_SECRET={GOOGLE_SECRET}\n"),
        )
        .unwrap();
    }
    for i in 0..medium {
        std::fs::write(
            dir.path().join(format!("generic{i:02}.py")),
            format!("client_secret = \"{GENERIC_SECRET}\"\n"),
        )
        .unwrap();
    }
    dir
}

/// Problems `report` has against GitLab's secret-detection report schema
/// (draft-07, kept in fixtures/gitlab/).
fn gitlab_schema_problems(report: &serde_json::Value) -> Vec<String> {
    let schema = fixture("gitlab/secret-detection-report-format.json");
    let schema = json(&std::fs::read_to_string(schema).unwrap());
    let v = jsonschema::draft7::new(&schema).expect("GitLab's schema compiles");
    v.iter_errors(report)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn github_annotations_are_capped_per_level_with_a_summary() {
    let dir = corpus(12, 12);
    let r = run_in(dir.path(), &["scan", ".", "--format", "github", "-q"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let errors = lines.iter().filter(|l| l.starts_with("::error ")).count();
    let warnings = lines.iter().filter(|l| l.starts_with("::warning ")).count();
    assert_eq!(errors, 10, "{}", r.stdout);
    assert_eq!(warnings, 10, "{}", r.stdout);
    let summary = lines
        .iter()
        .find(|l| l.starts_with("nhiscan: 4 more findings not annotated"))
        .unwrap_or_else(|| panic!("no summary line:\n{}", r.stdout));
    assert!(summary.contains("at most 10"));
    // The findings left out are still listed, indented, never as commands.
    assert_eq!(lines.iter().filter(|l| l.starts_with("  ")).count(), 4);
    assert!(lines
        .iter()
        .all(|l| !l.starts_with("::") || l.contains("::")));
    assert_eq!(lines.last().unwrap(), &"nhiscan: 24 findings in 24 items");
    let first = lines[0];
    assert!(
        first.starts_with(
            "::error file=google00.env,line=1,col=22,endLine=1,endColumn=57,\
             title=NHI101 google-oauth-client-secret (high)::"
        ),
        "{first}"
    );
    // The multi-line message is one command line.
    assert!(first.contains("%0AFix: "), "{first}");
    assert!(!r.stdout.contains(GOOGLE_SECRET) && !r.stdout.contains(GENERIC_SECRET));
}

#[test]
fn github_properties_are_escaped_and_low_severity_is_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("odd,name:100%.py"),
        format!("client_secret = \"{GENERIC_SECRET}\"\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".nhiscan.toml"),
        "[severity]\nNHI199 = 'low'\n",
    )
    .unwrap();
    let r = run_in(dir.path(), &["scan", ".", "--format", "github", "-q"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let first = r.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("::notice file=odd%2Cname%3A100%25.py,line=1,"),
        "{first}"
    );
    assert!(
        first.contains("title=NHI199 generic-oauth-client-secret (low)::"),
        "{first}"
    );
}

#[test]
fn gitlab_report_matches_gitlabs_schema() {
    let dir = corpus(2, 1);
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("gl-secret-detection-report.json");
    let r = common::bin()
        .args(["scan", ".", "--format", "gitlab", "-q", "-o"])
        .arg(&report)
        .current_dir(dir.path())
        .env("CI_COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(1));
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(!text.contains(GOOGLE_SECRET) && !text.contains(GENERIC_SECRET));

    let doc = json(&text);
    assert_eq!(gitlab_schema_problems(&doc), Vec::<String>::new());
    let schema = json(
        &std::fs::read_to_string(fixture("gitlab/secret-detection-report-format.json")).unwrap(),
    );
    assert_eq!(doc["version"], schema["self"]["version"]);

    assert_eq!(doc["scan"]["type"], "secret_detection");
    assert_eq!(doc["scan"]["end_time"], "2023-11-14T22:13:20");
    let v = doc["vulnerabilities"].as_array().unwrap();
    assert_eq!(v.len(), 3);
    let g = v
        .iter()
        .find(|v| v["location"]["file"] == "google00.env")
        .unwrap();
    assert_eq!(g["severity"], "High");
    assert_eq!(g["identifiers"][0]["value"], "NHI101");
    assert_eq!(
        g["location"]["commit"]["sha"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(g["location"]["start_line"], 1);
    // Ids are stable, UUID-shaped and distinct.
    let ids: std::collections::BTreeSet<&str> =
        v.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|id| id.len() == 36));
}

#[test]
fn gitlab_report_without_findings_is_valid_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README"), "nothing to see\n").unwrap();
    let r = run_in(dir.path(), &["scan", ".", "--format", "gitlab"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        gitlab_schema_problems(&json(&r.stdout)),
        Vec::<String>::new()
    );
    // The check has teeth: a report without its required keys fails it.
    assert!(!gitlab_schema_problems(&serde_json::json!({"version": "15.0.0"})).is_empty());
    assert_eq!(json(&r.stdout)["vulnerabilities"], serde_json::json!([]));
}

#[test]
fn gitlab_working_tree_findings_outside_ci_use_gitlabs_placeholder_commit() {
    let out = common::bin()
        .args(["scan", ".", "--format", "gitlab", "-q"])
        .current_dir(fixture("smoke"))
        .env_remove("CI_COMMIT_SHA")
        .output()
        .unwrap();
    let doc = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        doc["vulnerabilities"][0]["location"]["commit"]["sha"],
        "0000000"
    );
}

/// A summary of a JUnit XML report: the root tag and the suite's counts,
/// then one line per case (`classname | name | line | failure type`).
fn parse_junit(xml: &str) -> String {
    let text = std::fs::read_to_string(xml).unwrap();
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("JUnit XML does not parse ({e}):\n{text}"));
    let root = doc.root_element();
    let suite = root
        .children()
        .find(|n| n.has_tag_name("testsuite"))
        .expect("a testsuite element");
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let attr = |n: roxmltree::Node, k: &str| n.attribute(k).unwrap_or("None").to_string();
    let mut out = format!(
        "{} {} {} {} {}\n",
        root.tag_name().name(),
        attr(suite, "tests"),
        attr(suite, "failures"),
        attr(suite, "errors"),
        cases.len()
    );
    for c in cases {
        let failure = c.children().find(|n| n.has_tag_name("failure"));
        out += &format!(
            "{} | {} | {} | {}\n",
            attr(c, "classname"),
            attr(c, "name"),
            attr(c, "line"),
            failure.map_or("-".to_string(), |f| attr(f, "type"))
        );
    }
    out
}

#[test]
fn junit_has_one_failed_case_per_finding_and_escapes_names() {
    let dir = corpus(1, 0);
    std::fs::write(
        dir.path().join("a&b<c>\"d\".py"),
        format!(
            "client_secret = \"{GENERIC_SECRET}\"\nclient_secret = \"Zk3u8Qe1Rm4Tn7Wp2Ys5Vb\"\n"
        ),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let xml = out.path().join("junit.xml");
    let r = run_in(
        dir.path(),
        &[
            "scan",
            ".",
            "--format",
            "junit",
            "-q",
            "-o",
            xml.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let text = std::fs::read_to_string(&xml).unwrap();
    assert!(!text.contains(GOOGLE_SECRET) && !text.contains(GENERIC_SECRET));
    let parsed = parse_junit(xml.to_str().unwrap());
    let mut lines = parsed.lines();
    assert_eq!(lines.next().unwrap(), "testsuites 3 3 0 3");
    let cases: Vec<&str> = lines.collect();
    assert!(
        cases.contains(&"a&b<c>\"d\".py | NHI199 generic-oauth-client-secret | 1 | medium"),
        "{parsed}"
    );
    assert!(
        cases.contains(&"a&b<c>\"d\".py | NHI199 generic-oauth-client-secret #2 | 2 | medium"),
        "{parsed}"
    );
    assert!(
        cases.contains(&"google00.env | NHI101 google-oauth-client-secret | 1 | high"),
        "{parsed}"
    );
}

#[test]
fn junit_without_findings_has_one_passing_case() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README"), "nothing to see\n").unwrap();
    let r = run_in(dir.path(), &["scan", ".", "--format", "junit"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let xml = dir.path().join("out.xml");
    std::fs::write(&xml, &r.stdout).unwrap();
    let parsed = parse_junit(xml.to_str().unwrap());
    assert!(
        parsed.starts_with("testsuites 1 0 0 1\nnhiscan | no findings | None | -"),
        "{parsed}"
    );
}

#[test]
fn no_format_prints_a_raw_secret() {
    let dir = corpus(1, 1);
    for format in ["text", "json", "sarif", "github", "gitlab", "junit"] {
        let r = run_in(dir.path(), &["scan", ".", "--format", format, "-q"]);
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
        assert!(!r.stdout.is_empty(), "{format}");
        for secret in [GOOGLE_SECRET, GENERIC_SECRET, &GOOGLE_SECRET[7..]] {
            assert!(
                !r.stdout.contains(secret) && !r.stderr.contains(secret),
                "{format} printed a secret"
            );
        }
    }
}
