//! The Markdown page of a rule: what `rules explain` prints and what
//! `docs/rules/<ID>.md` holds.

use std::fmt::Write;

use crate::rules::{Catalogue, Rule};

/// The README's rule catalogue: one row per rule.
pub fn catalogue_table(c: &Catalogue) -> String {
    let mut s = String::from(
        "| ID | Name | Severity | Languages / files | What it finds |\n|---|---|---|---|---|\n",
    );
    let mut rules: Vec<&Rule> = c.rules().iter().collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    for r in rules {
        let langs = if r.languages.is_empty() {
            "any text".to_string()
        } else {
            r.languages.join(", ")
        };
        let _ = writeln!(
            s,
            "| [{id}](docs/rules/{id}.md) | `{}` | {} | {} | {} |",
            r.name,
            r.severity,
            langs,
            r.short_description.replace('|', "\\|"),
            id = r.id
        );
    }
    s
}

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
