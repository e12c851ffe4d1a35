//! GitHub Actions: workflows (`.github/workflows/*.yml`) and composite
//! actions (`action.yml`). Reads jobs and steps, and checks the plumbing
//! only GitHub has: `secrets: inherit` (NHI431), privileged triggers that
//! check out pull-request code with secrets (NHI432), workflow-wide
//! `id-token: write` (NHI433), `fromJSON(secrets.X).field` (NHI422) and
//! `toJSON(secrets)` (NHI423).

use super::model::{scripts, vars, Job, Step};
use super::names::{expressions, reads_secret};
use super::yaml::NodeId;
use super::{Hit, Scan, WALK_LIMIT};

pub fn read(scan: &Scan) -> Vec<Job> {
    let doc = scan.doc;
    let Some(root) = doc.root else {
        return Vec::new();
    };
    if scan.item.file_name().starts_with("action.") {
        let Some(runs) = doc.get(root, "runs") else {
            return Vec::new();
        };
        let mut job = Job {
            name: "action".into(),
            node: Some(runs),
            ..Job::default()
        };
        if let Some(steps) = doc.get(runs, "steps") {
            job.steps = doc.items(steps).iter().map(|&s| step(scan, s)).collect();
        }
        return vec![job];
    }
    let top_env = vars(doc, doc.get(root, "env"));
    let Some(jobs) = doc.get(root, "jobs") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, j) in doc.entries(jobs) {
        let mut job = Job {
            name: doc.str(k).unwrap_or("").to_string(),
            node: Some(j),
            env: top_env.clone(),
            steps: Vec::new(),
        };
        job.env.extend(vars(doc, doc.get(j, "env")));
        if let Some(steps) = doc.get(j, "steps") {
            job.steps = doc.items(steps).iter().map(|&s| step(scan, s)).collect();
        }
        // A reusable-workflow call is one step: `uses` with `with`.
        if let Some(u) = doc.get(j, "uses") {
            job.steps.push(Step {
                node: Some(j),
                uses: doc.str(u).map(|s| (s.to_string(), u)),
                with: vars(doc, doc.get(j, "with")),
                ..Step::default()
            });
        }
        // Service containers' environments are inputs too.
        if let Some(services) = doc.get(j, "services") {
            for (_, svc) in doc.entries(services) {
                job.steps.push(Step {
                    node: Some(svc),
                    env: vars(doc, doc.get(svc, "env")),
                    ..Step::default()
                });
            }
        }
        out.push(job);
    }
    out
}

fn step(scan: &Scan, s: NodeId) -> Step {
    let doc = scan.doc;
    let mut st = Step {
        node: Some(s),
        uses: doc
            .get(s, "uses")
            .and_then(|u| doc.str(u).map(|t| (t.to_string(), u))),
        with: vars(doc, doc.get(s, "with")),
        env: vars(doc, doc.get(s, "env")),
        scripts: Vec::new(),
    };
    scripts(doc, doc.get(s, "run"), &mut st.scripts);
    // actions/github-script's `script` is a program too (JavaScript).
    if st
        .uses
        .as_ref()
        .is_some_and(|(u, _)| u.to_ascii_lowercase().starts_with("actions/github-script"))
    {
        scripts(
            doc,
            doc.get(doc.get(s, "with").unwrap_or(s), "script"),
            &mut st.scripts,
        );
    }
    st
}

const WORKFLOW_KEYS: &[&str] = &[
    "name",
    "run-name",
    "on",
    "permissions",
    "env",
    "defaults",
    "concurrency",
    "jobs",
];
const JOB_KEYS: &[&str] = &[
    "name",
    "permissions",
    "needs",
    "if",
    "runs-on",
    "environment",
    "concurrency",
    "outputs",
    "env",
    "defaults",
    "steps",
    "timeout-minutes",
    "strategy",
    "continue-on-error",
    "container",
    "services",
    "uses",
    "with",
    "secrets",
    "snapshot",
];
const STEP_KEYS: &[&str] = &[
    "id",
    "if",
    "name",
    "uses",
    "run",
    "working-directory",
    "shell",
    "with",
    "env",
    "continue-on-error",
    "timeout-minutes",
];
const ACTION_KEYS: &[&str] = &[
    "name",
    "author",
    "description",
    "inputs",
    "outputs",
    "runs",
    "branding",
];

/// Keys GitHub does not define: ignored by the audit, reported as one note per file.
fn unknown_keys(scan: &mut Scan, root: NodeId, jobs: &[Job]) {
    let doc = scan.doc;
    let mut unknown = Vec::new();
    let collect = |map: NodeId, known: &[&str], unknown: &mut Vec<String>| {
        for (k, _) in doc.entries(map) {
            if let Some(key) = doc.str(k) {
                if !known.contains(&key) && key != "true" {
                    let p = scan.item.position(doc.span(k).start);
                    unknown.push(format!("`{key}` (line {})", p.line));
                }
            }
        }
    };
    if scan.item.file_name().starts_with("action.") {
        collect(root, ACTION_KEYS, &mut unknown);
    } else {
        collect(root, WORKFLOW_KEYS, &mut unknown);
        for job in jobs {
            if let Some(j) = job.node.filter(|&j| doc.is_map(j)) {
                collect(j, JOB_KEYS, &mut unknown);
                if let Some(steps) = doc.get(j, "steps") {
                    for &s in doc.items(steps) {
                        collect(s, STEP_KEYS, &mut unknown);
                    }
                }
            }
        }
    }
    if !unknown.is_empty() {
        let n = unknown.len();
        unknown.truncate(5);
        scan.note(format!(
            "{} unknown to GitHub Actions ignored by the CI audit: {}{}",
            count(n, "key", "keys"),
            unknown.join(", "),
            if n > 5 { ", …" } else { "" }
        ));
    }
}

pub fn check(scan: &mut Scan, jobs: &[Job]) {
    let doc = scan.doc;
    let Some(root) = doc.root else { return };
    unknown_keys(scan, root, jobs);
    // For callers of this workflow (see `reusable`): it needs the caller's
    // grant when a job federates or it asks for `id-token: write` itself.
    scan.fact(super::reusable::SCANNED, 0..0);
    if scan.src.contains("id-token: write")
        || jobs
            .iter()
            .any(|j| super::federation::job_needs_id_token(scan, j))
    {
        scan.fact(super::reusable::FEDERATES, 0..0);
    }
    permissions(scan, root, jobs);
    for job in jobs {
        let Some(j) = job.node else { continue };
        if let Some(v) = doc.get(j, "secrets") {
            if doc.str(v) == Some("inherit") {
                let span = doc.span(v);
                scan.hit(
                    Hit::new("NHI431", span, format!("Job `{}` passes every repository and organisation secret to the called workflow", job.name))
                        .key(format!("inherit:{}", job.name)),
                );
            }
        }
    }
    privileged_triggers(scan, root, jobs);
    expressions_everywhere(scan, root);
}

/// NHI433 and federation facts from `permissions`.
fn permissions(scan: &mut Scan, root: NodeId, jobs: &[Job]) {
    let doc = scan.doc;
    let mut job_grants = Vec::new();
    for job in jobs {
        if let Some(p) = job.node.and_then(|j| doc.get(j, "permissions")) {
            if let Some((k, v)) = doc.get_entry(p, "id-token") {
                if doc.str(v) == Some("write") {
                    job_grants.push(doc.span(k));
                }
            }
        }
    }
    // Pages deployments and build attestations also need `id-token: write`;
    // they say nothing about federating with a cloud.
    let cloud = !super::all_steps(jobs).any(|(_, st)| {
        st.uses.as_ref().is_some_and(|(u, _)| {
            let u = u.to_ascii_lowercase();
            u.starts_with("actions/deploy-pages")
                || u.starts_with("actions/attest")
                || u.starts_with("sigstore/")
                || u.starts_with("slsa-framework/")
                || u.starts_with("codecov/")
        })
    });
    if cloud {
        for span in job_grants {
            scan.fact("oidc", span);
        }
    }
    let Some((_, p)) = doc.get_entry(root, "permissions") else {
        return;
    };
    // A job with its own `permissions:` does not get the workflow's grant;
    // a job that federates needs it.
    let own = |job: &Job| {
        job.node
            .is_some_and(|j| doc.get(j, "permissions").is_some())
    };
    let granted: Vec<&Job> = jobs.iter().filter(|j| !own(j)).collect();
    // A reusable workflow of this repository is read where it lies: the
    // repository pass (`reusable::settle`) counts its caller as idle when it
    // does not federate. Until then it is taken to federate, as a remote one is.
    let local: Vec<String> = granted
        .iter()
        .filter_map(|j| j.node.and_then(|n| doc.get(n, "uses")))
        .filter_map(|u| super::reusable::local_path(doc.str(u)?))
        .collect();
    let idle = granted
        .iter()
        .filter(|j| !super::federation::job_needs_id_token(scan, j))
        .count();
    let (span, what) = if doc.str(p) == Some("write-all") {
        (doc.span(p), "`permissions: write-all`")
    } else if let Some((k, v)) = doc.get_entry(p, "id-token") {
        if doc.str(v) != Some("write") {
            return;
        }
        (doc.span(k), "`id-token: write`")
    } else {
        return;
    };
    if cloud {
        scan.fact("oidc", span.clone());
    }
    // With one job there is nothing to narrow the grant to; when every job
    // it reaches federates, it is where it belongs.
    if jobs.len() < 2 || (idle == 0 && local.is_empty()) {
        return;
    }
    let jobs_n = granted.len();
    let mut hit = Hit::new("NHI433", span, id_token_message(what, jobs_n, idle))
        .key("workflow-id-token")
        .prop("jobs", jobs_n)
        .prop("jobs_not_federating", idle);
    if !local.is_empty() {
        hit = hit
            .prop(super::reusable::PENDING, local)
            .prop(super::reusable::GRANT, what);
    }
    scan.hit(hit);
}

/// NHI433's message: `idle` of the `jobs` the workflow-level grant reaches
/// do not federate (`idle` ≥ 1).
pub fn id_token_message(what: &str, jobs: usize, idle: usize) -> String {
    if idle == jobs {
        let them = if jobs == 1 { "it" } else { "them" };
        format!("Workflow-level {what} lets {} mint OIDC tokens and no step in {them} is a known OIDC login; grant it only in the job that federates", count(jobs, "job", "jobs"))
    } else {
        let verb = if idle == 1 { "does" } else { "do" };
        format!("Workflow-level {what} reaches {}, {idle} of which {verb} not federate through a known OIDC login; grant it only in the jobs that federate", count(jobs, "job", "jobs"))
    }
}

/// An expression as the file spells it, cut at 60 characters (the cut is
/// outside the quotes, so what is quoted is text of the file).
fn shown_expr(expr: &str) -> String {
    let cut: String = expr.chars().take(60).collect();
    if cut.len() < expr.len() {
        format!("`{cut}`…")
    } else {
        format!("`{cut}`")
    }
}

/// `1 job`, `3 jobs`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The events that run with the base repository's secrets on untrusted input.
const PRIVILEGED: &[&str] = &["pull_request_target", "workflow_run"];

fn triggers(scan: &Scan, root: NodeId) -> Vec<(String, NodeId)> {
    let doc = scan.doc;
    // YAML 1.2 keeps `on` a string; `true` is what a YAML 1.1 writer may have produced.
    let Some(on) = doc.get(root, "on").or_else(|| doc.get(root, "true")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(s) = doc.str(on) {
        out.push((s.to_string(), on));
    } else if doc.is_map(on) {
        for (ek, _) in doc.entries(on) {
            if let Some(s) = doc.str(ek) {
                out.push((s.to_string(), ek));
            }
        }
    } else {
        for &i in doc.items(on) {
            if let Some(s) = doc.str(i) {
                out.push((s.to_string(), i));
            }
        }
    }
    out
}

/// Expressions and commands that fetch the pull request's head.
const PR_HEAD: &[&str] = &[
    "github.event.pull_request.head.sha",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.repo.full_name",
    "github.head_ref",
    "github.event.workflow_run.head_sha",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_repository.full_name",
    "refs/pull/",
    "gh pr checkout",
];

/// Whether anything after the checkout can run the pull request's code: a
/// later action (a local `./` one certainly; others may build what they find)
/// or a script command other than `gh`/`git`/shell control flow. A job that
/// checks out the pull request only to approve or label it with `gh` runs
/// none of it.
fn runs_checked_out_code(scan: &Scan, later: &[Step], rest: &str) -> bool {
    const INERT: &[&str] = &[
        "gh", "git", "echo", "printf", "if", "then", "else", "elif", "fi", "[", "[[", "test",
        "exit", "true", "false", "export", "set", "cd", "}", "{",
    ];
    const INERT_ACTIONS: &[&str] = &[
        "actions/github-script",
        "actions/labeler",
        "peter-evans/create-or-update-comment",
        "dependabot/fetch-metadata",
    ];
    let script_runs = |text: &str| {
        super::shell::logical_lines(text)
            .into_iter()
            .any(|(_, line)| {
                let t = line.trim();
                !t.is_empty()
                    && !t.starts_with('#')
                    && super::shell::segments(line).iter().any(|seg| {
                        let cmd = super::shell::command(&line[seg.range.clone()]);
                        !cmd.is_empty() && !INERT.contains(&cmd)
                    })
            })
    };
    if script_runs(rest) {
        return true;
    }
    later.iter().any(|st| {
        let action = st.uses.as_ref().is_some_and(|(u, _)| {
            let u = u.to_ascii_lowercase();
            !INERT_ACTIONS.iter().any(|a| u.starts_with(a))
        });
        action
            || st
                .scripts
                .iter()
                .any(|&n| scan.doc.str(n).is_some_and(script_runs))
    })
}

/// NHI432: a `pull_request_target`/`workflow_run` job that has secrets and
/// checks out the pull request's code.
fn privileged_triggers(scan: &mut Scan, root: NodeId, jobs: &[Job]) {
    let doc = scan.doc;
    let Some((event, event_node)) = triggers(scan, root)
        .into_iter()
        .find(|(e, _)| PRIVILEGED.contains(&e.as_str()))
    else {
        return;
    };
    for job in jobs {
        let Some(j) = job.node else { continue };
        let mut secret_use = None;
        for n in doc.descendants(j, WALK_LIMIT) {
            if let Some(s) = doc.str(n) {
                if let Some((r, _)) = expressions(s).into_iter().find(|(_, e)| reads_secret(e)) {
                    secret_use = Some(scan.sub(n, r));
                    break;
                }
                if s == "inherit" {
                    secret_use = Some(doc.span(n));
                    break;
                }
            }
        }
        let Some(secret_use) = secret_use else {
            continue;
        };
        let mut checkout = None;
        let mut after = None;
        for (k, step) in job.steps.iter().enumerate() {
            let is_checkout = step
                .uses
                .as_ref()
                .is_some_and(|(u, _)| u.to_ascii_lowercase().starts_with("actions/checkout"));
            let candidates: Vec<NodeId> = if is_checkout {
                step.with
                    .iter()
                    .filter(|v| v.name == "ref" || v.name == "repository")
                    .map(|v| v.value)
                    .collect()
            } else {
                step.scripts.clone()
            };
            for n in candidates {
                let Some(s) = doc.str(n) else { continue };
                if let Some((i, m)) = PR_HEAD.iter().find_map(|m| s.find(m).map(|i| (i, m))) {
                    checkout = Some(scan.sub(n, i..i + m.len()));
                    // What runs after it: the rest of this script, then later steps.
                    let rest = if is_checkout {
                        ""
                    } else {
                        s[i..].split_once('\n').map_or("", |r| r.1)
                    };
                    after = Some((k, rest.to_string()));
                    break;
                }
            }
            if checkout.is_some() {
                break;
            }
        }
        let Some(at) = checkout else { continue };
        if let Some((k, rest)) = &after {
            if !runs_checked_out_code(scan, &job.steps[k + 1..], rest) {
                continue;
            }
        }
        let trigger_span = doc.span(event_node);
        // A deployment environment can require a reviewer before the job runs.
        let gated = doc.get(j, "environment").is_some();
        let mut hit = Hit::new("NHI432", at, format!("Job `{}` runs on `{event}` with secrets and checks out the pull request's code, so that code can read them{}", job.name, if gated { " (the job's environment may require approval first)" } else { "" }));
        if gated {
            hit = hit
                .confidence(crate::finding::Confidence::Low)
                .prop("environment_gate", true);
        }
        scan.hit(
            hit.key(format!("{event}:{}", job.name))
                .prop("trigger", event.clone())
                .related(
                    trigger_span,
                    format!("`{event}` runs with the base repository's secrets"),
                )
                .related(secret_use, "secret available to the job"),
        );
    }
}

/// NHI422 / NHI423 wherever an expression appears.
fn expressions_everywhere(scan: &mut Scan, root: NodeId) {
    let doc = scan.doc;
    let mut hits = Vec::new();
    for n in doc.descendants(root, WALK_LIMIT) {
        let Some(s) = doc.str(n) else { continue };
        if !s.contains("${{") {
            continue;
        }
        for (r, expr) in expressions(s) {
            let e: String = expr.chars().filter(|c| !c.is_whitespace()).collect();
            let lower = e.to_ascii_lowercase();
            if lower.contains("tojson(secrets)") {
                hits.push((
                    n,
                    r.clone(),
                    "NHI423",
                    format!("The expression {} serialises every secret of the repository into one value", shown_expr(expr)),
                ));
            }
            if let Some(i) = lower.find("fromjson(secrets") {
                let after = &e[i..];
                if let Some(close) = after.find(')') {
                    let tail = &after[close + 1..];
                    if tail.starts_with('.') || tail.starts_with('[') {
                        hits.push((n, r.clone(), "NHI422", format!("The expression {} extracts a field from a JSON secret; the field is not registered for log masking", shown_expr(expr))));
                    }
                }
            }
        }
    }
    for (n, r, rule, msg) in hits {
        let span = scan.sub(n, r);
        let key = format!("{rule}:{}", scan.src.get(span.clone()).unwrap_or(""));
        scan.hit(Hit::new(rule, span, msg).key(key));
    }
}
