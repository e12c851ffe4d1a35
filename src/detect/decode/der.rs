//! A minimal DER reader (X.690 §8, definite lengths only): enough to tell a
//! private key (PKCS#1, PKCS#8, SEC1) from a public key or a certificate,
//! and to read a PKCS#12 file's outer structure. It never allocates and
//! never reads past its input.

/// One TLV: its tag byte, its contents, and what follows it.
pub fn read(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    // Multi-byte tags never occur in the structures read here.
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, &x| a << 8 | x as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The contents of a TLV with tag `want`, and what follows.
pub fn expect(b: &[u8], want: u8) -> Option<(&[u8], &[u8])> {
    let (tag, body, rest) = read(b)?;
    (tag == want).then_some((body, rest))
}

pub const SEQUENCE: u8 = 0x30;
pub const INTEGER: u8 = 0x02;
pub const OCTET_STRING: u8 = 0x04;
pub const OID: u8 = 0x06;
pub const NULL: u8 = 0x05;

/// A small INTEGER's value (None when it is larger than a u32).
pub fn small_int(body: &[u8]) -> Option<u32> {
    let body = match body {
        [0, rest @ ..] if !rest.is_empty() => rest,
        b => b,
    };
    if body.is_empty() || body.len() > 4 {
        return None;
    }
    Some(body.iter().fold(0u32, |a, &x| a << 8 | x as u32))
}

const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const DSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01];
const X25519: &[u8] = &[0x2b, 0x65, 0x6e];
const X448: &[u8] = &[0x2b, 0x65, 0x6f];
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const ED448: &[u8] = &[0x2b, 0x65, 0x71];

/// What kind of private key a DER document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivateKey {
    /// PKCS#1 RSAPrivateKey (RFC 8017 A.1.2).
    Pkcs1Rsa,
    /// PKCS#8 PrivateKeyInfo (RFC 5958) holding the named algorithm's key.
    Pkcs8(&'static str),
    /// SEC1 ECPrivateKey (RFC 5915).
    Sec1Ec,
    /// OpenSSL's traditional DSA private key (version, p, q, g, y, x).
    Dsa,
}

impl PrivateKey {
    pub fn describe(self) -> String {
        match self {
            PrivateKey::Pkcs1Rsa => "PKCS#1 RSA private key".into(),
            PrivateKey::Pkcs8(alg) => format!("PKCS#8 {alg} private key"),
            PrivateKey::Sec1Ec => "SEC1 EC private key".into(),
            PrivateKey::Dsa => "DSA private key".into(),
        }
    }
}

/// Classify `der` (the whole input must be one structure) as a private key.
/// Public keys (SubjectPublicKeyInfo), certificates and encrypted keys are
/// not: none of them starts with a version INTEGER.
pub fn private_key(der: &[u8]) -> Option<PrivateKey> {
    let (body, rest) = expect(der, SEQUENCE)?;
    if !rest.iter().all(|&b| b == 0) {
        return None;
    }
    if is_pkcs1(body) {
        return Some(PrivateKey::Pkcs1Rsa);
    }
    if is_sec1(body) {
        return Some(PrivateKey::Sec1Ec);
    }
    if is_dsa(body) {
        return Some(PrivateKey::Dsa);
    }
    pkcs8(body).map(PrivateKey::Pkcs8)
}

/// DSAPrivateKey as OpenSSL writes it: version 0 and exactly five INTEGERs.
fn is_dsa(body: &[u8]) -> bool {
    let Some((v, mut rest)) = expect(body, INTEGER) else {
        return false;
    };
    if small_int(v) != Some(0) {
        return false;
    }
    for _ in 0..5 {
        match expect(rest, INTEGER) {
            Some((_, r)) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
}

/// RSAPrivateKey: version 0 or 1, then eight INTEGERs (n, e, d, p, q, dp,
/// dq, qi), the modulus at least 256 bits.
fn is_pkcs1(body: &[u8]) -> bool {
    let Some((v, mut rest)) = expect(body, INTEGER) else {
        return false;
    };
    if !matches!(small_int(v), Some(0 | 1)) {
        return false;
    }
    for i in 0..8 {
        let Some((n, r)) = expect(rest, INTEGER) else {
            return false;
        };
        if i == 0 && n.len() < 32 {
            return false;
        }
        rest = r;
    }
    true
}

/// ECPrivateKey: version 1, an OCTET STRING of 20-66 bytes (the scalar),
/// then only the optional [0] parameters and [1] public key.
fn is_sec1(body: &[u8]) -> bool {
    let Some((v, rest)) = expect(body, INTEGER) else {
        return false;
    };
    if small_int(v) != Some(1) {
        return false;
    }
    let Some((d, mut rest)) = expect(rest, OCTET_STRING) else {
        return false;
    };
    if !(20..=66).contains(&d.len()) {
        return false;
    }
    while !rest.is_empty() {
        match read(rest) {
            Some((0xa0 | 0xa1, _, r)) => rest = r,
            _ => return false,
        }
    }
    true
}

/// PrivateKeyInfo / OneAsymmetricKey: version 0 or 1, an AlgorithmIdentifier,
/// an OCTET STRING whose contents are that algorithm's private key.
fn pkcs8(body: &[u8]) -> Option<&'static str> {
    let (v, rest) = expect(body, INTEGER)?;
    if !matches!(small_int(v), Some(0 | 1)) {
        return None;
    }
    let (alg, rest) = expect(rest, SEQUENCE)?;
    let (oid, _) = expect(alg, OID)?;
    let (key, _) = expect(rest, OCTET_STRING)?;
    match oid {
        RSA_ENCRYPTION => {
            let (b, r) = expect(key, SEQUENCE)?;
            (r.is_empty() && is_pkcs1(b)).then_some("RSA")
        }
        EC_PUBLIC_KEY => {
            let (b, r) = expect(key, SEQUENCE)?;
            (r.is_empty() && is_sec1(b)).then_some("EC")
        }
        DSA => {
            let (x, r) = expect(key, INTEGER)?;
            (r.is_empty() && x.len() >= 20).then_some("DSA")
        }
        ED25519 | X25519 | ED448 | X448 => {
            let (k, r) = expect(key, OCTET_STRING)?;
            let name = match oid {
                ED25519 => "Ed25519",
                X25519 => "X25519",
                ED448 => "Ed448",
                _ => "X448",
            };
            (r.is_empty() && matches!(k.len(), 32 | 56 | 57)).then_some(name)
        }
        // Another algorithm (RSASSA-PSS, SM2, …): the PKCS#8 shape with key
        // material of some length is enough.
        _ => (key.len() >= 16).then_some("(other algorithm)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        if body.len() < 0x80 {
            v.push(body.len() as u8);
        } else {
            v.push(0x82);
            v.extend_from_slice(&(body.len() as u16).to_be_bytes());
        }
        v.extend_from_slice(body);
        v
    }

    fn sec1() -> Vec<u8> {
        let mut b = tlv(INTEGER, &[1]);
        b.extend(tlv(OCTET_STRING, &[7u8; 32]));
        b.extend(tlv(0xa1, &tlv(0x03, &[0u8; 66])));
        tlv(SEQUENCE, &b)
    }

    #[test]
    fn sec1_and_its_pkcs8_wrapping() {
        assert_eq!(private_key(&sec1()), Some(PrivateKey::Sec1Ec));
        let mut alg = tlv(OID, EC_PUBLIC_KEY);
        alg.extend(tlv(OID, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]));
        let mut b = tlv(INTEGER, &[0]);
        b.extend(tlv(SEQUENCE, &alg));
        b.extend(tlv(OCTET_STRING, &sec1()));
        assert_eq!(
            private_key(&tlv(SEQUENCE, &b)),
            Some(PrivateKey::Pkcs8("EC"))
        );
    }

    #[test]
    fn public_key_and_truncated_input_are_not_private_keys() {
        // SubjectPublicKeyInfo: SEQUENCE { AlgorithmIdentifier, BIT STRING }.
        let mut alg = tlv(OID, EC_PUBLIC_KEY);
        alg.extend(tlv(OID, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]));
        let mut b = tlv(SEQUENCE, &alg);
        b.extend(tlv(0x03, &[0u8; 66]));
        assert_eq!(private_key(&tlv(SEQUENCE, &b)), None);
        let s = sec1();
        assert_eq!(private_key(&s[..s.len() - 3]), None);
        assert_eq!(read(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    }
}
