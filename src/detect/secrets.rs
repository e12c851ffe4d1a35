//! Regex rules from the catalogue: pattern → secret group → entropy and
//! placeholder filters → optional checksum → optional pairing with a nearby
//! identifier (required for some rules).

use std::ops::Range;

use anyhow::{Context as _, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;

use super::candidate::Candidates;
use super::{checksum, filters, Context, Sink};
use crate::finding::{redact, Confidence, Location};
use crate::item::Item;
use crate::rules::{Checksum, Rule, ValueKind};

/// How far (bytes) from the secret a paired identifier may be, on top of the
/// rule's line window. Lines alone are no measure: a minified bundle is one
/// 30 KB line, and an id anywhere on it is no evidence about the secret. A
/// KiB keeps the pairs of one JSON object written on one line (an Okta app
/// object in a recorded API response has its domain ~1 KB from its secret).
const PAIR_BYTES: usize = 1024;

pub struct RegexRule {
    id: String,
    keywords: Vec<String>,
    regex: Regex,
    min_entropy: Option<f64>,
    placeholder_filter: bool,
    value: ValueKind,
    checksum: Option<Checksum>,
    pair: Option<(String, Regex, u32)>,
    pair_required: bool,
    paths: Option<GlobSet>,
}

impl RegexRule {
    pub fn compile(rule: &Rule) -> Result<RegexRule> {
        let pattern = rule.pattern.as_deref().unwrap_or_default();
        let regex = Regex::new(pattern).with_context(|| format!("rule {}: pattern", rule.id))?;
        if matches_empty(&regex) {
            anyhow::bail!(
                "rule {}: pattern {pattern:?} can match the empty string, which would report a finding at every position; require at least one character",
                rule.id
            );
        }
        let pair = match &rule.pair {
            Some(p) => Some((
                p.name.clone(),
                Regex::new(&p.pattern)
                    .with_context(|| format!("rule {}: pair pattern", rule.id))?,
                p.lines,
            )),
            None => None,
        };
        let paths = if rule.paths.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for g in &rule.paths {
                b.add(Glob::new(g).with_context(|| format!("rule {}: path glob {g}", rule.id))?);
            }
            Some(b.build()?)
        };
        Ok(RegexRule {
            id: rule.id.clone(),
            keywords: rule.keywords.clone(),
            regex,
            min_entropy: rule.min_entropy,
            placeholder_filter: rule.placeholder_filter,
            value: rule.value,
            checksum: rule.checksum,
            pair,
            pair_required: rule.pair.as_ref().is_some_and(|p| p.required),
            paths,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    pub fn applies(&self, item: &Item) -> bool {
        self.paths.as_ref().is_none_or(|g| g.is_match(item.path()))
    }

    fn candidates(&self, item: &Item, filter: &Candidates) -> Vec<(Range<usize>, Range<usize>)> {
        let mut v = Vec::new();
        for caps in self.regex.captures_iter(&item.data) {
            let whole = caps.get(0).expect("group 0");
            let secret = caps.name("secret").unwrap_or(whole);
            let bytes = secret.as_bytes();
            if self.placeholder_filter && filters::is_placeholder(bytes) {
                continue;
            }
            if self
                .min_entropy
                .is_some_and(|min| filters::entropy(bytes) < min)
            {
                continue;
            }
            if self.value == ValueKind::Literal && !filter.accepts(whole.start(), secret.range()) {
                continue;
            }
            v.push((whole.range(), secret.range()));
        }
        v
    }

    /// The identifier the pair pattern finds nearest to the secret's line
    /// within the window (the line itself, then one above, one below, two
    /// above …) and within [`PAIR_BYTES`] of it, so two credential blocks close
    /// together each pair with their own id. The byte bound also keeps the
    /// search per secret constant on a megabyte-long line.
    fn find_pair(&self, item: &Item, secret: &Range<usize>) -> Option<(String, Location, String)> {
        let line = item.position(secret.start).line;
        let near = secret.start.saturating_sub(PAIR_BYTES)..secret.end + PAIR_BYTES;
        let (name, re, window) = self.pair.as_ref()?;
        let idx = item.line_index();
        let count = idx.line_count() as u32;
        let nearest_first = (0..=*window).flat_map(|d| {
            let above = line.checked_sub(d).filter(|&l| l >= 1);
            let below = (d > 0).then_some(line + d).filter(|&l| l <= count);
            above.into_iter().chain(below)
        });
        for l in nearest_first {
            let whole = idx.line(&item.data, l);
            let base = whole.as_ptr() as usize - item.data.as_ptr() as usize;
            let from = near.start.clamp(base, base + whole.len());
            let to = near.end.clamp(base, base + whole.len());
            if from >= to {
                continue;
            }
            let bytes = &item.data[from..to];
            if let Some(caps) = re.captures(bytes) {
                let m = id_group(re, &caps)?;
                let region = item.region(from + m.start(), from + m.end());
                return Some((
                    name.clone(),
                    Location {
                        path: item.path().to_string(),
                        region,
                    },
                    String::from_utf8_lossy(m.as_bytes()).into_owned(),
                ));
            }
        }
        None
    }
}

/// Whether `re` can match zero bytes somewhere (`a*`, `x?`, `\\b`, `^`):
/// tried on the empty text and a sample of the characters secrets sit among.
fn matches_empty(re: &Regex) -> bool {
    const SAMPLE: &[u8] = b"a=b1 _-/.:\"'\n\t{}[]()+@~#x9Z";
    re.is_match(b"") || re.find_iter(SAMPLE).any(|m| m.is_empty())
}

/// The identifier in a pair match: the group `id`, else the first group whose
/// name starts with `id` that took part (alternatives cannot share a name),
/// else the whole match.
fn id_group<'h>(re: &Regex, caps: &regex::bytes::Captures<'h>) -> Option<regex::bytes::Match<'h>> {
    caps.name("id")
        .or_else(|| {
            re.capture_names()
                .flatten()
                .filter(|n| n.starts_with("id"))
                .find_map(|n| caps.name(n))
        })
        .or_else(|| caps.get(0))
}

/// Run the prefiltered regex rules over one item. Overlaps between rules
/// (a generic rule and a specific one on the same secret) are settled by the
/// engine once every detector has run.
pub fn run<'a>(
    rules: impl Iterator<Item = &'a RegexRule>,
    item: &Item,
    ctx: &Context,
    out: &mut Sink,
) {
    let filter = Candidates::new(item);
    for rule in rules {
        for (whole, secret) in rule.candidates(item, &filter) {
            if super::deadline::expired() {
                return;
            }
            let bytes = &item.data[secret.clone()];
            let Some(draft) =
                ctx.finding(&rule.id, item, whole.clone(), bytes, Some(secret.clone()))
            else {
                continue;
            };
            let pair = rule.find_pair(item, &secret);
            if pair.is_none() && rule.pair_required {
                continue;
            }
            let shown = redact(&String::from_utf8_lossy(bytes));
            let rule_meta = ctx
                .catalogue
                .get(&rule.id)
                .expect("compiled from catalogue");
            let mut confidence = rule_meta.confidence;
            let mut draft = draft
                .message(format!("{}: {shown}", rule_meta.short_description))
                .property("secret_length", bytes.len());
            if let Some(kind) = rule.checksum {
                let ok = checksum::valid(kind, bytes);
                confidence = if ok {
                    confidence.raised()
                } else {
                    Confidence::Low
                };
                draft = draft.property("checksum_valid", ok);
            }
            if let Some((name, loc, id)) = pair {
                confidence = confidence.raised();
                draft = draft
                    .paired_id(&id)
                    .message(format!(
                        "{}: {shown}, paired with a {name} at line {}",
                        rule_meta.short_description, loc.region.start_line
                    ))
                    .property("paired_with", name.clone())
                    .related(loc, format!("{name} used with this secret"));
            }
            draft.confidence(confidence).emit(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::{Engine, Options, Sink};
    use crate::item::{Item, Provenance};
    use crate::rules::Catalogue;

    fn scan(path: &str, text: &str) -> Sink {
        let engine =
            Engine::new(Catalogue::embedded().unwrap(), Options::default(), vec![]).unwrap();
        let item = Item::new(
            Provenance::File { path: path.into() },
            text.as_bytes().to_vec(),
        );
        let mut sink = Sink::default();
        engine.scan(&item, &mut sink);
        sink
    }

    #[test]
    fn a_paired_id_must_be_near_in_bytes_not_just_on_the_same_line() {
        let secret = "client_secret:\"Hx8kQ2mZ7vRp4WtY9nBc\"";
        let id = "client_id:\"billing-service\"";
        let near = format!("var a={{{id},{secret}}};");
        let far = format!("var a={{{id}}};{};var b={{{secret}}};", "x=1;".repeat(1000));
        let near = scan("app.min.js", &near);
        assert_eq!(near.findings.len(), 1);
        assert_eq!(near.findings[0].related.len(), 1, "paired");
        let far = scan("app.min.js", &far);
        assert_eq!(far.findings.len(), 1);
        assert!(
            far.findings[0].related.is_empty(),
            "4 KB away on one line: not paired"
        );
    }
}
