//! CI credential posture (NHI4xx) for GitHub Actions (workflows and
//! composite actions), GitLab CI, CircleCI, Azure Pipelines, Bitbucket
//! Pipelines and Buildkite.
//!
//! Per file: parse YAML with positions ([`yaml`]), read it into the common
//! job/step shape ([`model`]) with one adapter per system, then run the check
//! families over that shape: static credentials where federation exists
//! ([`federation`]), literal credentials ([`literals`]), secrets reaching logs
//! and risky plumbing in scripts ([`shell`]), and per-system plumbing
//! ([`github`], [`gitlab`]).
//!
//! Repository-level context ("this repository already federates with AWS")
//! cannot be known while the walk is parallel, so `detect` records
//! [`Fact`]s and [`Detector::finish`] — run once after the walk — raises the
//! confidence of static-credential findings the facts corroborate
//! ([`correlate`]).

mod azure;
mod bitbucket;
mod buildkite;
mod circleci;
mod correlate;
mod federation;
mod github;
mod gitlab;
mod literals;
mod model;
mod names;
mod reusable;
mod shell;
pub mod yaml;

use std::ops::Range;

use serde_json::Value;

use super::{Context, Detector, Fact, Sink};
use crate::finding::{self, Confidence, Location};
use crate::item::Item;
use model::{Job, System};
use yaml::Doc;

/// CI files larger than this are not parsed (the secret rules still ran over
/// them). Real pipelines are kilobytes; the limit keeps one generated or
/// hostile file from holding a worker for long.
const MAX_CI_BYTES: usize = 8 << 20;
/// Nodes visited by whole-document walks (expression checks).
const WALK_LIMIT: usize = 200_000;

pub struct CiDetector;

impl Detector for CiDetector {
    fn name(&self) -> &'static str {
        "ci"
    }

    fn applies(&self, item: &Item) -> bool {
        system_of(item.path()).is_some()
    }

    fn detect(&self, item: &Item, ctx: &Context, out: &mut Sink) {
        let Some(system) = system_of(item.path()) else {
            return;
        };
        if item.data.len() > MAX_CI_BYTES {
            out.skipped(
                item.path(),
                format!(
                    "CI file of {} MiB not audited for CI posture (limit {} MiB); secret rules still ran",
                    item.data.len() >> 20,
                    MAX_CI_BYTES >> 20
                ),
            );
            return;
        }
        let Ok(src) = std::str::from_utf8(&item.data) else {
            out.error(
                item.path(),
                "CI file is not valid UTF-8; CI posture not audited",
            );
            return;
        };
        let docs = match yaml::parse(src) {
            Ok(d) => d,
            Err(e) => {
                out.error(
                    item.path(),
                    format!(
                        "invalid YAML at line {}, column {}: {}; CI posture not audited",
                        e.line, e.column, e.message
                    ),
                );
                return;
            }
        };
        for doc in &docs {
            let Some(root) = doc.root else { continue };
            if !doc.is_map(root) {
                continue;
            }
            let mut scan = Scan {
                item,
                src,
                doc,
                system,
                hits: Vec::new(),
                facts: Vec::new(),
                notes: Vec::new(),
            };
            let jobs = match system {
                System::GitHub => github::read(&scan),
                System::GitLab => gitlab::read(&scan),
                System::CircleCi => circleci::read(&scan),
                System::Azure => azure::read(&scan),
                System::Bitbucket => bitbucket::read(&mut scan),
                System::Buildkite => buildkite::read(&scan),
            };
            for job in &jobs {
                if super::deadline::expired() {
                    break;
                }
                federation::check(&mut scan, job);
                literals::check(&mut scan, job);
                shell::check(&mut scan, job);
            }
            literals::check_registry_passwords(&mut scan);
            match system {
                System::GitHub => github::check(&mut scan, &jobs),
                System::GitLab => gitlab::check(&mut scan, &jobs),
                System::Azure => azure::check(&mut scan, &jobs),
                System::CircleCi | System::Bitbucket | System::Buildkite => {}
            }
            federation::facts_from_scripts(&mut scan, &jobs);
            scan.finish(ctx, out);
            if doc.merges_cut() {
                out.error(
                    item.path(),
                    "merge keys (`<<`) in this file bring in more entries than nhiscan follows for a file of its size; CI posture was audited only on what was followed",
                );
            }
        }
    }

    fn finish(&self, _ctx: &Context, sink: &mut Sink) {
        reusable::settle(sink);
        correlate::run(sink);
    }
}

/// Which CI system a path belongs to, by the conventions each system reads.
pub fn system_of(path: &str) -> Option<System> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let yml = name.ends_with(".yml") || name.ends_with(".yaml");
    if !yml {
        return None;
    }
    let dir = &path[..path.len() - name.len()];
    let in_dir = |d: &str| dir == d || dir.ends_with(&format!("/{d}"));
    if in_dir(".github/workflows/") || name == "action.yml" || name == "action.yaml" {
        return Some(System::GitHub);
    }
    if name == ".gitlab-ci.yml"
        || name.ends_with(".gitlab-ci.yml")
        || name.ends_with(".gitlab-ci.yaml")
        || dir.starts_with(".gitlab/")
        || dir.contains("/.gitlab/")
        || dir.starts_with(".gitlab-ci/")
        || dir.contains("/.gitlab-ci/")
    {
        return Some(System::GitLab);
    }
    if in_dir(".circleci/") && (name == "config.yml" || name == "config.yaml") {
        return Some(System::CircleCi);
    }
    if name.starts_with("azure-pipelines") || in_dir(".azure-pipelines/") {
        return Some(System::Azure);
    }
    if name == "bitbucket-pipelines.yml" || name == "bitbucket-pipelines.yaml" {
        return Some(System::Bitbucket);
    }
    if in_dir(".buildkite/") && name.starts_with("pipeline") {
        return Some(System::Buildkite);
    }
    None
}

/// A finding before it becomes one: what rule, where, and why.
pub struct Hit {
    pub rule: &'static str,
    pub span: Range<usize>,
    /// Stable content for the fingerprint (never a raw secret).
    pub key: String,
    pub message: String,
    pub confidence: Option<Confidence>,
    pub props: Vec<(&'static str, Value)>,
    pub related: Vec<(Range<usize>, String)>,
    /// Span of a literal secret, redacted in the snippet.
    pub secret: Option<Range<usize>>,
}

impl Hit {
    pub fn new(rule: &'static str, span: Range<usize>, message: impl Into<String>) -> Hit {
        Hit {
            rule,
            span,
            key: String::new(),
            message: message.into(),
            confidence: None,
            props: Vec::new(),
            related: Vec::new(),
            secret: None,
        }
    }
    pub fn key(mut self, k: impl Into<String>) -> Self {
        self.key = k.into();
        self
    }
    pub fn confidence(mut self, c: Confidence) -> Self {
        self.confidence = Some(c);
        self
    }
    pub fn prop(mut self, k: &'static str, v: impl Into<Value>) -> Self {
        self.props.push((k, v.into()));
        self
    }
    pub fn related(mut self, span: Range<usize>, msg: impl Into<String>) -> Self {
        self.related.push((span, msg.into()));
        self
    }
    pub fn secret(mut self, span: Range<usize>) -> Self {
        self.secret = Some(span);
        self
    }
}

/// One document being audited.
pub struct Scan<'a> {
    pub item: &'a Item,
    pub src: &'a str,
    pub doc: &'a Doc,
    pub system: System,
    hits: Vec<Hit>,
    facts: Vec<(String, Range<usize>)>,
    notes: Vec<String>,
}

impl Scan<'_> {
    /// Something about the file worth a notice (not a finding).
    pub fn note(&mut self, msg: impl Into<String>) {
        self.notes.push(msg.into());
    }

    pub fn hit(&mut self, hit: Hit) {
        self.hits.push(hit);
    }

    /// Record that this file federates (`key`: a provider such as `aws`, or `oidc`).
    pub fn fact(&mut self, key: &str, span: Range<usize>) {
        self.facts.push((key.to_string(), span));
    }

    /// The source text of a node.
    pub fn text(&self, id: yaml::NodeId) -> &str {
        self.src.get(self.doc.span(id)).unwrap_or("")
    }

    /// Span of `range` inside scalar `id`'s value.
    pub fn sub(&self, id: yaml::NodeId, range: Range<usize>) -> Range<usize> {
        self.doc.sub_span(self.src, id, range)
    }

    fn location(&self, span: &Range<usize>) -> Location {
        Location {
            path: self.item.path().to_string(),
            region: self.item.region(span.start, span.end),
        }
    }

    fn finish(self, ctx: &Context, out: &mut Sink) {
        let system = self.system.as_str();
        let mut seen = std::collections::HashSet::new();
        for h in &self.hits {
            // One finding per rule and place, whichever check got there first.
            if !seen.insert((h.rule, h.span.start)) {
                continue;
            }
            let content = [
                h.key.as_bytes(),
                b"\0",
                &finding::normalise(self.text_at(&h.span)),
            ]
            .concat();
            let Some(mut draft) = ctx.finding(
                h.rule,
                self.item,
                h.span.clone(),
                &content,
                h.secret.clone(),
            ) else {
                continue;
            };
            draft = draft
                .message(h.message.clone())
                .property("ci_system", system);
            if let Some(c) = h.confidence {
                draft = draft.confidence(c);
            }
            for (k, v) in &h.props {
                draft = draft.property(k, v.clone());
            }
            for (span, msg) in &h.related {
                draft = draft.related(self.location(span), msg.clone());
            }
            draft.emit(out);
        }
        for n in &self.notes {
            out.note(self.item.path(), n.clone());
        }
        for (key, span) in &self.facts {
            out.facts.push(Fact {
                detector: "ci",
                key: key.clone(),
                location: self.location(span),
            });
        }
    }

    fn text_at(&self, span: &Range<usize>) -> &[u8] {
        self.src.as_bytes().get(span.clone()).unwrap_or(b"")
    }
}

/// Every job's every step with the job, for checks that look across a file.
pub fn all_steps(jobs: &[Job]) -> impl Iterator<Item = (&Job, &model::Step)> {
    jobs.iter()
        .flat_map(|j| j.steps.iter().map(move |s| (j, s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_systems() {
        for (p, s) in [
            (".github/workflows/deploy.yml", Some(System::GitHub)),
            ("sub/.github/workflows/x.yaml", Some(System::GitHub)),
            ("actions/setup/action.yml", Some(System::GitHub)),
            (".gitlab-ci.yml", Some(System::GitLab)),
            (".gitlab/ci/build.yml", Some(System::GitLab)),
            ("templates/deploy.gitlab-ci.yml", Some(System::GitLab)),
            (".circleci/config.yml", Some(System::CircleCi)),
            ("azure-pipelines.yml", Some(System::Azure)),
            ("ci/azure-pipelines-release.yaml", Some(System::Azure)),
            ("bitbucket-pipelines.yml", Some(System::Bitbucket)),
            (".buildkite/pipeline.yml", Some(System::Buildkite)),
            (".buildkite/pipeline.deploy.yml", Some(System::Buildkite)),
            (".github/workflows/README.md", None),
            ("src/config.yml", None),
            (".circleci/other.yml", None),
        ] {
            assert_eq!(system_of(p), s, "{p}");
        }
    }
}
