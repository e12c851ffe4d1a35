//! `nhiscan scan`: walk the sources, run the engine on every item.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Result;

use super::history;
use super::output::{self, Settings};
use super::progress::Progress;
use crate::cli::ScanArgs;
use crate::detect::{Engine, Sink};
use crate::gate;
use crate::item::{Item, Provenance};
use crate::linehash;
use crate::source::git::HistoryOptions;
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
    // Once per line and rule: a 1 MB line with 32,000 findings would
    // otherwise be searched for ignore markers 32,000 times.
    let mut ignored: HashMap<(u32, String), bool> = HashMap::new();
    fresh.retain(|f| {
        let line = f.location.region.start_line;
        !*ignored
            .entry((line, f.rule_id.clone()))
            .or_insert_with(|| gate::inline_ignored(item.line_bytes(line), &f.rule_id))
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
    let repo = history::open(&args.git, &args.paths)?;
    let threads = worker_threads(args.threads, args.output.quiet);
    let counters = Arc::new(Counters::default());
    let progress = Progress::start(args.output.quiet, counters.clone());
    let total = Mutex::new(Sink::default());
    let make_visitor = || visitor(&engine, &counters, &total);
    // A bare repository has no working tree to walk.
    let walk_tree =
        args.git.scans_working_tree() && repo.as_ref().is_none_or(|r| r.workdir.is_some());
    let mut summary = None;
    let scanned = (|| -> Result<()> {
        if walk_tree {
            let walk = fs::WalkOptions {
                roots: args.paths.clone(),
                base: base.clone(),
                no_ignore: args.no_ignore,
                excludes: settings.excludes.clone(),
                max_file_size: settings.max_file_size,
                threads,
            };
            fs::walk(&walk, make_visitor)?;
        }
        if let Some(repo) = &repo {
            let opts = HistoryOptions {
                since: None,
                max_size: settings.max_file_size,
                threads,
                excludes: fs::exclude_set(&settings.excludes)?,
            };
            summary = Some(history::scan(repo, &args.git, opts, make_visitor)?);
        }
        Ok(())
    })();
    progress.finish();
    scanned?;
    let mut sink = total.into_inner().unwrap_or_else(|e| e.into_inner());
    engine.finish(&mut sink);
    // Validation pairs secrets with the issuers named beside them.
    let issuers = if args.validate {
        sink.issuer_refs.clone()
    } else {
        Vec::new()
    };
    if !settings.repo_config.is_empty() {
        let what = settings.repo_config.join("; ");
        let read = counters.items.load(Ordering::Relaxed);
        if read == 0 {
            sink.error(
                crate::config::FILE_NAME,
                format!("nothing was scanned, and the scanned folder's own configuration narrows the scan: {what}"),
            );
        } else {
            sink.note(
                crate::config::FILE_NAME,
                format!("the scanned folder's own configuration narrows the scan: {what}"),
            );
        }
    }
    if args.audit_issuers {
        let refs = std::mem::take(&mut sink.issuer_refs);
        let audited = super::audit::audit_references(
            &settings,
            &args.fetch,
            refs,
            &counters,
            args.allow_private_issuers,
        )?;
        sink.extend(audited);
    }
    if let Some(line) = summary {
        if !args.output.quiet {
            eprintln!("nhiscan: git: {line}");
        }
        sink.findings = history::merge(std::mem::take(&mut sink.findings));
    }
    if args.validate {
        let v = super::validate::settings(
            &args.validation,
            args.fetch.ca_cert.clone(),
            args.fetch.timeout,
            &settings.config,
        )?;
        // Baselined findings are accepted: their secrets are not sent anywhere.
        let skip = match &settings.baseline {
            Some(p) => crate::gate::Baseline::load(p)?.fingerprints(),
            None => Default::default(),
        };
        let s = crate::validate::validate_findings(
            &mut sink.findings,
            &issuers,
            &base,
            &v,
            &skip,
            args.output.quiet,
        )?;
        if !args.output.quiet {
            eprintln!("nhiscan: {}", super::validate::summary_line(&s));
        }
        if args.only_valid {
            super::validate::keep_only_valid(&mut sink.findings);
        }
    }
    output::finish(&settings, engine.catalogue(), sink, &counters, started)
}

/// Most worker threads per core: past a few per core more threads only cost
/// memory and start-up (each has its own buffers and repository handle);
/// `-j 1000` on 7 files took 15.7 s.
const THREADS_PER_CORE: usize = 4;

/// The worker count for `-j N`: cores by default, at most
/// [`THREADS_PER_CORE`] per core (said on stderr when cut), at least one.
fn worker_threads(asked: Option<usize>, quiet: bool) -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let most = cores * THREADS_PER_CORE;
    match asked {
        None | Some(0) => cores,
        Some(n) if n > most => {
            if !quiet {
                eprintln!("nhiscan: -j {n} is more than {THREADS_PER_CORE} threads per core; using {most}");
            }
            most
        }
        Some(n) => n,
    }
}

/// One worker's visitor: items go through [`process_item`] into a sink of
/// its own, handed to `total` when the worker ends.
fn visitor<'a>(
    engine: &'a Engine,
    counters: &'a Counters,
    total: &'a Mutex<Sink>,
) -> impl FnMut(Event) + Send + 'a {
    let mut worker = Flush {
        local: Sink::default(),
        total,
    };
    move |event| match event {
        Event::Item(item) => {
            let facts = worker.local.facts.len();
            let issuers = worker.local.issuer_refs.len();
            process_item(engine, &item, &mut worker.local, counters);
            // Repository-level facts and the issuers to audit describe the
            // current tree, not old blobs.
            if matches!(item.provenance, Provenance::GitBlob { .. }) {
                worker.local.facts.truncate(facts);
                worker.local.issuer_refs.truncate(issuers);
            }
        }
        Event::Notice(n) => worker.local.notices.push(n),
    }
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
