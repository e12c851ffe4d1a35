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

/// Byte strings every private key of a kind contains near its start: the
/// version INTEGER followed by what comes next, and the algorithm
/// identifiers of PKCS#8. Their base64 forms at the three alignments are
/// the keywords.
const HINTS: &[&[u8]] = &[
    // PKCS#8 rsaEncryption AlgorithmIdentifier (with NULL parameters)
    &[0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00],
    // id-ecPublicKey, and id-dsa
    &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01],
    &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01],
    // PKCS#8 Ed25519 / X25519 / Ed448 / X448: version 0, AlgorithmIdentifier
    &[0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65],
    // PKCS#1: version 0, then the modulus INTEGER with a 1- or 2-byte length
    &[0x02, 0x01, 0x00, 0x02, 0x82],
    &[0x02, 0x01, 0x00, 0x02, 0x81],
    &[0x02, 0x01, 0x00, 0x02, 0x41, 0x00],
    // SEC1: version 1, the scalar OCTET STRING (P-256, P-384, P-521)
    &[0x02, 0x01, 0x01, 0x04, 0x20],
    &[0x02, 0x01, 0x01, 0x04, 0x30],
    &[0x02, 0x01, 0x01, 0x04, 0x42],
];

fn keywords() -> &'static [&'static str] {
    static KW: OnceLock<Vec<&'static str>> = OnceLock::new();
    KW.get_or_init(|| {
        let mut v: Vec<&'static str> = Vec::new();
        for h in HINTS {
            for form in base64::aligned_forms(h) {
                if !v.contains(&form.as_str()) {
                    v.push(Box::leak(form.into_boxed_str()));
                }
            }
        }
        v
    })
}

impl Detector for DerKeys {
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
            let clean: Vec<u8> = text.iter().copied().filter(|&b| base64::is_b64(b) || b == b'=').collect();
            let Some(draft) = ctx.finding(RULE, item, run.clone(), &clean, Some(run.clone())) else {
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
/// and a line break): the PEM rules report those.
fn armoured(before: &[u8]) -> bool {
    let tail = &before[before.len().saturating_sub(8)..];
    let trimmed: Vec<u8> = tail
        .iter()
        .copied()
        .filter(|b| !b" \t\r\n\\".contains(b))
        .collect();
    trimmed.ends_with(b"-----") || trimmed.ends_with(b"-----n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_cover_every_hint() {
        assert!(keywords().len() >= HINTS.len());
        assert!(keywords().iter().all(|k| k.len() >= 6));
    }

    #[test]
    fn armour_is_recognised_with_escapes() {
        assert!(armoured(b"-----BEGIN PRIVATE KEY-----\n"));
        assert!(armoured(b"\"-----BEGIN PRIVATE KEY-----\\n"));
        assert!(!armoured(b"\"privateKey\": \""));
    }
}
