//! The Markdown page of a rule: what `rules explain` prints and what
//! `docs/rules/<ID>.md` holds.

use std::fmt::Write;

use crate::rules::Rule;

pub fn rule_markdown(r: &Rule) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {} {}\n", r.id, r.name);
    let _ = writeln!(s, "{}\n", r.short_description);
    let _ = writeln!(
        s,
        "Severity: **{}** · Confidence: {}{}\n",
        r.severity,
        r.confidence,
        if r.languages.is_empty() {
            String::new()
        } else {
            format!(" · Languages: {}", r.languages.join(", "))
        }
    );
    let _ = writeln!(s, "{}\n", r.full_description.trim());
    let _ = writeln!(s, "{}\n", r.help.trim());
    let _ = writeln!(s, "**Fix:** {}\n", r.fix.trim());
    if !r.references.is_empty() {
        let _ = writeln!(s, "## Links\n");
        for l in &r.references {
            let _ = writeln!(s, "- <{l}>");
        }
        s.push('\n');
    }
    s
}
