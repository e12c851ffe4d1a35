//! Decoding of encoded content, shared by every detector family.
//!
//! Real leaks are often one encoding away from the rules: a Kubernetes
//! secret holds base64 of a PEM or of `key=value` text, a URL carries a
//! percent-encoded JSON document, a JSON string holds another JSON document
//! with `\"` escapes. The engine asks [`candidates`] for the encoded spans of
//! an item, scans each decoded text as an item of its own (the same path, so
//! fingerprints equal those of the plain form), and maps what it finds back
//! to the encoded span with [`Decoded::to_parent`].
//!
//! Cost is bounded three ways: decoding runs only on items where the
//! prefilter saw one of [`keywords`] (base64 of `-----BEGIN`, `secret`,
//! `password` … at each of the three byte alignments; percent-encoded or
//! backslash-escaped credential names), only candidates of a minimum length
//! are decoded, and each item has a budget of decoded bytes and candidates.
//! The engine stops after [`MAX_DEPTH`] nested decodings.

pub mod base64;
pub mod concat;
pub mod der;
pub mod escape;
pub mod percent;

use std::ops::Range;
use std::sync::OnceLock;

use crate::finding::{Finding, Location};
use crate::item::Item;

/// Nested decodings followed at most (base64 of JSON whose strings are escaped JSON).
pub const MAX_DEPTH: u8 = 2;
/// Decoded bytes per item at most, over all candidates and depths.
pub const BUDGET: usize = 1 << 20;
/// Candidates decoded per item at most.
pub const MAX_CANDIDATES: usize = 256;

/// The kinds of encoding, each gated by its own keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Base64,
    Percent,
    Escaped,
    /// String literals joined where code concatenates them.
    Joined,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Base64, Kind::Percent, Kind::Escaped, Kind::Joined];

    /// The name findings carry in `properties.encoding`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Base64 => "base64",
            Kind::Percent => "percent",
            Kind::Escaped => "escaped",
            Kind::Joined => "code-literal",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What marks an item worth decoding as base64: the credential words, at
/// any of the three byte alignments (`ecret` stands for `secret` and
/// `Secret`). Every 64 prefilter keywords cost one more pass over every
/// item, so the list is short, and where an existing keyword does the job
/// it is reused: `eyJ` (base64 of `{"`, a JSON document) is the JWT
/// detector's, `PRIVATE KEY-----` the PEM rule's. A PEM file encoded whole
/// starts with `LS0tLS1CRUdJT` (`-----BEGIN` at offset 0).
const HINT_WORDS: &[&str] = &["ecret", "ECRET"];
/// Percent-encoded and escaped forms that gate those decoders (lower case:
/// the prefilter compares lower-cased text).
/// Teddy, the prefilter's SIMD search, looks first at a keyword's leading
/// three bytes, so each keyword starts where ordinary text rarely does
/// (`ecret`, not `sec` as in `section`; `2d%`, not `%2d` as in `printf`).
const PERCENT_HINTS: &[&str] = &["2d%2d%2d%2d", "ecret%"];
const ESCAPE_HINTS: &[&str] = &["\\\"kty\\\"", "ecret\\\""];

/// Code whose literals may hold a split key or a JSON key.
const JOIN_HINTS: &[&str] = &["private key-----", "kty"];

/// Every gating keyword with the kind it gates, lower-cased.
pub fn keywords() -> &'static [(String, Kind)] {
    static KW: OnceLock<Vec<(String, Kind)>> = OnceLock::new();
    KW.get_or_init(|| {
        let mut v: Vec<(String, Kind)> = Vec::new();
        for w in HINT_WORDS {
            for k in base64::aligned_forms(w.as_bytes()) {
                v.push((k.to_ascii_lowercase(), Kind::Base64));
            }
        }
        v.push(("ls0tls1crudjt".into(), Kind::Base64));
        v.push(("eyj".into(), Kind::Base64));
        v.extend(PERCENT_HINTS.iter().map(|k| (k.to_string(), Kind::Percent)));
        v.extend(ESCAPE_HINTS.iter().map(|k| (k.to_string(), Kind::Escaped)));
        v.extend(JOIN_HINTS.iter().map(|k| (k.to_string(), Kind::Joined)));
        v.sort();
        v.dedup();
        v
    })
}

/// Which decoders the prefilter enabled for an item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gates([bool; 4]);

impl Gates {
    pub fn open(&mut self, k: Kind) {
        self.0[k.index()] = true;
    }
    pub fn is_open(&self, k: Kind) -> bool {
        self.0[k.index()]
    }
    pub fn any(&self) -> bool {
        self.0.iter().any(|&b| b)
    }
}

/// Decoded text with the span of its encoded form in the parent.
#[derive(Debug)]
pub struct Decoded {
    pub kind: Kind,
    /// The encoded span in the parent's bytes.
    pub span: Range<usize>,
    pub data: Vec<u8>,
    /// For byte-wise encodings (percent, escapes): the parent offset of each
    /// decoded byte, plus one entry for the end. None for base64, whose
    /// findings point at the whole encoded run.
    map: Option<Vec<usize>>,
}

impl Decoded {
    /// Decoded text whose every byte maps back to a parent offset (`map`
    /// has one entry per decoded byte plus one for the end).
    pub fn mapped(kind: Kind, span: Range<usize>, data: Vec<u8>, map: Vec<usize>) -> Decoded {
        Decoded {
            kind,
            span,
            data,
            map: Some(map),
        }
    }

    /// The parent span of decoded bytes `r`.
    pub fn to_parent(&self, r: Range<usize>) -> Range<usize> {
        match &self.map {
            Some(map) => {
                let last = map.len() - 1;
                let a = map[r.start.min(last)];
                let b = map[r.end.min(last)];
                a..b.max(a)
            }
            None => self.span.clone(),
        }
    }
}

/// The encoded candidates of `data` for the open gates, decoded, within
/// `budget` decoded bytes (reduced by what is used). The flag says some
/// were left out for the budget or the candidate cap.
pub fn candidates(
    data: &[u8],
    path: &str,
    gates: Gates,
    budget: &mut usize,
) -> (Vec<Decoded>, bool) {
    let mut out = Vec::new();
    if gates.is_open(Kind::Joined) {
        concat::candidates(data, path, &mut out);
    }
    if gates.is_open(Kind::Base64) {
        base64::text_candidates(data, &mut out);
    }
    if gates.is_open(Kind::Percent) {
        percent::candidates(data, &mut out);
    }
    if gates.is_open(Kind::Escaped) {
        escape::candidates(data, &mut out);
    }
    let mut cut = out.len() > MAX_CANDIDATES;
    out.truncate(MAX_CANDIDATES);
    out.retain(|d| {
        if d.data.len() > *budget {
            cut = true;
            return false;
        }
        *budget -= d.data.len();
        true
    });
    (out, cut)
}

/// True when decoded bytes read as text (UTF-8, mostly printable): binary
/// output of a base64 run that was never text is not scanned as text.
pub fn is_text(b: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(b) else {
        return false;
    };
    let control = s
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .count();
    control == 0 && !s.trim().is_empty()
}

/// Move a finding made on `inner` (the decoded text of `d`) to `parent`:
/// its locations point at the encoded text there, its snippet is the
/// parent's line with that span redacted, and `properties.encoding` says
/// which decoding found it (outermost first when nested).
pub fn remap(f: &mut Finding, parent: &Item, inner: &Item, d: &Decoded) {
    let span = to_parent_span(&f.location, inner, d);
    f.location.region = parent.region(span.start, span.end);
    f.snippet = super::snippet(parent, f.location.region.start_line, Some(span));
    for r in &mut f.related {
        let s = to_parent_span(&r.location, inner, d);
        let before = r.location.region.start_line;
        r.location.region = parent.region(s.start, s.end);
        // Messages name a paired identifier's line: name the parent's.
        let after = r.location.region.start_line;
        f.message = f
            .message
            .replace(&format!("at line {before}"), &format!("at line {after}"));
    }
    let encoding = match f.properties.get("encoding").and_then(|v| v.as_str()) {
        Some(innermost) => format!("{}+{innermost}", d.kind.name()),
        None => d.kind.name().to_string(),
    };
    if !f.properties.contains_key("encoding") {
        f.message = format!("{} (in {} text)", f.message, describe(d.kind));
    }
    f.properties
        .insert("encoding".into(), serde_json::Value::String(encoding));
}

fn describe(k: Kind) -> &'static str {
    match k {
        Kind::Base64 => "base64-encoded",
        Kind::Percent => "percent-encoded",
        Kind::Escaped => "backslash-escaped",
        Kind::Joined => "code-literal",
    }
}

fn to_parent_span(l: &Location, inner: &Item, d: &Decoded) -> Range<usize> {
    let r = &l.region;
    let a = inner.offset(r.start_line, r.start_column);
    let b = inner.offset(r.end_line, r.end_column).max(a);
    d.to_parent(a..b)
}

/// Whether two locations in one file share any character.
pub fn overlaps(a: &Location, b: &Location) -> bool {
    let (ra, rb) = (&a.region, &b.region);
    let (sa, ea) = (
        (ra.start_line, ra.start_column),
        (ra.end_line, ra.end_column),
    );
    let (sb, eb) = (
        (rb.start_line, rb.start_column),
        (rb.end_line, rb.end_column),
    );
    a.path == b.path && sa < eb && sb < ea
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_lower_case_and_long_enough() {
        for (k, _) in keywords() {
            assert_eq!(k, &k.to_ascii_lowercase());
            assert!(k.len() >= 3, "{k}");
        }
        // base64("-----BEGIN") at offset 0
        let begin = base64::aligned_form(b"-----BEGIN", 0)
            .unwrap()
            .to_ascii_lowercase();
        assert!(keywords().iter().any(|(k, _)| *k == begin));
    }

    #[test]
    fn budget_limits_decoding() {
        let mut gates = Gates::default();
        gates.open(Kind::Percent);
        let text = b"a=%22client_secret%22%3A%22abcdefghijklmnop%22 b=%22client_secret%22%3A%22abcdefghijklmnop%22"; // nhiscan:ignore (test input)
        let mut budget = 40;
        let (got, cut) = candidates(text, "a.txt", gates, &mut budget);
        assert_eq!(got.len(), 1);
        assert!(cut, "the second candidate was left out");
        assert!(budget < 40);
    }
}
