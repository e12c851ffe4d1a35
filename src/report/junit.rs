//! `--format junit`: one `<testsuite>`, one `<testcase>` per finding (a
//! failure), one `<testcase>` with an `<error>` per input that could not be
//! read, and a single passing `<testcase>` when there is nothing to report.
//!
//! Per finding rather than per rule because CI test UIs (GitLab's test
//! report, Jenkins, the JUnit report actions on GitHub) show one line per
//! failed test case with its message: a finding per line is what a reader
//! needs, and `classname` (the file) groups them. Names carry the rule and
//! not the line, so the same finding keeps its name when lines move above it
//! and a UI that tracks tests across runs sees it as the same failure.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::Report;
use crate::detect::NoticeKind;
use crate::finding::Origin;

/// Escape text for XML content or a double-quoted attribute, dropping the
/// control characters XML 1.0 cannot carry at all.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let errors: Vec<_> = report
        .notices
        .iter()
        .filter(|n| n.kind == NoticeKind::Error)
        .collect();
    let failures = report.findings.len();
    let mut cases = String::new();
    // Disambiguate the same rule firing twice in one file: "#2", "#3", …
    let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for f in report.findings {
        let n = seen
            .entry((f.location.path.as_str(), f.rule_id.as_str()))
            .or_insert(0);
        *n += 1;
        let suffix = if *n > 1 {
            format!(" #{n}")
        } else {
            String::new()
        };
        let r = &f.location.region;
        let mut body = format!(
            "{}\n\nat {}:{}:{}\nseverity: {}, confidence: {}\nfingerprint: {}",
            f.message,
            f.location.path,
            r.start_line,
            r.start_column,
            f.severity,
            f.confidence,
            f.fingerprint
        );
        if let Origin::Git { commit, .. } = &f.origin {
            let _ = write!(body, "\ncommit: {commit}");
        }
        if let Some(s) = &f.snippet {
            let _ = write!(body, "\n| {s}");
        }
        if let Some(rule) = report.catalogue.get(&f.rule_id) {
            let _ = write!(body, "\nfix: {}", rule.fix.trim());
        }
        let _ = write!(
            cases,
            "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\" time=\"0\">\n      \
             <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
            escape(&f.location.path),
            escape(&format!("{} {}{suffix}", f.rule_id, f.rule_name)),
            escape(&f.location.path),
            r.start_line,
            escape(&f.message),
            escape(f.severity.as_str()),
            escape(&body)
        );
    }
    for e in &errors {
        let _ = write!(
            cases,
            "    <testcase classname=\"{}\" name=\"read input\" file=\"{}\" time=\"0\">\n      \
             <error message=\"{}\" type=\"input-error\"/>\n    </testcase>\n",
            escape(&e.path),
            escape(&e.path),
            escape(&e.message)
        );
    }
    let mut tests = failures + errors.len();
    if tests == 0 {
        cases.push_str("    <testcase classname=\"nhiscan\" name=\"no findings\" time=\"0\"/>\n");
        tests = 1;
    }
    let secs = report.stats.duration_ms as f64 / 1000.0;
    write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <testsuites name=\"nhiscan\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{}\" time=\"{secs:.3}\">\n  \
         <testsuite name=\"nhiscan\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{}\" skipped=\"0\" time=\"{secs:.3}\">\n\
         {cases}  </testsuite>\n</testsuites>\n",
        errors.len(),
        errors.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(
            escape("a<b>&\"c\"'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;\u{FFFD}\n"
        );
    }
}
