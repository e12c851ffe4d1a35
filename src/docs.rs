//! The Markdown page of a rule: what `rules explain` prints and what
//! `docs/rules/<ID>.md` holds.

use std::fmt::Write;

use crate::rules::{Catalogue, Example, Rule};

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

/// A rule's page: what it finds, why it matters, how to fix it (the rule's
/// help), its examples and negative examples, and references. `rules explain`
/// prints it and `docs/rules/<ID>.md` holds it.
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
    examples(
        &mut s,
        "Examples",
        "Each of these raises the rule (checked by `nhiscan rules check` and the test suite):",
        &r.examples,
    );
    examples(
        &mut s,
        "Negative examples",
        "None of these raises the rule:",
        &r.negative_examples,
    );
    if !r.references.is_empty() {
        let _ = writeln!(s, "## Links\n");
        for l in &r.references {
            let _ = writeln!(s, "- <{l}>");
        }
        s.push('\n');
    }
    s
}

fn examples(s: &mut String, title: &str, intro: &str, list: &[Example]) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(s, "## {title}\n\n{intro}\n");
    for e in list {
        if let Example::WithPath { path, .. } = e {
            let _ = writeln!(s, "In `{path}`:\n");
        }
        let text = e.text().trim_end_matches('\n');
        let fence = fence_for(text);
        let _ = writeln!(s, "{fence}{}\n{text}\n{fence}\n", language(e.path()));
    }
}

/// A backtick fence longer than any backtick run inside the text.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat(longest.max(2) + 1)
}

/// The code block's language, from the example's file name.
fn language(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "yml" | "yaml" => "yaml",
        "json" => "json",
        "py" => "python",
        "js" | "mjs" | "cjs" => "javascript",
        "ts" => "typescript",
        "go" => "go",
        "java" => "java",
        "rs" => "rust",
        "cs" => "csharp",
        "rb" => "ruby",
        "toml" => "toml",
        "sh" => "sh",
        "pem" | "key" => "text",
        _ if name.starts_with(".env") => "sh",
        _ => "text",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_in_the_example() {
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("a ``` b"), "````");
        assert_eq!(language(".github/workflows/ci.yml"), "yaml");
        assert_eq!(language("example.txt"), "text");
        assert_eq!(language("config/.env"), "sh");
    }

    #[test]
    fn every_rule_page_has_examples_and_negative_examples() {
        let c = Catalogue::embedded().unwrap();
        for r in c.rules() {
            let md = rule_markdown(r);
            assert!(md.starts_with(&format!("# {} {}", r.id, r.name)));
            assert!(md.contains("## Examples"), "{}", r.id);
            assert!(md.contains("## Negative examples"), "{}", r.id);
            assert!(md.contains("**Fix:**"), "{}", r.id);
        }
    }
}
