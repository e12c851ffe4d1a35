//! Private JWKs: is the key's public half published in a JWK Set named beside
//! it? A client's `jwks_uri` lists the keys the server accepts from that
//! client, so a match there means the leaked key still authenticates it and
//! its absence means it no longer does. An issuer's JWKS lists the server's
//! own signing keys: a match means the leaked key still signs the issuer's
//! tokens; its absence says nothing about a client key (registered with the
//! server, not published by it). Only public documents are fetched.

use reqwest::Url;

use super::net::{Net, NetError};
use super::vendors::{Candidate, Outcome};
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
