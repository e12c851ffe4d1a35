//! CircleCI (`.circleci/config.yml`): jobs and reusable commands, their
//! `environment`, `run` steps (string or `command:`), `store_artifacts`,
//! and orb commands (`aws-cli/setup: {…}`) read as `uses` with inputs.

use super::model::{scripts, vars, Job, Step, Var};
use super::yaml::NodeId;
use super::Scan;

pub fn read(scan: &Scan) -> Vec<Job> {
    let doc = scan.doc;
    let Some(root) = doc.root else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for section in ["jobs", "commands"] {
        let Some(map) = doc.get(root, section) else {
            continue;
        };
        for (k, j) in doc.entries(map) {
            let mut job = Job {
                name: doc.str(k).unwrap_or("").to_string(),
                node: Some(j),
                env: vars(doc, doc.get(j, "environment")),
                steps: Vec::new(),
            };
            if let Some(steps) = doc.get(j, "steps") {
                job.steps = doc
                    .items(steps)
                    .iter()
                    .filter_map(|&s| step(scan, s))
                    .collect();
            }
            out.push(job);
        }
    }
    out
}

fn step(scan: &Scan, s: NodeId) -> Option<Step> {
    let doc = scan.doc;
    // `- checkout` and other bare commands carry nothing to check.
    let (k, v) = *doc.entries(s).first()?;
    let name = doc.str(k)?.to_string();
    let mut st = Step {
        node: Some(s),
        ..Step::default()
    };
    match name.as_str() {
        "run" => {
            if doc.str(v).is_some() {
                st.scripts.push(doc.resolve(v));
            } else {
                scripts(doc, doc.get(v, "command"), &mut st.scripts);
                st.env = vars(doc, doc.get(v, "environment"));
            }
        }
        "store_artifacts" => {
            st.uses = Some((name, k));
            if let Some((pk, pv)) = doc.get_entry(v, "path") {
                st.with.push(Var {
                    name: "path".into(),
                    key: pk,
                    value: pv,
                });
            }
        }
        _ => {
            st.uses = Some((name, k));
            st.with = vars(doc, doc.is_map(v).then_some(v));
        }
    }
    Some(st)
}
