//! `nhiscan scan`: walk the sources, run the engine on every item.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Result;

use super::output::{self, Settings};
use super::progress::Progress;
use crate::cli::ScanArgs;
use crate::detect::{Engine, Sink};
use crate::gate;
use crate::item::Item;
use crate::linehash;
use crate::source::{fs, Event};

/// Counts shared by worker threads.
#[derive(Debug, Default)]
pub struct Counters {
    pub items: AtomicU64,
    pub bytes: AtomicU64,
    pub suppressed_inline: AtomicU64,
}

/// Scan one item: detectors, then inline ignores, then line hashes for what
/// is left. Every source (working tree, history, index) goes through here.
pub fn process_item(engine: &Engine, item: &Item, sink: &mut Sink, counters: &Counters) {
    counters.items.fetch_add(1, Ordering::Relaxed);
    counters
        .bytes
        .fetch_add(item.data.len() as u64, Ordering::Relaxed);
    let start = sink.findings.len();
    engine.scan(item, sink);
    if sink.findings.len() == start {
        return;
    }
    let mut fresh = sink.findings.split_off(start);
    let before = fresh.len();
    fresh.retain(|f| {
        !gate::inline_ignored(item.line_bytes(f.location.region.start_line), &f.rule_id)
    });
    counters
        .suppressed_inline
        .fetch_add((before - fresh.len()) as u64, Ordering::Relaxed);
    if !fresh.is_empty() {
        let last = fresh
            .iter()
            .map(|f| f.location.region.start_line as usize)
            .max()
            .unwrap_or(1);
        let hashes = linehash::line_hashes_upto(&item.data, last);
        for f in &mut fresh {
            f.line_hash = hashes
                .get(f.location.region.start_line as usize - 1)
                .cloned();
        }
    }
    sink.findings.extend(fresh);
}

pub fn run(args: &ScanArgs) -> Result<u8> {
    let started = Instant::now();
    let base = match args.paths.as_slice() {
        [one] if one.is_dir() => one.clone(),
        _ => PathBuf::from("."),
    };
    // Before the config: an unreadable root must say so, not that its config is unreadable.
    fs::check_roots(&args.paths)?;
    let mut settings = Settings::resolve(&args.output, &base)?;
    settings.apply_scan_flags(args)?;
    let engine = settings.engine()?;
    let walk = fs::WalkOptions {
        roots: args.paths.clone(),
        base: base.clone(),
        no_ignore: args.no_ignore,
        excludes: settings.excludes.clone(),
        max_file_size: settings.max_file_size,
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
    };
    let counters = Arc::new(Counters::default());
    let progress = Progress::start(args.output.quiet, counters.clone());
    let total = Mutex::new(Sink::default());
    let walked = fs::walk(&walk, || {
        let engine = &engine;
        let counters = &counters;
        // Each worker keeps its own sink and hands it over when the walk drops it.
        let mut worker = Flush {
            local: Sink::default(),
            total: &total,
        };
        move |event| match event {
            Event::Item(item) => process_item(engine, &item, &mut worker.local, counters),
            Event::Notice(n) => worker.local.notices.push(n),
        }
    });
    progress.finish();
    walked?;
    let mut sink = total.into_inner().unwrap_or_else(|e| e.into_inner());
    engine.finish(&mut sink);
    if args.audit_issuers {
        let refs = std::mem::take(&mut sink.issuer_refs);
        let audited = super::audit::audit_references(&settings, &args.fetch, refs, &counters)?;
        sink.extend(audited);
    }
    output::finish(&settings, engine.catalogue(), sink, &counters, started)
}

/// Moves a worker's findings into the shared sink when the worker ends.
struct Flush<'a> {
    local: Sink,
    total: &'a Mutex<Sink>,
}

impl Drop for Flush<'_> {
    fn drop(&mut self) {
        let local = std::mem::take(&mut self.local);
        self.total
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(local);
    }
}
