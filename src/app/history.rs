//! Git modes of `scan`: which git source runs, and how history findings are
//! merged. A secret committed in 20 commits is one finding: findings share a
//! content fingerprint (rule + secret + path), so they are merged on it,
//! keeping the earliest introduction; a working-tree finding for the same
//! fingerprint keeps its current location and gains the commit.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Result};

use crate::cli::GitArgs;
use crate::finding::{Finding, Origin};
use crate::report::text::date;
use crate::source::git::{self, HistoryOptions, Repo};
use crate::source::Event;

/// Open the repository the git flags need (`PATH` must be its top).
pub fn open(args: &GitArgs, paths: &[std::path::PathBuf]) -> Result<Option<Repo>> {
    if !args.scans_history() && !args.staged {
        return Ok(None);
    }
    let [path] = paths else {
        bail!("--history, --since and --staged scan one repository: give one PATH");
    };
    git::open(Path::new(path)).map(Some)
}

/// Run the git source the flags ask for; returns a one-line summary.
pub fn scan<F, V>(
    repo: &Repo,
    args: &GitArgs,
    opts: HistoryOptions,
    make_visitor: F,
) -> Result<String>
where
    F: Fn() -> V + Sync,
    V: FnMut(Event) + Send,
{
    if args.staged {
        let n = git::staged(repo, &opts, make_visitor)?;
        return Ok(format!("{n} staged file(s) differ from HEAD"));
    }
    let opts = HistoryOptions {
        since: args.since.clone(),
        ..opts
    };
    let stats = git::history(repo, &opts, make_visitor)?;
    Ok(format!(
        "{} commit(s), {} distinct blob(s) in history",
        stats.commits, stats.blobs
    ))
}

/// Merge findings that share a fingerprint across commits (and with the
/// working tree), then put the commit in each history finding's message.
pub fn merge(findings: Vec<Finding>) -> Vec<Finding> {
    let mut earliest: HashMap<String, Finding> = HashMap::new();
    let mut others = Vec::with_capacity(findings.len());
    for f in findings {
        if !matches!(f.origin, Origin::Git { .. }) {
            others.push(f);
            continue;
        }
        match earliest.get_mut(&f.fingerprint) {
            None => {
                earliest.insert(f.fingerprint.clone(), f);
            }
            Some(kept) => {
                let at_head = either_at_head(&kept.origin, &f.origin);
                if introduced_before(&f, kept) {
                    *kept = f;
                }
                set_at_head(&mut kept.origin, at_head);
            }
        }
    }
    // Working-tree findings of a committed secret take its commit.
    for f in &mut others {
        if matches!(f.origin, Origin::WorkingTree) {
            if let Some(h) = earliest.get(&f.fingerprint) {
                f.origin = h.origin.clone();
            }
        }
    }
    let in_tree: std::collections::HashSet<&str> = others
        .iter()
        .filter(|f| matches!(f.origin, Origin::Git { .. }))
        .map(|f| f.fingerprint.as_str())
        .collect();
    let mut history: Vec<Finding> = earliest
        .into_values()
        .filter(|f| !in_tree.contains(f.fingerprint.as_str()))
        .collect();
    let mut out = others;
    out.append(&mut history);
    for f in &mut out {
        describe_commit(f);
    }
    out
}

/// Earlier author time first; ties by commit id, then position, so the
/// choice does not depend on thread timing.
fn introduced_before(a: &Finding, b: &Finding) -> bool {
    let key = |f: &Finding| match &f.origin {
        Origin::Git {
            author_time,
            commit,
            ..
        } => (*author_time, commit.clone(), f.location.region),
        _ => unreachable!("only history findings are compared"),
    };
    key(a) < key(b)
}

fn either_at_head(a: &Origin, b: &Origin) -> Option<bool> {
    match (a, b) {
        (Origin::Git { at_head: x, .. }, Origin::Git { at_head: y, .. }) => match (x, y) {
            (None, None) => None,
            _ => Some(x.unwrap_or(false) || y.unwrap_or(false)),
        },
        _ => None,
    }
}

fn set_at_head(o: &mut Origin, v: Option<bool>) {
    if let Origin::Git { at_head, .. } = o {
        *at_head = v;
    }
}

/// "… (introduced in commit 0123456789ab on 2024-05-01; no longer at HEAD
/// but still in history)". Names and e-mails of authors are never shown.
fn describe_commit(f: &mut Finding) {
    let Origin::Git {
        commit,
        author_time,
        at_head,
    } = &f.origin
    else {
        return;
    };
    let tail = match at_head {
        Some(false) => "; no longer at HEAD but still in history",
        _ => "",
    };
    f.message = format!(
        "{} (introduced in commit {} on {}{tail})",
        f.message,
        &commit[..commit.len().min(12)],
        date(*author_time)
    );
}
