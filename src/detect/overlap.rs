//! Settles overlaps between the findings of one item once every regex rule
//! and detector has run, so the user sees each secret once, under the most
//! specific rule:
//! - a rule tagged `generic` yields to any other rule whose finding overlaps
//!   it (the generic `client_secret` rule under a vendor rule; the PEM rule
//!   under the service-account key file that embeds the PEM; the CI literal
//!   rule under a vendor token);
//! - of two generic rules on the same bytes (NHI199 and NHI410 on one CI
//!   variable), the one with the lower id stays: credential families
//!   (NHI1xx) name what the secret is, posture rules (NHI4xx) only where;
//! - the same rule on the same secret twice on one line is one finding;
//! - a rule tagged `identifier` (an access-key id, harmless alone) yields when
//!   another finding already names it as a related location (the secret
//!   access key paired with that id).
//!
//! The finding that stays names the rules that yielded to it in
//! `properties.also_matched`, so nothing another rule saw is lost.
//!
//! O(n log n) in the item's findings: a file with thousands of matches must
//! not turn this into a quadratic pass.

use std::collections::{BTreeSet, HashSet};

use crate::finding::{Finding, Location};
use crate::rules::Catalogue;

type Point = (u32, u32);

/// Most regions [`Spans::all_overlapping`] walks for one query.
const MAX_SCAN: usize = 256;

/// The property that lists the rules a finding absorbed.
pub const ALSO_MATCHED: &str = "also_matched";

/// Drop the findings of `findings[start..]` that other findings there cover.
pub fn settle(findings: &mut Vec<Finding>, start: usize, catalogue: &Catalogue) {
    if findings.len() - start < 2 {
        return;
    }
    let new = &findings[start..];
    let n = new.len();
    let tagged = |f: &Finding, tag: &str| {
        catalogue
            .get(&f.rule_id)
            .is_some_and(|r| r.tags.iter().any(|t| t == tag))
    };
    let generic: Vec<bool> = new.iter().map(|f| tagged(f, "generic")).collect();
    let identifier: Vec<bool> = new.iter().map(|f| tagged(f, "identifier")).collect();
    // For each dropped finding, the index of the finding it yields to (or
    // itself when it repeats that finding on the same line).
    let mut yields_to: Vec<Option<usize>> = vec![None; n];

    let mut seen: HashSet<(&str, &str, u32)> = HashSet::new();
    for (i, f) in new.iter().enumerate() {
        let key = (
            f.rule_id.as_str(),
            f.fingerprint.as_str(),
            f.location.region.start_line,
        );
        if !seen.insert(key) {
            yields_to[i] = Some(i);
        }
    }

    let specific = Spans::new(
        new.iter()
            .enumerate()
            .filter(|&(i, _)| !generic[i] && yields_to[i].is_none())
            .map(|(i, f)| (i, &f.location)),
    );
    // Lower ids first: credential families (NHI1xx) before posture rules.
    let rank = |f: &Finding| (f.rule_id.len(), f.rule_id.clone());
    let generics = Spans::new(
        new.iter()
            .enumerate()
            .filter(|&(i, _)| generic[i] && yields_to[i].is_none())
            .map(|(i, f)| (i, &f.location)),
    );
    for i in 0..n {
        if !generic[i] || yields_to[i].is_some() {
            continue;
        }
        if let Some(j) = specific.overlapping(&new[i].location) {
            yields_to[i] = Some(j);
        } else {
            // The best-ranked generic finding overlapping this one.
            let best = generics
                .all_overlapping(&new[i].location)
                .filter(|&j| j != i)
                .min_by_key(|&j| (rank(&new[j]), j));
            if let Some(j) = best.filter(|&j| (rank(&new[j]), j) < (rank(&new[i]), i)) {
                yields_to[i] = Some(j);
            }
        }
    }
    if identifier.iter().any(|&b| b) {
        let cited = Spans::new(
            new.iter()
                .enumerate()
                .flat_map(|(i, f)| f.related.iter().map(move |r| (i, &r.location))),
        );
        for i in 0..n {
            if identifier[i]
                && yields_to[i].is_none()
                && cited.overlapping(&new[i].location).is_some()
            {
                // Named as the related location of its secret: nothing to add there.
                yields_to[i] = Some(i);
            }
        }
    }
    if yields_to.iter().all(Option::is_none) {
        return;
    }
    // Follow chains (a generic yielding to a generic that yields in turn) to
    // the finding that stays, and record what it absorbed.
    let mut absorbed: Vec<BTreeSet<String>> = vec![BTreeSet::new(); n];
    for i in 0..n {
        let mut j = i;
        let mut hops = 0;
        while let Some(k) = yields_to[j].filter(|&k| k != j) {
            j = k;
            hops += 1;
            if hops > n {
                break;
            }
        }
        if j != i && new[j].rule_id != new[i].rule_id {
            absorbed[j].insert(new[i].rule_id.clone());
        }
    }
    let mut i = 0;
    findings.retain_mut(|f| {
        let keep = i < start || yields_to[i - start].is_none();
        if i >= start && keep && !absorbed[i - start].is_empty() {
            let mut list: BTreeSet<String> = f
                .properties
                .get(ALSO_MATCHED)
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            list.extend(std::mem::take(&mut absorbed[i - start]));
            f.properties.insert(
                ALSO_MATCHED.to_string(),
                serde_json::Value::from(list.into_iter().collect::<Vec<_>>()),
            );
        }
        i += 1;
        keep
    });
}

/// Regions sorted by start, with the running maximum of their ends (and
/// whose end it is), so "which region overlaps this one" is one binary search.
struct Spans {
    path: Option<String>,
    /// (start, end, index of the finding).
    regions: Vec<(Point, Point, usize)>,
    /// Running maximum of the ends, with the position in `regions` reaching it.
    max_end: Vec<(Point, usize)>,
}

fn bounds(l: &Location) -> (Point, Point) {
    let r = &l.region;
    ((r.start_line, r.start_column), (r.end_line, r.end_column))
}

impl Spans {
    fn new<'a>(locations: impl Iterator<Item = (usize, &'a Location)>) -> Spans {
        let mut path = None;
        let mut v: Vec<(Point, Point, usize)> = Vec::new();
        for (i, l) in locations {
            // One item, one path; a location elsewhere never overlaps.
            if path.get_or_insert_with(|| l.path.clone()) == &l.path {
                let (s, e) = bounds(l);
                v.push((s, e, i));
            }
        }
        v.sort_unstable();
        let mut max_end = Vec::with_capacity(v.len());
        let mut m = ((0, 0), 0);
        for (k, &(_, e, _)) in v.iter().enumerate() {
            if e > m.0 {
                m = (e, k);
            }
            max_end.push(m);
        }
        Spans {
            path,
            regions: v,
            max_end,
        }
    }

    /// The regions starting before `l` ends: `l` overlaps one of them iff the
    /// furthest end among them passes its start.
    fn before_end(&self, l: &Location) -> Option<(usize, Point)> {
        if self.path.as_deref() != Some(l.path.as_str()) {
            return None;
        }
        let (s, e) = bounds(l);
        let n = self.regions.partition_point(|&(x, _, _)| x < e);
        (n > 0).then_some((n, s))
    }

    /// A finding whose region overlaps `l`, if any.
    fn overlapping(&self, l: &Location) -> Option<usize> {
        let (n, s) = self.before_end(l)?;
        let (end, k) = self.max_end[n - 1];
        (end > s).then_some(self.regions[k].2)
    }

    /// Findings whose region overlaps `l` (walks back from the last region
    /// starting before `l` ends while any of them can still reach it; at
    /// most [`MAX_SCAN`] regions, so one long region cannot make it quadratic).
    fn all_overlapping<'a>(&'a self, l: &Location) -> impl Iterator<Item = usize> + 'a {
        let (n, s) = self.before_end(l).unwrap_or((0, (0, 0)));
        (0..n)
            .rev()
            .take_while(move |&k| self.max_end[k].0 > s)
            .take(MAX_SCAN)
            .filter(move |&k| self.regions[k].1 > s)
            .map(move |k| self.regions[k].2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::Region;

    fn loc(path: &str, a: (u32, u32), b: (u32, u32)) -> Location {
        Location {
            path: path.into(),
            region: Region {
                start_line: a.0,
                start_column: a.1,
                end_line: b.0,
                end_column: b.1,
            },
        }
    }

    #[test]
    fn overlap_is_found_by_any_earlier_region_reaching_past_the_start() {
        let regions = [
            loc("a", (1, 1), (9, 1)), // a long PEM block
            loc("a", (3, 5), (3, 9)),
            loc("a", (12, 1), (12, 30)),
        ];
        let s = Spans::new(regions.iter().enumerate());
        assert_eq!(
            s.overlapping(&loc("a", (5, 1), (5, 20))),
            Some(0),
            "inside the long block"
        );
        assert_eq!(s.overlapping(&loc("a", (12, 29), (13, 1))), Some(2));
        assert_eq!(
            s.overlapping(&loc("a", (10, 1), (11, 40))),
            None,
            "between regions"
        );
        assert_eq!(
            s.overlapping(&loc("a", (12, 30), (12, 40))),
            None,
            "touching is not overlapping"
        );
        assert_eq!(
            s.overlapping(&loc("b", (5, 1), (5, 20))),
            None,
            "another file"
        );
        assert_eq!(
            Spans::new(std::iter::empty()).overlapping(&loc("a", (1, 1), (2, 1))),
            None
        );
        let mut all: Vec<usize> = s.all_overlapping(&loc("a", (3, 1), (3, 7))).collect();
        all.sort();
        assert_eq!(all, [0, 1]);
    }

    fn finding(rule: &str, fingerprint: &str, a: (u32, u32), b: (u32, u32)) -> Finding {
        Finding {
            rule_id: rule.into(),
            rule_name: String::new(),
            severity: crate::finding::Severity::High,
            confidence: crate::finding::Confidence::Medium,
            context: crate::finding::FileContext::Production,
            message: String::new(),
            location: loc("a", a, b),
            related: Vec::new(),
            snippet: None,
            fingerprint: fingerprint.into(),
            origin: crate::finding::Origin::WorkingTree,
            properties: Default::default(),
            line_hash: None,
            validity: None,
            material: None,
        }
    }

    fn settled(mut v: Vec<Finding>) -> Vec<(String, Option<serde_json::Value>)> {
        settle(&mut v, 0, &Catalogue::embedded().unwrap());
        v.into_iter()
            .map(|f| (f.rule_id, f.properties.get(ALSO_MATCHED).cloned()))
            .collect()
    }

    #[test]
    fn one_finding_per_secret_names_the_rules_that_yielded() {
        // A vendor token inside a CI literal and a generic client secret.
        let out = settled(vec![
            finding("NHI410", "x", (3, 10), (3, 50)),
            finding("NHI104", "y", (3, 10), (3, 50)),
            finding("NHI199", "z", (3, 1), (3, 50)),
        ]);
        assert_eq!(
            out,
            [(
                "NHI104".to_string(),
                Some(serde_json::json!(["NHI199", "NHI410"]))
            )]
        );
        // Two generic rules alone: the lower id stays.
        let out = settled(vec![
            finding("NHI410", "x", (6, 22), (6, 46)),
            finding("NHI199", "z", (6, 7), (6, 46)),
        ]);
        assert_eq!(
            out,
            [("NHI199".to_string(), Some(serde_json::json!(["NHI410"])))]
        );
        // The same secret twice on a line is one finding; on another line it stays.
        let out = settled(vec![
            finding("NHI104", "t", (2, 16), (2, 56)),
            finding("NHI104", "t", (2, 60), (2, 100)),
            finding("NHI104", "t", (4, 1), (4, 41)),
        ]);
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|(_, also)| also.is_none()));
        // Apart, nothing yields.
        let out = settled(vec![
            finding("NHI199", "z", (1, 1), (1, 30)),
            finding("NHI410", "x", (2, 1), (2, 30)),
        ]);
        assert_eq!(out.len(), 2);
    }
}
