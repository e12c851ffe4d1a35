//! Reusable workflows of the same repository (`uses: ./.github/workflows/x.yml`)
//! and NHI433. A job that calls one gets the caller's `id-token: write`; it
//! needs it only if the called workflow federates. A workflow file cannot see
//! another, so each GitHub workflow leaves a fact (scanned; federates or asks
//! for `id-token: write`) and NHI433 names the local workflows it took to
//! federate. This repository-level pass then counts a caller whose workflow
//! was scanned and does not federate as idle: the finding's count and message
//! are settled, or it is dropped when every job does federate. A workflow that
//! was not scanned (a partial scan, a remote one) is still taken to federate.

use std::collections::BTreeSet;

use crate::detect::Sink;

/// NHI433 properties that live only until this pass.
pub const PENDING: &str = "local_reusable_workflows";
pub const GRANT: &str = "grant";
/// Facts every GitHub workflow leaves.
pub const SCANNED: &str = "github-workflow";
pub const FEDERATES: &str = "github-workflow-federates";

/// `./.github/workflows/release.yml` → `.github/workflows/release.yml`.
pub fn local_path(uses: &str) -> Option<String> {
    let p = uses.strip_prefix("./")?;
    let p = p.split('@').next().unwrap_or(p);
    p.starts_with(".github/workflows/").then(|| p.to_string())
}

pub fn settle(sink: &mut Sink) {
    let paths = |key: &str| -> BTreeSet<String> {
        sink.facts
            .iter()
            .filter(|f| f.detector == "ci" && f.key == key)
            .map(|f| f.location.path.clone())
            .collect()
    };
    let scanned = paths(SCANNED);
    let federates = paths(FEDERATES);
    sink.findings.retain_mut(|f| {
        let Some(pending) = f.properties.remove(PENDING) else {
            return true;
        };
        let grant = f
            .properties
            .remove(GRANT)
            .and_then(|g| g.as_str().map(str::to_string))
            .unwrap_or_default();
        // The repository root as the finding's path spells it.
        let root = f
            .location
            .path
            .find(".github/workflows/")
            .map_or("", |i| &f.location.path[..i]);
        let idle_local = pending
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str())
            .map(|p| format!("{root}{p}"))
            .filter(|p| scanned.contains(p) && !federates.contains(p))
            .count();
        let get = |k: &str| f.properties.get(k).and_then(|v| v.as_u64()).unwrap_or(0) as usize;
        let (jobs, idle) = (get("jobs"), get("jobs_not_federating") + idle_local);
        if idle == 0 {
            return false;
        }
        f.properties
            .insert("jobs_not_federating".into(), idle.into());
        f.message = super::github::id_token_message(&grant, jobs, idle);
        true
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_only() {
        assert_eq!(
            local_path("./.github/workflows/java-release.yml").as_deref(),
            Some(".github/workflows/java-release.yml")
        );
        assert_eq!(local_path("owner/repo/.github/workflows/x.yml@v1"), None);
        assert_eq!(local_path("./.github/actions/setup"), None);
    }

    #[test]
    fn one_job_is_it_several_are_them() {
        let one = super::super::github::id_token_message("`id-token: write`", 1, 1);
        assert!(
            one.contains("lets 1 job mint OIDC tokens and no step in it is"),
            "{one}"
        );
        let two = super::super::github::id_token_message("`id-token: write`", 2, 2);
        assert!(
            two.contains("lets 2 jobs mint OIDC tokens and no step in them is"),
            "{two}"
        );
    }
}
