//! Git as a source: every blob reachable from any ref, each read once and
//! attributed to the commit and path that first introduced it (`--history`),
//! the blobs a commit range introduced (`--since`), or the staged content of
//! the index (`--staged`).
//!
//! Built on gix: measured on git/git's history it read blobs 2.6× faster
//! than git2 with less memory, and its handles are cheap to have one per
//! thread, which the parallel reader needs.

mod graph;
mod read;
mod refs;
mod trees;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::Ordering;

use anyhow::{anyhow, bail, Context as _, Result};
use gix::ObjectId;
use globset::GlobSet;

use super::fs::excluded;
use super::Event;
use crate::detect::{Notice, NoticeKind};
use crate::item::Provenance;
use graph::{short, CommitInfo};
use read::Job;
use trees::{BlobSite, Seen};

/// A repository opened for scanning.
pub struct Repo {
    inner: gix::ThreadSafeRepository,
    /// The working tree, if any (None for a bare repository).
    pub workdir: Option<std::path::PathBuf>,
}

/// Open the repository at `path` (the top of a working copy, or a bare
/// repository). Not a repository is an error the caller reports as fatal.
pub fn open(path: &Path) -> Result<Repo> {
    let repo = gix::open(path).map_err(|e| {
        anyhow!(
            "{} is not a git repository (give the top of a working copy or a bare repository): {e}",
            path.display()
        )
    })?;
    let workdir = repo.workdir().map(Path::to_path_buf);
    Ok(Repo {
        inner: repo.into_sync(),
        workdir,
    })
}

/// The working copy that holds `dir` and the paths (relative to its top, `/`
/// separated) of the regular files its index tracks. None when `dir` is in no
/// git working copy; an error when there is one whose index cannot be read.
pub fn tracked_files(dir: &Path) -> Result<Option<(std::path::PathBuf, Vec<String>)>> {
    use gix::discover::upwards::Error as Upwards;
    if let Err(e) = gix::discover::upwards(dir) {
        return match e.downcast_any_ref::<Upwards>() {
            Some(
                Upwards::NoGitRepository { .. }
                | Upwards::NoGitRepositoryWithinCeiling { .. }
                | Upwards::NoGitRepositoryWithinFs { .. },
            ) => Ok(None),
            _ => Err(anyhow!("cannot open the git repository: {e}")),
        };
    }
    let repo = gix::discover(dir).map_err(|e| anyhow!("cannot open the git repository: {e}"))?;
    let Some(workdir) = repo.workdir().map(Path::to_path_buf) else {
        return Ok(None);
    };
    let index = repo
        .index_or_empty()
        .map_err(|e| anyhow!("cannot read the git index: {e}"))?;
    let mut paths = Vec::new();
    for entry in index.entries() {
        use gix::index::entry::{Mode, Stage};
        // Conflicted entries appear once per stage; stage 0 or the "ours" side names the file once.
        let stage = entry.stage();
        if (stage == Stage::Unconflicted || stage == Stage::Ours)
            && (entry.mode == Mode::FILE || entry.mode == Mode::FILE_EXECUTABLE)
        {
            paths.push(String::from_utf8_lossy(entry.path(&index)).into_owned());
        }
    }
    Ok(Some((workdir, paths)))
}

/// What a history scan is asked to do.
pub struct HistoryOptions {
    /// `--since REV`: only blobs introduced by commits in `REV..HEAD`.
    pub since: Option<String>,
    pub max_size: u64,
    pub threads: usize,
    pub excludes: GlobSet,
}

/// Counts about a history walk, for the summary and the benchmark note.
#[derive(Debug, Default, Clone)]
pub struct HistoryStats {
    pub commits: usize,
    pub blobs: usize,
}

/// Notices gathered on the walking thread, handed to a visitor at the end.
#[derive(Default)]
pub struct Notes {
    notices: Vec<Notice>,
}

impl Notes {
    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.push(NoticeKind::Error, path, message)
    }
    fn skipped(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.push(NoticeKind::Skipped, path, message)
    }
    fn push(&mut self, kind: NoticeKind, path: impl Into<String>, message: impl Into<String>) {
        self.notices.push(Notice {
            kind,
            path: path.into(),
            message: message.into(),
        })
    }
    fn emit<V: FnMut(Event)>(self, visit: &mut V) {
        for n in self.notices {
            visit(Event::Notice(n));
        }
    }
}

/// Scan history: walk commits from every ref (or the `--since` range), find
/// each blob's first commit and path, and read the blobs in parallel.
pub fn history<F, V>(repo: &Repo, opts: &HistoryOptions, make_visitor: F) -> Result<HistoryStats>
where
    F: Fn() -> V + Sync,
    V: FnMut(Event) + Send,
{
    let timing = std::env::var_os("NHISCAN_TIMING").is_some();
    let t0 = std::time::Instant::now();
    let mut local = repo.inner.to_thread_local();
    local.object_cache_size(16 << 20);
    let mut notes = Notes::default();
    let shallow = shallow_commits(&local, &mut notes)?;
    let mut seen = Seen::default();
    let commits = match &opts.since {
        None => {
            let tips = refs::tips(&local, &mut notes)?;
            graph::walk(&local, &tips, &HashSet::new(), &shallow, &mut notes)
        }
        Some(rev) => since_range(&local, rev, &shallow, &mut seen, opts, &mut notes)?,
    };
    let t1 = t0.elapsed();
    let sites = trees::first_sites(&local, &commits, &mut seen, &opts.excludes, &mut notes);
    let t2 = t0.elapsed();
    let at_head = head_blobs(&local, &mut notes);
    let mut jobs: Vec<HistoryJob> = sites
        .into_iter()
        .map(|mut site| {
            let head_paths = at_head.as_ref().map(|h| h.get(&site.id));
            // Still at HEAD under another path (renamed, copied): report it
            // where it is today, so its fingerprint is the tree scan's.
            if let Some(Some(paths)) = head_paths {
                if !paths.contains(&site.path) {
                    if let Some(p) = paths.iter().find(|p| !excluded(p, &opts.excludes)) {
                        site.path = p.clone();
                    }
                }
            }
            HistoryJob {
                at_head: head_paths.map(|p| p.is_some()),
                commit: &commits[site.commit as usize],
                site,
            }
        })
        .collect();
    read::pack_order(&local, &mut jobs);
    let counts = read::read_all(
        &repo.inner,
        &jobs,
        opts.max_size,
        opts.threads,
        &make_visitor,
    );
    if timing {
        eprintln!(
            "nhiscan: timing: {} commits walked in {:.2}s, {} blobs found in trees by {:.2}s, read and scanned by {:.2}s",
            commits.len(),
            t1.as_secs_f64(),
            jobs.len(),
            t2.as_secs_f64(),
            t0.elapsed().as_secs_f64()
        );
    }
    summarise(&counts, &mut notes, "history");
    notes.emit(&mut make_visitor());
    Ok(HistoryStats {
        commits: commits.len(),
        blobs: jobs.len(),
    })
}

/// `--since REV`: the commits reachable from HEAD but not from REV. The
/// trees of the commits the range starts from are marked seen first, so only
/// blobs the range introduced are scanned.
fn since_range(
    repo: &gix::Repository,
    rev: &str,
    shallow: &HashSet<ObjectId>,
    seen: &mut Seen,
    opts: &HistoryOptions,
    notes: &mut Notes,
) -> Result<Vec<CommitInfo>> {
    let base = resolve_commit(repo, rev)
        .with_context(|| format!("--since {rev:?} does not name a commit in this repository (a shallow CI checkout may need more history: fetch-depth 0)"))?;
    let head = resolve_commit(repo, "HEAD").context("--since needs a HEAD commit")?;
    let mut quiet = Notes::default();
    let hidden: HashSet<ObjectId> =
        graph::walk(repo, &[base], &HashSet::new(), shallow, &mut quiet)
            .into_iter()
            .map(|c| c.id)
            .collect();
    let range = graph::walk(repo, &[head], &hidden, shallow, notes);
    let mut starts: Vec<ObjectId> = range
        .iter()
        .flat_map(|c| c.outside_parents.iter().copied())
        .filter(|p| hidden.contains(p))
        .collect();
    starts.sort();
    starts.dedup();
    let mut buf = Vec::new();
    for id in starts {
        use gix::objs::FindExt as _;
        match repo.objects.find_commit(&id, &mut buf) {
            Ok(c) => trees::mark_seen(repo, c.tree(), seen, &opts.excludes, notes),
            Err(e) => notes.error(format!("commit {}", short(&id)), e.to_string()),
        }
    }
    Ok(range)
}

fn resolve_commit(repo: &gix::Repository, rev: &str) -> Result<ObjectId> {
    let id = repo.rev_parse_single(rev)?;
    let commit = id.object()?.peel_to_commit()?;
    Ok(commit.id)
}

/// The shallow boundary: commits whose parents this clone does not have.
fn shallow_commits(repo: &gix::Repository, notes: &mut Notes) -> Result<HashSet<ObjectId>> {
    let Some(commits) = repo.shallow_commits()? else {
        return Ok(HashSet::new());
    };
    notes.skipped(
        "git history",
        format!(
            "shallow clone: history before {} commit(s) is not in this repository and was not scanned (fetch it with `git fetch --unshallow`)",
            commits.len()
        ),
    );
    Ok(commits.iter().copied().collect())
}

/// The blobs of HEAD's tree with the paths each sits at (sorted), to tell
/// whether a finding is still at HEAD and where (None when there is no HEAD
/// commit).
fn head_blobs(repo: &gix::Repository, notes: &mut Notes) -> Option<HashMap<ObjectId, Vec<String>>> {
    let tree = repo.head_tree_id().ok()?.detach();
    let mut out: HashMap<ObjectId, Vec<String>> = HashMap::new();
    for (path, id) in trees::files(repo, tree, notes) {
        out.entry(id).or_default().push(path);
    }
    for paths in out.values_mut() {
        paths.sort();
    }
    Some(out)
}

fn summarise(counts: &read::ReadCounts, notes: &mut Notes, what: &str) {
    let missing = counts.missing.load(Ordering::Relaxed);
    if missing > 0 {
        notes.error(
            format!("git {what}"),
            format!("{missing} blob(s) are not in this repository (a partial clone?) and were not scanned"),
        );
    }
    let binary = counts.binary.load(Ordering::Relaxed);
    if binary > 0 {
        notes.skipped(
            format!("git {what}"),
            format!("{binary} binary blob(s) skipped"),
        );
    }
}

struct HistoryJob<'a> {
    site: BlobSite,
    commit: &'a CommitInfo,
    at_head: Option<bool>,
}

impl Job for HistoryJob<'_> {
    fn id(&self) -> ObjectId {
        self.site.id
    }
    fn label(&self) -> String {
        format!("{} (commit {})", self.site.path, short(&self.commit.id))
    }
    fn provenance(&self) -> Provenance {
        Provenance::GitBlob {
            path: self.site.path.clone(),
            blob: self.site.id.to_string(),
            commit: self.commit.id.to_string(),
            author_time: self.commit.author_time,
            at_head: self.at_head,
        }
    }
}

/// Scan the staged content of the index: every entry whose blob differs from
/// HEAD's at the same path (what the next commit adds), as a pre-commit hook
/// needs.
pub fn staged<F, V>(repo: &Repo, opts: &HistoryOptions, make_visitor: F) -> Result<usize>
where
    F: Fn() -> V + Sync,
    V: FnMut(Event) + Send,
{
    let local = repo.inner.to_thread_local();
    if repo.workdir.is_none() {
        bail!("--staged needs a working copy; this is a bare repository");
    }
    let mut notes = Notes::default();
    let head: HashMap<String, ObjectId> = match local.head_tree_id() {
        Ok(tree) => trees::files(&local, tree.detach(), &mut notes)
            .into_iter()
            .collect(),
        Err(_) => HashMap::new(),
    };
    let index = local.open_index().context("cannot read the git index")?;
    let empty = ObjectId::empty_blob(local.object_hash());
    let mut jobs = Vec::new();
    for entry in index.entries() {
        use gix::index::entry::{Flags, Mode, Stage};
        if entry.stage() != Stage::Unconflicted
            || entry.flags.contains(Flags::INTENT_TO_ADD)
            || !(entry.mode == Mode::FILE || entry.mode == Mode::FILE_EXECUTABLE)
            || entry.id == empty
        {
            continue;
        }
        let path = String::from_utf8_lossy(entry.path(&index)).into_owned();
        if head.get(&path) == Some(&entry.id) || opts.excludes.is_match(&path) {
            continue;
        }
        jobs.push(StagedJob { id: entry.id, path });
    }
    let counts = read::read_all(
        &repo.inner,
        &jobs,
        opts.max_size,
        opts.threads,
        &make_visitor,
    );
    summarise(&counts, &mut notes, "index");
    notes.emit(&mut make_visitor());
    Ok(jobs.len())
}

struct StagedJob {
    id: ObjectId,
    path: String,
}

impl Job for StagedJob {
    fn id(&self) -> ObjectId {
        self.id
    }
    fn label(&self) -> String {
        format!("{} (staged)", self.path)
    }
    fn provenance(&self) -> Provenance {
        Provenance::Staged {
            path: self.path.clone(),
        }
    }
}
