//! `--format text`: one block per finding, then a summary. Coloured only when
//! writing to a terminal (and NO_COLOR is unset).

use std::io::{self, Write};

use super::Report;
use crate::detect::NoticeKind;
use crate::finding::{FileContext, Origin, Severity};

fn paint(color: bool, code: &str, s: &str) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn severity_code(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "1;35",
        Severity::High => "1;31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    }
}

/// A UTC date (YYYY-MM-DD) from Unix seconds, without a date crate.
pub use crate::finding::civil_date as date;

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let c = report.color;
    for f in report.findings {
        let r = &f.location.region;
        writeln!(
            out,
            "{}:{}:{}  {} {}  [{}, confidence {}, {}]",
            paint(c, "1", &f.location.path),
            r.start_line,
            r.start_column,
            paint(c, "1", &f.rule_id),
            f.rule_name,
            paint(c, severity_code(f.severity), f.severity.as_str()),
            f.confidence,
            f.context
        )?;
        writeln!(out, "  {}", f.message)?;
        if let Some(v) = &f.validity {
            let code = if v.status == crate::finding::ValidityStatus::Valid {
                "1;31"
            } else {
                "2"
            };
            writeln!(out, "  {}", paint(c, code, &v.describe()))?;
        }
        match &f.origin {
            Origin::Git {
                commit,
                author_time,
                at_head,
            } => {
                let head = match at_head {
                    Some(true) => ", still at HEAD",
                    Some(false) => ", no longer at HEAD",
                    None => "",
                };
                writeln!(
                    out,
                    "  introduced in commit {} on {}{head}",
                    &commit[..commit.len().min(12)],
                    date(*author_time)
                )?;
            }
            Origin::Remote { url } => writeln!(out, "  server: {url}")?,
            Origin::Staged => writeln!(out, "  in the staged content")?,
            Origin::WorkingTree => {}
        }
        if let Some(s) = &f.snippet {
            writeln!(out, "  {} {s}", paint(c, "2", "|"))?;
        }
        for rel in &f.related {
            writeln!(
                out,
                "  related: {}:{}:{} {}",
                rel.location.path,
                rel.location.region.start_line,
                rel.location.region.start_column,
                rel.message
            )?;
        }
        if let Some(also) = f
            .properties
            .get(crate::detect::overlap::ALSO_MATCHED)
            .and_then(|v| v.as_array())
        {
            let ids: Vec<&str> = also.iter().filter_map(|v| v.as_str()).collect();
            writeln!(out, "  also matched: {}", ids.join(", "))?;
        }
        if let Some(rule) = report.catalogue.get(&f.rule_id) {
            writeln!(out, "  fix: {}", rule.fix)?;
        }
        writeln!(out)?;
    }
    summary(report, out)
}

fn summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = report.stats;
    let mut by_sev = Vec::new();
    for sev in Severity::ALL {
        let n = report.findings.iter().filter(|f| f.severity == sev).count();
        if n > 0 {
            by_sev.push(format!("{n} {sev}"));
        }
    }
    let total = report.findings.len();
    let head = if total == 0 {
        "no findings".to_string()
    } else {
        format!(
            "{total} finding{} ({})",
            if total == 1 { "" } else { "s" },
            by_sev.join(", ")
        )
    };
    writeln!(
        out,
        "{} in {} items ({:.1} MiB) in {:.2} s",
        paint(report.color, "1", &head),
        s.items_scanned,
        s.bytes_scanned as f64 / (1024.0 * 1024.0),
        s.duration_ms as f64 / 1000.0
    )?;
    if total > 0 {
        writeln!(out, "by rule: {}", by_rule(report))?;
        let by_context: Vec<String> = FileContext::ALL
            .into_iter()
            .filter_map(|c| {
                let n = report.findings.iter().filter(|f| f.context == c).count();
                (n > 0).then(|| format!("{n} {c}"))
            })
            .collect();
        writeln!(out, "by context: {}", by_context.join(", "))?;
    }
    if s.below_min_confidence > 0 {
        writeln!(
            out,
            "hidden: {} below --min-confidence {}",
            s.below_min_confidence, s.min_confidence
        )?;
    }
    if s.suppressed_inline + s.suppressed_baseline > 0 {
        writeln!(
            out,
            "suppressed: {} by inline comments, {} by the baseline",
            s.suppressed_inline, s.suppressed_baseline
        )?;
    }
    let skipped = report
        .notices
        .iter()
        .filter(|n| n.kind == NoticeKind::Skipped)
        .count();
    let errors = report
        .notices
        .iter()
        .filter(|n| n.kind == NoticeKind::Error)
        .count();
    if skipped + errors > 0 {
        writeln!(
            out,
            "not scanned: {skipped} skipped (binary, too large, links, special files), {errors} error{} (see stderr)",
            if errors == 1 { "" } else { "s" }
        )?;
    }
    Ok(())
}

/// `12 NHI199, 2 NHI101`: most findings first, then by rule id.
fn by_rule(report: &Report) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for f in report.findings {
        *counts.entry(f.rule_id.as_str()).or_default() += 1;
    }
    let mut v: Vec<(&str, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(r, n)| format!("{n} {r}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::date;

    #[test]
    fn dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_700_000_000), "2023-11-14");
        assert_eq!(date(951_782_400), "2000-02-29");
    }
}
