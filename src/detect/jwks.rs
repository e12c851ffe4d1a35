//! Checks on a published JWK Set (RFC 7517/7518): pure functions over the
//! parsed document, turned into findings by `metadata::audit`.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value};

use super::metadata::Check;

/// JWK members that only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2).
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

fn check_new(rule: &'static str, needle: String, detail: String, message: String) -> Check {
    Check {
        rule,
        needle,
        detail,
        message,
        severity: None,
        properties: Vec::new(),
    }
}

/// Bits in a base64url-encoded big-endian integer (an RSA modulus).
pub fn modulus_bits(n: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(n.trim_end_matches('='))
        .ok()?;
    let first = bytes.iter().position(|&b| b != 0)?;
    let top = bytes[first];
    Some((bytes.len() - first - 1) * 8 + (8 - top.leading_zeros() as usize))
}

pub fn check(doc: &Map<String, Value>) -> Vec<Check> {
    let mut out = Vec::new();
    let keys: Vec<&Map<String, Value>> = doc
        .get("keys")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let mut kids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut missing_kid = 0;
    let mut unlabelled = 0;
    let mut signing = 0;
    for (i, key) in keys.iter().enumerate() {
        let kty = key.get("kty").and_then(Value::as_str).unwrap_or("");
        let kid = key.get("kid").and_then(Value::as_str);
        let name = kid.map_or_else(|| format!("key #{}", i + 1), |k| format!("key {k:?}"));
        // Locate at the kid when there is one; the fingerprint uses the kid or index.
        let needle = kid.map_or_else(|| "\"keys\"".to_string(), |k| format!("\"{k}\""));
        let ident = kid.map_or_else(|| format!("#{i}"), str::to_string);
        match kid {
            Some(k) => *kids.entry(k).or_default() += 1,
            None => missing_kid += 1,
        }
        if kty.eq_ignore_ascii_case("oct") {
            out.push(
                check_new(
                    "NHI520",
                    needle.clone(),
                    ident.clone(),
                    format!("{name} is a symmetric (oct) key: its secret is published"),
                )
                .with("kid", kid),
            );
        } else {
            let private: Vec<&str> = PRIVATE_MEMBERS
                .iter()
                .copied()
                .filter(|m| key.contains_key(*m))
                .collect();
            if !private.is_empty() {
                out.push(
                    check_new(
                        "NHI521",
                        needle.clone(),
                        ident.clone(),
                        format!(
                            "{name} includes private key members ({}): the private key is published",
                            private.join(", ")
                        ),
                    )
                    .with("kid", kid)
                    .with("members", Some(private)),
                );
            }
        }
        if kty == "RSA" {
            if let Some(bits) = key.get("n").and_then(Value::as_str).and_then(modulus_bits) {
                if bits < 2048 {
                    out.push(
                        check_new(
                            "NHI522",
                            needle.clone(),
                            ident.clone(),
                            format!("{name} has a {bits}-bit RSA modulus (under 2048)"),
                        )
                        .with("kid", kid)
                        .with("bits", Some(bits)),
                    );
                }
            }
        }
        let use_ = key.get("use").and_then(Value::as_str);
        if use_.is_none() && !key.contains_key("alg") {
            unlabelled += 1;
        }
        if use_ != Some("enc") && !kty.eq_ignore_ascii_case("oct") {
            signing += 1;
        }
    }
    if keys.len() > 1 && missing_kid > 0 {
        out.push(
            check_new(
                "NHI523",
                "\"keys\"".into(),
                "missing".into(),
                format!(
                    "Keys without a kid: {missing_kid} of {}; verifiers cannot pick the right key",
                    keys.len()
                ),
            )
            .with("missing", Some(missing_kid)),
        );
    }
    for (kid, n) in kids.iter().filter(|(_, &n)| n > 1) {
        out.push(
            check_new(
                "NHI523",
                format!("\"{kid}\""),
                format!("duplicate {kid}"),
                format!("kid {kid:?} is used by {n} keys"),
            )
            .with("kid", Some(*kid)),
        );
    }
    if unlabelled > 0 {
        out.push(
            check_new(
                "NHI524",
                "\"keys\"".into(),
                "unlabelled".into(),
                if unlabelled == 1 {
                    "One key has neither `use` nor `alg`".to_string()
                } else {
                    format!("Several keys ({unlabelled}) have neither `use` nor `alg`")
                },
            )
            .with("count", Some(unlabelled)),
        );
    }
    if signing == 1 {
        out.push(check_new(
            "NHI525",
            "\"keys\"".into(),
            "single".into(),
            "only one signing key is published: there is no room to roll keys over with overlap"
                .into(),
        ));
    }
    out
}

trait With {
    fn with<T: Into<Value>>(self, key: &'static str, v: Option<T>) -> Self;
}

impl With for Check {
    fn with<T: Into<Value>>(mut self, key: &'static str, v: Option<T>) -> Self {
        if let Some(v) = v {
            self.properties.push((key, v.into()));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(doc: Value) -> Vec<&'static str> {
        let mut r: Vec<_> = check(doc.as_object().unwrap())
            .into_iter()
            .map(|c| c.rule)
            .collect();
        r.sort();
        r
    }

    #[test]
    fn modulus_sizes() {
        // 0x00 0x80 followed by 127 bytes: a 1024-bit modulus with a leading zero.
        let mut n = vec![0u8, 0x80];
        n.extend([1u8; 127]);
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&n);
        assert_eq!(modulus_bits(&b64), Some(1024));
        assert_eq!(modulus_bits("AQAB"), Some(17));
    }

    #[test]
    fn symmetric_private_and_kid_problems() {
        let d = json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "a"},
            {"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "d": "dd", "kid": "a", "use": "sig"},
            {"kty": "EC", "crv": "P-256", "x": "x", "y": "y"}
        ]});
        assert_eq!(rules(d), ["NHI520", "NHI521", "NHI523", "NHI523", "NHI524"]);
    }

    #[test]
    fn a_good_set_is_quiet() {
        let d = json!({"keys": [
            {"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "kid": "1", "use": "sig", "alg": "ES256"},
            {"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "kid": "2", "use": "sig", "alg": "ES256"}
        ]});
        assert!(rules(d).is_empty());
    }

    #[test]
    fn a_single_key_leaves_no_rollover_room() {
        let d = json!({"keys": [{"kty": "EC", "kid": "1", "use": "sig"}]});
        assert_eq!(rules(d), ["NHI525"]);
    }
}
