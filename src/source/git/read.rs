//! Reading blobs in parallel: each worker thread has its own repository
//! handle (object caches are per thread) and takes blobs in small chunks from
//! a shared counter, so one slow blob never idles the others. Blob contents
//! are handed on as they are read and never collected.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use gix::objs::{Find as _, FindHeader as _};
use gix::ObjectId;

use super::super::fs::is_binary;
use super::super::Event;
use crate::detect::{Notice, NoticeKind};
use crate::item::{Item, Provenance};

/// Blobs a worker claims at a time: runs of neighbours in the pack, so the
/// delta bases a worker just decoded are still in its cache.
const CHUNK: usize = 256;
/// Per-thread object cache. gix's default delta-base cache (64 entries) is
/// kept: a 64 MiB one per thread was slower on cargo's history and nearly
/// doubled peak memory.
const OBJECT_CACHE: usize = 4 << 20;

/// One blob to read: its id, and how to name it in notices and items.
pub trait Job: Sync {
    fn id(&self) -> ObjectId;
    /// Where the blob is, for notices (`path (commit abc…)`).
    fn label(&self) -> String;
    fn provenance(&self) -> Provenance;
}

/// What could not be read, in counts (listed once, not per blob).
#[derive(Debug, Default)]
pub struct ReadCounts {
    pub missing: AtomicU64,
    pub binary: AtomicU64,
}

/// Sort jobs into pack order (loose objects last). A delta's base precedes it
/// in a pack, so reading in this order finds most bases in the delta cache
/// instead of re-inflating whole delta chains for every blob.
pub fn pack_order<J: Job>(repo: &gix::Repository, jobs: &mut [J]) {
    use gix::odb::pack::Find as _;
    let mut handle = (**repo.objects).clone();
    handle.prevent_pack_unload();
    let mut buf = Vec::new();
    jobs.sort_by_cached_key(|j| match handle.location_by_oid(&j.id(), &mut buf) {
        Ok(Some(loc)) => (loc.pack_id, loc.pack_offset),
        _ => (u32::MAX, 0),
    });
}

/// Read every job's blob on `threads` threads and hand each item (or notice)
/// to the visitor of the thread that read it.
pub fn read_all<J, F, V>(
    repo: &gix::ThreadSafeRepository,
    jobs: &[J],
    max_size: u64,
    threads: usize,
    make_visitor: &F,
) -> ReadCounts
where
    J: Job,
    F: Fn() -> V + Sync,
    V: FnMut(Event) + Send,
{
    let next = AtomicUsize::new(0);
    let counts = ReadCounts::default();
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                let mut repo = repo.to_thread_local();
                repo.object_cache_size(OBJECT_CACHE);
                let mut visit = make_visitor();
                let mut buf = Vec::new();
                loop {
                    let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                    if start >= jobs.len() {
                        break;
                    }
                    for job in &jobs[start..(start + CHUNK).min(jobs.len())] {
                        if let Some(ev) = read_one(&repo, job, max_size, &mut buf, &counts) {
                            visit(ev);
                        }
                    }
                }
            });
        }
    });
    counts
}

fn read_one<J: Job>(
    repo: &gix::Repository,
    job: &J,
    max_size: u64,
    buf: &mut Vec<u8>,
    counts: &ReadCounts,
) -> Option<Event> {
    let id = job.id();
    // The header gives the size without inflating the blob: a huge blob is
    // skipped before it costs memory.
    let size = match found(repo.objects.try_header(&id), job, counts) {
        Lookup::Found(h) => h.size,
        Lookup::Report(event) => return event,
    };
    if size > max_size {
        return Some(notice(
            NoticeKind::Skipped,
            job,
            format!("{size} bytes is over --max-file-size ({max_size} bytes)"),
        ));
    }
    let object = repo
        .objects
        .try_find(&id, buf)
        .map(|o| o.map(|d| d.data.to_vec()));
    let data = match found(object, job, counts) {
        Lookup::Found(d) => d,
        Lookup::Report(event) => return event,
    };
    if is_binary(&data) {
        counts.binary.fetch_add(1, Ordering::Relaxed);
        return None;
    }
    Some(Event::Item(Item::new(job.provenance(), data)))
}

/// One object lookup's outcome: the object, or what to report instead.
enum Lookup<T> {
    Found(T),
    Report(Option<Event>),
}

/// A missing object is counted (summarised once: a partial clone); a corrupt
/// one is an error for that blob.
fn found<T, E: std::fmt::Display, J: Job>(
    lookup: Result<Option<T>, E>,
    job: &J,
    counts: &ReadCounts,
) -> Lookup<T> {
    match lookup {
        Ok(Some(v)) => Lookup::Found(v),
        Ok(None) => {
            counts.missing.fetch_add(1, Ordering::Relaxed);
            Lookup::Report(None)
        }
        Err(e) => Lookup::Report(Some(notice(
            NoticeKind::Error,
            job,
            format!("corrupt object: {e}"),
        ))),
    }
}

fn notice<J: Job>(kind: NoticeKind, job: &J, message: String) -> Event {
    Event::Notice(Notice {
        kind,
        path: job.label(),
        message,
    })
}
