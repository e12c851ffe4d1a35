//! GitLab CI (`.gitlab-ci.yml` and local includes under `.gitlab/`): jobs,
//! `default`, variables (plain or `{value: …}`), scripts and artifacts; and
//! the GitLab-only checks: `CI_DEBUG_TRACE` (NHI424), `CI_JOB_JWT`
//! (NHI434) and `id_tokens` audiences (NHI435).

use super::model::{scripts, Job, Step, Var};
use super::names::secret_refs;
use super::yaml::{Doc, NodeId};
use super::{Hit, Scan, WALK_LIMIT};
use crate::finding::Confidence;

/// Top-level keys that are not jobs.
const RESERVED: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "spec",
];

/// Variables: `NAME: value` or `NAME: {value: …, description: …}`.
fn variables(doc: &Doc, map: Option<NodeId>) -> Vec<Var> {
    super::model::vars(doc, map)
        .into_iter()
        .map(|mut v| {
            if let Some(inner) = doc
                .is_map(v.value)
                .then(|| doc.get(v.value, "value"))
                .flatten()
            {
                v.value = inner;
            }
            v
        })
        .collect()
}

pub fn read(scan: &Scan) -> Vec<Job> {
    let doc = scan.doc;
    let Some(root) = doc.root else {
        return Vec::new();
    };
    let global = variables(doc, doc.get(root, "variables"));
    let mut out = Vec::new();
    for (k, j) in doc.entries(root) {
        let Some(name) = doc.str(k) else { continue };
        if !doc.is_map(j) || (RESERVED.contains(&name) && name != "default") {
            continue;
        }
        let mut job = Job {
            name: name.to_string(),
            node: Some(j),
            env: global.clone(),
            steps: Vec::new(),
        };
        job.env.extend(variables(doc, doc.get(j, "variables")));
        let mut step = Step {
            node: Some(j),
            ..Step::default()
        };
        for key in ["before_script", "script", "after_script"] {
            scripts(doc, doc.get(j, key), &mut step.scripts);
        }
        job.steps.push(step);
        if let Some(paths) = doc
            .get(j, "artifacts")
            .and_then(|a| doc.get_entry(a, "paths"))
        {
            job.steps.push(Step {
                uses: Some(("artifacts".into(), paths.0)),
                with: vec![Var {
                    name: "paths".into(),
                    key: paths.0,
                    value: paths.1,
                }],
                ..Step::default()
            });
        }
        out.push(job);
    }
    // Top-level scripts (deprecated form of `default:`) run in every job.
    let mut top = Step::default();
    for key in ["before_script", "after_script"] {
        scripts(doc, doc.get(root, key), &mut top.scripts);
    }
    if !top.scripts.is_empty() {
        out.push(Job {
            name: "(global)".into(),
            node: None,
            env: global,
            steps: vec![top],
        });
    }
    out
}

pub fn check(scan: &mut Scan, jobs: &[Job]) {
    debug_trace(scan, jobs);
    job_jwt(scan);
    id_tokens(scan, jobs);
}

fn uses_secrets(scan: &Scan, job: &Job) -> bool {
    job.steps.iter().flat_map(|s| &s.scripts).any(|&s| {
        scan.doc
            .str(s)
            .is_some_and(|v| !secret_refs(scan.system, v, &[]).is_empty())
    })
}

/// NHI424: debug tracing prints every variable, masked or not.
fn debug_trace(scan: &mut Scan, jobs: &[Job]) {
    let doc = scan.doc;
    let Some(root) = doc.root else { return };
    let mut places: Vec<(Var, String)> = Vec::new();
    let global = variables(doc, doc.get(root, "variables"));
    for v in global {
        places.push((v, "every job".into()));
    }
    for job in jobs {
        if let Some(j) = job.node {
            for v in variables(doc, doc.get(j, "variables")) {
                places.push((v, format!("job `{}`", job.name)));
            }
        }
    }
    for (v, scope) in places {
        if !matches!(v.name.as_str(), "CI_DEBUG_TRACE" | "CI_DEBUG_SERVICES") {
            continue;
        }
        let on = doc
            .str(v.value)
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("true"));
        if !on {
            continue;
        }
        let secrets = jobs.iter().any(|j| uses_secrets(scan, j));
        let mut hit = Hit::new(
            "NHI424",
            doc.span(v.key),
            format!("Setting `{}` to true writes every variable of {scope}, including masked secrets, to the job log", v.name),
        )
        .key(format!("{}:{scope}", v.name));
        if secrets {
            hit = hit
                .confidence(Confidence::High)
                .prop("secrets_referenced", true);
        }
        scan.hit(hit);
    }
}

/// NHI434: the removed predefined JWT variables.
fn job_jwt(scan: &mut Scan) {
    let doc = scan.doc;
    let Some(root) = doc.root else { return };
    let mut found = Vec::new();
    for n in doc.descendants(root, WALK_LIMIT) {
        let Some(s) = doc.str(n) else { continue };
        let mut from = 0;
        while let Some(i) = s[from..].find("CI_JOB_JWT") {
            let at = from + i;
            let mut end = at + "CI_JOB_JWT".len();
            if s[end..].starts_with("_V2") || s[end..].starts_with("_V1") {
                end += 3;
            }
            let word_end = s[end..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
            if word_end {
                found.push((n, at..end));
            }
            from = end;
        }
    }
    for (n, r) in found {
        let name = doc.str(n).unwrap_or("")[r.clone()].to_string();
        let span = scan.sub(n, r);
        scan.hit(
            Hit::new("NHI434", span, format!("The variable `{name}` was removed in GitLab 17.0 and had one audience for every relying party; declare `id_tokens:` with a specific `aud`"))
                .key(format!("jwt:{name}")),
        );
    }
}

/// NHI435 and federation facts from `id_tokens`.
fn id_tokens(scan: &mut Scan, jobs: &[Job]) {
    let doc = scan.doc;
    let mut places = Vec::new();
    for job in jobs {
        let Some(j) = job.node else { continue };
        let Some((k, tokens)) = doc.get_entry(j, "id_tokens") else {
            continue;
        };
        places.push((job.name.clone(), k, tokens));
    }
    for (job, k, tokens) in places {
        scan.fact("oidc", doc.span(k));
        for (tk, t) in doc.entries(tokens) {
            let token = doc.str(tk).unwrap_or("").to_string();
            let Some((ak, aud)) = doc.get_entry(t, "aud") else {
                scan.hit(
                    Hit::new(
                        "NHI435",
                        doc.span(tk),
                        format!("ID token `{token}` has no `aud`"),
                    )
                    .key(format!("{job}:{token}:none")),
                );
                continue;
            };
            let values: Vec<NodeId> = if doc.str(aud).is_some() {
                vec![aud]
            } else {
                doc.items(aud).to_vec()
            };
            for &v in &values {
                let a = doc.str(v).unwrap_or("").trim().to_ascii_lowercase();
                for (needle, key) in [
                    ("sts.amazonaws.com", "aws"),
                    ("azureadtokenexchange", "azure"),
                    ("iam.googleapis.com", "gcp"),
                    ("vault", "vault"),
                    ("pypi", "pypi"),
                    ("npm:registry.npmjs.org", "npm"),
                    ("jfrog", "jfrog"),
                ] {
                    if a.contains(needle) {
                        scan.fact(key, doc.span(v));
                    }
                }
                let instance = matches!(
                    a.trim_end_matches('/'),
                    "$ci_server_url" | "${ci_server_url}" | "https://gitlab.com"
                );
                let (why, conf) = if a.is_empty() || a.contains('*') {
                    (
                        "is empty or a wildcard, so any relying party accepts it",
                        Some(Confidence::High),
                    )
                } else if instance {
                    ("is the GitLab instance URL, which every relying party configured the default way accepts", Some(Confidence::Low))
                } else {
                    continue;
                };
                scan.hit(
                    Hit::new("NHI435", doc.span(v), format!("ID token `{token}` audience `{a}` {why}; use one audience per relying party"))
                        .key(format!("{job}:{token}:{a}"))
                        .confidence(conf.unwrap_or(Confidence::Medium)),
                );
            }
            if values.len() > 1 {
                scan.hit(
                    Hit::new("NHI435", doc.span(ak), format!("ID token `{token}` names {} audiences, so one token is accepted by every one of those relying parties; mint one token per audience", values.len()))
                        .key(format!("{job}:{token}:multi")),
                );
            }
        }
    }
}
