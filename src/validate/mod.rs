//! Opt-in validation of found credentials (`scan --validate`, `nhiscan
//! validate`): is this secret still live? A stage after detection: it takes
//! findings (with their in-memory [`Material`]), the issuer references the
//! scan collected, and the lines around each finding, asks each distinct
//! credential's issuer once, and writes the answer into `Finding::validity`.
//!
//! What may be sent where is decided in [`net`]; how each vendor is asked in
//! [`vendors`] and [`oauth`]; how answers are read in [`judge`].

pub mod judge;
pub mod jwks;
pub mod net;
pub mod oauth;
pub mod vendors;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;

use regex::Regex;

use crate::detect::IssuerRef;
use crate::finding::{Finding, Origin, Severity, Validity, ValidityStatus};
pub use net::{Net, NetOptions};
pub use vendors::{Candidate, Endpoints, Outcome};

/// How one validation run behaves.
#[derive(Debug, Clone)]
pub struct Settings {
    pub net: NetOptions,
    pub endpoints: Endpoints,
    pub concurrency: usize,
}

/// What a run did, for the summary line and the benchmark.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub checked: usize,
    pub valid: usize,
    pub invalid: usize,
    pub unknown: usize,
    pub not_checked: usize,
    pub requests: u64,
}

/// How far from a secret an issuer reference or identifier still counts as "beside it".
const NEARBY_LINES: u32 = 15;

fn re(p: &str) -> Regex {
    Regex::new(p).expect("static pattern")
}

/// Identifiers near a secret, read from the lines around it in the working
/// tree (the rule's own pairing finds only one kind).
struct Nearby {
    client_id: Regex,
    uuid_client_id: Regex,
    tenant: Regex,
    jwks_uri: Regex,
    gitlab_host: Regex,
}

impl Nearby {
    fn new() -> Nearby {
        let assign = r#"["']?[ \t]*(?::=|=>|[:=])[ \t]*["'`]?"#;
        Nearby {
            client_id: re(&format!(
                r"(?i)client[_.-]?id{assign}([A-Za-z0-9._@-]{{6,}})"
            )),
            uuid_client_id: re(&format!(
                r"(?i)(?:client|app(?:lication)?)[_.-]?id{assign}([0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}})"
            )),
            gitlab_host: re(&format!(
                r"(?i)gitlab[_.-]?(?:url|host|server|instance|base[_.-]?url|external[_.-]?url){assign}https://([A-Za-z0-9.-]+(?::[0-9]+)?)"
            )),
            jwks_uri: re(&format!(
                r#"(?i)jwks[_.-]?ur[il]{assign}(https://[^\s"'`,]+)"#
            )),
            tenant: re(&format!(
                r"(?i)(?:tenant[_.-]?id{assign}|login\.microsoftonline\.com/)([0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}})"
            )),
        }
    }

    /// The match nearest to `line` (as the rules' own pairing does), so two
    /// apps in one file each get their own id.
    fn nearest(re: &Regex, lines: &[(u32, String)], line: u32) -> Option<String> {
        lines
            .iter()
            .filter_map(|(n, l)| re.captures(l).map(|c| (n.abs_diff(line), c[1].to_string())))
            .min_by_key(|(d, _)| *d)
            .map(|(_, v)| v)
    }
}

/// Largest file read for the lines around a finding.
const MAX_CONTEXT_FILE: u64 = 16 << 20;

/// The numbered lines within [`NEARBY_LINES`] of a working-tree finding.
fn lines_around(base: &Path, f: &Finding) -> Vec<(u32, String)> {
    use std::io::Read;
    if f.origin != Origin::WorkingTree {
        return Vec::new();
    }
    let mut data = Vec::new();
    let read = std::fs::File::open(base.join(&f.location.path))
        .and_then(|file| file.take(MAX_CONTEXT_FILE).read_to_end(&mut data));
    if read.is_err() {
        return Vec::new();
    }
    let from = f.location.region.start_line.saturating_sub(NEARBY_LINES);
    let to = f.location.region.end_line + NEARBY_LINES;
    String::from_utf8_lossy(&data)
        .lines()
        .zip(1u32..)
        .filter(|(_, n)| *n >= from && *n <= to)
        .map(|(l, n)| (n, l.to_string()))
        .collect()
}

/// The credential a finding holds and what is beside it.
fn candidate(
    f: &Finding,
    issuers: &[IssuerRef],
    base: &Path,
    nearby: &Nearby,
) -> Option<Candidate> {
    if !f.rule_id.starts_with("NHI1") {
        return None;
    }
    let m = f.material.as_ref()?;
    let mut c = Candidate {
        rule_id: f.rule_id.clone(),
        secret: m.secret.clone(),
        extra: m.extra.clone(),
        ..Default::default()
    };
    let line = f.location.region.start_line;
    let around = lines_around(base, f);
    let near = |re: &Regex| Nearby::nearest(re, &around, line);
    match f.rule_id.as_str() {
        "NHI101" | "NHI103" | "NHI106" | "NHI199" => c.client_id = m.paired_id.clone(),
        "NHI105" => {
            c.client_id = m.paired_id.clone();
            c.domain = near(&nearby.gitlab_host);
        }
        "NHI108" => c.domain = m.paired_id.clone(),
        "NHI109" | "NHI110" => {
            c.domain = m.paired_id.clone();
            c.client_id = near(&nearby.client_id);
        }
        "NHI155" | "NHI150" | "NHI153" => {
            if let Some(u) = near(&nearby.jwks_uri) {
                c.extra.insert("jwks_uri", u);
            }
        }
        "NHI102" => {
            c.client_id = near(&nearby.uuid_client_id);
            c.domain = near(&nearby.tenant);
        }
        _ => {}
    }
    c.issuer = issuers
        .iter()
        .filter(|r| {
            r.path == f.location.path && r.line.abs_diff(line) <= NEARBY_LINES && !r.guessed
        })
        .min_by_key(|r| r.line.abs_diff(line))
        .map(|r| r.url.clone());
    Some(c)
}

/// Validate every credential finding in place; each distinct credential is
/// asked once however many places it was found in. Announces on stderr which
/// validators (and so which hosts) will be contacted, unless `quiet`.
/// `skip`: fingerprints not to validate (the baseline's: a secret accepted
/// there is not sent anywhere).
pub fn validate_findings(
    findings: &mut [Finding],
    issuers: &[IssuerRef],
    base: &Path,
    settings: &Settings,
    skip: &BTreeSet<String>,
    quiet: bool,
) -> anyhow::Result<Summary> {
    let nearby = Nearby::new();
    let mut groups: BTreeMap<Candidate, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if skip.contains(&f.fingerprint) {
            continue;
        }
        if let Some(c) = candidate(f, issuers, base, &nearby) {
            groups.entry(c).or_default().push(i);
        }
    }
    let net = Net::new(settings.net.clone())?;
    if !quiet && !groups.is_empty() {
        let mut hosts: BTreeSet<String> = BTreeSet::new();
        for c in groups.keys() {
            if let Some(h) = host_hint(c, &settings.endpoints) {
                hosts.insert(h);
            }
        }
        eprintln!(
            "nhiscan: --validate: checking {} distinct credential(s); hosts that may be contacted: {} (and the token endpoints and key sets their issuers' discovery documents name)",
            groups.len(),
            if hosts.is_empty() { "none".to_string() } else { hosts.into_iter().collect::<Vec<_>>().join(", ") }
        );
    }
    let work: Vec<(Candidate, Vec<usize>)> = groups.into_iter().collect();
    let results: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..settings.concurrency.clamp(1, 64).min(work.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((c, _)) = work.get(i) else { break };
                if let Some(o) = vendors::check(c, &net, &settings.endpoints) {
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, o));
                }
            });
        }
    });
    let mut summary = Summary::default();
    for (i, o) in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
        match o.status {
            ValidityStatus::Valid => summary.valid += 1,
            ValidityStatus::Invalid => summary.invalid += 1,
            ValidityStatus::Unknown => summary.unknown += 1,
            ValidityStatus::NotChecked => summary.not_checked += 1,
        }
        for &fi in &work[i].1 {
            apply(&mut findings[fi], &o);
        }
    }
    summary.checked = work.len();
    summary.requests = net.requests();
    Ok(summary)
}

/// Write an outcome into a finding: a live credential is critical; a dead
/// one still leaked, at lower confidence.
pub fn apply(f: &mut Finding, o: &Outcome) {
    f.validity = Some(Validity {
        status: o.status,
        validator: Some(o.validator.to_string()),
        host: o.host.clone(),
        reason: o.reason.clone(),
    });
    match o.status {
        ValidityStatus::Valid => f.severity = Severity::Critical,
        ValidityStatus::Invalid => f.confidence = f.confidence.lowered(),
        _ => {}
    }
}

/// The host a candidate's check goes to first, for the announcement.
fn host_hint(c: &Candidate, ep: &Endpoints) -> Option<String> {
    let default = match c.rule_id.as_str() {
        "NHI101" => "oauth2.googleapis.com".to_string(),
        "NHI102" => "login.microsoftonline.com".to_string(),
        "NHI103" => "github.com".to_string(),
        "NHI104" => "api.github.com".to_string(),
        "NHI105" => c.domain.clone().unwrap_or_else(|| "gitlab.com".to_string()),
        "NHI106" | "NHI107" => "slack.com".to_string(),
        "NHI108" | "NHI109" | "NHI110" => c.domain.clone()?,
        "NHI162" => "www.googleapis.com".to_string(),
        "NHI199" => reqwest::Url::parse(c.issuer.as_deref()?)
            .ok()?
            .host_str()?
            .to_string(),
        _ => return None,
    };
    let vendor = match c.rule_id.as_str() {
        "NHI101" => "google",
        "NHI102" => "entra",
        "NHI103" => "github",
        "NHI104" => "github-api",
        "NHI105" => "gitlab",
        "NHI106" | "NHI107" => "slack",
        "NHI108" | "NHI109" => "okta",
        "NHI110" => "auth0",
        "NHI162" => "gcp",
        _ => "",
    };
    Some(match ep.overrides.get(vendor) {
        Some(u) => u.host_str().unwrap_or("").to_string(),
        None => default,
    })
}
