//! Fuzz target bodies, one plain function per target. The `fuzz/` crate
//! (cargo-fuzz, libFuzzer) calls them with generated inputs; `cargo test`
//! replays the committed seeds (`fuzz/seeds/<target>/`) and every past crash
//! input (`fuzz/regressions/<target>/`) through the same functions, so a
//! fixed crash stays fixed without a fuzzer installed.
//!
//! Each body asserts invariants, not only the absence of panics: spans lie
//! inside the input and on character boundaries, every finding lands on a
//! real line and column, every report format renders (JSON and SARIF parse
//! back), and no secret the scanner reported appears whole in any output.
//! A violated invariant panics, which libFuzzer records as a crash.

use std::io::Write as _;
use std::ops::Range;
use std::sync::OnceLock;

use crate::detect::ci::yaml;
use crate::detect::code::lexer::{self, Lang};
use crate::detect::code::query::Code;
use crate::detect::jwt::token;
use crate::detect::{self, jwks, metadata, spanned_json, Engine, Options, Sink};
use crate::finding::{self, Finding, Location};
use crate::item::{Item, LineIndex, Provenance};
use crate::report::{self, Format, Report, Stats};
use crate::rules::Catalogue;

/// A target's body: one input, panics when an invariant breaks.
pub type Body = fn(&[u8]);

/// Every target: its name (the folder under fuzz/seeds and
/// fuzz/regressions, and the fuzz/fuzz_targets file) and its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("engine", engine),
    ("ci_yaml", ci_yaml),
    ("code", code),
    ("jwt", jwt),
    ("spanned_json", spanned_json),
    ("server_documents", server_documents),
    ("config_baseline", config_baseline),
    ("rule_file", rule_file),
];

/// Secrets shorter than this are not searched for in the outputs: the
/// scanner masks every occurrence of a secret only from this length on
/// (shorter ones would mask ordinary words); the matched span itself is
/// always redacted.
const MIN_SECRET_CHECKED: usize = 8;

/// Longest path taken from an engine input's first line.
const MAX_PATH: usize = 256;

/// The embedded catalogue with every detector, built once per process.
fn shared_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let options = Options {
            audit_issuers: true,
            ..Options::default()
        };
        Engine::new(
            Catalogue::embedded().expect("embedded rules load"),
            options,
            detect::registry(),
        )
        .expect("embedded rules compile")
    })
}

/// The whole scanner over one file: the first line of `data` is the path
/// (arbitrary bytes, lossily decoded), the rest its content.
pub fn engine(data: &[u8]) {
    let (path, content) = match memchr::memchr(b'\n', data) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"input.txt"[..], data),
    };
    let path = String::from_utf8_lossy(&path[..path.len().min(MAX_PATH)]).into_owned();
    scan_and_check(shared_engine(), &path, content.to_vec());
}

/// CI files: the YAML model (every node's span) and the CI detectors. The
/// first byte picks the CI system's file name.
pub fn ci_yaml(data: &[u8]) {
    const PATHS: [&str; 7] = [
        ".github/workflows/ci.yml",
        ".github/actions/setup/action.yml",
        ".gitlab-ci.yml",
        ".circleci/config.yml",
        "azure-pipelines.yml",
        "bitbucket-pipelines.yml",
        ".buildkite/pipeline.yml",
    ];
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    if let Ok(src) = std::str::from_utf8(rest) {
        check_yaml(src);
    }
    let path = PATHS[first as usize % PATHS.len()];
    scan_and_check(shared_engine(), path, rest.to_vec());
}

fn check_yaml(src: &str) {
    let Ok(docs) = yaml::parse(src) else { return };
    for doc in &docs {
        for id in 0..doc.node_count() {
            let span = doc.span(id);
            assert_span(src.as_bytes(), &span, "YAML node");
            assert!(
                doc.resolve(id) < doc.node_count(),
                "alias resolves outside the document"
            );
            for item in doc.items(id) {
                assert!(*item < doc.node_count());
            }
            for (k, v) in doc.entries(id) {
                assert!(k < doc.node_count() && v < doc.node_count());
                if let Some(key) = doc.str(k) {
                    // Lookups through aliases and merge keys stay bounded.
                    let _ = doc.get(id, key);
                }
            }
            if let Some(s) = doc.str(id) {
                let len = s.len().min(8);
                let sub = doc.sub_span(src, id, 0..len);
                assert_span(src.as_bytes(), &sub, "YAML sub-span");
            }
        }
        if let Some(root) = doc.root {
            assert!(doc.descendants(root, 10_000).len() <= 10_000);
        }
    }
}

/// Source code: the lexer, bracket pairing and the queries the matchers ask,
/// then the code checks. The first byte picks the language.
pub fn code(data: &[u8]) {
    const PATHS: [&str; 9] = [
        "app.py", "app.js", "main.go", "App.java", "App.kt", "App.cs", "main.rs", "app.rb",
        "app.php",
    ];
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let path = PATHS[first as usize % PATHS.len()];
    if let (Ok(src), Some(lang)) = (std::str::from_utf8(rest), Lang::of_path(path)) {
        check_code(src, lang);
    }
    scan_and_check(shared_engine(), path, rest.to_vec());
}

fn check_code(src: &str, lang: Lang) {
    let toks = lexer::lex(src, lang);
    let mut last_end = 0;
    for t in &toks {
        assert!(t.start < t.end, "empty token at {}", t.start);
        assert!(t.start >= last_end, "tokens overlap at {}", t.start);
        last_end = t.end;
        assert_span(src.as_bytes(), &(t.start..t.end), "token");
    }
    let pair = lexer::pair_brackets(src, &toks);
    assert_eq!(pair.len(), toks.len());
    let c = Code::new(src, lang);
    let n = c.len();
    // Queries on the first tokens only: each is linear, so all of them on
    // every token would make one input quadratic.
    for i in 0..n.min(200) {
        let close = c.close(i);
        assert!(close < n.max(1), "bracket pair out of range");
        if c.is_open(i) {
            for a in c.args(i) {
                assert!(
                    a.start > i && a.end <= close.max(i + 1),
                    "argument outside its brackets"
                );
                assert_span(src.as_bytes(), &c.bytes(&a), "argument");
            }
            for (k, v) in c.entries(i) {
                assert!(k < n && v.end <= n);
            }
        }
        let end = c.expr_end(i);
        assert!(end >= i && end <= n);
        let scope = c.fn_scope(i);
        assert!(scope.end <= n);
        let _ = c.str_value(i);
        let _ = c.chain(i);
        if c.is_ident(i) && i < 50 {
            if let Some(v) = c.resolve(c.text(i), i) {
                assert!(v.end <= n);
                assert_span(src.as_bytes(), &c.bytes(&v), "resolved value");
            }
        }
    }
}

/// JWT decoding: every token found lies inside the input, starts a
/// base64url header, and decodes to an `alg`; then the JWT detector.
pub fn jwt(data: &[u8]) {
    for t in token::find(data) {
        assert!(t.span.start < t.span.end && t.span.end <= data.len());
        assert!(
            data[t.span.clone()].starts_with(b"eyJ"),
            "token does not start with eyJ"
        );
        assert!(t.header.get("alg").is_some_and(|a| a.is_string()));
        let _ = (
            t.unsigned(),
            t.time_claim("exp"),
            t.audiences(),
            t.str_claim("iss"),
        );
    }
    scan_and_check(shared_engine(), "tokens.txt", data.to_vec());
}

/// The span-keeping JSON reader against serde_json. It is lenient by
/// design (number-like runs, invalid UTF-8 and lone surrogates in strings
/// are read, not refused), so the comparison runs one way: what serde_json
/// accepts (below the nesting cap) it accepts too, every span holds exactly
/// the value serde_json reads there, and the trees agree. Whatever it
/// accepts, its spans lie inside the input in order.
pub fn spanned_json(data: &[u8]) {
    let body = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let theirs: Result<serde_json::Value, _> = serde_json::from_slice(body);
    let ours = spanned_json::parse(data);
    match (&ours, &theirs) {
        (Some(node), Ok(value)) => {
            check_json_node(data, node, data.len() - body.len(), true);
            assert_eq!(&to_value(data, node), value, "the JSON readers disagree");
        }
        (Some(node), Err(_)) => check_json_node(data, node, data.len() - body.len(), false),
        (None, Ok(_)) if nesting(body) < 100 => {
            panic!("the span-keeping reader rejects a document serde_json accepts")
        }
        _ => {}
    }
    scan_and_check(shared_engine(), "credentials.json", data.to_vec());
}

/// Spans inside the input, keys before their values; with `strict` (serde_json
/// read the document), each span also holds what the node says it holds.
fn check_json_node(data: &[u8], node: &spanned_json::Node, offset: usize, strict: bool) {
    assert_span(data, &node.span, "JSON value");
    assert!(node.span.start >= offset);
    match &node.value {
        spanned_json::Value::Object(members) => {
            for m in members {
                assert_span(data, &m.key_span, "JSON key");
                assert!(m.key_span.start >= node.span.start && m.value.span.end <= node.span.end);
                assert!(m.key_span.end <= m.value.span.start, "key after its value");
                if strict {
                    let key: String = serde_json::from_slice(&data[m.key_span.clone()])
                        .expect("a key span holds a JSON string");
                    assert_eq!(key, m.key, "key span and key differ");
                }
                check_json_node(data, &m.value, offset, strict);
            }
        }
        spanned_json::Value::Array(items) => {
            for i in items {
                assert!(i.span.start >= node.span.start && i.span.end <= node.span.end);
                check_json_node(data, i, offset, strict);
            }
        }
        spanned_json::Value::Str(s) => {
            if strict {
                let read: String = serde_json::from_slice(&data[node.span.clone()])
                    .expect("a string span holds a JSON string");
                assert_eq!(&read, s, "string span and value differ");
            }
        }
        spanned_json::Value::Scalar => {
            if strict {
                let read: serde_json::Value = serde_json::from_slice(&data[node.span.clone()])
                    .expect("a scalar span holds a JSON scalar");
                assert!(!read.is_object() && !read.is_array() && !read.is_string());
            }
        }
    }
}

/// The spanned tree as serde_json would read it (later duplicate keys win).
fn to_value(data: &[u8], node: &spanned_json::Node) -> serde_json::Value {
    use serde_json::Value as V;
    match &node.value {
        spanned_json::Value::Object(members) => {
            let mut m = serde_json::Map::new();
            for mem in members {
                m.insert(mem.key.clone(), to_value(data, &mem.value));
            }
            V::Object(m)
        }
        spanned_json::Value::Array(items) => {
            V::Array(items.iter().map(|i| to_value(data, i)).collect())
        }
        spanned_json::Value::Str(s) => V::String(s.clone()),
        spanned_json::Value::Scalar => {
            serde_json::from_slice(&data[node.span.clone()]).unwrap_or(V::Null)
        }
    }
}

/// Deepest bracket nesting outside strings (a rough count: enough to tell
/// documents near the readers' depth caps).
fn nesting(data: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for &b in data {
        if in_str {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Authorization-server metadata and JWK Sets, as `nhiscan audit` reads
/// them from a server and as a scan finds them in a tree.
pub fn server_documents(data: &[u8]) {
    const URL: &str = "https://issuer.example/.well-known/openid-configuration";
    if let Ok(serde_json::Value::Object(doc)) = serde_json::from_slice(data) {
        for fapi2 in [false, true] {
            for c in metadata::check(&doc, Some(URL), fapi2) {
                assert!(
                    c.rule.starts_with("NHI5"),
                    "metadata check outside NHI5xx: {}",
                    c.rule
                );
            }
        }
        let _ = jwks::check(&doc);
        if let Some(issuer) = doc.get("issuer").and_then(|v| v.as_str()) {
            let _ = metadata::issuer_matches(issuer, "https://issuer.example");
            let _ = metadata::expected_issuer(issuer);
        }
    }
    let engine = shared_engine();
    let remote = Item::new(
        Provenance::Remote {
            url: URL.into(),
            path: "issuers.txt".into(),
            line: 1,
        },
        data.to_vec(),
    );
    let mut sink = Sink::default();
    let ctx = detect::Context {
        catalogue: engine.catalogue(),
        options: engine.options(),
    };
    metadata::audit(&remote, &ctx, &mut sink, true);
    for f in &sink.findings {
        assert_eq!(
            f.location.region.start_line, 1,
            "a fetched document's finding left its line"
        );
    }
    check_outputs(engine.catalogue(), &sink, &[]);
    scan_and_check(engine, ".well-known/openid-configuration", data.to_vec());
    scan_and_check(engine, "jwks.json", data.to_vec());
}

/// `.nhiscan.toml` and baseline files. Whatever the text, loading either
/// returns a value or an error; a loaded configuration applies or is
/// refused cleanly; a baseline round-trips.
pub fn config_baseline(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = crate::config::Config::parse(text) {
        if let Some(size) = &config.max_file_size {
            let _ = crate::config::parse_size(size);
        }
        if let Some(f) = &config.fail_on {
            let _ = crate::gate::parse_fail_on(f);
        }
        let mut catalogue = shared_engine().catalogue().clone();
        let _ = catalogue.disable(&config.disable);
        for (id, severity) in &config.severity {
            let _ = catalogue.set_severity(id, *severity);
        }
    }
    if let Ok(baseline) = crate::gate::Baseline::parse(text) {
        let mut findings = sample_findings();
        let before = findings.len();
        let removed = baseline.filter(&mut findings);
        assert_eq!(before - removed, findings.len());
        let again = crate::gate::Baseline::from_findings(&baseline_as_findings(&baseline));
        let text = serde_json::to_string(&again).expect("a baseline serialises");
        let back = crate::gate::Baseline::parse(&text).expect("a written baseline reads back");
        assert_eq!(back.findings, again.findings);
    }
}

/// A fake Google client secret for the sample findings and the tests.
const FAKE_SECRET: &str = "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"; // nhiscan:ignore (fake, for the fuzz invariants)

/// A few real findings to filter through a fuzzed baseline.
fn sample_findings() -> Vec<Finding> {
    let mut sink = Sink::default();
    let text = format!(
        "GOOGLE_CLIENT_ID=1234567890-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com\n\
         GOOGLE_CLIENT_SECRET={FAKE_SECRET}\n"
    );
    let item = Item::new(
        Provenance::File {
            path: ".env".into(),
        },
        text.into_bytes(),
    );
    shared_engine().scan(&item, &mut sink);
    sink.findings
}

fn baseline_as_findings(b: &crate::gate::Baseline) -> Vec<Finding> {
    let template = sample_findings();
    let Some(t) = template.first() else {
        return Vec::new();
    };
    b.findings
        .iter()
        .map(|e| Finding {
            fingerprint: e.fingerprint.clone(),
            rule_id: e.rule_id.clone(),
            location: Location {
                path: e.path.clone(),
                region: t.location.region,
            },
            ..t.clone()
        })
        .collect()
}

/// A user rule file (`--rules`): it loads or is refused with an error; a
/// loaded one is checked as `nhiscan rules check` does (its examples run
/// through the engine), and its first examples are scanned with every
/// invariant.
pub fn rule_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut catalogue = Catalogue::default();
    if catalogue.add_file("fuzz.yaml", text).is_err() {
        return;
    }
    let _ = crate::rules::check::check(&catalogue);
    let Ok(engine) = Engine::new(catalogue.clone(), Options::default(), detect::registry()) else {
        return;
    };
    // Two examples a rule: `check` above already ran them all through the
    // engine, and each scan here renders six reports.
    for rule in catalogue.rules() {
        for ex in rule.examples.iter().chain(&rule.negative_examples).take(2) {
            scan_and_check(&engine, ex.path(), ex.text().as_bytes().to_vec());
        }
    }
}

/// Scan one file with `engine` and check every invariant on the result.
fn scan_and_check(engine: &Engine, path: &str, data: Vec<u8>) {
    let item = Item::new(
        Provenance::File {
            path: path.to_string(),
        },
        data,
    );
    let mut sink = Sink::default();
    engine.scan(&item, &mut sink);
    engine.finish(&mut sink);
    let index = LineIndex::new(&item.data);
    let secrets = reported_secrets(&item, &index, &sink.findings);
    let shown = shown_path(item.path(), &secrets);
    for f in &sink.findings {
        assert_location(&item, &index, &f.location, &f.rule_id, &shown);
        for r in &f.related {
            assert_location(&item, &index, &r.location, &f.rule_id, &shown);
        }
        assert!(f.fingerprint.starts_with(&format!("{}:", f.rule_id)));
    }
    check_outputs(engine.catalogue(), &sink, &secrets);
}

/// A finding's location is the scanned file, on a line it has, with
/// columns inside that line (characters, one past the end allowed).
/// The file's path with every reported secret in it redacted: a secret is
/// never printed whole, not even as (part of) a file name.
fn shown_path(path: &str, secrets: &[String]) -> String {
    let mut by_length: Vec<&String> = secrets
        .iter()
        .filter(|s| s.len() >= MIN_SECRET_CHECKED)
        .collect();
    by_length.sort_by_key(|s| std::cmp::Reverse(s.len()));
    by_length.iter().fold(path.to_string(), |p, s| {
        p.replace(s.as_str(), &finding::redact(s))
    })
}

fn assert_location(item: &Item, index: &LineIndex, loc: &Location, rule: &str, shown: &str) {
    // The location is the scanned file's path, or that path with reported
    // secrets redacted, or with control characters but tab (and
    // bidirectional overrides) escaped so it cannot forge lines in a log.
    let hostile = |c: char| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    let escaped = shown.chars().any(hostile) && !loc.path.chars().any(hostile);
    assert!(
        loc.path == item.path() || loc.path == shown || escaped,
        "{rule}: finding in another file: {:?} for {:?}",
        loc.path,
        item.path()
    );
    let r = loc.region;
    let lines = index.line_count() as u32;
    assert!(
        r.start_line >= 1 && r.start_line <= lines,
        "{rule}: start line {} of {lines}",
        r.start_line
    );
    assert!(
        r.end_line >= r.start_line && r.end_line <= lines,
        "{rule}: end line {}",
        r.end_line
    );
    assert!(r.start_column >= 1 && r.end_column >= 1, "{rule}: column 0");
    if r.end_line == r.start_line {
        assert!(
            r.end_column >= r.start_column,
            "{rule}: region ends before it starts"
        );
    }
    // One past the line's last character, counted as the scanner counts
    // columns (each invalid UTF-8 sequence is one character).
    let width = |line: u32| -> u32 {
        let bytes = index.line(&item.data, line);
        let chars: usize = bytes
            .utf8_chunks()
            .map(|c| c.valid().chars().count() + usize::from(!c.invalid().is_empty()))
            .sum();
        chars as u32 + 1
    };
    assert!(
        r.start_column <= width(r.start_line),
        "{rule}: start column {} past line {}",
        r.start_column,
        r.start_line
    );
    assert!(
        r.end_column <= width(r.end_line),
        "{rule}: end column {} past line {}",
        r.end_column,
        r.end_line
    );
}

/// The secrets behind the findings, recovered without trusting the report:
/// a window of the finding's lines whose keyed hash gives the finding's
/// fingerprint is the secret it hashed. Findings whose fingerprint is not
/// over a span of the item (code, metadata) have none.
fn reported_secrets(item: &Item, index: &LineIndex, findings: &[Finding]) -> Vec<String> {
    let mut out = Vec::new();
    for f in findings {
        let r = f.location.region;
        let lengths: Vec<usize> = match f.properties.get("secret_length").and_then(|v| v.as_u64()) {
            Some(n) => vec![n as usize],
            // JWT literals: the token is the region, on one line.
            None if r.start_line == r.end_line && f.rule_id.starts_with("NHI2") => {
                let line = index.line(&item.data, r.start_line);
                vec![byte_len_of_columns(line, r.start_column, r.end_column)]
            }
            None => continue,
        };
        let first = index.line(&item.data, r.start_line);
        let start = first.as_ptr() as usize - item.data.as_ptr() as usize;
        let last = index.line(&item.data, r.end_line);
        let end = last.as_ptr() as usize - item.data.as_ptr() as usize + last.len();
        let hay = &item.data[start..end.max(start)];
        for &len in &lengths {
            if len == 0 || len > hay.len() {
                continue;
            }
            if let Some(w) = hay
                .windows(len)
                .find(|w| finding::fingerprint(&f.rule_id, w, item.path()) == f.fingerprint)
            {
                out.push(String::from_utf8_lossy(w).into_owned());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn byte_len_of_columns(line: &[u8], from: u32, to: u32) -> usize {
    let text = String::from_utf8_lossy(line);
    text.chars()
        .skip(from as usize - 1)
        .take(to.saturating_sub(from) as usize)
        .map(char::len_utf8)
        .sum()
}

/// Render every format; JSON and SARIF must parse back, the SARIF results
/// must name rules the log lists, and no secret may appear whole, unless
/// it is also in the report's skeleton: the same report with every
/// message, snippet and property emptied, which holds only what a report
/// prints anyway (paths, rule names and help, field names, fingerprints).
/// A fuzzed "secret" equal to the file name or to the word `descript` is
/// printed as that, not leaked from the content.
fn check_outputs(catalogue: &Catalogue, sink: &Sink, secrets: &[String]) {
    let mut findings = sink.findings.clone();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let catalogue = &catalogue.subset(findings.iter().map(|f| f.rule_id.as_str()));
    let mut bare = findings.clone();
    for f in &mut bare {
        f.message.clear();
        f.snippet = None;
        f.properties.clear();
        for r in &mut f.related {
            r.message.clear();
        }
    }
    let mut bare_notices = sink.notices.clone();
    for n in &mut bare_notices {
        n.message.clear();
    }
    for format in [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Github,
        Format::Gitlab,
        Format::Junit,
    ] {
        let text = render(format, catalogue, &findings, &sink.notices);
        match format {
            Format::Json | Format::Gitlab => {
                serde_json::from_str::<serde_json::Value>(&text).expect("the report is JSON");
            }
            Format::Sarif => {
                let log: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
                check_sarif(&log, findings.len());
            }
            _ => {}
        }
        let leaked: Vec<&String> = secrets
            .iter()
            .filter(|s| s.len() >= MIN_SECRET_CHECKED && text.contains(s.as_str()))
            .collect();
        if leaked.is_empty() {
            continue;
        }
        let skeleton = render(format, catalogue, &bare, &bare_notices);
        for s in leaked {
            assert!(
                skeleton.contains(s.as_str()),
                "{format:?} output shows a reported secret whole ({} bytes)",
                s.len()
            );
        }
    }
}

fn render(
    format: Format,
    catalogue: &Catalogue,
    findings: &[Finding],
    notices: &[detect::Notice],
) -> String {
    let stats = Stats::default();
    let report = Report {
        findings,
        notices,
        catalogue,
        stats: &stats,
        color: false,
    };
    let mut out = Vec::new();
    report::write(format, &report, &mut out).expect("a report renders");
    out.flush().expect("flush");
    String::from_utf8(out).expect("reports are UTF-8")
}

fn check_sarif(log: &serde_json::Value, findings: usize) {
    let run = &log["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("driver.rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), findings, "one SARIF result per finding");
    for r in results {
        let id = r["ruleId"].as_str().expect("ruleId");
        assert!(rules.contains(&id), "SARIF result for unlisted rule {id}");
        assert!(r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64() >= Some(1));
        assert!(r["partialFingerprints"].is_object());
    }
}

/// `span` lies inside `data` and, where `data` is text, on character
/// boundaries.
fn assert_span(data: &[u8], span: &Range<usize>, what: &str) {
    assert!(
        span.start <= span.end && span.end <= data.len(),
        "{what} span {span:?} outside {} bytes",
        data.len()
    );
    let boundary = |i: usize| i == data.len() || (data[i] as i8) >= -0x40;
    if std::str::from_utf8(data).is_ok() {
        assert!(
            boundary(span.start) && boundary(span.end),
            "{what} span {span:?} splits a character"
        );
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::TARGETS;

    /// Every committed seed and past crash input of `target`, through its body.
    fn replay(target: &str) {
        let (name, body) = TARGETS.iter().find(|(n, _)| *n == target).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        let mut seeds = 0;
        for kind in ["seeds", "regressions"] {
            let Ok(entries) = std::fs::read_dir(root.join(kind).join(name)) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                let run = std::panic::catch_unwind(|| body(&data));
                assert!(run.is_ok(), "{name}: {} fails", path.display());
                seeds += usize::from(kind == "seeds");
            }
        }
        assert!(seeds > 0, "{name}: no seeds under fuzz/seeds/{name}");
    }

    /// One test per target, so they run in parallel and fail by name.
    macro_rules! replay_tests {
        ($($target:ident),*) => {$(
            #[test]
            fn $target() {
                replay(stringify!($target));
            }
        )*
            #[test]
            fn every_target_is_replayed() {
                let tested = [$(stringify!($target)),*];
                for (name, _) in TARGETS {
                    assert!(tested.contains(name), "{name} has no replay test");
                }
            }
        };
    }

    replay_tests!(
        engine,
        ci_yaml,
        code,
        jwt,
        spanned_json,
        server_documents,
        config_baseline,
        rule_file
    );

    /// The invariants have teeth: a report that shows a secret whole fails.
    #[test]
    #[should_panic(expected = "shows a reported secret whole")]
    fn a_secret_in_an_output_is_caught() {
        let engine = super::shared_engine();
        let mut sink = crate::detect::Sink::default();
        let item = crate::item::Item::new(
            crate::item::Provenance::File {
                path: "a.env".into(),
            },
            format!("GOOGLE_CLIENT_SECRET={}\n", super::FAKE_SECRET).into_bytes(),
        );
        engine.scan(&item, &mut sink);
        let index = crate::item::LineIndex::new(&item.data);
        let secrets = super::reported_secrets(&item, &index, &sink.findings);
        assert_eq!(secrets, [super::FAKE_SECRET]);
        sink.findings[0].message = secrets[0].clone();
        super::check_outputs(engine.catalogue(), &sink, &secrets);
    }
}
