//! Private keys without PEM armour: base64 of a DER PKCS#1, PKCS#8 or SEC1
//! key in a string, a JSON value (a Keycloak realm export's `privateKey`),
//! a properties file. A prefix such as `MIIEvQIBADAN` only gates the check:
//! the decoded bytes must parse as a private-key structure (see
//! [`der::private_key`]), so public keys and certificates, which share the
//! prefixes and algorithm identifiers, stay quiet.

use std::sync::OnceLock;

use super::decode::{base64, der};
use super::{Context, Detector, Sink};
use crate::finding::redact;
use crate::item::Item;

pub struct DerKeys;

const RULE: &str = "NHI153";

/// Shortest run taken: an Ed25519 PKCS#8 key is 48 bytes, 64 characters.
const MIN_RUN: usize = 64;

/// Byte strings every private key of a kind holds at a known offset from
/// its start, with that offset's alignment in a 3-byte base64 group (the
/// SEQUENCE header is 2, 3 or 4 bytes: `30 LL`, `30 81 LL`, `30 82 LL LL`).
/// Their base64 forms are the keywords; only the alignments that occur are
/// used, as each keyword costs the prefilter.
const HINTS: &[(&[u8], usize)] = &[
    // PKCS#8 RSA (always over 255 bytes: a 4-byte header): version 0, then
    // the rsaEncryption AlgorithmIdentifier at offset 7.
    (
        &[
            0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05,
            0x00,
        ],
        1,
    ),
    // PKCS#8 EC (P-256 to P-521 fit a 3-byte header): id-ecPublicKey at offset 8.
    (&[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01], 2),
    // PKCS#8 Ed25519 / X25519 / Ed448 / X448: version 0, AlgorithmIdentifier, at offset 2.
    (&[0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65], 2),
    // PKCS#1: version 0, then the modulus INTEGER (1024 bits and up), at offset 4.
    (&[0x02, 0x01, 0x00, 0x02, 0x82], 1),
    (&[0x02, 0x01, 0x00, 0x02, 0x81], 1),
    // SEC1 P-256: version 1, the 32-byte scalar OCTET STRING, at offset 2.
    // (Other curves and DSA keys are parsed when a hint opens the check.)
    (&[0x02, 0x01, 0x01, 0x04, 0x20], 2),
];

fn keywords() -> &'static [&'static str] {
    static KW: OnceLock<Vec<&'static str>> = OnceLock::new();
    KW.get_or_init(|| {
        let mut v: Vec<&'static str> = Vec::new();
        for &(h, lead) in HINTS {
            if let Some(form) = base64::aligned_form(h, lead) {
                if !v.contains(&form.as_str()) {
                    v.push(Box::leak(form.into_boxed_str()));
                }
            }
        }
        v
    })
}

impl Detector for DerKeys {
    /// Committed keys stay leaked in history: this runs on past blobs too.
    fn finds_leaked_credentials(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "derkeys"
    }

    fn keywords(&self) -> &[&'static str] {
        keywords()
    }

    fn scans_decoded(&self) -> bool {
        true
    }

    fn detect(&self, item: &Item, ctx: &Context, out: &mut Sink) {
        for run in base64::runs(&item.data, MIN_RUN, true) {
            let text = &item.data[run.clone()];
            // A DER SEQUENCE (0x30) always encodes to a leading `M`.
            if text[0] != b'M' || armoured(&item.data[..run.start]) {
                continue;
            }
            let Some(bytes) = base64::decode(text) else {
                continue;
            };
            let Some(kind) = der::private_key(&bytes) else {
                continue;
            };
            let clean: Vec<u8> = text
                .iter()
                .copied()
                .filter(|&b| base64::is_b64(b) || b == b'=')
                .collect();
            let Some(draft) = ctx.finding(RULE, item, run.clone(), &clean, Some(run.clone()))
            else {
                continue;
            };
            let shown = redact(&String::from_utf8_lossy(&clean));
            draft
                .message(format!(
                    "{} in base64 DER without PEM armour: {shown}",
                    kind.describe()
                ))
                .property("key_format", kind.describe())
                .property("secret_length", clean.len())
                .emit(out);
        }
    }
}

/// Whether the text before a run ends in PEM armour (`-----BEGIN … -----`
/// and a line break), also across string concatenation (`…-----\n' +\n'`):
/// the PEM rules report those.
fn armoured(before: &[u8]) -> bool {
    let mut end = before.len();
    let floor = end.saturating_sub(64);
    while end > floor {
        match before[end - 1] {
            b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b'`' | b'+' | b'.' | b'\\' => end -= 1,
            // The `n` of a `\n` escape.
            b'n' if end >= 2 && before[end - 2] == b'\\' => end -= 2,
            _ => break,
        }
    }
    before[..end].ends_with(b"-----")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_cover_every_hint() {
        assert_eq!(keywords().len(), HINTS.len());
        assert!(keywords().iter().all(|k| k.len() >= 6));
    }

    #[test]
    fn armour_is_recognised_with_escapes() {
        assert!(armoured(b"-----BEGIN PRIVATE KEY-----\n"));
        assert!(armoured(b"\"-----BEGIN PRIVATE KEY-----\\n"));
        assert!(armoured(b"'-----BEGIN PRIVATE KEY-----\\n' +\n    '"));
        assert!(!armoured(b"\"privateKey\": \""));
    }
}
