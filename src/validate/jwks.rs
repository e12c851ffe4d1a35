//! Private JWKs: is the key's public half published in a JWK Set named beside
//! it? A client's `jwks_uri` lists the keys the server accepts from that
//! client, so a match there means the leaked key still authenticates it and
//! its absence means it no longer does. An issuer's JWKS lists the server's
//! own signing keys: a match means the leaked key still signs the issuer's
//! tokens; its absence says nothing about a client key (registered with the
//! server, not published by it). Only public documents are fetched.

use base64::Engine as _;
use reqwest::Url;

use super::net::{Net, NetError};
use super::vendors::{Candidate, Outcome};
use crate::detect::decode::der;
use crate::finding::ValidityStatus;

const VALIDATOR: &str = "jwks";

fn outcome(status: ValidityStatus, host: Option<String>, reason: impl Into<String>) -> Outcome {
    Outcome {
        status,
        validator: VALIDATOR,
        host,
        reason: reason.into(),
    }
}

/// The members that identify a public key, by key type (RFC 7638 §3.2).
fn public_members(kty: &str) -> &'static [&'static str] {
    match kty {
        "RSA" => &["n", "e"],
        "EC" => &["crv", "x", "y"],
        "OKP" => &["crv", "x"],
        _ => &[],
    }
}

pub fn lookup(net: &Net, c: &Candidate) -> Outcome {
    let kty = c.extra.get("kty").map(String::as_str).unwrap_or("");
    let members = public_members(kty);
    let ours: Vec<Option<&String>> = members
        .iter()
        .map(|m| c.extra.get(format!("jwk_{m}").as_str()))
        .collect();
    if members.is_empty() || ours.iter().any(Option::is_none) {
        return outcome(
            ValidityStatus::NotChecked,
            None,
            "the JWK lacks the public members that identify it",
        );
    }
    // A client's jwks_uri beside the key, else the issuer's (from discovery).
    let (url, of_client) = if let Some(u) = c.extra.get("jwks_uri").and_then(|u| Url::parse(u).ok())
    {
        (u, true)
    } else if let Some(issuer) = c.issuer.as_deref().and_then(|i| Url::parse(i).ok()) {
        let Ok(discovery) = Url::parse(&format!(
            "{}/.well-known/openid-configuration",
            issuer.as_str().trim_end_matches('/')
        )) else {
            return outcome(ValidityStatus::NotChecked, None, "the issuer is not a URL");
        };
        match net.get_document(&discovery).as_ref() {
            Ok(meta) => match meta
                .get("jwks_uri")
                .and_then(|v| v.as_str())
                .and_then(|s| Url::parse(s).ok())
            {
                Some(u) => (u, false),
                None => {
                    return outcome(
                        ValidityStatus::Unknown,
                        issuer.host_str().map(str::to_string),
                        "discovery: no jwks_uri",
                    )
                }
            },
            Err(e) => return failed(issuer.host_str().map(str::to_string), e),
        }
    } else {
        return outcome(
            ValidityStatus::NotChecked,
            None,
            "no jwks_uri or issuer named beside the key",
        );
    };
    let host = url.host_str().map(str::to_string);
    let set = match net.get_document(&url).as_ref() {
        Ok(v) => v.clone(),
        Err(e) => return failed(host, e),
    };
    let Some(keys) = set.get("keys").and_then(|k| k.as_array()) else {
        return outcome(ValidityStatus::Unknown, host, "not a JWK Set");
    };
    let published = keys.iter().any(|k| {
        k.get("kty").and_then(|v| v.as_str()) == Some(kty)
            && members
                .iter()
                .zip(&ours)
                .all(|(m, v)| k.get(*m).and_then(|x| x.as_str()) == v.map(String::as_str))
    });
    match (published, of_client) {
        (true, true) => outcome(ValidityStatus::Valid, host, "its public key is in the client's JWKS: the server still accepts it"),
        (true, false) => outcome(ValidityStatus::Valid, host, "its public key is in the issuer's JWKS: it still signs the issuer's tokens"),
        (false, true) => outcome(
            ValidityStatus::Invalid,
            host,
            format!("its public key is not among the {} keys of the client's JWKS", keys.len()),
        ),
        (false, false) => outcome(
            ValidityStatus::Unknown,
            host,
            "not among the issuer's signing keys (a client key is registered with the server, not published by it)",
        ),
    }
}

fn failed(host: Option<String>, e: &NetError) -> Outcome {
    Outcome::from_net_error(VALIDATOR, host, e, None)
}

/// A PEM or base64 DER private key (NHI150, NHI153): its public half, read
/// from the key itself, looked up like a JWK's.
pub fn lookup_der(net: &Net, c: &Candidate) -> Outcome {
    let text: String = c
        .secret
        .replace("\\n", "")
        .chars()
        .filter(|ch| !ch.is_whitespace())
        .collect();
    let public = base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .ok()
        .and_then(|d| public_half(&d));
    let Some((kty, members)) = public else {
        return outcome(
            ValidityStatus::NotChecked,
            None,
            "only RSA and EC (P-256, P-384, P-521) keys are looked up by their public half",
        );
    };
    let mut c = c.clone();
    c.extra.insert("kty", kty.to_string());
    for (name, value) in members {
        c.extra.insert(name, value);
    }
    lookup(net, &c)
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An unsigned big-endian INTEGER as a JWK member (no leading zero byte).
fn uint(body: &[u8]) -> String {
    let trimmed = match body {
        [0, rest @ ..] if !rest.is_empty() => rest,
        b => b,
    };
    b64url(trimmed)
}

type Members = Vec<(&'static str, String)>;

/// The JWK public members (RFC 7518 §6.2, §6.3) of a DER private key:
/// PKCS#1 RSA, SEC1 EC, or either inside PKCS#8.
pub fn public_half(der_bytes: &[u8]) -> Option<(&'static str, Members)> {
    let (body, _) = der::expect(der_bytes, der::SEQUENCE)?;
    rsa(body)
        .or_else(|| sec1(body, None))
        .or_else(|| pkcs8(body))
}

/// RSAPrivateKey: version, n, e, …
fn rsa(body: &[u8]) -> Option<(&'static str, Members)> {
    let (_, rest) = der::expect(body, der::INTEGER)?;
    let (n, rest) = der::expect(rest, der::INTEGER)?;
    let (e, rest) = der::expect(rest, der::INTEGER)?;
    // The private exponent follows; a SEC1 or PKCS#8 body does not fit this.
    der::expect(rest, der::INTEGER)?;
    (n.len() >= 64).then(|| ("RSA", vec![("jwk_n", uint(n)), ("jwk_e", uint(e))]))
}

const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];

fn curve(oid: &[u8]) -> Option<(&'static str, usize)> {
    match oid {
        P256 => Some(("P-256", 32)),
        P384 => Some(("P-384", 48)),
        P521 => Some(("P-521", 66)),
        _ => None,
    }
}

/// ECPrivateKey: version 1, the private key, [0] the curve, [1] the public
/// point (uncompressed: 04 || x || y). `outer_curve`: named by PKCS#8.
fn sec1(body: &[u8], outer_curve: Option<&[u8]>) -> Option<(&'static str, Members)> {
    let (v, mut rest) = der::expect(body, der::INTEGER)?;
    if der::small_int(v) != Some(1) {
        return None;
    }
    let (_, r) = der::expect(rest, der::OCTET_STRING)?;
    rest = r;
    let mut oid = outer_curve;
    let mut point = None;
    while let Some((tag, inner, r)) = der::read(rest) {
        match tag {
            0xa0 => oid = der::expect(inner, der::OID).map(|(o, _)| o).or(oid),
            0xa1 => point = der::expect(inner, 0x03).map(|(bits, _)| bits),
            _ => {}
        }
        rest = r;
    }
    let (crv, len) = curve(oid?)?;
    // BIT STRING: a count of unused bits (0), then the point.
    let p = point?.strip_prefix(&[0u8][..])?.strip_prefix(&[4u8][..])?;
    (p.len() == 2 * len).then(|| {
        (
            "EC",
            vec![
                ("jwk_crv", crv.to_string()),
                ("jwk_x", b64url(&p[..len])),
                ("jwk_y", b64url(&p[len..])),
            ],
        )
    })
}

const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// PrivateKeyInfo: version, AlgorithmIdentifier, OCTET STRING (the key).
fn pkcs8(body: &[u8]) -> Option<(&'static str, Members)> {
    let (_, rest) = der::expect(body, der::INTEGER)?;
    let (alg, rest) = der::expect(rest, der::SEQUENCE)?;
    let (inner, _) = der::expect(rest, der::OCTET_STRING)?;
    let (oid, params) = der::expect(alg, der::OID)?;
    let (key, _) = der::expect(inner, der::SEQUENCE)?;
    match oid {
        RSA_ENCRYPTION => rsa(key),
        EC_PUBLIC_KEY => sec1(key, der::expect(params, der::OID).map(|(o, _)| o)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_half_of_pkcs8_ec_and_rsa_keys() {
        // A P-256 key made for this test with openssl (PKCS#8), and its public point.
        let pem = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBjABTesHj9V5322d6SAog4/NRGC7nyTVFuWpVjNgKVihRANCAARUsnYgTYjpcITeR6PVY6JHo8LjhY0CB3To3VNxKePcYcttqLNzZss9Ci0+tCNZgMqvQ0hbtLNtfZ8R/XBVXhOE"; // nhiscan:ignore (test key)
        let der = base64::engine::general_purpose::STANDARD
            .decode(pem)
            .unwrap();
        let (kty, m) = public_half(&der).unwrap();
        assert_eq!(kty, "EC");
        let x = b64url(&[
            0x54, 0xb2, 0x76, 0x20, 0x4d, 0x88, 0xe9, 0x70, 0x84, 0xde, 0x47, 0xa3, 0xd5, 0x63,
            0xa2, 0x47, 0xa3, 0xc2, 0xe3, 0x85, 0x8d, 0x02, 0x07, 0x74, 0xe8, 0xdd, 0x53, 0x71,
            0x29, 0xe3, 0xdc, 0x61,
        ]);
        assert_eq!(m[0], ("jwk_crv", "P-256".to_string()));
        assert_eq!(m[1], ("jwk_x", x));
        // A public key (SubjectPublicKeyInfo) is not a private key's public half.
        assert!(public_half(&[0x30, 0x03, 0x02, 0x01, 0x00]).is_none());
    }
}
