//! The one redaction point every reported string passes through. A detector
//! redacts the secret it matched; this catches what sits beside it: a second
//! copy of the same secret on the line, a secret used as a CI key and quoted
//! in a note, credentials inside a URL (`user:pw@`, `?token=`), and control
//! characters in paths and content that would forge lines in a terminal or
//! a CI log (a file named `a\n::warning::x`).
//!
//! Detectors record each secret they report ([`record`], done by
//! `Context::finding`); the engine masks every occurrence of every secret of
//! an item in that item's findings and notices ([`Secrets::scrub_finding`]),
//! and the reports scrub URLs and control characters once more before
//! printing (a no-op on what was already scrubbed).

use std::cell::RefCell;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use crate::detect::Notice;
use crate::finding::{redact, Finding, Origin};

/// Secrets shorter than this are not searched for elsewhere: they would
/// mask ordinary words.
const MIN_SECRET: usize = 8;

thread_local! {
    static RECORDED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Note a secret the current item produced (called for every finding that
/// has a secret span).
pub fn record(secret: &[u8]) {
    if secret.len() >= MIN_SECRET {
        let s = String::from_utf8_lossy(secret).into_owned();
        RECORDED.with_borrow_mut(|v| v.push(s));
    }
}

/// The secrets recorded on this thread since the last call.
pub fn take_recorded() -> Vec<String> {
    RECORDED.with_borrow_mut(std::mem::take)
}

/// The secrets of one item, searched for all at once.
pub struct Secrets {
    automaton: Option<AhoCorasick>,
    shown: Vec<String>,
}

impl Secrets {
    pub fn new(mut secrets: Vec<String>) -> Secrets {
        secrets.sort();
        secrets.dedup();
        // Longest first at a shared start: the whole secret is masked.
        let automaton = (!secrets.is_empty())
            .then(|| {
                aho_corasick::AhoCorasickBuilder::new()
                    .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                    .build(&secrets)
                    .ok()
            })
            .flatten();
        let shown = secrets.iter().map(|s| redact(s)).collect();
        Secrets { automaton, shown }
    }

    pub fn none() -> Secrets {
        Secrets::new(Vec::new())
    }

    /// `s` with every secret masked, URLs without credentials, control
    /// characters escaped.
    pub fn scrub(&self, s: &str) -> String {
        let masked = match &self.automaton {
            Some(ac) if ac.is_match(s) => ac.replace_all(s, &self.shown),
            _ => s.to_string(),
        };
        escape_controls(&redact_urls(&masked))
    }

    fn scrub_in_place(&self, s: &mut String) {
        let clean = self.scrub(s);
        if clean != *s {
            *s = clean;
        }
    }

    fn scrub_value(&self, v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => self.scrub_in_place(s),
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| self.scrub_value(x)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|x| self.scrub_value(x)),
            _ => {}
        }
    }

    /// Every string a finding reports: message, path, snippet, related
    /// locations and messages, properties, the origin URL. The fingerprint
    /// was computed from the raw content before and is left as it is.
    pub fn scrub_finding(&self, f: &mut Finding) {
        self.scrub_in_place(&mut f.message);
        self.scrub_in_place(&mut f.location.path);
        if let Some(s) = &mut f.snippet {
            self.scrub_in_place(s);
        }
        for r in &mut f.related {
            self.scrub_in_place(&mut r.message);
            self.scrub_in_place(&mut r.location.path);
        }
        for v in f.properties.values_mut() {
            self.scrub_value(v);
        }
        if let Origin::Remote { url } = &mut f.origin {
            self.scrub_in_place(url);
        }
    }

    pub fn scrub_notice(&self, n: &mut Notice) {
        self.scrub_in_place(&mut n.path);
        self.scrub_in_place(&mut n.message);
    }
}

/// Control characters (C0 but tab, DEL, C1) and the bidirectional overrides
/// shown as escapes, so a path or line cannot start a new line in a log, a
/// workflow command or a terminal escape sequence.
pub fn escape_controls(s: &str) -> String {
    let bad = |c: char| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(bad) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if bad(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Every URL in `s` printed by [`redact_url`].
pub fn redact_urls(s: &str) -> String {
    if !s.contains("://") {
        return s.to_string();
    }
    static URL: OnceLock<Regex> = OnceLock::new();
    let re = URL.get_or_init(|| {
        Regex::new(r#"(?i)\b[a-z][a-z0-9+.\-]*://[^\s"'<>`]+"#).expect("URL pattern")
    });
    re.replace_all(s, |c: &regex::Captures| redact_url(&c[0]))
        .into_owned()
}

/// Query parameter names whose values are credentials.
fn credential_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    [
        "token",
        "secret",
        "key",
        "password",
        "passwd",
        "pwd",
        "pass",
        "code",
        "sig",
        "auth",
        "credential",
        "assertion",
        "session",
        "apikey",
    ]
    .iter()
    .any(|w| k.contains(w))
}

/// A URL as nhiscan prints it: no `user:password@`, and the values of
/// credential-like query parameters (token, secret, key, password, code,
/// sig …) masked.
pub fn redact_url(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        // Not parseable: at least drop anything before an `@` in the authority.
        return match url.split_once("://") {
            Some((scheme, rest)) => {
                let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
                match rest[..end].rfind('@') {
                    Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                    None => url.to_string(),
                }
            }
            None => url.to_string(),
        };
    };
    if u.cannot_be_a_base() {
        return url.to_string();
    }
    let had_userinfo = !u.username().is_empty() || u.password().is_some();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    let pairs: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    let sensitive = pairs
        .iter()
        .any(|(k, v)| credential_key(k) && !v.is_empty());
    if sensitive {
        let masked: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(k, v)| {
                if credential_key(&k) && !v.is_empty() {
                    (k, "REDACTED".to_string())
                } else {
                    (k, v)
                }
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(masked);
    }
    if !had_userinfo && !sensitive {
        return url.to_string();
    }
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_credentials() {
        assert_eq!(
            redact_url("https://bob:hunter2@idp.example.com/x?client_secret=abc123&a=1"),
            "https://idp.example.com/x?client_secret=REDACTED&a=1"
        );
        assert_eq!(
            redact_url("https://idp.example.com/x?sig=zzz"),
            "https://idp.example.com/x?sig=REDACTED"
        );
        assert_eq!(
            redact_url("https://idp.example.com/a?b=c"),
            "https://idp.example.com/a?b=c"
        );
        assert_eq!(
            redact_urls("fetch https://u:p@h/ failed"),
            "fetch https://h/ failed"
        );
    }

    #[test]
    fn every_copy_of_a_secret_is_masked() {
        let s = Secrets::new(vec!["ABCDEFGHIJKLMNOP1234".into()]);
        let out = s.scrub("a=ABCDEFGHIJKLMNOP1234 b=ABCDEFGHIJKLMNOP1234");
        assert!(!out.contains("ABCDEFGHIJKLMNOP1234"), "{out}");
        assert_eq!(out.matches("REDACTED").count(), 2);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            escape_controls("a\n::warning::x\u{1b}[31m"),
            "a\\n::warning::x\\u{1b}[31m"
        );
        assert_eq!(escape_controls("tab\there"), "tab\there");
    }
}
