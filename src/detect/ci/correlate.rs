//! The repository-level pass: a static credential is more clearly a choice
//! rather than a necessity when the same repository already federates —
//! with the same provider (confidence high) or with any OIDC-based login
//! (one step up). Runs once after the walk over the facts every file left.

use std::collections::BTreeMap;

use crate::detect::Sink;
use crate::finding::{Confidence, Location};

/// The rules whose findings federation elsewhere corroborates.
const STATIC_CREDENTIAL_RULES: &[&str] = &[
    "NHI401", "NHI402", "NHI403", "NHI404", "NHI405", "NHI406", "NHI407",
];

pub fn run(sink: &mut Sink) {
    // Facts are sorted by the engine, so "first" is deterministic.
    let mut first: BTreeMap<&str, &Location> = BTreeMap::new();
    for f in sink.facts.iter().filter(|f| f.detector == "ci") {
        first.entry(f.key.as_str()).or_insert(&f.location);
    }
    if first.is_empty() {
        return;
    }
    let registry_clouds = ["aws", "gcp", "azure"];
    for finding in &mut sink.findings {
        if !STATIC_CREDENTIAL_RULES.contains(&finding.rule_id.as_str())
            || finding.properties.contains_key("custom_endpoint")
        {
            continue;
        }
        let provider = finding
            .properties
            .get("provider")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        // A registry login is corroborated by federation with any cloud.
        let candidates: Vec<&str> = if provider == "registry" {
            registry_clouds.to_vec()
        } else {
            vec![provider.as_str()]
        };
        let same = candidates
            .iter()
            .find_map(|c| first.get(c).map(|loc| (*loc, c.to_string())));
        let (loc, conf, what) = match (same, first.get("oidc")) {
            (Some((loc, what)), _) => (loc, Confidence::High, what),
            (None, Some(loc)) => (*loc, finding.confidence.raised(), "oidc".to_string()),
            (None, None) => continue,
        };
        if loc.path == finding.location.path && loc.region == finding.location.region {
            continue;
        }
        finding.confidence = conf;
        finding
            .properties
            .insert("federation_in_repository".into(), what.clone().into());
        finding.related.push(crate::finding::Related {
            location: loc.clone(),
            message: if what == "oidc" {
                "this repository already requests OIDC tokens here".into()
            } else {
                format!("this repository already federates with {what} here")
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Fact;
    use crate::finding::{Finding, Origin, Severity};
    use crate::item::Region;

    fn finding(rule: &str, provider: &str) -> Finding {
        Finding {
            rule_id: rule.into(),
            rule_name: "x".into(),
            severity: Severity::High,
            confidence: Confidence::Medium,
            context: crate::finding::FileContext::Production,
            message: String::new(),
            location: Location {
                path: "a.yml".into(),
                region: Region::line(3),
            },
            related: Vec::new(),
            snippet: None,
            fingerprint: String::new(),
            origin: Origin::WorkingTree,
            properties: [("provider".to_string(), provider.into())]
                .into_iter()
                .collect(),
            line_hash: None,
            validity: None,
            material: None,
        }
    }

    fn fact(key: &str) -> Fact {
        Fact {
            detector: "ci",
            key: key.into(),
            location: Location {
                path: "b.yml".into(),
                region: Region::line(9),
            },
        }
    }

    #[test]
    fn same_provider_raises_to_high_any_oidc_one_step() {
        let mut sink = Sink::default();
        sink.findings.push(finding("NHI401", "aws"));
        sink.findings.push(finding("NHI403", "gcp"));
        sink.findings.push(finding("NHI420", "aws"));
        sink.facts.push(fact("aws"));
        sink.facts.push(fact("oidc"));
        run(&mut sink);
        assert_eq!(sink.findings[0].confidence, Confidence::High);
        assert_eq!(sink.findings[0].related[0].location.path, "b.yml");
        assert_eq!(sink.findings[1].confidence, Confidence::High);
        assert_eq!(
            sink.findings[1].properties["federation_in_repository"],
            "oidc"
        );
        assert!(sink.findings[2].related.is_empty());
    }

    #[test]
    fn no_facts_no_change() {
        let mut sink = Sink::default();
        sink.findings.push(finding("NHI401", "aws"));
        run(&mut sink);
        assert_eq!(sink.findings[0].confidence, Confidence::Medium);
    }
}
