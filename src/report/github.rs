//! `--format github`: GitHub Actions workflow commands that become annotations
//! on the pull request's diff (`::error file=…,line=…::message`).
//!
//! GitHub shows at most 10 annotations of each level (error, warning,
//! notice) per step and silently drops the rest, so we write at most
//! [`MAX_PER_LEVEL`] of each, most severe first, and then one plain summary
//! line that names what was left out so nothing disappears without a trace.

use std::io::{self, Write};

use super::Report;
use crate::detect::NoticeKind;
use crate::finding::{Finding, Origin, Severity};

/// GitHub's per-step limit for each annotation level.
pub const MAX_PER_LEVEL: usize = 10;

/// The annotation command for a severity: critical/high → error, medium →
/// warning, low/info → notice (the same split as SARIF levels).
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

/// Escape a command's message (data) as GitHub's toolkit does.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a command property value: data escaping plus `:` and `,`, which
/// would otherwise end the value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn annotation(f: &Finding, report: &Report) -> String {
    let r = &f.location.region;
    let title = format!("{} {} ({})", f.rule_id, f.rule_name, f.severity);
    let mut message = f.message.clone();
    match &f.origin {
        // A history finding may no longer be in the file the annotation points at.
        Origin::Git { commit, .. } => {
            message.push_str(&format!(" (in commit {})", &commit[..commit.len().min(12)]))
        }
        Origin::Staged => message.push_str(" (in the staged content)"),
        Origin::WorkingTree | Origin::Remote { .. } => {}
    }
    if let Some(rule) = report.catalogue.get(&f.rule_id) {
        message.push_str("\nFix: ");
        message.push_str(rule.fix.trim());
    }
    format!(
        "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        level(f.severity),
        escape_property(&f.location.path),
        r.start_line.max(1),
        r.start_column.max(1),
        r.end_line.max(r.start_line).max(1),
        r.end_column.max(1),
        escape_property(&title),
        escape_data(&message)
    )
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // Most severe first so the annotations GitHub keeps are the ones that matter.
    let mut ordered: Vec<&Finding> = report.findings.iter().collect();
    ordered.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.sort_key().cmp(&b.sort_key()))
    });
    let mut shown = [0usize; 3];
    let mut left_out: Vec<&Finding> = Vec::new();
    for f in ordered {
        let slot = match level(f.severity) {
            "error" => 0,
            "warning" => 1,
            _ => 2,
        };
        if shown[slot] < MAX_PER_LEVEL {
            shown[slot] += 1;
            writeln!(out, "{}", annotation(f, report))?;
        } else {
            left_out.push(f);
        }
    }
    // Input errors are not findings; they go to the log, where a reader of a
    // failed step looks, not into the annotation budget.
    for n in report
        .notices
        .iter()
        .filter(|n| n.kind == NoticeKind::Error)
    {
        writeln!(
            out,
            "nhiscan: could not scan {}: {}",
            escape_data(&n.path),
            escape_data(&n.message)
        )?;
    }
    if !left_out.is_empty() {
        // A plain line (not a command, so it cannot be dropped by the limit),
        // then one plain line per finding left out.
        writeln!(
            out,
            "nhiscan: {} more finding{} not annotated (GitHub shows at most {MAX_PER_LEVEL} \
             errors, {MAX_PER_LEVEL} warnings and {MAX_PER_LEVEL} notices a step); \
             use --format sarif for the full report:",
            left_out.len(),
            if left_out.len() == 1 { "" } else { "s" },
        )?;
        left_out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        for f in left_out {
            let r = &f.location.region;
            // Indented so a crafted path can never start a workflow command.
            writeln!(
                out,
                "  {}:{}:{} {} {} [{}] {}",
                escape_data(&f.location.path),
                r.start_line,
                r.start_column,
                f.rule_id,
                f.rule_name,
                f.severity,
                escape_data(&f.message)
            )?;
        }
    }
    let total = report.findings.len();
    writeln!(
        out,
        "nhiscan: {total} finding{} in {} items",
        if total == 1 { "" } else { "s" },
        report.stats.items_scanned
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_toolkit() {
        assert_eq!(escape_data("100% a\r\nb"), "100%25 a%0D%0Ab");
        assert_eq!(escape_data("a:b,c"), "a:b,c");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn levels_follow_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "notice");
        assert_eq!(level(Severity::Info), "notice");
    }
}
