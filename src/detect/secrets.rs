//! Regex rules from the catalogue: pattern → secret group → entropy and
//! placeholder filters → optional checksum → optional pairing with a nearby
//! identifier (required for some rules).

use std::ops::Range;

use anyhow::{Context as _, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;

use super::{checksum, filters, Context, Sink};
use crate::finding::{redact, Confidence, Location};
use crate::item::Item;
use crate::rules::{Checksum, Rule};

pub struct RegexRule {
    id: String,
    keywords: Vec<String>,
    regex: Regex,
    min_entropy: Option<f64>,
    placeholder_filter: bool,
    checksum: Option<Checksum>,
    pair: Option<(String, Regex, u32)>,
    pair_required: bool,
    paths: Option<GlobSet>,
}

impl RegexRule {
    pub fn compile(rule: &Rule) -> Result<RegexRule> {
        let pattern = rule.pattern.as_deref().unwrap_or_default();
        let regex = Regex::new(pattern).with_context(|| format!("rule {}: pattern", rule.id))?;
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

    fn candidates(&self, item: &Item) -> Vec<(Range<usize>, Range<usize>)> {
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
            v.push((whole.range(), secret.range()));
        }
        v
    }

    /// The identifier the pair pattern finds nearest to `line` within the
    /// window (the line itself, then one above, one below, two above …), so
    /// two credential blocks close together each pair with their own id.
    fn find_pair(&self, item: &Item, line: u32) -> Option<(String, Location)> {
        let (name, re, window) = self.pair.as_ref()?;
        let idx = item.line_index();
        let count = idx.line_count() as u32;
        let nearest_first = (0..=*window).flat_map(|d| {
            let above = line.checked_sub(d).filter(|&l| l >= 1);
            let below = (d > 0).then_some(line + d).filter(|&l| l <= count);
            above.into_iter().chain(below)
        });
        for l in nearest_first {
            let bytes = idx.line(&item.data, l);
            if let Some(caps) = re.captures(bytes) {
                let m = id_group(re, &caps)?;
                let base = bytes.as_ptr() as usize - item.data.as_ptr() as usize;
                let region = item.region(base + m.start(), base + m.end());
                return Some((
                    name.clone(),
                    Location {
                        path: item.path().to_string(),
                        region,
                    },
                ));
            }
        }
        None
    }
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
    for rule in rules {
        for (whole, secret) in rule.candidates(item) {
            let bytes = &item.data[secret.clone()];
            let Some(draft) =
                ctx.finding(&rule.id, item, whole.clone(), bytes, Some(secret.clone()))
            else {
                continue;
            };
            let line = item.position(secret.start).line;
            let pair = rule.find_pair(item, line);
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
            if let Some((name, loc)) = pair {
                confidence = confidence.raised();
                draft = draft
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
