//! Checksums vendors build into their tokens. A valid checksum tells a real
//! token from a look-alike typed into a test or a doc.

use crate::rules::Checksum;

/// Whether `secret` carries a valid checksum of the given kind.
pub fn valid(kind: Checksum, secret: &[u8]) -> bool {
    match kind {
        Checksum::GithubCrc32 => github_crc32(secret),
        Checksum::PemKeyStructure => pem_key_structure(secret),
    }
}

/// The body of a PEM block (line breaks, `\n` escapes and all) decodes to a
/// private key. NHI150's pattern consumes the first 31 characters of an
/// OpenSSH body (the `openssh-key-v1` header naming cipher `none`), so a body
/// that does not decode alone is tried with that header put back, and must
/// then hold the rest of an unencrypted OpenSSH key.
fn pem_key_structure(body: &[u8]) -> bool {
    use super::decode::{base64, der};
    if let Some(bytes) = base64::decode(body) {
        if der::private_key(&bytes).is_some() || openssh_key(&bytes) {
            return true;
        }
    }
    let mut whole = OPENSSH_HEADER.to_vec();
    whole.extend_from_slice(body);
    base64::decode(&whole).is_some_and(|b| openssh_key(&b))
}

/// base64 of `openssh-key-v1\0`, the length 4 and `none`.
const OPENSSH_HEADER: &[u8] = b"b3BlbnNzaC1rZXktdjEAAAAABG5vbmU";

/// PROTOCOL.key: magic, cipher, kdf, kdf options, key count, public keys,
/// then the private section, every length within the data.
fn openssh_key(b: &[u8]) -> bool {
    let Some(mut rest) = b.strip_prefix(b"openssh-key-v1\0") else {
        return false;
    };
    let string = |rest: &mut &[u8]| -> Option<usize> {
        let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let body = rest.get(4..4 + len)?;
        *rest = &rest[4 + len..];
        Some(body.len())
    };
    let header = (|| {
        string(&mut rest)?; // cipher
        string(&mut rest)?; // kdf
        string(&mut rest)?; // kdf options
        let n = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?);
        rest = &rest[4..];
        if n == 0 || n > 16 {
            return None;
        }
        for _ in 0..n {
            string(&mut rest)?; // public key
        }
        let private = string(&mut rest)?;
        (private >= 8).then_some(())
    })();
    header.is_some()
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// GitHub tokens (`gho_`, `ghu_`, `ghs_`, `ghr_`, `ghp_`): after the prefix,
/// the random part and then 6 characters holding its CRC32 in base62,
/// left-padded with `0` (GitHub blog, "Behind GitHub's new authentication
/// token formats", 2021).
fn github_crc32(token: &[u8]) -> bool {
    let Some(us) = token.iter().position(|&b| b == b'_') else {
        return false;
    };
    let body = &token[us + 1..];
    if body.len() <= 6 {
        return false;
    }
    let (random, check) = body.split_at(body.len() - 6);
    let mut n = crc32(random);
    let mut expected = [b'0'; 6];
    for slot in expected.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    // 62^6 > 2^32, so the six digits always hold the whole value.
    expected == check
}

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it). Bitwise: the inputs
/// are a few dozen bytes, a table would buy nothing.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_zlib() {
        // zlib.crc32(b"123456789") == 0xCBF43926, the standard check value.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn github_tokens_with_and_without_a_valid_checksum() {
        let good = concat!("gho_", "ArRFxtoGcKFDVNv4XNfAPZpnfOATZ20XVDDU"); // nhiscan:ignore
        assert!(valid(Checksum::GithubCrc32, good.as_bytes()));
        let bad = concat!("gho_", "ArRFxtoGcKFDVNv4XNfAPZpnfOATZ20XVDDV"); // nhiscan:ignore
        assert!(!valid(Checksum::GithubCrc32, bad.as_bytes()));
        assert!(!valid(Checksum::GithubCrc32, b"gho_abc"));
        assert!(!valid(Checksum::GithubCrc32, b"no-underscore"));
    }
}
