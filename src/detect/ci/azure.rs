//! Azure Pipelines (`azure-pipelines*.yml`): every mapping with `steps`
//! (pipeline, job, deployment strategy) is a job; variables in map or list
//! form; `script`/`bash`/`pwsh`/`powershell` steps and `task:` steps with
//! `inputs`. Azure-only check: `addSpnToEnvironment` with the service
//! principal key printed (NHI425).

use super::model::{scripts, vars, Job, Step, Var};
use super::names::var_refs;
use super::shell::logical_lines;
use super::yaml::{Doc, NodeId};
use super::{Hit, Scan, WALK_LIMIT};

/// `variables:` as a map, or a list of `{name, value}` (groups and templates skipped).
fn variables(doc: &Doc, node: Option<NodeId>) -> Vec<Var> {
    let Some(node) = node else { return Vec::new() };
    if doc.is_map(node) {
        return vars(doc, Some(node));
    }
    doc.items(node)
        .iter()
        .filter_map(|&i| {
            let (k, name) = doc.get_entry(i, "name")?;
            let value = doc.get(i, "value")?;
            Some(Var {
                name: doc.str(name)?.to_string(),
                key: k,
                value,
            })
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
    for n in doc.descendants(root, WALK_LIMIT) {
        if !doc.is_map(n) {
            continue;
        }
        let Some(steps) = doc.get(n, "steps") else {
            continue;
        };
        let name = doc
            .get_str(n, "job")
            .or_else(|| doc.get_str(n, "deployment"))
            .unwrap_or(if n == root { "(pipeline)" } else { "(steps)" })
            .to_string();
        let mut job = Job {
            name,
            node: Some(n),
            env: global.clone(),
            steps: Vec::new(),
        };
        if n != root {
            job.env.extend(variables(doc, doc.get(n, "variables")));
        }
        job.steps = doc.items(steps).iter().map(|&s| step(doc, s)).collect();
        out.push(job);
    }
    out
}

fn step(doc: &Doc, s: NodeId) -> Step {
    let mut st = Step {
        node: Some(s),
        env: vars(doc, doc.get(s, "env")),
        ..Step::default()
    };
    for key in ["script", "bash", "pwsh", "powershell"] {
        scripts(doc, doc.get(s, key), &mut st.scripts);
    }
    if let Some(t) = doc.get(s, "task") {
        st.uses = doc.str(t).map(|x| (x.to_string(), t));
        let inputs = doc.get(s, "inputs");
        st.with = vars(doc, inputs);
        if let Some(i) = inputs {
            for key in ["inlineScript", "script"] {
                scripts(doc, doc.get(i, key), &mut st.scripts);
            }
        }
    }
    st
}

/// Variables `addSpnToEnvironment` exposes to the script.
const SPN_VARS: &[&str] = &["servicePrincipalKey", "idToken"];

pub fn check(scan: &mut Scan, jobs: &[Job]) {
    let doc = scan.doc;
    let mut hits = Vec::new();
    for (_, step) in super::all_steps(jobs) {
        let adds_spn = step.with.iter().any(|v| {
            v.name.eq_ignore_ascii_case("addSpnToEnvironment")
                && doc
                    .str(v.value)
                    .is_some_and(|s| s.trim().eq_ignore_ascii_case("true"))
        });
        if !adds_spn {
            continue;
        }
        for &s in &step.scripts {
            let Some(value) = doc.str(s) else { continue };
            for (off, line) in logical_lines(value) {
                let lower = line.trim_start().to_ascii_lowercase();
                let prints = ["echo", "write-host", "write-output", "printf"]
                    .iter()
                    .any(|p| lower.starts_with(p));
                let publishes =
                    lower.contains("##vso[task.setvariable") && !lower.contains("issecret=true");
                if !(prints || publishes) {
                    continue;
                }
                for (r, name) in var_refs(line) {
                    if SPN_VARS.iter().any(|v| v.eq_ignore_ascii_case(name)) {
                        hits.push((s, off + r.start..off + r.end, name.to_string()));
                    }
                }
            }
        }
    }
    for (s, r, name) in hits {
        let span = scan.sub(s, r);
        scan.hit(
            Hit::new("NHI425", span, format!("The task's `addSpnToEnvironment` input exposes `{name}`, and this line prints or re-publishes it"))
                .key(format!("spn:{name}")),
        );
    }
}
