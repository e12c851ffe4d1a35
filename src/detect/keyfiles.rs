//! Key files in JSON: JWK / JWKS documents that carry private or symmetric key
//! material (RFC 7517, RFC 7518 §6), and Google Cloud service-account key
//! files. A structured check is more precise than a regex here: a JWK's
//! members come in any order and over many lines, and a public JWKS (which is
//! fine to commit) differs from a private one only by a few member names.
//!
//! Only items that are one JSON document are looked at; anything else is
//! simply not a key file (no notice).

use super::spanned_json::{self, Member, Node, Value};
use super::{filters, Context, Detector, Sink};
use crate::finding::{redact, Location};
use crate::item::Item;

pub struct KeyFiles;

const JWK_PRIVATE: &str = "NHI155";
const JWK_SYMMETRIC: &str = "NHI156";
const GCP_SERVICE_ACCOUNT: &str = "NHI162";

/// JWK members that hold private key material (RFC 7518 §6.2.2, §6.3.2, and
/// `d` for OKP keys, RFC 8037 §2). `oth` (extra primes) only comes with them.
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi"];

/// Shortest key material taken for real: 16 base64url characters (96 bits).
const MIN_KEY_CHARS: usize = 16;

impl Detector for KeyFiles {
    fn finds_leaked_credentials(&self) -> bool {
        true
    }

    fn name(&self) -> &'static str {
        "keyfiles"
    }

    fn keywords(&self) -> &[&'static str] {
        &["\"kty\"", "\"service_account\""]
    }

    fn scans_decoded(&self) -> bool {
        true
    }

    fn detect(&self, item: &Item, ctx: &Context, out: &mut Sink) {
        if item.data.len() > spanned_json::MAX_DOCUMENT
            && item.data.trim_ascii_start().starts_with(b"{")
        {
            out.skipped(
                item.path(),
                format!(
                    "JSON document of {} MiB not checked for private JWKs and service-account keys (limit {} MiB); the secret rules still ran",
                    item.data.len() >> 20,
                    spanned_json::MAX_DOCUMENT >> 20
                ),
            );
            return;
        }
        let Some(doc) = spanned_json::parse(&item.data) else {
            return;
        };
        // Depth-first over every object; the parser capped the depth.
        let mut stack = vec![&doc];
        while let Some(node) = stack.pop() {
            match &node.value {
                Value::Object(members) => {
                    check_object(node, item, ctx, out);
                    stack.extend(members.iter().rev().map(|m| &m.value));
                }
                Value::Array(items) => stack.extend(items.iter().rev()),
                _ => {}
            }
        }
    }
}

fn check_object(obj: &Node, item: &Item, ctx: &Context, out: &mut Sink) {
    if let Some(kty) = obj.get("kty").and_then(|m| m.value.as_str()) {
        check_jwk(obj, kty, item, ctx, out);
    }
    if obj.get("type").and_then(|m| m.value.as_str()) == Some("service_account") {
        check_service_account(obj, item, ctx, out);
    }
}

/// A string member that looks like real key material, not a placeholder.
fn material<'a>(obj: &'a Node, key: &str) -> Option<(&'a Member, &'a str)> {
    let m = obj.get(key)?;
    let v = m.value.as_str()?;
    let real = v.len() >= MIN_KEY_CHARS
        && !filters::is_placeholder(v.as_bytes())
        && !filters::is_encoded_placeholder(v.as_bytes());
    real.then_some((m, v))
}

fn location(item: &Item, span: &std::ops::Range<usize>) -> Location {
    Location {
        path: item.path().to_string(),
        region: item.region(span.start, span.end),
    }
}

fn check_jwk(obj: &Node, kty: &str, item: &Item, ctx: &Context, out: &mut Sink) {
    let private: Vec<(&Member, &str)> = PRIVATE_MEMBERS
        .iter()
        .filter_map(|k| material(obj, k))
        .collect();
    let (rule, first, names) = if let Some(&(m, _)) = private.first() {
        let names: Vec<&str> = private.iter().map(|(m, _)| m.key.as_str()).collect();
        (JWK_PRIVATE, m, names)
    } else if let Some((m, _)) = material(obj, "k").filter(|_| kty == "oct") {
        (JWK_SYMMETRIC, m, vec!["k"])
    } else {
        return;
    };
    // The fingerprint follows the key material, so the same key found in two
    // files or after a reformat keeps its identity per path.
    let content: String = private
        .iter()
        .map(|(_, v)| *v)
        .chain(obj.get("k").and_then(|m| m.value.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    let span = first.key_span.start..first.value.span.end;
    let secret = first.value.span.start + 1..first.value.span.end.saturating_sub(1);
    let Some(mut draft) = ctx.finding(rule, item, span, content.as_bytes(), Some(secret)) else {
        return;
    };
    let shown = redact(first.value.as_str().unwrap_or_default());
    let what = if rule == JWK_PRIVATE {
        format!(
            "JWK ({kty}) with private members {}: {} = {shown}",
            names.join(", "),
            first.key
        )
    } else {
        format!("Symmetric JWK (oct) with its key value k = {shown}")
    };
    draft = draft
        .message(what)
        .property("kty", kty)
        .property("members", names)
        .material_fact("kty", kty);
    // The public half, for `--validate` to look the key up in a JWKS.
    for (key, name) in [
        ("n", "jwk_n"),
        ("e", "jwk_e"),
        ("crv", "jwk_crv"),
        ("x", "jwk_x"),
        ("y", "jwk_y"),
    ] {
        if let Some(v) = obj.get(key).and_then(|m| m.value.as_str()) {
            draft = draft.material_fact(name, v);
        }
    }
    if let Some(alg) = obj.get("alg").and_then(|m| m.value.as_str()) {
        draft = draft.property("alg", alg);
    }
    if let Some(kid) = obj.get("kid") {
        draft = draft.related(location(item, &kid.value.span), "key id (kid) of this key");
    }
    draft.emit(out);
}

fn check_service_account(obj: &Node, item: &Item, ctx: &Context, out: &mut Sink) {
    let Some((pk, pem)) = material(obj, "private_key") else {
        return;
    };
    if !pem.contains("PRIVATE KEY") {
        return;
    }
    let span = pk.key_span.start..pk.value.span.end;
    let secret = pk.value.span.start + 1..pk.value.span.end.saturating_sub(1);
    let Some(mut draft) = ctx.finding(
        GCP_SERVICE_ACCOUNT,
        item,
        span,
        pem.as_bytes(),
        Some(secret),
    ) else {
        return;
    };
    let email = obj
        .get("client_email")
        .and_then(|m| Some((m, m.value.as_str()?)));
    draft = draft.message(match email {
        Some((_, e)) => format!("Google Cloud service-account key for {e}"),
        None => "Google Cloud service-account key".to_string(),
    });
    if let Some((m, e)) = email {
        draft = draft
            .property("client_email", e)
            .material_fact("client_email", e)
            .related(
                location(item, &m.value.span),
                "service account this key belongs to",
            );
    }
    if let Some(project) = obj.get("project_id").and_then(|m| m.value.as_str()) {
        draft = draft.property("project_id", project);
    }
    if let Some(kid) = obj.get("private_key_id").and_then(|m| m.value.as_str()) {
        draft = draft.material_fact("private_key_id", kid);
    }
    draft.emit(out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Engine, Options};
    use crate::item::Provenance;
    use crate::rules::Catalogue;

    fn scan(text: &str) -> Sink {
        let engine = Engine::new(
            Catalogue::embedded().unwrap(),
            Options::default(),
            crate::detect::registry(),
        )
        .unwrap();
        let item = Item::new(
            Provenance::File {
                path: "keys/jwks.json".into(),
            },
            text.as_bytes().to_vec(),
        );
        let mut sink = Sink::default();
        engine.scan(&item, &mut sink);
        sink
    }

    // Split so nhiscan's self-scan does not see a key in this file.
    const D: &str = concat!("Xq9vW2mB7", "tLk3RzH0pYc5NfA8uJ1eG6sQ4dVxKo"); // nhiscan:ignore

    #[test]
    fn private_jwk_is_located_at_its_private_member() {
        let text = format!(
            "{{\"keys\": [\n  {{\"kty\": \"EC\", \"crv\": \"P-256\", \"kid\": \"k1\",\n   \"x\": \"abc\", \"y\": \"def\",\n   \"d\": \"{D}\"}}\n]}}"
        );
        let sink = scan(&text);
        let f = sink
            .findings
            .iter()
            .find(|f| f.rule_id == JWK_PRIVATE)
            .expect("finding");
        assert_eq!(f.location.region.start_line, 4);
        assert_eq!(f.related[0].location.region.start_line, 2);
        let json = serde_json::to_string(f).unwrap();
        assert!(!json.contains(D), "{json}");
        assert!(sink.notices.is_empty());
    }

    #[test]
    fn public_jwks_invalid_json_and_deep_input_are_quiet() {
        let public = r#"{"keys":[{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB"}]}"#;
        assert!(scan(public).findings.is_empty());
        let broken = format!("{{\"kty\": \"oct\", \"k\": \"{D}\"");
        let sink = scan(&broken);
        assert!(sink.findings.is_empty() && sink.notices.is_empty());
        let deep = "[".repeat(200_000) + "\"kty\"";
        assert!(scan(&deep).findings.is_empty());
    }

    #[test]
    fn symmetric_jwk_and_placeholder() {
        let text = format!("{{\"kty\": \"oct\", \"alg\": \"HS256\", \"k\": \"{D}\"}}");
        let sink = scan(&text);
        assert!(sink.findings.iter().any(|f| f.rule_id == JWK_SYMMETRIC));
        let ph = r#"{"kty": "oct", "k": "<your-base64url-key-here>"}"#;
        // base64url of "changeme" four times: a test snapshot's stand-in.
        let encoded = r#"{"kty": "oct", "k": "Y2hhbmdlbWVjaGFuZ2VtZWNoYW5nZW1lY2hhbmdlbWU"}"#;
        assert!(scan(encoded).findings.is_empty());
        assert!(scan(ph).findings.is_empty());
    }
}
