//! Bitbucket Pipelines (`bitbucket-pipelines.yml`): every `step:` anywhere
//! under `pipelines`/`definitions` is a job; script lines, pipes (`pipe:`
//! with `variables`, read as `uses` with inputs), artifacts and `oidc: true`.

use super::model::{vars, Job, Step, Var};
use super::yaml::NodeId;
use super::{Scan, WALK_LIMIT};

pub fn read(scan: &mut Scan) -> Vec<Job> {
    let doc = scan.doc;
    let Some(root) = doc.root else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut oidc = Vec::new();
    for n in doc.descendants(root, WALK_LIMIT) {
        if !doc.is_map(n) {
            continue;
        }
        let Some(s) = doc.get(n, "step") else {
            continue;
        };
        if !doc.is_map(s) {
            continue;
        }
        if let Some((k, v)) = doc.get_entry(s, "oidc") {
            if doc.str(v) == Some("true") {
                oidc.push(doc.span(k));
            }
        }
        let mut job = Job {
            name: doc.get_str(s, "name").unwrap_or("(step)").to_string(),
            node: Some(s),
            ..Job::default()
        };
        let mut main = Step {
            node: Some(s),
            ..Step::default()
        };
        for key in ["script", "after-script"] {
            let Some(list) = doc.get(s, key) else {
                continue;
            };
            let items: Vec<NodeId> = if doc.str(list).is_some() {
                vec![list]
            } else {
                doc.items(list).to_vec()
            };
            for i in items {
                if doc.str(i).is_some() {
                    main.scripts.push(doc.resolve(i));
                } else if let Some(p) = doc.get(i, "pipe") {
                    job.steps.push(Step {
                        node: Some(i),
                        uses: doc.str(p).map(|x| (x.to_string(), p)),
                        with: vars(doc, doc.get(i, "variables")),
                        ..Step::default()
                    });
                }
            }
        }
        job.steps.insert(0, main);
        if let Some((ak, a)) = doc.get_entry(s, "artifacts") {
            let paths = if doc.is_map(a) {
                doc.get(a, "paths").unwrap_or(a)
            } else {
                a
            };
            job.steps.push(Step {
                uses: Some(("artifacts".into(), ak)),
                with: vec![Var {
                    name: "paths".into(),
                    key: ak,
                    value: paths,
                }],
                ..Step::default()
            });
        }
        out.push(job);
    }
    for span in oidc {
        scan.fact("oidc", span);
    }
    out
}
