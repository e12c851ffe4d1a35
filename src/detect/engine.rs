//! The engine: one Aho-Corasick pass over an item finds which rules and
//! detectors have a keyword in it; only those run. Measured before writing
//! this: a RegexSet over two dozen patterns ran at ~6 MiB/s, one regex per
//! rule at ~390 MiB/s, the keyword-gated form at ~575 MiB/s per core.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use anyhow::{Context as _, Result};

use super::secrets::RegexRule;
use super::{Context, Detector, Options, Sink};
use crate::item::Item;
use crate::rules::Catalogue;

#[derive(Clone, Copy)]
enum Target {
    Rule(usize),
    Detector(usize),
}

pub struct Engine {
    catalogue: Catalogue,
    options: Options,
    regex_rules: Vec<RegexRule>,
    detectors: Vec<Box<dyn Detector>>,
    prefilter: AhoCorasick,
    /// For each prefilter pattern, the rules and detectors it gates.
    targets: Vec<Vec<Target>>,
}

impl Engine {
    pub fn new(
        catalogue: Catalogue,
        options: Options,
        detectors: Vec<Box<dyn Detector>>,
    ) -> Result<Engine> {
        let mut regex_rules = Vec::new();
        for rule in catalogue.rules().iter().filter(|r| r.enabled) {
            if rule.pattern.is_some() {
                regex_rules.push(RegexRule::compile(rule)?);
            }
        }
        let mut keywords: Vec<String> = Vec::new();
        let mut targets: Vec<Vec<Target>> = Vec::new();
        let mut add = |kw: &str, t: Target| {
            let kw = kw.to_ascii_lowercase();
            match keywords.iter().position(|k| *k == kw) {
                Some(i) => targets[i].push(t),
                None => {
                    keywords.push(kw);
                    targets.push(vec![t]);
                }
            }
        };
        for (i, r) in regex_rules.iter().enumerate() {
            for kw in r.keywords() {
                add(kw, Target::Rule(i));
            }
        }
        for (i, d) in detectors.iter().enumerate() {
            for kw in d.keywords() {
                add(kw, Target::Detector(i));
            }
        }
        let prefilter = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&keywords)
            .context("building the keyword prefilter")?;
        Ok(Engine {
            catalogue,
            options,
            regex_rules,
            detectors,
            prefilter,
            targets,
        })
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// After every item: let detectors draw repository-level conclusions.
    /// Facts are sorted first so the outcome does not depend on walk order.
    pub fn finish(&self, sink: &mut Sink) {
        sink.facts.sort_by(|a, b| {
            (a.detector, &a.key, &a.location).cmp(&(b.detector, &b.key, &b.location))
        });
        sink.facts.dedup();
        let ctx = Context {
            catalogue: &self.catalogue,
            options: &self.options,
        };
        for d in &self.detectors {
            d.finish(&ctx, sink);
        }
    }

    /// Run every rule and detector that applies to `item`.
    pub fn scan(&self, item: &Item, out: &mut Sink) {
        let first_new = out.findings.len();
        let mut rule_hit = vec![false; self.regex_rules.len()];
        let mut det_hit = vec![false; self.detectors.len()];
        for m in self.prefilter.find_overlapping_iter(&item.data) {
            for t in &self.targets[m.pattern().as_usize()] {
                match *t {
                    Target::Rule(i) => rule_hit[i] = true,
                    Target::Detector(i) => det_hit[i] = true,
                }
            }
        }
        let ctx = Context {
            catalogue: &self.catalogue,
            options: &self.options,
        };
        let hit_rules = self
            .regex_rules
            .iter()
            .zip(&rule_hit)
            .filter(|(r, &hit)| hit && r.applies(item))
            .map(|(r, _)| r);
        super::secrets::run(hit_rules, item, &ctx, out);
        for (d, &hit) in self.detectors.iter().zip(&det_hit) {
            if (hit || d.keywords().is_empty()) && d.applies(item) {
                d.detect(item, &ctx, out);
            }
        }
        super::overlap::settle(&mut out.findings, first_new, &self.catalogue);
    }
}
