//! PKCS#12 / PFX (RFC 7292): the outer structure is read with the shared DER
//! reader; key bags are counted in the authSafe's unencrypted parts (where
//! OpenSSL and keytool put shrouded private keys); the MAC is checked with
//! the key derivation of RFC 7292 appendix B.2 (SHA-1, SHA-256 or SHA-512
//! HMAC) for each well-known password.

use hmac::digest::core_api::BlockSizeUser;
use hmac::{Mac, SimpleHmac};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::{checkable, Summary, WELL_KNOWN_PASSWORDS};
use crate::detect::decode::der::{expect, small_int, INTEGER, OCTET_STRING, OID, SEQUENCE};

const PKCS7_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
/// Bag types 1.2.840.113549.1.12.10.1.n: the prefix, then n.
const BAG_PREFIX: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01];
const KEY_BAG: u8 = 1;
const SHROUDED_KEY_BAG: u8 = 2;
const SECRET_BAG: u8 = 5;
const SAFE_CONTENTS_BAG: u8 = 6;
const SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
/// More MAC iterations than this are not tried (a crafted file must not
/// cost minutes).
const MAX_ITERATIONS: u32 = 500_000;

/// The PFX's parts: the authSafe's data (what the MAC covers) and the MacData.
fn parts(data: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let (pfx, _) = expect(data, SEQUENCE)?;
    let (version, rest) = expect(pfx, INTEGER)?;
    if small_int(version) != Some(3) {
        return None;
    }
    let (content_info, rest) = expect(rest, SEQUENCE)?;
    let (oid, ci) = expect(content_info, OID)?;
    if oid != PKCS7_DATA {
        return None;
    }
    let (explicit, _) = expect(ci, 0xa0)?;
    let (auth_safe, _) = expect(explicit, OCTET_STRING)?;
    let mac = expect(rest, SEQUENCE).map(|(m, _)| m);
    Some((auth_safe, mac))
}

/// The first bytes say PKCS#12: a SEQUENCE header, then INTEGER 3 and a
/// SEQUENCE. Only the header is read: the walk sniffs the first 8 KiB.
pub fn shape(data: &[u8]) -> bool {
    let header = match data {
        [SEQUENCE, n, ..] if *n < 0x80 => 2,
        [SEQUENCE, n, ..] if (0x81..=0x84).contains(n) => 2 + (n & 0x7f) as usize,
        _ => return false,
    };
    data.get(header..header + 4) == Some(&[INTEGER, 1, 3, SEQUENCE])
}

pub fn summarise(data: &[u8]) -> Option<Summary> {
    let (auth_safe, mac) = parts(data)?;
    let (mut private_keys, mut secret_keys) = (0, 0);
    let (mut infos, _) = expect(auth_safe, SEQUENCE)?;
    while let Some((info, rest)) = expect(infos, SEQUENCE) {
        infos = rest;
        let Some((oid, ci)) = expect(info, OID) else {
            continue;
        };
        // Encrypted parts (usually the certificates) are not opened.
        if oid != PKCS7_DATA {
            continue;
        }
        let Some(contents) = expect(ci, 0xa0)
            .and_then(|(e, _)| expect(e, OCTET_STRING))
            .map(|(c, _)| c)
        else {
            continue;
        };
        count_bags(contents, 0, &mut private_keys, &mut secret_keys);
    }
    let opens = match mac {
        Some(m) if checkable(data) => mac_opens(m, auth_safe),
        _ => None,
    };
    Some(Summary {
        format: "PKCS#12",
        private_keys,
        secret_keys,
        opens,
    })
}

fn count_bags(safe_contents: &[u8], depth: u8, private: &mut usize, secret: &mut usize) {
    let Some((mut bags, _)) = expect(safe_contents, SEQUENCE) else {
        return;
    };
    while let Some((bag, rest)) = expect(bags, SEQUENCE) {
        bags = rest;
        let Some((oid, value)) = expect(bag, OID) else {
            continue;
        };
        match oid.strip_prefix(BAG_PREFIX) {
            Some([KEY_BAG | SHROUDED_KEY_BAG]) => *private += 1,
            Some([SECRET_BAG]) => *secret += 1,
            Some([SAFE_CONTENTS_BAG]) if depth < 4 => {
                if let Some((inner, _)) = expect(value, 0xa0) {
                    count_bags(inner, depth + 1, private, secret);
                }
            }
            _ => {}
        }
    }
}

/// Whether a well-known password passes the MAC; None for a MAC algorithm
/// not handled or an absurd iteration count.
fn mac_opens(mac_data: &[u8], auth_safe: &[u8]) -> Option<bool> {
    let (digest_info, rest) = expect(mac_data, SEQUENCE)?;
    let (alg, di) = expect(digest_info, SEQUENCE)?;
    let (oid, _) = expect(alg, OID)?;
    let (stored, _) = expect(di, OCTET_STRING)?;
    let (salt, rest) = expect(rest, OCTET_STRING)?;
    let iterations = match expect(rest, INTEGER) {
        Some((i, _)) => small_int(i)?,
        None => 1,
    };
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return None;
    }
    let check = |password: &[u8]| match oid {
        SHA1 => verify::<Sha1>(password, salt, iterations, auth_safe, stored),
        SHA256 => verify::<Sha256>(password, salt, iterations, auth_safe, stored),
        SHA512 => verify::<Sha512>(password, salt, iterations, auth_safe, stored),
        _ => false,
    };
    if ![SHA1, SHA256, SHA512].contains(&oid) {
        return None;
    }
    Some(WELL_KNOWN_PASSWORDS.iter().any(|p| {
        // BMPString with its two-byte terminator; the empty password is
        // also tried as no bytes at all, as OpenSSL does.
        let mut bmp: Vec<u8> = p.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        bmp.extend([0, 0]);
        check(&bmp) || (p.is_empty() && check(&[]))
    }))
}

/// RFC 7292 B.2 with ID 3 (MAC key), one output block, then the HMAC.
fn verify<D: Digest + BlockSizeUser + Clone>(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    message: &[u8],
    stored: &[u8],
) -> bool {
    let v = <D as BlockSizeUser>::block_size();
    let fill = |s: &[u8]| -> Vec<u8> {
        if s.is_empty() {
            return Vec::new();
        }
        let n = v * s.len().div_ceil(v);
        s.iter().copied().cycle().take(n).collect()
    };
    let mut h = D::new();
    h.update(vec![3u8; v]);
    h.update(fill(salt));
    h.update(fill(password));
    let mut a = h.finalize();
    for _ in 1..iterations {
        a = D::digest(&a);
    }
    let Ok(mut mac) = <SimpleHmac<D> as Mac>::new_from_slice(&a) else {
        return false;
    };
    mac.update(message);
    mac.verify_slice(stored).is_ok()
}
