//! Buildkite (`.buildkite/pipeline*.yml`): top-level `env`, command steps
//! (also inside `group` steps) with `command`/`commands`, `env`,
//! `artifact_paths`, and plugins read as `uses` with their settings.

use super::model::{scripts, vars, Job, Step, Var};
use super::yaml::NodeId;
use super::Scan;

pub fn read(scan: &Scan) -> Vec<Job> {
    let doc = scan.doc;
    let Some(root) = doc.root else {
        return Vec::new();
    };
    let global = vars(doc, doc.get(root, "env"));
    let mut out = Vec::new();
    let mut queue: Vec<NodeId> = doc
        .get(root, "steps")
        .map(|s| doc.items(s).to_vec())
        .unwrap_or_default();
    let mut guard = 0;
    while let Some(s) = queue.pop() {
        guard += 1;
        if guard > 100_000 {
            break;
        }
        if let Some(inner) = doc.get(s, "steps") {
            queue.extend(doc.items(inner).iter().copied());
            continue;
        }
        if !doc.is_map(s) {
            continue;
        }
        let mut job = Job {
            name: doc
                .get_str(s, "label")
                .or_else(|| doc.get_str(s, "key"))
                .unwrap_or("(step)")
                .to_string(),
            node: Some(s),
            env: global.clone(),
            steps: Vec::new(),
        };
        let mut main = Step {
            node: Some(s),
            env: vars(doc, doc.get(s, "env")),
            ..Step::default()
        };
        for key in ["command", "commands"] {
            scripts(doc, doc.get(s, key), &mut main.scripts);
        }
        job.steps.push(main);
        if let Some(plugins) = doc.get(s, "plugins") {
            for &p in doc.items(plugins) {
                let Some(&(k, v)) = doc.entries(p).first() else {
                    continue;
                };
                job.steps.push(Step {
                    node: Some(p),
                    uses: doc.str(k).map(|x| (x.to_string(), k)),
                    with: vars(doc, doc.is_map(v).then_some(v)),
                    ..Step::default()
                });
            }
        }
        if let Some((ak, a)) = doc.get_entry(s, "artifact_paths") {
            job.steps.push(Step {
                uses: Some(("artifacts".into(), ak)),
                with: vec![Var {
                    name: "paths".into(),
                    key: ak,
                    value: a,
                }],
                ..Step::default()
            });
        }
        out.push(job);
    }
    out.reverse();
    out
}
