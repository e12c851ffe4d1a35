//! The one catalogue checker, used by `nhiscan rules check` and by `cargo test`:
//! metadata is complete, patterns compile, and every example goes through the
//! real engine — each positive example must raise its rule, no negative may.

use crate::detect::{self, Engine, Options, Sink};
use crate::item::{Item, Provenance};
use crate::rules::{Catalogue, Example, Rule};

/// Check the catalogue; returns one line per problem (empty: all good).
pub fn check(catalogue: &Catalogue) -> Vec<String> {
    let mut problems = Vec::new();
    for rule in catalogue.rules() {
        metadata_problems(rule, &mut problems);
    }
    let engine = match Engine::new(catalogue.clone(), Options::default(), detect::registry()) {
        Ok(e) => e,
        Err(e) => {
            problems.push(format!("catalogue does not compile: {e:#}"));
            return problems;
        }
    };
    for rule in catalogue.rules().iter().filter(|r| r.enabled) {
        for (i, ex) in rule.examples.iter().enumerate() {
            // The prefilter proof: a regex rule runs only when one of its own
            // keywords occurs in the text or in what the text decodes to.
            let reached = rule.pattern.is_none()
                || engine.keywords_reach(&rule.id, ex.text().as_bytes(), ex.path());
            let problem = match (fires(&engine, &rule.id, ex), reached) {
                (true, true) => continue,
                (false, true) => "does not raise the rule",
                (false, false) => {
                    "does not raise the rule: none of its keywords occurs in it, so the prefilter never runs it"
                }
                (true, false) => "raises the rule, but not through the rule's own keywords",
            };
            problems.push(format!("{}: example {} {problem}", rule.id, i + 1));
        }
        for (i, ex) in rule.negative_examples.iter().enumerate() {
            if fires(&engine, &rule.id, ex) {
                problems.push(format!(
                    "{}: negative example {} raises the rule",
                    rule.id,
                    i + 1
                ));
            }
        }
    }
    problems
}

fn fires(engine: &Engine, id: &str, ex: &Example) -> bool {
    let path = ex.path().to_string();
    let provenance = match ex.url() {
        // A fetched document: findings sit at line 1 of the pseudo path.
        Some(url) => Provenance::Remote {
            url: url.to_string(),
            path,
            line: 1,
        },
        None => Provenance::File { path },
    };
    let item = Item::new(provenance, ex.text().as_bytes().to_vec());
    let mut sink = Sink::default();
    engine.scan(&item, &mut sink);
    engine.finish(&mut sink);
    // A finding that reports a stronger rule for the same problem names the
    // others it matched in `alsoMatched`: those rules fire too.
    sink.findings.iter().any(|f| {
        f.rule_id == id
            || f.properties
                .get("alsoMatched")
                .and_then(|v| v.as_array())
                .is_some_and(|a| a.iter().any(|r| r.as_str() == Some(id)))
    })
}

fn metadata_problems(rule: &Rule, problems: &mut Vec<String>) {
    let id = &rule.id;
    let valid_id =
        id.len() >= 6 && id.starts_with("NHI") && id[3..].chars().all(|c| c.is_ascii_digit());
    if !valid_id {
        problems.push(format!("{id}: id must be NHI followed by digits"));
    }
    if rule.name == rule.id
        || rule.name.is_empty()
        || !rule
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        problems.push(format!(
            "{id}: name must be kebab-case and differ from the id"
        ));
    }
    for (field, value) in [
        ("short_description", &rule.short_description),
        ("full_description", &rule.full_description),
        ("help", &rule.help),
        ("fix", &rule.fix),
    ] {
        if value.trim().is_empty() {
            problems.push(format!("{id}: {field} is empty"));
        }
    }
    if rule.examples.is_empty() {
        problems.push(format!("{id}: has no examples"));
    }
    if rule.negative_examples.is_empty() {
        problems.push(format!("{id}: has no negative examples"));
    }
    if rule.pattern.is_some() && rule.keywords.is_empty() {
        problems.push(format!(
            "{id}: a regex rule needs keywords for the prefilter"
        ));
    }
    for ex in rule.examples.iter().chain(&rule.negative_examples) {
        if ex.text().is_empty() {
            problems.push(format!("{id}: an example is empty"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalogue_passes_its_own_check() {
        let c = Catalogue::embedded().unwrap();
        let problems = check(&c);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// A catalogue of one regex rule with the given pattern, keyword and examples.
    fn one_rule(pattern: &str, keyword: &str, example: &str, negative: &str) -> Catalogue {
        let mut c = Catalogue::default();
        let yaml = format!(
            r#"
rules:
  - id: NHI9001
    name: test-rule
    severity: high
    confidence: high
    short_description: s
    full_description: f
    help: h
    fix: x
    pattern: '{pattern}'
    keywords: [{keyword}]
    examples: ["{example}"]
    negative_examples: ["{negative}"]
"#
        );
        c.add_file("t.yaml", &yaml).unwrap();
        c
    }

    #[test]
    fn a_broken_example_is_reported() {
        let p = check(&one_rule(
            "tok_[a-z]{8}",
            "tok_",
            "no token here",
            "tok_abcdefgh",
        ));
        assert_eq!(p.len(), 2, "{p:?}");
    }

    /// A rule whose keyword covers only one of the pattern's alternatives.
    fn narrow_keyword_rule(example: &str) -> Catalogue {
        one_rule("(?:tok|key)_[a-z]{8}", "tok_", example, "nothing")
    }

    #[test]
    fn an_example_the_keywords_miss_is_reported() {
        let p = check(&narrow_keyword_rule("key_abcdefgh tok_"));
        assert!(p.is_empty(), "the keyword occurs: {p:?}");
        let p = check(&narrow_keyword_rule("key_abcdefgh"));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("none of its keywords occurs"), "{p:?}");
    }
}
