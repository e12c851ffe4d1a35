//! Trees → blobs. Walking the commits parents-first with one seen-set over
//! tree ids and one over blob ids visits every distinct tree once and yields
//! every distinct blob once, with the commit and path that first showed it.

use std::collections::HashSet;

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

/// Every file (blob) of one tree with its path, no seen-set: HEAD's content,
/// or the tree the index is compared with.
pub fn files(repo: &gix::Repository, tree: ObjectId, notes: &mut Notes) -> Vec<(String, ObjectId)> {
    let mut out = Vec::new();
    let mut seen = Seen::default();
    let mut buf = Vec::new();
    let none = GlobSet::empty();
    visit_all(
        repo,
        tree,
        &mut seen,
        &none,
        &mut buf,
        notes,
        false,
        &mut |id, path| out.push((path, id)),
    );
    out
}

fn visit(
    repo: &gix::Repository,
    root: ObjectId,
    seen: &mut Seen,
    excludes: &GlobSet,
    buf: &mut Vec<u8>,
    notes: &mut Notes,
    found: &mut dyn FnMut(ObjectId, String),
) {
    visit_all(repo, root, seen, excludes, buf, notes, true, found)
}

/// Depth-first over `root`. With `dedupe`, trees and blobs already in `seen`
/// are skipped; without, every file is reported.
#[allow(clippy::too_many_arguments)]
fn visit_all(
    repo: &gix::Repository,
    root: ObjectId,
    seen: &mut Seen,
    excludes: &GlobSet,
    buf: &mut Vec<u8>,
    notes: &mut Notes,
    dedupe: bool,
    found: &mut dyn FnMut(ObjectId, String),
) {
    let mut stack: Vec<(ObjectId, String)> = vec![(root, String::new())];
    while let Some((id, prefix)) = stack.pop() {
        if dedupe && !seen.trees.insert(id) {
            continue;
        }
        let tree = match repo.objects.find_tree(&id, buf) {
            Ok(t) => t,
            Err(e) => {
                let at = if prefix.is_empty() { "/" } else { &prefix };
                notes.error(
                    format!("{at} (tree {})", short(&id)),
                    format!("cannot read tree, its files are not scanned: {e}"),
                );
                continue;
            }
        };
        for entry in &tree.entries {
            // Submodule commits and symbolic links hold no scannable content.
            if entry.mode.is_commit() || entry.mode.is_link() {
                continue;
            }
            let name = String::from_utf8_lossy(entry.filename);
            let path = if prefix.is_empty() {
                name.into_owned()
            } else {
                format!("{prefix}/{name}")
            };
            if excludes.is_match(&path) {
                continue;
            }
            let oid = entry.oid.to_owned();
            if entry.mode.is_tree() {
                stack.push((oid, path));
            } else if !dedupe || seen.blobs.insert(oid) {
                found(oid, path);
            }
        }
    }
}
