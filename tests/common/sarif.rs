//! SARIF checks the test suite runs on every log nhiscan writes, with nothing
//! beyond the repository: the official SARIF 2.1.0 schema (tests/sarif/, see
//! its README for the source) and the rules GitHub code scanning applies when
//! it ingests an upload, written here from GitHub's documentation. With a
//! repository folder, also that every location is a real line of a real file.

use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

/// GitHub's documented limits for one upload.
const MAX_RUNS: usize = 20;
const MAX_RESULTS_PER_RUN: usize = 25_000;
const MAX_RULES_PER_RUN: usize = 25_000;
const MAX_LOCATIONS_PER_RESULT: usize = 1_000;

fn schema_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/sarif/sarif-schema-2.1.0.json"
        );
        let text = std::fs::read_to_string(path).expect("read the SARIF schema");
        let mut schema: Value = serde_json::from_str(&text).expect("the SARIF schema is JSON");
        // The published schema's `language` patterns (run and toolComponent)
        // have a lone `]`, which ECMAScript's unicode mode and this
        // validator's meta-check of `format: regex` reject: a known defect of
        // the published file (sarif-spec pull request 562). Escape it in
        // memory so it means what lenient readers take it to mean, an
        // optional literal `]`; the file stays byte for byte as published.
        let fixed = escape_lone_bracket(&mut schema);
        assert_eq!(
            fixed, 2,
            "the schema file changed: revisit the in-memory fix"
        );
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles")
    })
}

const LANGUAGE_PATTERN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";

fn escape_lone_bracket(v: &mut Value) -> usize {
    match v {
        Value::String(s) if s == LANGUAGE_PATTERN => {
            *s = LANGUAGE_PATTERN.replace("]?$", r"\]?$");
            1
        }
        Value::Array(a) => a.iter_mut().map(escape_lone_bracket).sum(),
        Value::Object(m) => m.values_mut().map(escape_lone_bracket).sum(),
        _ => 0,
    }
}

/// Every problem found in `log`, one sentence each; empty when it passes.
pub fn sarif_problems(log: &Value, repo: Option<&Path>) -> Vec<String> {
    let mut p = Vec::new();
    for e in schema_validator().iter_errors(log).take(50) {
        p.push(format!("schema: {}: {e}", e.instance_path()));
    }
    p.extend(ingestion_problems(log, repo));
    p
}

/// Assert `sarif` (a file) passes the schema and the ingestion rules.
pub fn assert_sarif_valid(sarif: &Path, repo: Option<&Path>) {
    let text =
        std::fs::read_to_string(sarif).unwrap_or_else(|e| panic!("read {}: {e}", sarif.display()));
    let log: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON ({e}):\n{text}", sarif.display()));
    let problems = sarif_problems(&log, repo);
    assert!(
        problems.is_empty(),
        "{} fails SARIF checks:\n{}",
        sarif.display(),
        problems.join("\n")
    );
}

fn text_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)?
        .get("text")?
        .as_str()
        .filter(|s| !s.trim().is_empty())
}

/// The ingestion rules alone (no schema): what code scanning would reject.
pub fn ingestion_problems(log: &Value, repo: Option<&Path>) -> Vec<String> {
    let mut p = Vec::new();
    for key in ["$schema", "version", "runs"] {
        if log.get(key).is_none() {
            p.push(format!("top-level {key} missing"));
        }
    }
    if log["version"] != "2.1.0" {
        p.push(format!(
            "version is {} (code scanning takes 2.1.0)",
            log["version"]
        ));
    }
    let empty = Vec::new();
    let runs = log["runs"].as_array().unwrap_or(&empty);
    if runs.len() > MAX_RUNS {
        p.push(format!(
            "{} runs (code scanning takes {MAX_RUNS})",
            runs.len()
        ));
    }
    for (ri, run) in runs.iter().enumerate() {
        check_run(ri, run, repo, &mut p);
    }
    p
}

fn check_run(ri: usize, run: &Value, repo: Option<&Path>, p: &mut Vec<String>) {
    let driver = &run["tool"]["driver"];
    if driver["name"].as_str().is_none_or(str::is_empty) {
        p.push(format!("run {ri}: tool.driver.name missing"));
    }
    let empty = Vec::new();
    let Some(rules) = limited_array(&driver["rules"], ri, "rules", MAX_RULES_PER_RUN, p) else {
        return;
    };
    let mut ids = HashSet::new();
    for rule in rules {
        let id = rule["id"].as_str().unwrap_or("");
        if id.is_empty() {
            p.push(format!("run {ri}: a rule has no id"));
        } else if !ids.insert(id) {
            p.push(format!("run {ri}: rule id {id} appears twice"));
        }
        if rule["name"].as_str() == Some(id) {
            p.push(format!("rule {id}: name equals id"));
        }
        for k in ["shortDescription", "fullDescription", "help"] {
            if text_of(rule, k).is_none() {
                p.push(format!("rule {id}: {k}.text missing or empty"));
            }
        }
        if let Some(sev) = rule["properties"].get("security-severity") {
            let ok = sev
                .as_str()
                .and_then(|s| s.parse::<f64>().ok())
                .is_some_and(|f| f > 0.0 && f <= 10.0);
            if !ok {
                p.push(format!(
                    "rule {id}: security-severity {sev} is not a number string in (0, 10]"
                ));
            }
        }
    }
    let Some(results) = limited_array(&run["results"], ri, "results", MAX_RESULTS_PER_RUN, p)
    else {
        return;
    };
    let mut lines = LineCache::default();
    for (i, r) in results.iter().enumerate() {
        let rule_id = r["ruleId"].as_str().unwrap_or("");
        let at = format!("run {ri} result {i} ({rule_id})");
        if !ids.contains(rule_id) {
            p.push(format!("{at}: ruleId is not among tool.driver.rules"));
        }
        if let Some(idx) = r.get("ruleIndex") {
            let named = idx
                .as_u64()
                .and_then(|n| rules.get(n as usize))
                .and_then(|rule| rule["id"].as_str());
            if named != Some(rule_id) {
                p.push(format!(
                    "{at}: ruleIndex {idx} does not name rule {rule_id}"
                ));
            }
        }
        if text_of(r, "message").is_none() {
            p.push(format!("{at}: message.text missing or empty"));
        }
        let locs = r["locations"].as_array().unwrap_or(&empty);
        if locs.is_empty() {
            p.push(format!("{at}: no locations"));
        }
        if locs.len() > MAX_LOCATIONS_PER_RESULT {
            p.push(format!(
                "{at}: {} locations (max {MAX_LOCATIONS_PER_RESULT})",
                locs.len()
            ));
        }
        for (li, loc) in locs.iter().enumerate() {
            check_location(&format!("{at} location {li}"), loc, repo, &mut lines, p);
        }
        let related = r["relatedLocations"].as_array().unwrap_or(&empty);
        for (li, loc) in related.iter().enumerate() {
            check_location(&format!("{at} related {li}"), loc, repo, &mut lines, p);
        }
        let fingerprints = r["partialFingerprints"].as_object();
        let filled = fingerprints.is_some_and(|m| {
            !m.is_empty()
                && m.values()
                    .all(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        });
        if !filled {
            p.push(format!("{at}: partialFingerprints missing or empty"));
        }
    }
}

/// The array `v` of run `ri` (`what`: rules, results), noting when it is
/// missing or longer than code scanning takes.
fn limited_array<'a>(
    v: &'a Value,
    ri: usize,
    what: &str,
    max: usize,
    p: &mut Vec<String>,
) -> Option<&'a Vec<Value>> {
    let Some(a) = v.as_array() else {
        p.push(format!("run {ri}: {what} missing"));
        return None;
    };
    if a.len() > max {
        p.push(format!("run {ri}: {} {what} (max {max})", a.len()));
    }
    Some(a)
}

/// A URI code scanning resolves against the repository: relative, no scheme
/// (`https:`, `file:` …), no absolute path, no `..` segment.
fn uri_problem(uri: &str) -> Option<String> {
    if uri.is_empty() {
        return Some("artifactLocation.uri is empty".into());
    }
    let before_slash = uri.split('/').next().unwrap_or("");
    if let Some((scheme, _)) = before_slash.split_once(':') {
        return Some(format!("uri {uri:?} has a scheme ({scheme}:); code scanning needs a path relative to the repository"));
    }
    if uri.starts_with('/') || uri.starts_with('\\') {
        return Some(format!("uri {uri:?} is absolute"));
    }
    if uri.split('/').any(|seg| seg == "..") {
        return Some(format!("uri {uri:?} has a '..' segment"));
    }
    None
}

fn check_location(
    at: &str,
    loc: &Value,
    repo: Option<&Path>,
    lines: &mut LineCache,
    p: &mut Vec<String>,
) {
    let Some(pl) = loc.get("physicalLocation") else {
        p.push(format!("{at}: no physicalLocation"));
        return;
    };
    let Some(uri) = pl["artifactLocation"]["uri"].as_str() else {
        p.push(format!("{at}: no artifactLocation.uri"));
        return;
    };
    if let Some(problem) = uri_problem(uri) {
        p.push(format!("{at}: {problem}"));
        return;
    }
    let region = &pl["region"];
    let field = |k: &str| region.get(k).map(|v| v.as_u64().filter(|&n| n >= 1));
    let Some(Some(start_line)) = field("startLine") else {
        p.push(format!("{at}: region.startLine missing or below 1"));
        return;
    };
    let mut bad_field = false;
    for k in ["startColumn", "endLine", "endColumn"] {
        if let Some(None) = field(k) {
            p.push(format!("{at}: region.{k} is not a number >= 1"));
            bad_field = true;
        }
    }
    if bad_field {
        return;
    }
    let start_col = field("startColumn").flatten().unwrap_or(1);
    let end_line = field("endLine").flatten().unwrap_or(start_line);
    let end_col = field("endColumn").flatten();
    if (end_line, end_col.unwrap_or(u64::MAX)) < (start_line, start_col) {
        p.push(format!("{at}: region ends before it starts"));
    }
    let Some(repo) = repo else { return };
    let path = repo.join(percent_decode(uri));
    let Some(file) = lines.get(&path) else {
        p.push(format!(
            "{at}: {uri} is not a file under {}",
            repo.display()
        ));
        return;
    };
    for line in [start_line, end_line] {
        if line as usize > file.lines.max(1) {
            p.push(format!(
                "{at}: line {line} is beyond the end of {uri} ({} lines)",
                file.lines
            ));
            return;
        }
    }
    // Columns count Unicode code points (the run's columnKind); checkable
    // only where the file is UTF-8. A column may point just past the line.
    if let Some(widths) = &file.widths {
        let width = |line: u64| widths.get(line as usize - 1).copied().unwrap_or(0) as u64;
        if start_col > width(start_line) + 1 {
            p.push(format!(
                "{at}: startColumn {start_col} is beyond line {start_line} of {uri}"
            ));
        }
        if let Some(c) = end_col {
            if c > width(end_line) + 1 {
                p.push(format!(
                    "{at}: endColumn {c} is beyond line {end_line} of {uri}"
                ));
            }
        }
    }
}

fn percent_decode(uri: &str) -> String {
    let b = uri.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Line counts (and, for UTF-8 files, line widths in code points) of the
/// files the locations name, read once each.
#[derive(Default)]
struct LineCache(std::collections::HashMap<std::path::PathBuf, Option<FileLines>>);

struct FileLines {
    lines: usize,
    widths: Option<Vec<usize>>,
}

impl LineCache {
    fn get(&mut self, path: &Path) -> Option<&FileLines> {
        self.0
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                if !path.is_file() {
                    return None;
                }
                let bytes = std::fs::read(path).ok()?;
                // Lines end at '\n'; a last line without one still counts.
                let lines = bytes.split(|&c| c == b'\n').count()
                    - usize::from(bytes.is_empty() || bytes.ends_with(b"\n"));
                let widths = std::str::from_utf8(&bytes)
                    .ok()
                    .map(|s| s.split('\n').map(|l| l.chars().count()).collect());
                Some(FileLines { lines, widths })
            })
            .as_ref()
    }
}
