//! `nhiscan audit`: authorization-server metadata and JWKS, fetched over
//! HTTPS (source/http) or read from local files, checked by
//! detect::metadata / detect::jwks, reported and gated like `scan`.
//!
//! A finding about a remote server is never located at an https: URI (code
//! scanning rejects the upload): it sits at the line that named the server —
//! the `--targets` file line, a referencing line found by `scan
//! --audit-issuers` — or, for a target given on the command line, at line 1 of
//! a scheme-less pseudo path such as `login.example.com/.well-known/openid-configuration`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use reqwest::Url;

use super::output::{self, Settings};
use super::Counters;
use crate::cli::{AuditArgs, FetchArgs, Profile};
use crate::config;
use crate::detect::metadata::{self, Shape};
use crate::detect::{Context, Sink};
use crate::gate;
use crate::item::{Item, Provenance};
use crate::linehash;
use crate::source::http::{self, FetchError, FetchOptions, Fetcher};

/// A line that names a server: findings about it are located here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub path: String,
    pub line: u32,
    /// The line's text, for inline `nhiscan:ignore` markers (None for pseudo paths).
    pub text: Option<String>,
    /// GitHub's line hash for that line, when the file is at hand.
    pub line_hash: Option<String>,
}

/// One unit of audit work: a server fetched once and reported at every place
/// that names it, or a local file.
#[derive(Debug, Clone)]
pub enum Job {
    Remote {
        target: String,
        places: Vec<Place>,
        /// The issuer was derived from a token URL: a missing discovery
        /// document is our guess failing, reported as skipped, not an error.
        guessed: bool,
    },
    Local {
        path: PathBuf,
    },
}

/// Most servers `scan --audit-issuers` audits in one run, and the longest
/// it spends on them: the URLs come from scanned content, which must not be
/// able to hold a CI job for hours (64 slow issuers took 14 s, 10⁴ hours).
pub const MAX_ISSUERS: usize = 64;
pub const ISSUERS_TIME: Duration = Duration::from_secs(120);

pub fn fetch_options(args: &FetchArgs) -> Result<FetchOptions> {
    if !(args.timeout > 0.0 && args.timeout.is_finite() && args.timeout <= 86_400.0) {
        bail!("--timeout must be a number of seconds above 0 and at most 86400");
    }
    Ok(FetchOptions {
        timeout: Duration::from_secs_f64(args.timeout),
        max_response_size: config::parse_size(&args.max_response_size)
            .map_err(|e| anyhow::anyhow!("--max-response-size: {e}"))?,
        ca_cert: args.ca_cert.clone(),
        allow_http_loopback: args.allow_http_loopback,
        retries: args.retries,
        ..FetchOptions::default()
    })
}

pub fn run(args: &AuditArgs) -> Result<u8> {
    let started = Instant::now();
    let mut settings = Settings::resolve(&args.output, Path::new("."))?;
    settings.options.fapi2 = args.fetch.profile == Profile::Fapi2;
    let mut jobs = Vec::new();
    for t in &args.targets {
        jobs.push(command_line_job(t));
    }
    if let Some(file) = &args.targets_file {
        jobs.extend(targets_file_jobs(file)?);
    }
    if jobs.is_empty() {
        bail!("nothing to audit: name issuer URLs, metadata URLs or JSON files, or use --targets FILE");
    }
    let fetcher = Fetcher::new(fetch_options(&args.fetch)?)?;
    let counters = Counters::default();
    let sink = run_jobs(
        &fetcher,
        &settings,
        jobs,
        args.fetch.concurrency,
        &counters,
        None,
    );
    output::finish(&settings, &settings.catalogue, sink, &counters, started)
}

fn command_line_job(t: &str) -> Job {
    if t.contains("://") {
        Job::Remote {
            target: t.to_string(),
            places: Vec::new(),
            guessed: false,
        }
    } else {
        Job::Local {
            path: PathBuf::from(t),
        }
    }
}

/// One job per distinct target in the file, with every line that names it.
fn targets_file_jobs(file: &Path) -> Result<Vec<Job>> {
    let data =
        std::fs::read(file).with_context(|| format!("cannot read --targets {}", file.display()))?;
    let path = report_path(file);
    let hashes = linehash::line_hashes(&data);
    let text = String::from_utf8_lossy(&data);
    let mut order: Vec<String> = Vec::new();
    let mut places: BTreeMap<String, Vec<Place>> = BTreeMap::new();
    let mut jobs = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let target = raw.split(" #").next().unwrap_or("").trim();
        if target.is_empty() || target.starts_with('#') {
            continue;
        }
        if !target.contains("://") {
            jobs.push(Job::Local {
                path: file.parent().unwrap_or(Path::new(".")).join(target),
            });
            continue;
        }
        let place = Place {
            path: path.clone(),
            line: i as u32 + 1,
            text: Some(raw.to_string()),
            line_hash: hashes.get(i).cloned(),
        };
        if !places.contains_key(target) {
            order.push(target.to_string());
        }
        places.entry(target.to_string()).or_default().push(place);
    }
    for t in order {
        let p = places.remove(&t).unwrap_or_default();
        jobs.push(Job::Remote {
            target: t,
            places: p,
            guessed: false,
        });
    }
    Ok(jobs)
}

/// `scan --audit-issuers`: audit every referenced server once, reporting its
/// findings at each referencing line.
///
/// The URLs come from scanned content, so unless `allow_private` they must
/// resolve to public addresses (checked on every connection, after every
/// redirect, for `jwks_uri` too), and at most [`MAX_ISSUERS`] servers are
/// audited within [`ISSUERS_TIME`]; what is left out is said in a notice.
pub fn audit_references(
    settings: &Settings,
    fetch: &FetchArgs,
    refs: Vec<crate::detect::IssuerRef>,
    counters: &Counters,
    allow_private: bool,
) -> Result<Sink> {
    if refs.is_empty() {
        return Ok(Sink::default());
    }
    let mut by_url: BTreeMap<String, (bool, Vec<Place>)> = BTreeMap::new();
    for r in refs {
        let e = by_url.entry(r.url).or_insert((true, Vec::new()));
        e.0 &= r.guessed;
        e.1.push(Place {
            path: r.path,
            line: r.line,
            text: Some(r.text),
            line_hash: r.line_hash,
        });
    }
    let mut leftover = Sink::default();
    if by_url.len() > MAX_ISSUERS {
        let dropped: Vec<String> = by_url.keys().skip(MAX_ISSUERS).cloned().collect();
        for k in &dropped {
            by_url.remove(k);
        }
        leftover.error(
            "--audit-issuers",
            format!(
                "the scanned files name {} authorization servers; only the first {MAX_ISSUERS} (by URL) were audited",
                dropped.len() + MAX_ISSUERS
            ),
        );
    }
    let jobs = by_url
        .into_iter()
        .map(|(target, (guessed, mut places))| {
            places.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
            places.dedup_by(|a, b| a.path == b.path && a.line == b.line);
            Job::Remote {
                target,
                places,
                guessed,
            }
        })
        .collect();
    let mut opts = fetch_options(fetch)?;
    opts.public_only = !allow_private;
    let fetcher = Fetcher::new(opts)?;
    let mut sink = run_jobs(
        &fetcher,
        settings,
        jobs,
        fetch.concurrency,
        counters,
        Some(Instant::now() + ISSUERS_TIME),
    );
    sink.extend(leftover);
    Ok(sink)
}

/// A path as reports show it: relative, `/`-separated, without `./`.
fn report_path(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Run jobs on `concurrency` threads sharing one HTTPS client; no job is
/// started after `deadline` (those left are counted in an error notice).
pub fn run_jobs(
    fetcher: &Fetcher,
    settings: &Settings,
    jobs: Vec<Job>,
    concurrency: usize,
    counters: &Counters,
    deadline: Option<Instant>,
) -> Sink {
    let late = AtomicUsize::new(0);
    let ctx = Context {
        catalogue: &settings.catalogue,
        options: &settings.options,
    };
    let next = AtomicUsize::new(0);
    let total = Mutex::new(Sink::default());
    let workers = concurrency.clamp(1, jobs.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut local = Sink::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        late.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    run_job(fetcher, &ctx, job, &mut local, counters);
                }
                total
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(local);
            });
        }
    });
    let mut sink = total.into_inner().unwrap_or_else(|e| e.into_inner());
    let late = late.into_inner();
    if late > 0 {
        sink.error(
            "--audit-issuers",
            format!(
                "{late} authorization server(s) not audited: the issuer audit's {}s time limit ran out",
                ISSUERS_TIME.as_secs()
            ),
        );
    }
    sink
}

fn run_job(fetcher: &Fetcher, ctx: &Context, job: &Job, out: &mut Sink, counters: &Counters) {
    match job {
        Job::Local { path } => {
            let shown = report_path(path);
            match std::fs::read(path) {
                Ok(data) => {
                    count(counters, &data);
                    let item = Item::new(Provenance::File { path: shown }, data);
                    let mut sink = Sink::default();
                    metadata::audit(&item, ctx, &mut sink, true);
                    // Local files are real files: give them line hashes.
                    if !sink.findings.is_empty() {
                        let hashes = linehash::line_hashes(&item.data);
                        for f in &mut sink.findings {
                            let line = f.location.region.start_line as usize;
                            f.line_hash = hashes.get(line.saturating_sub(1)).cloned();
                        }
                    }
                    out.extend(sink);
                }
                Err(e) => out.error(&shown, format!("cannot read: {e}")),
            }
        }
        Job::Remote {
            target,
            places,
            guessed,
        } => {
            let mut sink = Sink::default();
            audit_server(fetcher, ctx, target, places, &mut sink, counters);
            if *guessed && sink.findings.is_empty() {
                for n in &mut sink.notices {
                    n.kind = crate::detect::NoticeKind::Skipped;
                    n.message = format!("issuer guessed from a token URL: {}", n.message);
                }
            }
            out.extend(sink);
        }
    }
}

fn count(counters: &Counters, data: &[u8]) {
    counters.items.fetch_add(1, Ordering::Relaxed);
    counters
        .bytes
        .fetch_add(data.len() as u64, Ordering::Relaxed);
}

/// The URLs to try for a target: a URL with `/.well-known/` as is; an issuer
/// first with OIDC Discovery's suffix, then RFC 8414's path-insertion form,
/// then (for issuers with a path) the suffix form some servers use.
pub fn discovery_urls(target: &str) -> Result<Vec<String>, String> {
    let url = Url::parse(target).map_err(|e| format!("not a valid URL: {e}"))?;
    if url.path().contains("/.well-known/") {
        return Ok(vec![url.to_string()]);
    }
    let origin = &url[..url::Position::BeforePath];
    let path = url.path().trim_end_matches('/');
    let mut v = vec![
        format!("{origin}{path}/.well-known/openid-configuration"),
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
    ];
    if !path.is_empty() {
        v.push(format!(
            "{origin}{path}/.well-known/oauth-authorization-server"
        ));
    }
    Ok(v)
}

/// A scheme-less relative path for a URL (`host[_port]/path`), for targets
/// named on the command line: code scanning accepts it, an https: URI it rejects.
pub fn pseudo_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    rest.replace(':', "_").trim_matches('/').to_string()
}

/// Should we move on to the next discovery URL after this error?
fn try_next(e: &FetchError) -> bool {
    matches!(e, FetchError::Status(s) if (400..500).contains(s) && *s != 429)
        || matches!(e, FetchError::ContentType(_))
}

/// Fetch a server's metadata (and its JWKS) once; check it at every place.
pub fn audit_server(
    fetcher: &Fetcher,
    ctx: &Context,
    target: &str,
    places: &[Place],
    out: &mut Sink,
    counters: &Counters,
) {
    let candidates = match discovery_urls(target) {
        Ok(c) => c,
        Err(e) => return out.error(target, e),
    };
    if Url::parse(target).is_ok_and(|u| !u.username().is_empty() || u.password().is_some()) {
        out.note(
            target,
            "the URL carries credentials (user:password@); they were not sent",
        );
    }
    let mut tried = Vec::new();
    let mut found = None;
    for url in &candidates {
        match fetcher.get_json(url) {
            Ok(f) => {
                found = Some((url.clone(), f));
                break;
            }
            Err(e) if try_next(&e) => tried.push(format!("{url}: {e}")),
            Err(e) => {
                tried.push(format!("{url}: {e}"));
                break;
            }
        }
    }
    let Some((url, doc)) = found else {
        let detail = if tried.len() == 1 {
            tried.remove(0)
        } else {
            format!("no discovery document ({})", tried.join("; "))
        };
        return out.error(target, detail);
    };
    count(counters, &doc.body);
    let pseudo = [Place {
        path: pseudo_path(&url),
        line: 1,
        text: None,
        line_hash: None,
    }];
    let places = if places.is_empty() {
        &pseudo[..]
    } else {
        places
    };
    let mut jwks_uri = None;
    for place in places {
        let audited = check_at(ctx, &url, &doc.body, place, out);
        jwks_uri = audited.and_then(|a| a.jwks_uri.filter(|_| a.shape == Shape::Metadata));
    }
    let Some(jwks_uri) = jwks_uri else { return };
    match Url::parse(&jwks_uri) {
        Ok(u) if http::allowed(&u, fetcher.options().allow_http_loopback) => {}
        // An insecure jwks_uri is a finding (NHI508); it is not fetched.
        _ => return out.skipped(&jwks_uri, "jwks_uri not fetched: not an https URL"),
    }
    match fetcher.get_json(&jwks_uri) {
        Ok(keys) => {
            count(counters, &keys.body);
            for place in places {
                check_at(ctx, &jwks_uri, &keys.body, place, out);
            }
        }
        Err(e) => out.error(&jwks_uri, format!("jwks_uri of {target}: {e}")),
    }
}

fn check_at(
    ctx: &Context,
    url: &str,
    body: &[u8],
    place: &Place,
    out: &mut Sink,
) -> Option<metadata::Audited> {
    let item = Item::new(
        Provenance::Remote {
            url: url.to_string(),
            path: place.path.clone(),
            line: place.line,
        },
        body.to_vec(),
    );
    let mut sink = Sink::default();
    let audited = metadata::audit(&item, ctx, &mut sink, true);
    for n in &mut sink.notices {
        // Name the URL, not the place, in errors about the document.
        n.path = url.to_string();
    }
    if let Some(text) = &place.text {
        sink.findings
            .retain(|f| !gate::inline_ignored(text.as_bytes(), &f.rule_id));
    }
    for f in &mut sink.findings {
        f.line_hash = place.line_hash.clone();
    }
    out.extend(sink);
    audited
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_url_forms() {
        assert_eq!(
            discovery_urls("https://h/tenant1").unwrap(),
            [
                "https://h/tenant1/.well-known/openid-configuration",
                "https://h/.well-known/oauth-authorization-server/tenant1",
                "https://h/tenant1/.well-known/oauth-authorization-server",
            ]
        );
        assert_eq!(
            discovery_urls("https://h/").unwrap(),
            [
                "https://h/.well-known/openid-configuration",
                "https://h/.well-known/oauth-authorization-server",
            ]
        );
        assert_eq!(
            discovery_urls("https://h:8443/.well-known/openid-configuration").unwrap(),
            ["https://h:8443/.well-known/openid-configuration"]
        );
    }

    #[test]
    fn pseudo_paths_have_no_scheme_or_colon() {
        assert_eq!(
            pseudo_path("https://login.example.com/.well-known/openid-configuration"),
            "login.example.com/.well-known/openid-configuration"
        );
        assert_eq!(
            pseudo_path("https://localhost:8443/a/.well-known/openid-configuration?x=1"),
            "localhost_8443/a/.well-known/openid-configuration"
        );
    }
}
