//! The shape every CI system is read into: jobs with variables and steps,
//! steps with an action/task/orb/pipe/plugin reference, its inputs, its own
//! variables and its scripts. Every field keeps its YAML node so a finding
//! can point at it. Check families work on this shape, adapters fill it.

use super::yaml::{Doc, NodeId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    GitHub,
    GitLab,
    CircleCi,
    Azure,
    Bitbucket,
    Buildkite,
}

impl System {
    pub fn as_str(self) -> &'static str {
        match self {
            System::GitHub => "github-actions",
            System::GitLab => "gitlab-ci",
            System::CircleCi => "circleci",
            System::Azure => "azure-pipelines",
            System::Bitbucket => "bitbucket-pipelines",
            System::Buildkite => "buildkite",
        }
    }
}

/// A name/value pair: an env entry, a variable, an input.
#[derive(Debug, Clone)]
pub struct Var {
    pub name: String,
    pub key: NodeId,
    pub value: NodeId,
}

#[derive(Debug, Default, Clone)]
pub struct Step {
    /// The YAML node of the whole step (for positions of step-level findings).
    pub node: Option<NodeId>,
    /// Action / task / orb command / pipe / plugin reference and its node.
    pub uses: Option<(String, NodeId)>,
    /// Inputs given to `uses` (`with`, `inputs`, pipe `variables`, plugin config).
    pub with: Vec<Var>,
    pub env: Vec<Var>,
    /// Shell script scalars.
    pub scripts: Vec<NodeId>,
}

#[derive(Debug, Default, Clone)]
pub struct Job {
    pub name: String,
    pub node: Option<NodeId>,
    /// Variables in scope for the whole job, outer scopes first.
    pub env: Vec<Var>,
    pub steps: Vec<Step>,
}

impl Job {
    /// Variables in scope for `step`, inner scopes last (they win on lookup from the back).
    pub fn scope<'a>(&'a self, step: &'a Step) -> impl Iterator<Item = &'a Var> {
        self.env.iter().chain(step.env.iter())
    }
}

/// Read a mapping into variables; keeps only scalar-keyed entries.
pub fn vars(doc: &Doc, map: Option<NodeId>) -> Vec<Var> {
    let Some(map) = map else { return Vec::new() };
    doc.entries(map)
        .into_iter()
        .filter_map(|(k, v)| {
            Some(Var {
                name: doc.str(k)?.to_string(),
                key: k,
                value: v,
            })
        })
        .collect()
}

/// Script scalars under a node: a string, or a (nested) list of strings.
pub fn scripts(doc: &Doc, node: Option<NodeId>, out: &mut Vec<NodeId>) {
    fn walk(doc: &Doc, n: NodeId, depth: usize, out: &mut Vec<NodeId>) {
        if depth > 4 {
            return;
        }
        if doc.str(n).is_some() {
            out.push(doc.resolve(n));
        } else {
            for &i in doc.items(n) {
                walk(doc, i, depth + 1, out);
            }
        }
    }
    if let Some(n) = node {
        walk(doc, n, 0, out);
    }
}
