//! Settles overlaps between the findings of one item once every regex rule
//! and detector has run, so the user sees each secret once, under the most
//! specific rule:
//! - a rule tagged `generic` yields to any other rule whose finding overlaps
//!   it (the generic `client_secret` rule under a vendor rule; the PEM rule
//!   under the service-account key file that embeds the PEM);
//! - a rule tagged `identifier` (an access-key id, harmless alone) yields when
//!   another finding already names it as a related location (the secret
//!   access key paired with that id).
//!
//! O(n log n) in the item's findings: a file with thousands of matches must
//! not turn this into a quadratic pass.

use crate::finding::{Finding, Location};
use crate::rules::Catalogue;

type Point = (u32, u32);

/// Drop the findings of `findings[start..]` that other findings there cover.
pub fn settle(findings: &mut Vec<Finding>, start: usize, catalogue: &Catalogue) {
    if findings.len() - start < 2 {
        return;
    }
    let new = &findings[start..];
    let tagged = |f: &Finding, tag: &str| {
        catalogue
            .get(&f.rule_id)
            .is_some_and(|r| r.tags.iter().any(|t| t == tag))
    };
    let generic: Vec<bool> = new.iter().map(|f| tagged(f, "generic")).collect();
    let identifier: Vec<bool> = new.iter().map(|f| tagged(f, "identifier")).collect();
    if !generic.iter().chain(&identifier).any(|&b| b) {
        return;
    }
    let specific = Spans::new(
        new.iter()
            .zip(&generic)
            .filter(|(_, &g)| !g)
            .map(|(f, _)| &f.location),
    );
    let cited = Spans::new(new.iter().flat_map(|f| &f.related).map(|r| &r.location));
    let drop: Vec<bool> = new
        .iter()
        .enumerate()
        .map(|(i, f)| {
            (generic[i] && specific.overlaps(&f.location))
                || (identifier[i] && cited.overlaps(&f.location))
        })
        .collect();
    let mut i = 0;
    findings.retain(|_| {
        let keep = i < start || !drop[i - start];
        i += 1;
        keep
    });
}

/// Regions sorted by start, with the running maximum of their ends, so "does
/// any region overlap this one" is one binary search.
struct Spans {
    path: Option<String>,
    starts: Vec<Point>,
    max_end: Vec<Point>,
}

fn bounds(l: &Location) -> (Point, Point) {
    let r = &l.region;
    ((r.start_line, r.start_column), (r.end_line, r.end_column))
}

impl Spans {
    fn new<'a>(locations: impl Iterator<Item = &'a Location>) -> Spans {
        let mut path = None;
        let mut v: Vec<(Point, Point)> = Vec::new();
        for l in locations {
            // One item, one path; a location elsewhere never overlaps.
            if path.get_or_insert_with(|| l.path.clone()) == &l.path {
                v.push(bounds(l));
            }
        }
        v.sort_unstable();
        let mut max_end = Vec::with_capacity(v.len());
        let mut m = (0, 0);
        for &(_, e) in &v {
            m = m.max(e);
            max_end.push(m);
        }
        Spans {
            path,
            starts: v.into_iter().map(|(s, _)| s).collect(),
            max_end,
        }
    }

    fn overlaps(&self, l: &Location) -> bool {
        if self.path.as_deref() != Some(l.path.as_str()) {
            return false;
        }
        let (s, e) = bounds(l);
        // Regions starting before `e`; one of them overlaps iff the furthest
        // end among them passes `s`.
        let n = self.starts.partition_point(|&x| x < e);
        n > 0 && self.max_end[n - 1] > s
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
        let s = Spans::new(regions.iter());
        assert!(
            s.overlaps(&loc("a", (5, 1), (5, 20))),
            "inside the long block"
        );
        assert!(s.overlaps(&loc("a", (12, 29), (13, 1))));
        assert!(!s.overlaps(&loc("a", (10, 1), (11, 40))), "between regions");
        assert!(
            !s.overlaps(&loc("a", (12, 30), (12, 40))),
            "touching is not overlapping"
        );
        assert!(!s.overlaps(&loc("b", (5, 1), (5, 20))), "another file");
        assert!(!Spans::new(std::iter::empty()).overlaps(&loc("a", (1, 1), (2, 1))));
    }
}
