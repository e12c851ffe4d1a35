//! Detectors: everything that turns an item into findings. The [`Engine`]
//! runs one keyword prefilter (Aho-Corasick) over each item, then only the
//! regex rules and structured detectors whose keywords occurred.

pub mod candidate;
pub mod checksum;
pub mod ci;
pub mod code;
pub mod deadline;
pub mod decode;
pub mod derkeys;
pub mod engine;
pub mod file_context;
pub mod filters;
pub mod issuer_refs;
pub mod jwks;
pub mod jwt;
pub mod keyfiles;
pub mod keystore;
pub mod metadata;
pub mod overlap;
pub mod registrations;
pub mod secrets;
pub mod spanned_json;

use std::collections::BTreeMap;
use std::ops::Range;

use crate::finding::{self, Confidence, FileContext, Finding, Location, Origin, Related, Severity};
use crate::item::{Item, Provenance, Region};
use crate::rules::Catalogue;

pub use engine::Engine;

/// Tunables detectors read; filled from flags and config.
#[derive(Debug, Clone)]
pub struct Options {
    /// Longest acceptable client-assertion lifetime, seconds.
    pub max_assertion_lifetime: u64,
    /// Raise FAPI 2.0 checks (audit) to high.
    pub fapi2: bool,
    /// Record issuer references for `scan --audit-issuers`.
    pub audit_issuers: bool,
    /// The time a token's `exp` is compared with (Unix seconds): the clock
    /// when the options are made, so one scan judges every token alike.
    pub now: i64,
    /// Keep each finding's secret in memory for `--validate` (never otherwise).
    pub keep_material: bool,
    /// Time one item may take in the detectors (see [`deadline`]).
    pub item_budget: std::time::Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_assertion_lifetime: 300,
            fapi2: false,
            audit_issuers: false,
            now: unix_now(),
            keep_material: false,
            item_budget: deadline::DEFAULT_BUDGET,
        }
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A structured detector (JWT literals, code checks, CI audits, metadata …).
/// Register new ones in [`registry`].
pub trait Detector: Send + Sync {
    /// Short family name, e.g. `jwt`, `ci`.
    fn name(&self) -> &'static str;
    /// ASCII case-insensitive literals, one of which must occur in an item for
    /// `detect` to run. Empty: the detector runs on every item `applies` accepts.
    fn keywords(&self) -> &[&'static str] {
        &[]
    }
    /// Cheap path test (e.g. only CI files). Called before the prefilter result is used.
    fn applies(&self, _item: &Item) -> bool {
        true
    }
    /// Whether it reports leaked credentials (NHI1xx, NHI20x): only such
    /// detectors run on history blobs no longer at HEAD.
    fn finds_leaked_credentials(&self) -> bool {
        false
    }
    fn detect(&self, item: &Item, ctx: &Context, out: &mut Sink);
    /// Whether it also runs on decoded content (base64, percent-encoded or
    /// escaped text found inside an item; see [`decode`]). Key detectors do;
    /// checks of code, CI files and documents by path do not.
    fn scans_decoded(&self) -> bool {
        false
    }
    /// Runs once after every item was scanned, over everything found: for
    /// conclusions that need the whole repository (see [`Fact`]).
    fn finish(&self, _ctx: &Context, _sink: &mut Sink) {}
}

/// Every structured detector, in one list.
pub fn registry() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(keyfiles::KeyFiles),
        Box::new(derkeys::DerKeys),
        Box::new(keystore::KeyStores),
        Box::new(keystore::BinaryKeyStores),
        Box::new(jwt::JwtLiterals),
        Box::new(registrations::ClientRegistrations::default()),
        Box::new(ci::CiDetector),
        Box::new(code::CodeChecks),
        Box::new(metadata::AuthorizationServer),
        Box::new(issuer_refs::IssuerRefs),
    ]
}

/// What a detector may read while it works.
pub struct Context<'a> {
    pub catalogue: &'a Catalogue,
    pub options: &'a Options,
}

/// A non-finding message about an item: skipped, unreadable, unparsable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// Skipped by policy (binary, too large, not a regular file): counted, not an error.
    Skipped,
    /// Could not be read or parsed: the scan is incomplete, the exit code says so.
    Error,
    /// Read and scanned, with something worth knowing (e.g. keys a CI
    /// audit does not know and ignored). Neither skipped nor an error.
    Note,
}

/// Where detectors put what they produce.
#[derive(Debug, Default)]
pub struct Sink {
    pub findings: Vec<Finding>,
    pub notices: Vec<Notice>,
    /// Authorization servers the scanned content refers to (`scan --audit-issuers`).
    pub issuer_refs: Vec<IssuerRef>,
    /// Repository-level observations for [`Detector::finish`]; never reported.
    pub facts: Vec<Fact>,
}

/// Something a detector saw in one item that matters for findings in others
/// (e.g. "this repository federates with AWS here"). Workers scan items in
/// parallel and in no set order, so such context is collected as facts and
/// used once the walk is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub detector: &'static str,
    pub key: String,
    pub location: Location,
}

/// A line that names an authorization server (issuer or discovery URL).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IssuerRef {
    pub url: String,
    /// Derived from a token endpoint URL rather than named outright.
    pub guessed: bool,
    pub path: String,
    pub line: u32,
    /// The line's text (for inline ignores).
    pub text: String,
    pub line_hash: Option<String>,
}

impl Sink {
    pub fn error(&mut self, path: &str, message: impl Into<String>) {
        self.notices.push(Notice {
            kind: NoticeKind::Error,
            path: path.to_string(),
            message: message.into(),
        });
    }

    pub fn note(&mut self, path: &str, message: impl Into<String>) {
        self.notices.push(Notice {
            kind: NoticeKind::Note,
            path: path.to_string(),
            message: message.into(),
        });
    }

    pub fn skipped(&mut self, path: &str, message: impl Into<String>) {
        self.notices.push(Notice {
            kind: NoticeKind::Skipped,
            path: path.to_string(),
            message: message.into(),
        });
    }

    pub fn extend(&mut self, other: Sink) {
        self.findings.extend(other.findings);
        self.notices.extend(other.notices);
        self.facts.extend(other.facts);
        self.issuer_refs.extend(other.issuer_refs);
    }
}

/// A finding under construction; [`Context::finding`] starts one from a rule's
/// metadata so detectors never restate severity or names.
pub struct Draft {
    finding: Finding,
}

impl Draft {
    pub fn message(mut self, m: impl Into<String>) -> Self {
        self.finding.message = m.into();
        self
    }
    pub fn severity(mut self, s: Severity) -> Self {
        self.finding.severity = s;
        self
    }
    pub fn confidence(mut self, c: Confidence) -> Self {
        self.finding.confidence = c;
        self
    }
    pub fn related(mut self, location: Location, message: impl Into<String>) -> Self {
        self.finding.related.push(Related {
            location,
            message: message.into(),
        });
        self
    }
    pub fn property(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.finding
            .properties
            .insert(key.to_string(), value.into());
        self
    }
    /// The identifier paired with the secret (kept for `--validate` only).
    pub fn paired_id(mut self, id: &str) -> Self {
        if let Some(m) = self.finding.material.as_mut() {
            m.paired_id = Some(id.to_string());
        }
        self
    }
    /// A named fact for `--validate` (e.g. a key file's `private_key_id`).
    pub fn material_fact(mut self, key: &'static str, value: &str) -> Self {
        if let Some(m) = self.finding.material.as_mut() {
            m.extra.insert(key, value.to_string());
        }
        self
    }
    /// Replace the snippet (already redacted by the caller).
    pub fn snippet(mut self, s: Option<String>) -> Self {
        self.finding.snippet = s;
        self
    }
    pub fn build(self) -> Finding {
        self.finding
    }
    pub fn emit(self, out: &mut Sink) {
        out.findings.push(self.finding);
    }
}

/// Longest snippet printed, in characters.
const SNIPPET_MAX: usize = 160;
/// Bytes of a long line looked at for a snippet (enough for SNIPPET_MAX
/// characters of 4-byte UTF-8).
const SNIPPET_WINDOW: usize = 4 * SNIPPET_MAX;

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

impl Context<'_> {
    /// Start a finding for `rule_id` at byte span `span` of `item`.
    ///
    /// `content` feeds the fingerprint: the secret itself for leaked credentials
    /// (only its keyed hash is kept), the normalised matched code otherwise.
    /// `secret` is the byte span of a secret inside the item, redacted in the
    /// snippet. Returns None when the rule is unknown or disabled.
    pub fn finding(
        &self,
        rule_id: &str,
        item: &Item,
        span: Range<usize>,
        content: &[u8],
        secret: Option<Range<usize>>,
    ) -> Option<Draft> {
        let rule = self.catalogue.enabled(rule_id)?;
        if let Some(s) = &secret {
            if let Some(bytes) = item.data.get(s.clone()) {
                crate::redact::record(bytes);
            }
        }
        // A fetched document is not in the repository: its findings sit at the
        // line that named the server, and the URL joins the fingerprint so two
        // servers named in one targets file stay apart.
        let material_span = secret.clone();
        let (region, snippet, content) = match &item.provenance {
            Provenance::Remote { url, line, .. } => {
                let mut keyed = url.as_bytes().to_vec();
                keyed.push(0);
                keyed.extend_from_slice(content);
                (Region::line(*line), None, keyed)
            }
            _ => {
                let region = item.region(span.start, span.end);
                let snippet = snippet(item, region.start_line, secret);
                (region, snippet, content.to_vec())
            }
        };
        Some(Draft {
            finding: Finding {
                rule_id: rule.id.clone(),
                rule_name: rule.name.clone(),
                severity: rule.severity,
                confidence: rule.confidence,
                context: FileContext::default(),
                message: rule.short_description.clone(),
                location: Location {
                    path: item.path().to_string(),
                    region,
                },
                related: Vec::new(),
                snippet,
                fingerprint: finding::fingerprint(rule_id, &content, item.path()),
                origin: Origin::from_provenance(&item.provenance),
                properties: BTreeMap::new(),
                line_hash: None,
                validity: None,
                // Held for `--validate`; never serialised.
                material: material_span
                    .filter(|_| self.options.keep_material)
                    .map(|s| {
                        Box::new(finding::Material {
                            secret: String::from_utf8_lossy(&item.data[s]).into_owned(),
                            ..Default::default()
                        })
                    }),
            },
        })
    }
}

/// The line a finding starts on, with the secret span redacted and any other
/// secret-looking token masked, cut to [`SNIPPET_MAX`] characters.
pub fn snippet(item: &Item, line: u32, secret: Option<Range<usize>>) -> Option<String> {
    let idx = item.line_index();
    let bytes = idx.line(&item.data, line);
    if bytes.is_empty() {
        return None;
    }
    let mut line_start = bytes.as_ptr() as usize - item.data.as_ptr() as usize;
    let mut line_end = line_start + bytes.len();
    // A very long line (minified code, a one-line dump) is cut to a window
    // around the secret first, so masking never walks megabytes.
    let mut cut_before = false;
    if bytes.len() > SNIPPET_WINDOW {
        let anchor = secret
            .as_ref()
            .map_or(line_start, |s| s.start.clamp(line_start, line_end));
        let mut from = anchor.saturating_sub(SNIPPET_MAX / 2).max(line_start);
        while from > line_start && is_continuation(item.data[from]) {
            from -= 1;
        }
        let mut to = (from + SNIPPET_WINDOW).min(line_end);
        while to < line_end && is_continuation(item.data[to]) {
            to += 1;
        }
        cut_before = from > line_start;
        line_start = from;
        line_end = to;
    }
    let bytes = &item.data[line_start..line_end];
    let text = match secret {
        Some(s) if s.start < line_end && s.end > line_start => {
            let a = s.start.max(line_start) - line_start;
            let b = s.end.min(line_end) - line_start;
            let secret_text = String::from_utf8_lossy(&item.data[s.clone()]);
            format!(
                "{}{}{}",
                filters::mask_secrets(&String::from_utf8_lossy(&bytes[..a])),
                finding::redact(&secret_text),
                filters::mask_secrets(&String::from_utf8_lossy(&bytes[b..]))
            )
        }
        _ => filters::mask_secrets(&String::from_utf8_lossy(bytes)),
    };
    let text = text.trim();
    let mut out = String::new();
    if cut_before {
        out.push('…');
    }
    out.extend(text.chars().take(SNIPPET_MAX));
    if text.chars().count() > SNIPPET_MAX {
        out.push('…');
    }
    Some(out)
}
