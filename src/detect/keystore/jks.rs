//! Java KeyStore (JKS, magic 0xFEEDFEED) and JCEKS (0xCECECECE): a header,
//! entries, and a SHA-1 integrity digest over
//! `password as UTF-16BE || "Mighty Aphrodite" || every byte before it`.

use sha1::{Digest, Sha1};

use super::{checkable, Summary, WELL_KNOWN_PASSWORDS};

const JKS: u32 = 0xfeed_feed;
const JCEKS: u32 = 0xcece_cece;
const DIGEST_LEN: usize = 20;

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// The format's name when `data` starts with a JKS or JCEKS header (magic
/// and version 1 or 2).
pub fn magic(data: &[u8]) -> Option<&'static str> {
    let name = match u32_at(data, 0)? {
        JKS => "JKS",
        JCEKS => "JCEKS",
        _ => return None,
    };
    matches!(u32_at(data, 4)?, 1 | 2).then_some(name)
}

/// Walks the entries; JCEKS secret-key entries are serialised Java objects
/// whose length is not recorded, so the walk stops at the first one (what
/// was counted so far stands).
pub fn summarise(data: &[u8]) -> Option<Summary> {
    let format = magic(data)?;
    let version = u32_at(data, 4)?;
    let count = u32_at(data, 8)?;
    if data.len() < 12 + DIGEST_LEN {
        return None;
    }
    let body_end = data.len() - DIGEST_LEN;
    let mut at = 12;
    let (mut private_keys, mut secret_keys) = (0, 0);
    for _ in 0..count.min(100_000) {
        let Some(tag) = u32_at(data, at) else { break };
        at += 4;
        let Some(next) = skip_utf(data, at).and_then(|a| a.checked_add(8)) else {
            break;
        };
        at = next; // alias, timestamp
        match tag {
            1 => {
                private_keys += 1;
                let Some(len) = u32_at(data, at) else { break };
                at += 4 + len as usize;
                let Some(chain) = u32_at(data, at) else { break };
                at += 4;
                let mut ok = true;
                for _ in 0..chain.min(1000) {
                    match skip_cert(data, at, version) {
                        Some(a) => at = a,
                        None => {
                            ok = false;
                            break;
                        }
                    }
                }
                if !ok {
                    break;
                }
            }
            2 => match skip_cert(data, at, version) {
                Some(a) => at = a,
                None => break,
            },
            3 => {
                secret_keys += 1;
                break;
            }
            _ => break,
        }
        if at > body_end {
            break;
        }
    }
    let opens = checkable(data).then(|| opens(&data[..body_end], &data[body_end..]));
    Some(Summary {
        format,
        private_keys,
        secret_keys,
        opens,
    })
}

/// Past a Java modified-UTF-8 string (u16 length, bytes).
fn skip_utf(d: &[u8], at: usize) -> Option<usize> {
    let len = u16::from_be_bytes(d.get(at..at + 2)?.try_into().ok()?) as usize;
    let end = at + 2 + len;
    (end <= d.len()).then_some(end)
}

/// Past a certificate: its type (version 2 only), a u32 length, the bytes.
fn skip_cert(d: &[u8], at: usize, version: u32) -> Option<usize> {
    let at = if version == 2 { skip_utf(d, at)? } else { at };
    let len = u32_at(d, at)? as usize;
    let end = at.checked_add(4)?.checked_add(len)?;
    (end <= d.len()).then_some(end)
}

fn digest(password: &str, body: &[u8]) -> [u8; DIGEST_LEN] {
    let mut h = Sha1::new();
    for unit in password.encode_utf16() {
        h.update(unit.to_be_bytes());
    }
    h.update(b"Mighty Aphrodite");
    h.update(body);
    h.finalize().into()
}

fn opens(body: &[u8], stored: &[u8]) -> bool {
    WELL_KNOWN_PASSWORDS
        .iter()
        .any(|p| digest(p, body).as_slice() == stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JKS with one trusted-certificate entry and one private-key entry,
    /// built by hand, sealed with `password`.
    fn store(password: &str, private: bool) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend(JKS.to_be_bytes());
        d.extend(2u32.to_be_bytes());
        d.extend((1 + u32::from(private)).to_be_bytes());
        // trusted cert: tag, alias "ca", timestamp, type "X.509", len, bytes
        d.extend(2u32.to_be_bytes());
        d.extend(2u16.to_be_bytes());
        d.extend(b"ca");
        d.extend(0u64.to_be_bytes());
        d.extend(5u16.to_be_bytes());
        d.extend(b"X.509");
        d.extend(3u32.to_be_bytes());
        d.extend([0x30, 0x01, 0x00]);
        if private {
            d.extend(1u32.to_be_bytes());
            d.extend(1u16.to_be_bytes());
            d.extend(b"k");
            d.extend(0u64.to_be_bytes());
            d.extend(4u32.to_be_bytes());
            d.extend([9, 9, 9, 9]);
            d.extend(0u32.to_be_bytes()); // empty chain
        }
        let sum = digest(password, &d);
        d.extend(sum);
        d
    }

    #[test]
    fn counts_entries_and_checks_passwords() {
        let s = summarise(&store("changeit", true)).unwrap();
        assert_eq!(
            (s.format, s.private_keys, s.secret_keys, s.opens),
            ("JKS", 1, 0, Some(true))
        );
        let s = summarise(&store("Zq8!long-unguessable", true)).unwrap();
        assert_eq!(s.opens, Some(false));
        let trust = summarise(&store("changeit", false)).unwrap();
        assert_eq!(trust.private_keys, 0);
    }

    #[test]
    fn truncated_store_does_not_panic() {
        let d = store("changeit", true);
        for n in 0..d.len() {
            let _ = summarise(&d[..n]);
        }
    }
}
