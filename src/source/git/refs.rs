//! Where history starts: every ref (branches, tags, remote-tracking refs,
//! notes, the stash and the stash's reflog) and a detached HEAD, peeled to
//! commits.

use anyhow::{Context as _, Result};
use gix::ObjectId;

use super::Notes;

pub fn tips(repo: &gix::Repository, notes: &mut Notes) -> Result<Vec<ObjectId>> {
    let mut tips = Vec::new();
    let platform = repo
        .references()
        .context("cannot list the repository's refs")?;
    for r in platform
        .all()
        .context("cannot list the repository's refs")?
    {
        let mut r = match r {
            Ok(r) => r,
            Err(e) => {
                notes.error("git refs", format!("unreadable ref: {e}"));
                continue;
            }
        };
        let name = r.name().as_bstr().to_string();
        match r.peel_to_id() {
            Ok(id) => push_commit(repo, id.detach(), &name, &mut tips, notes),
            Err(e) => notes.error(name.clone(), format!("cannot resolve ref: {e}")),
        }
        // Older stashes live only in the stash's reflog.
        if name == "refs/stash" {
            stash_log(&r, &mut tips);
        }
    }
    if let Ok(head) = repo.head_id() {
        push_commit(repo, head.detach(), "HEAD", &mut tips, notes);
    }
    tips.sort();
    tips.dedup();
    Ok(tips)
}

fn stash_log(r: &gix::Reference<'_>, tips: &mut Vec<ObjectId>) {
    let mut log = r.log_iter();
    if let Ok(Some(entries)) = log.all() {
        for line in entries.flatten() {
            if let Ok(id) = ObjectId::from_hex(line.new_oid) {
                tips.push(id);
            }
        }
    }
}

/// Keep `id` if it is a commit; refs to trees or blobs (rare tags) are noted.
fn push_commit(
    repo: &gix::Repository,
    id: ObjectId,
    name: &str,
    tips: &mut Vec<ObjectId>,
    notes: &mut Notes,
) {
    match repo.find_header(id) {
        Ok(h) if h.kind() == gix::object::Kind::Commit => tips.push(id),
        Ok(h) => notes.skipped(
            name,
            format!("points at a {}, not a commit; not scanned", h.kind()),
        ),
        Err(e) => notes.error(name, format!("points at a missing or corrupt object: {e}")),
    }
}
