//! The commit graph: every commit reachable from the starting tips, ordered
//! parents before children so the first commit to show a blob is the one that
//! introduced it. Only commit headers are read here (tree id, parents, times).

use std::collections::{BinaryHeap, HashMap, HashSet};

use gix::objs::FindExt as _;
use gix::ObjectId;

use super::Notes;

/// What the scan needs of a commit. Author names and e-mails are never read.
#[derive(Debug, Clone)]
pub struct CommitInfo {
    pub id: ObjectId,
    pub tree: ObjectId,
    /// Indices (into the walk's list) of parents inside the walked set.
    pub parents: Vec<u32>,
    /// Parent ids outside the walked set (hidden by `--since`, or missing).
    pub outside_parents: Vec<ObjectId>,
    pub author_time: i64,
    pub commit_time: i64,
}

/// Walk every commit reachable from `tips`, not entering `hidden` commits,
/// and return them parents-first (Kahn's algorithm, oldest commit time first
/// among those ready, so the order is deterministic and chronological where
/// the graph allows). `shallow` commits are treated as roots.
pub fn walk(
    repo: &gix::Repository,
    tips: &[ObjectId],
    hidden: &HashSet<ObjectId>,
    shallow: &HashSet<ObjectId>,
    notes: &mut Notes,
) -> Vec<CommitInfo> {
    let mut index: HashMap<ObjectId, u32> = HashMap::new();
    let mut raw: Vec<(CommitInfo, Vec<ObjectId>)> = Vec::new();
    let mut stack: Vec<ObjectId> = tips
        .iter()
        .filter(|t| !hidden.contains(*t))
        .copied()
        .collect();
    let mut buf = Vec::new();
    while let Some(id) = stack.pop() {
        if index.contains_key(&id) {
            continue;
        }
        let commit = match repo.objects.find_commit(&id, &mut buf) {
            Ok(c) => c,
            Err(e) => {
                notes.error(
                    format!("commit {}", short(&id)),
                    format!("cannot read commit, its history is not scanned: {e}"),
                );
                // Remember it so it is not retried through another child.
                index.insert(id, u32::MAX);
                continue;
            }
        };
        let author_time = commit
            .author()
            .ok()
            .and_then(|a| a.time().ok())
            .map_or(0, |t| t.seconds);
        let commit_time = commit.time().map_or(author_time, |t| t.seconds);
        let parents: Vec<ObjectId> = if shallow.contains(&id) {
            Vec::new()
        } else {
            commit.parents().collect()
        };
        let info = CommitInfo {
            id,
            tree: commit.tree(),
            parents: Vec::new(),
            outside_parents: Vec::new(),
            author_time,
            commit_time,
        };
        index.insert(id, raw.len() as u32);
        for p in &parents {
            if !hidden.contains(p) && !index.contains_key(p) {
                stack.push(*p);
            }
        }
        raw.push((info, parents));
    }
    // Resolve parent links now that every walked commit has an index.
    let mut commits: Vec<CommitInfo> = Vec::with_capacity(raw.len());
    for (mut info, parents) in raw {
        for p in parents {
            match index.get(&p) {
                Some(&i) if i != u32::MAX => info.parents.push(i),
                _ => info.outside_parents.push(p),
            }
        }
        commits.push(info);
    }
    topo_order(commits)
}

/// Parents before children; among commits whose parents are all placed, the
/// oldest commit time first (ties by id for determinism).
fn topo_order(commits: Vec<CommitInfo>) -> Vec<CommitInfo> {
    let n = commits.len();
    let mut children: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut pending: Vec<usize> = vec![0; n];
    for (i, c) in commits.iter().enumerate() {
        for &p in &c.parents {
            children[p as usize].push(i as u32);
            pending[i] += 1;
        }
    }
    let key = |i: usize| std::cmp::Reverse((commits[i].commit_time, commits[i].id));
    let mut ready: BinaryHeap<(std::cmp::Reverse<(i64, ObjectId)>, usize)> = (0..n)
        .filter(|&i| pending[i] == 0)
        .map(|i| (key(i), i))
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some((_, i)) = ready.pop() {
        order.push(i);
        for &c in &children[i] {
            pending[c as usize] -= 1;
            if pending[c as usize] == 0 {
                ready.push((key(c as usize), c as usize));
            }
        }
    }
    // Renumber parents to positions in the new order.
    let mut position = vec![0u32; n];
    for (pos, &i) in order.iter().enumerate() {
        position[i] = pos as u32;
    }
    let mut slots: Vec<Option<CommitInfo>> = commits.into_iter().map(Some).collect();
    order
        .into_iter()
        .map(|i| {
            let mut c = slots[i].take().expect("each commit placed once");
            for p in &mut c.parents {
                *p = position[*p as usize];
            }
            c
        })
        .collect()
}

/// The first 12 hex digits of an id, for messages.
pub fn short(id: &gix::oid) -> String {
    id.to_hex_with_len(12).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(n: u8, parents: Vec<u32>, time: i64) -> CommitInfo {
        CommitInfo {
            id: ObjectId::from_bytes_or_panic(&[n; 20]),
            tree: ObjectId::empty_tree(gix::hash::Kind::Sha1),
            parents,
            outside_parents: Vec::new(),
            author_time: time,
            commit_time: time,
        }
    }

    #[test]
    fn parents_come_first_even_with_skewed_clocks() {
        // 0 ← 1 ← 2, but commit 1 claims to be older than its parent.
        let order = topo_order(vec![
            info(1, vec![], 100),
            info(2, vec![0], 50),
            info(3, vec![1], 200),
        ]);
        let ids: Vec<u8> = order.iter().map(|c| c.id.as_bytes()[0]).collect();
        assert_eq!(ids, vec![1, 2, 3]);
        assert_eq!(order[2].parents, vec![1]);
    }

    #[test]
    fn independent_branches_interleave_by_time() {
        let order = topo_order(vec![
            info(1, vec![], 300),
            info(2, vec![], 100),
            info(3, vec![0], 200),
        ]);
        let ids: Vec<u8> = order.iter().map(|c| c.id.as_bytes()[0]).collect();
        assert_eq!(ids, vec![2, 1, 3]);
    }
}
