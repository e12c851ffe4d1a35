//! Settles overlaps between the findings of one item once every regex rule
//! and detector has run, so the user sees each secret once, under the most
//! specific rule:
//! - a rule tagged `generic` yields to any other rule whose finding overlaps
//!   it (the generic `client_secret` rule under a vendor rule; the PEM rule
//!   under the service-account key file that embeds the PEM);
//! - a rule tagged `identifier` (an access-key id, harmless alone) yields when
//!   another finding already names it as a related location (the secret
//!   access key paired with that id).

use crate::finding::{Finding, Location};
use crate::rules::Catalogue;

/// Drop the findings of `findings[start..]` that other findings there cover.
pub fn settle(findings: &mut Vec<Finding>, start: usize, catalogue: &Catalogue) {
    if findings.len() - start < 2 {
        return;
    }
    let tagged = |f: &Finding, tag: &str| {
        catalogue
            .get(&f.rule_id)
            .is_some_and(|r| r.tags.iter().any(|t| t == tag))
    };
    let new = &findings[start..];
    let drop: Vec<bool> = new
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let others = new.iter().enumerate().filter(|&(j, _)| j != i);
            if tagged(f, "generic") {
                let covered = others.clone().any(|(_, g)| {
                    !tagged(g, "generic") && overlaps(&f.location, &g.location)
                });
                if covered {
                    return true;
                }
            }
            tagged(f, "identifier")
                && others
                    .flat_map(|(_, g)| &g.related)
                    .any(|r| overlaps(&f.location, &r.location))
        })
        .collect();
    let mut i = 0;
    findings.retain(|_| {
        let keep = i < start || !drop[i - start];
        i += 1;
        keep
    });
}

fn overlaps(a: &Location, b: &Location) -> bool {
    let (ra, rb) = (&a.region, &b.region);
    let a0 = (ra.start_line, ra.start_column);
    let a1 = (ra.end_line, ra.end_column);
    let b0 = (rb.start_line, rb.start_column);
    let b1 = (rb.end_line, rb.end_column);
    a.path == b.path && a0 < b1 && b0 < a1
}
