//! Committed key stores: Java KeyStore (JKS), JCEKS and PKCS#12/PFX files,
//! as binary files or as base64 text (a Kubernetes secret's `keystore.p12`).
//! They are recognised by structure, not by name: the JKS and JCEKS magic
//! numbers and versions, and PKCS#12's `PFX` SEQUENCE with version 3 and a
//! pkcs7-data authSafe. A store is reported when it holds private or secret
//! key entries (a trust store of certificates is fine to commit), and the
//! finding says whether one of a few well-known passwords opens it,
//! checked locally against the store's own integrity check. Nothing from
//! inside the store (aliases, keys, certificates) is ever printed.

mod jks;
mod pkcs12;

use std::sync::OnceLock;

use super::decode::base64;
use super::{Context, Detector, Sink};
use crate::finding::Severity;
use crate::item::Item;

pub struct KeyStores;

const RULE: &str = "NHI154";

/// Passwords tried against each store: defaults of keytool, of common
/// frameworks and of tutorials. Never printed when one opens a store.
pub const WELL_KNOWN_PASSWORDS: &[&str] = &[
    "",
    "changeit",
    "changeme",
    "password",
    "secret",
    "123456",
    "keystore",
    "storepass",
    "test",
    "admin",
    "jetty",
    "kafka",
];

/// Largest store whose password is checked (every password hashes it all).
const MAX_CHECKED: usize = 4 << 20;

/// What a store holds, as far as can be told without its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub format: &'static str,
    /// Private-key entries (JKS tag 1, PKCS#12 key bags).
    pub private_keys: usize,
    /// Secret-key entries (JCEKS tag 3, PKCS#12 secret bags).
    pub secret_keys: usize,
    /// Whether a well-known password passes the store's integrity check:
    /// None when the check could not be made (unknown MAC, too large).
    pub opens: Option<bool>,
}

/// The first bytes of a JKS, JCEKS or PKCS#12 file: the sniff the walk uses
/// to scan these binaries instead of skipping them.
pub fn looks_like_store(data: &[u8]) -> bool {
    jks::magic(data).is_some() || pkcs12::shape(data)
}

/// Read a store; None when `data` is not one or holds no key entries.
pub fn summarise(data: &[u8]) -> Option<Summary> {
    let s = if jks::magic(data).is_some() {
        jks::summarise(data)?
    } else {
        pkcs12::summarise(data)?
    };
    (s.private_keys + s.secret_keys > 0).then_some(s)
}

/// Base64 forms of the stores' first bytes: the JKS magic with version 2
/// (offset 0), PKCS#12's version 3 and authSafe SEQUENCE after a 4-byte
/// header (offset 4, alignment 1). JCEKS files are found as binaries; as
/// base64 text they are too rare to spend a prefilter keyword on.
fn keywords() -> &'static [&'static str] {
    static KW: OnceLock<Vec<&'static str>> = OnceLock::new();
    KW.get_or_init(|| {
        let hints: [(&[u8], usize); 2] = [
            (&[0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2], 0),
            (&[0x02, 0x01, 0x03, 0x30, 0x82], 1),
        ];
        hints
            .iter()
            .filter_map(|&(h, lead)| base64::aligned_form(h, lead))
            .map(|f| &*Box::leak(f.into_boxed_str()))
            .collect()
    })
}

impl Detector for KeyStores {
    /// Committed keys stay leaked in history: this runs on past blobs too.
    fn finds_leaked_credentials(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "keystore"
    }

    fn keywords(&self) -> &[&'static str] {
        keywords()
    }

    fn detect(&self, item: &Item, ctx: &Context, out: &mut Sink) {
        for run in base64::runs(&item.data, 64, true) {
            let Some(bytes) = base64::decode(&item.data[run.clone()]) else {
                continue;
            };
            if let Some(s) = summarise(&bytes) {
                report(&s, item, run.clone(), &bytes, true, ctx, out);
            }
        }
    }
}

/// The binary form: the walk hands key stores over instead of skipping
/// them, and this runs on them whatever their keywords.
pub struct BinaryKeyStores;

impl Detector for BinaryKeyStores {
    /// Committed keys stay leaked in history: this runs on past blobs too.
    fn finds_leaked_credentials(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "keystore-binary"
    }

    fn applies(&self, item: &Item) -> bool {
        looks_like_store(&item.data)
    }

    fn detect(&self, item: &Item, ctx: &Context, out: &mut Sink) {
        if let Some(s) = summarise(&item.data) {
            report(&s, item, 0..0, &item.data, false, ctx, out);
        }
    }
}

fn report(
    s: &Summary,
    item: &Item,
    span: std::ops::Range<usize>,
    store: &[u8],
    text: bool,
    ctx: &Context,
    out: &mut Sink,
) {
    let Some(draft) = ctx.finding(RULE, item, span, store, None) else {
        return;
    };
    let mut held = Vec::new();
    if s.private_keys > 0 {
        held.push(format!(
            "{} private key entr{}",
            s.private_keys,
            plural(s.private_keys)
        ));
    }
    if s.secret_keys > 0 {
        held.push(format!(
            "{} secret key entr{}",
            s.secret_keys,
            plural(s.secret_keys)
        ));
    }
    let form = if text { " (base64 text)" } else { "" };
    let password = match s.opens {
        Some(true) => "; a password on nhiscan's short list of well-known ones opens it",
        Some(false) => "; none of the well-known passwords opens it",
        None => "",
    };
    let mut draft = draft
        .message(format!(
            "{} key store{form} with {}{password}",
            s.format,
            held.join(" and ")
        ))
        .property("store_format", s.format)
        .property("private_key_entries", s.private_keys)
        .property("secret_key_entries", s.secret_keys);
    if let Some(opens) = s.opens {
        draft = draft.property("well_known_password", opens);
    }
    if s.opens == Some(true) {
        draft = draft.severity(Severity::Critical);
    }
    if !text {
        // The first "line" of a binary file is store bytes: never shown.
        draft = draft.snippet(None);
    }
    draft.emit(out);
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "y"
    } else {
        "ies"
    }
}

/// Whether `data` is within the size whose password is checked.
fn checkable(data: &[u8]) -> bool {
    data.len() <= MAX_CHECKED
}
