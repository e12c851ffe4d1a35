//! Trees → blobs. Walking the commits parents-first with one seen-set over
//! tree ids and one over blob ids visits every distinct tree once and yields
//! every distinct blob once, with the commit and path that first showed it.

use std::collections::{HashMap, HashSet};

use gix::objs::FindExt as _;
use gix::ObjectId;
use globset::GlobSet;

use super::graph::{short, CommitInfo};
use super::Notes;

/// Where a blob first appeared: the commit (index into the walk) and path.
#[derive(Debug, Clone)]
pub struct BlobSite {
    pub id: ObjectId,
    pub commit: u32,
    pub path: String,
}

/// The seen-sets shared by every commit of one walk.
#[derive(Default)]
pub struct Seen {
    trees: HashSet<ObjectId>,
    blobs: HashSet<ObjectId>,
}

/// Record every blob of every commit's tree not seen before, in commit order.
pub fn first_sites(
    repo: &gix::Repository,
    commits: &[CommitInfo],
    seen: &mut Seen,
    excludes: &GlobSet,
    notes: &mut Notes,
) -> Vec<BlobSite> {
    let mut sites = Vec::new();
    let mut buf = Vec::new();
    for (i, c) in commits.iter().enumerate() {
        visit(
            repo,
            c.tree,
            seen,
            excludes,
            &mut buf,
            notes,
            &mut |id, path| {
                sites.push(BlobSite {
                    id,
                    commit: i as u32,
                    path,
                })
            },
        );
    }
    sites
}

/// Mark the trees and blobs of `tree` as seen without recording them (the
/// content a `--since` range starts from).
pub fn mark_seen(
    repo: &gix::Repository,
    tree: ObjectId,
    seen: &mut Seen,
    excludes: &GlobSet,
    notes: &mut Notes,
) {
    let mut buf = Vec::new();
    visit(repo, tree, seen, excludes, &mut buf, notes, &mut |_, _| {});
}

/// Most paths the index comparison looks at in HEAD's tree (`--staged`).
/// A repository whose trees share subtrees can name 10⁹ paths in a few
/// hundred kilobytes; past this the walk stops with a notice.
pub const MAX_PATHS: usize = 2_000_000;

/// Paths kept per blob (and per tree) by [`head_paths`].
pub const PATHS_PER_OBJECT: usize = 4;

/// The distinct blobs of one tree (HEAD's, to tell whether a finding is
/// still there and where), each with up to [`PATHS_PER_OBJECT`] of its
/// paths. Bounded by distinct objects: each subtree is read once, breadth
/// first, and hands at most that many paths to what it contains, however
/// many paths shared subtrees spell out (10⁹ in a 232 KB repository); a tree
/// that lists itself is reported as corrupt.
pub fn head_paths(
    repo: &gix::Repository,
    tree: ObjectId,
    notes: &mut Notes,
) -> HashMap<ObjectId, Vec<String>> {
    let mut tree_paths: HashMap<ObjectId, Vec<String>> = HashMap::new();
    tree_paths.insert(tree, vec![String::new()]);
    let mut queue = std::collections::VecDeque::from([tree]);
    let mut read = HashSet::from([tree]);
    let mut out: HashMap<ObjectId, Vec<String>> = HashMap::new();
    let mut buf = Vec::new();
    while let Some(id) = queue.pop_front() {
        let prefixes = tree_paths.get(&id).cloned().unwrap_or_default();
        let at = prefixes.first().cloned().unwrap_or_default();
        let Some(t) = read_tree(repo, id, &at, &mut buf, notes) else {
            continue;
        };
        for entry in &t.entries {
            if entry.mode.is_commit() || entry.mode.is_link() {
                continue;
            }
            let oid = entry.oid.to_owned();
            if entry.mode.is_tree() && oid == id {
                cycle(notes, &join(&at, entry.filename), oid);
                continue;
            }
            let target = if entry.mode.is_tree() {
                tree_paths.entry(oid).or_default()
            } else {
                out.entry(oid).or_default()
            };
            for p in &prefixes {
                if target.len() >= PATHS_PER_OBJECT {
                    break;
                }
                target.push(join(p, entry.filename));
            }
            if entry.mode.is_tree() && read.insert(oid) {
                queue.push_back(oid);
            }
        }
    }
    for paths in out.values_mut() {
        paths.sort();
    }
    out
}

/// The blob at each of `wanted` paths in `tree` (what `--staged` compares the
/// index with). Only the directories that lead to a wanted path are entered,
/// so the work is bounded by the index, not by how many paths the tree's
/// shared subtrees spell out; a tree that contains itself is reported as
/// corrupt and the entries looked at are capped at [`MAX_PATHS`].
pub fn files_at(
    repo: &gix::Repository,
    tree: ObjectId,
    wanted: &HashSet<String>,
    notes: &mut Notes,
) -> HashMap<String, ObjectId> {
    let mut dirs: HashSet<&str> = HashSet::new();
    for p in wanted {
        let mut rest = p.as_str();
        while let Some(i) = rest.rfind('/') {
            rest = &rest[..i];
            if !dirs.insert(rest) {
                break;
            }
        }
    }
    let mut out = HashMap::new();
    let mut buf = Vec::new();
    let mut looked = 0usize;
    // (tree, its path, the trees above it): a tree among its own ancestors
    // is a cycle, which only a corrupt object can make.
    let mut stack: Vec<(ObjectId, String, Vec<ObjectId>)> = vec![(tree, String::new(), Vec::new())];
    while let Some((id, prefix, above)) = stack.pop() {
        let Some(tree) = read_tree(repo, id, &prefix, &mut buf, notes) else {
            continue;
        };
        for entry in &tree.entries {
            looked += 1;
            if looked > MAX_PATHS {
                notes.error(
                    "git HEAD",
                    format!("HEAD's tree has more than {MAX_PATHS} entries on the paths the index names; the rest were not compared, so unchanged files may be scanned as staged"),
                );
                return out;
            }
            if entry.mode.is_commit() || entry.mode.is_link() {
                continue;
            }
            let path = join(&prefix, entry.filename);
            let oid = entry.oid.to_owned();
            if entry.mode.is_tree() {
                if !dirs.contains(path.as_str()) {
                    continue;
                }
                if oid == id || above.contains(&oid) {
                    cycle(notes, &path, oid);
                    continue;
                }
                let mut chain = above.clone();
                chain.push(id);
                stack.push((oid, path, chain));
            } else if wanted.contains(&path) {
                out.insert(path, oid);
            }
        }
    }
    out
}

fn cycle(notes: &mut Notes, path: &str, id: ObjectId) {
    notes.error(
        format!("{path} (tree {})", short(&id)),
        "corrupt repository: this tree contains itself (its object does not match its id); not entered again",
    );
}

fn read_tree<'b>(
    repo: &gix::Repository,
    id: ObjectId,
    prefix: &str,
    buf: &'b mut Vec<u8>,
    notes: &mut Notes,
) -> Option<gix::objs::TreeRef<'b>> {
    match repo.objects.find_tree(&id, buf) {
        Ok(t) => Some(t),
        Err(e) => {
            let at = if prefix.is_empty() { "/" } else { prefix };
            notes.error(
                format!("{at} (tree {})", short(&id)),
                format!("cannot read tree, its files are not scanned: {e}"),
            );
            None
        }
    }
}

/// `prefix/name`, with a name that is not UTF-8 escaped byte by byte.
fn join(prefix: &str, name: &[u8]) -> String {
    let name = crate::item::path_text(name);
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    }
}

/// Depth-first over `root`, each tree and blob once (`seen`): the work is
/// bounded by distinct objects however many paths share a subtree, and a
/// tree that lists itself (a corrupt object) is reported, not re-entered.
fn visit(
    repo: &gix::Repository,
    root: ObjectId,
    seen: &mut Seen,
    excludes: &GlobSet,
    buf: &mut Vec<u8>,
    notes: &mut Notes,
    found: &mut dyn FnMut(ObjectId, String),
) {
    let mut stack: Vec<(ObjectId, String)> = vec![(root, String::new())];
    while let Some((id, prefix)) = stack.pop() {
        if !seen.trees.insert(id) {
            continue;
        }
        let Some(tree) = read_tree(repo, id, &prefix, buf, notes) else {
            continue;
        };
        for entry in &tree.entries {
            // Submodule commits and symbolic links hold no scannable content.
            if entry.mode.is_commit() || entry.mode.is_link() {
                continue;
            }
            let path = join(&prefix, entry.filename);
            if excludes.is_match(&path) {
                continue;
            }
            let oid = entry.oid.to_owned();
            if entry.mode.is_tree() {
                if oid == id {
                    cycle(notes, &path, oid);
                } else {
                    stack.push((oid, path));
                }
            } else if seen.blobs.insert(oid) {
                found(oid, path);
            }
        }
    }
}
