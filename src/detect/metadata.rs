//! Authorization-server posture (NHI5xx): checks on a discovery document
//! (RFC 8414 / OpenID Connect Discovery) and, through [`super::jwks`], on a
//! JWK Set. The checks are pure functions over parsed JSON; the detector
//! around them only finds the document, tells metadata from JWKS by shape,
//! and turns each [`Check`] into a finding.
//!
//! In the engine the detector runs only on fetched documents
//! (`Provenance::Remote`): a discovery document committed to a repository is
//! usually a mock or fixture, and committed JWK files are the keyfiles
//! detector's (NHI155/156). `nhiscan audit FILE` calls [`audit`] directly to
//! check local metadata and JWKS files on purpose.

use serde_json::{Map, Value};

use super::{jwks, Context, Detector, Sink};
use crate::finding::Severity;
use crate::item::{Item, Provenance};

/// One problem found in a document, before it becomes a finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub rule: &'static str,
    /// Text to locate in the document (a quoted member name or value).
    pub needle: String,
    /// What distinguishes this problem within the document (fingerprint content).
    pub detail: String,
    pub message: String,
    /// Set only where the rule's help says the severity grows (`--profile fapi2`).
    pub severity: Option<Severity>,
    pub properties: Vec<(&'static str, Value)>,
}

impl Check {
    fn new(rule: &'static str, needle: &str, message: String) -> Check {
        Check {
            rule,
            needle: format!("\"{needle}\""),
            detail: needle.to_string(),
            message,
            severity: None,
            properties: Vec::new(),
        }
    }
    fn prop(mut self, key: &'static str, v: impl Into<Value>) -> Check {
        self.properties.push((key, v.into()));
        self
    }
    fn detail(mut self, d: impl Into<String>) -> Check {
        self.detail = d.into();
        self
    }
}

/// What a JSON document is, by shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Metadata,
    Jwks,
}

pub fn shape(v: &Value) -> Option<Shape> {
    let o = v.as_object()?;
    if o.get("keys").is_some_and(Value::is_array) {
        return Some(Shape::Jwks);
    }
    let meta = o.contains_key("issuer")
        || o.contains_key("jwks_uri")
        || o.keys().any(|k| k.ends_with("_endpoint"));
    meta.then_some(Shape::Metadata)
}

/// Client authentication methods that rest on a secret shared with the server.
const SHARED_SECRET: [&str; 3] = [
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
];
/// Asymmetric algorithms FAPI 2.0 §5.4 allows for signing.
const MODERN_ALGS: [&str; 4] = ["PS256", "ES256", "EdDSA", "Ed25519"];
/// Rules the FAPI 2.0 profile raises to high.
const FAPI2_RULES: [&str; 9] = [
    "NHI502", "NHI504", "NHI506", "NHI510", "NHI513", "NHI514", "NHI515", "NHI516", "NHI517",
];

fn strings(doc: &Map<String, Value>, key: &str) -> Option<Vec<String>> {
    let arr = doc.get(key)?.as_array()?;
    Some(
        arr.iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
    )
}

fn string<'a>(doc: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    doc.get(key).and_then(Value::as_str)
}

fn is_true(doc: &Map<String, Value>, key: &str) -> bool {
    doc.get(key).and_then(Value::as_bool) == Some(true)
}

fn is_hmac(alg: &str) -> bool {
    alg.len() > 2 && alg[..2].eq_ignore_ascii_case("HS")
}

/// Check a discovery document. `fetched_from` is the URL it came from (for the
/// issuer comparison); `fapi2` raises the FAPI 2.0 checks to high.
pub fn check(doc: &Map<String, Value>, fetched_from: Option<&str>, fapi2: bool) -> Vec<Check> {
    let mut out = Vec::new();
    token_endpoint_auth(doc, &mut out);
    assertion_algs(doc, &mut out);
    issuer(doc, fetched_from, &mut out);
    transport(doc, &mut out);
    other_endpoint_auth(doc, &mut out);
    grants_and_flows(doc, &mut out);
    if fapi2 {
        for c in &mut out {
            if FAPI2_RULES.contains(&c.rule) {
                c.severity = Some(Severity::High);
                c.properties.push(("profile", "fapi2".into()));
            }
        }
    }
    out
}

fn token_endpoint_auth(doc: &Map<String, Value>, out: &mut Vec<Check>) {
    // A document without a token endpoint (e.g. a workload-identity token
    // issuer) has no client authentication to judge.
    if string(doc, "token_endpoint").is_none() {
        return;
    }
    let key = "token_endpoint_auth_methods_supported";
    let Some(methods) = strings(doc, key) else {
        out.push(
            Check::new(
                "NHI501",
                "token_endpoint",
                "token endpoint authentication methods are not listed, so by the RFC 8414 default \
                 clients authenticate with client_secret_basic only: every client holds a shared \
                 secret (implied)"
                    .into(),
            )
            .prop("implied", true)
            .prop("methods", vec!["client_secret_basic"]),
        );
        return;
    };
    let shared: Vec<&String> = methods
        .iter()
        .filter(|m| SHARED_SECRET.contains(&m.as_str()))
        .collect();
    let strong = methods
        .iter()
        .any(|m| m != "none" && !SHARED_SECRET.contains(&m.as_str()));
    if !shared.is_empty() && !strong {
        out.push(
            Check::new(
                "NHI501",
                key,
                format!(
                    "the token endpoint accepts only shared-secret client authentication ({}); \
                     no private_key_jwt or mTLS",
                    methods.join(", ")
                ),
            )
            .prop("implied", false)
            .prop("methods", methods.clone()),
        );
    }
    if methods.iter().any(|m| m == "none") {
        out.push(Check::new(
            "NHI502",
            key,
            "the token endpoint lists `none`: clients may call it without authenticating".into(),
        ));
    }
}

fn assertion_algs(doc: &Map<String, Value>, out: &mut Vec<Check>) {
    let methods = strings(doc, "token_endpoint_auth_methods_supported").unwrap_or_default();
    let has = |m: &str| methods.iter().any(|x| x == m);
    let key = "token_endpoint_auth_signing_alg_values_supported";
    let Some(algs) = strings(doc, key) else {
        if has("private_key_jwt") || has("client_secret_jwt") {
            out.push(Check::new(
                "NHI505",
                "token_endpoint_auth_methods_supported",
                "a JWT client-authentication method is listed but \
                 token_endpoint_auth_signing_alg_values_supported is not: clients cannot tell \
                 which assertion algorithms are accepted"
                    .into(),
            ));
        }
        return;
    };
    if algs.iter().any(|a| a.eq_ignore_ascii_case("none")) {
        out.push(Check::new(
            "NHI503",
            key,
            "client assertions signed with `none` are accepted: anyone can authenticate as any \
             client that uses a JWT method"
                .into(),
        ));
    }
    let hmac: Vec<&String> = algs.iter().filter(|a| is_hmac(a)).collect();
    if !hmac.is_empty() {
        out.push(
            Check::new(
                "NHI504",
                key,
                format!(
                    "client assertions may be HMAC-signed ({}), i.e. with a shared secret",
                    hmac.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .prop("algorithms", algs.clone()),
        );
    }
    // Judged only where clients can use asymmetric assertions at all; for a
    // shared-secret-only server NHI501 already says what matters.
    if has("private_key_jwt") && !algs.iter().any(|a| MODERN_ALGS.contains(&a.as_str())) {
        out.push(
            Check::new(
                "NHI506",
                key,
                format!(
                    "no PS256, ES256 or EdDSA among the client-assertion algorithms ({})",
                    algs.join(", ")
                ),
            )
            .prop("algorithms", algs.clone()),
        );
    }
}

fn issuer(doc: &Map<String, Value>, fetched_from: Option<&str>, out: &mut Vec<Check>) {
    let Some(expected) = fetched_from.and_then(expected_issuer) else {
        return;
    };
    match string(doc, "issuer") {
        None => out.push(
            Check::new(
                "NHI507",
                "issuer",
                format!("the document has no issuer (expected {expected})"),
            )
            .prop("expected_issuer", expected),
        ),
        Some(iss) if !issuer_matches(iss, &expected) => out.push(
            Check::new(
                "NHI507",
                "issuer",
                format!("issuer {iss} differs from {expected}, where the document was fetched"),
            )
            .prop("issuer", iss)
            .prop("expected_issuer", expected),
        ),
        Some(_) => {}
    }
}

/// The issuer a discovery URL implies: `{issuer}/.well-known/openid-configuration`
/// (OIDC Discovery §4) or `https://host/.well-known/oauth-authorization-server{path}`
/// (RFC 8414 §3, path insertion). None for any other URL.
pub fn expected_issuer(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let rest = rest.split(['?', '#']).next()?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if let Some(prefix) = path.strip_suffix("/.well-known/openid-configuration") {
        return Some(format!("{scheme}://{host}{prefix}"));
    }
    for wk in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        if let Some(suffix) = path.strip_prefix(wk) {
            if suffix.is_empty() || suffix.starts_with('/') {
                return Some(format!("{scheme}://{host}{suffix}"));
            }
        }
        if let Some(prefix) = path.strip_suffix(wk) {
            return Some(format!("{scheme}://{host}{prefix}"));
        }
    }
    None
}

/// Issuer comparison: exact, but a trailing slash is tolerated and a `{…}`
/// path segment (Entra's `{tenantid}`) matches any one segment.
pub fn issuer_matches(issuer: &str, expected: &str) -> bool {
    let a = issuer.trim_end_matches('/');
    let b = expected.trim_end_matches('/');
    if a == b {
        return true;
    }
    if !a.contains('{') {
        return false;
    }
    let (sa, sb): (Vec<&str>, Vec<&str>) = (a.split('/').collect(), b.split('/').collect());
    sa.len() == sb.len()
        && sa
            .iter()
            .zip(&sb)
            .all(|(x, y)| x == y || (x.starts_with('{') && x.ends_with('}') && !y.is_empty()))
}

fn transport(doc: &Map<String, Value>, out: &mut Vec<Check>) {
    let mut urls: Vec<(String, &str)> = Vec::new();
    for (k, v) in doc {
        if k.ends_with("_endpoint") || k == "jwks_uri" {
            if let Some(s) = v.as_str() {
                urls.push((k.clone(), s));
            }
        }
    }
    if let Some(aliases) = doc.get("mtls_endpoint_aliases").and_then(Value::as_object) {
        for (k, v) in aliases {
            if let Some(s) = v.as_str() {
                urls.push((format!("mtls_endpoint_aliases.{k}"), s));
            }
        }
    }
    for (k, url) in urls {
        if !url.to_ascii_lowercase().starts_with("https://") {
            let leaf = k.rsplit('.').next().unwrap_or(&k).to_string();
            out.push(
                Check::new("NHI508", &leaf, format!("{k} is not an https URL: {url}"))
                    .detail(k.clone())
                    .prop("member", k)
                    .prop("endpoint", url),
            );
        }
    }
}

fn other_endpoint_auth(doc: &Map<String, Value>, out: &mut Vec<Check>) {
    // RFC 8414 §2: revocation defaults to client_secret_basic when unlisted;
    // introspection's methods "MUST be determined by other means", so unlisted
    // is not judged.
    for (endpoint, default) in [
        ("introspection_endpoint", None),
        ("revocation_endpoint", Some("client_secret_basic")),
    ] {
        if string(doc, endpoint).is_none() {
            continue;
        }
        let key = format!("{endpoint}_auth_methods_supported");
        let (methods, implied) = match (strings(doc, &key), default) {
            (Some(m), _) => (m, false),
            (None, Some(d)) => (vec![d.to_string()], true),
            (None, None) => continue,
        };
        let weak = methods
            .iter()
            .all(|m| m == "none" || SHARED_SECRET.contains(&m.as_str()));
        if weak && !methods.is_empty() {
            let needle = if implied { endpoint } else { key.as_str() };
            out.push(
                Check::new(
                    "NHI509",
                    needle,
                    format!(
                        "the {} accepts only shared secrets or no authentication ({}){}",
                        endpoint.replace('_', " "),
                        methods.join(", "),
                        if implied {
                            " (implied by the RFC 8414 default)"
                        } else {
                            ""
                        }
                    ),
                )
                .detail(endpoint)
                .prop("endpoint", endpoint)
                .prop("methods", methods)
                .prop("implied", implied),
            );
        }
    }
}

fn grants_and_flows(doc: &Map<String, Value>, out: &mut Vec<Check>) {
    if string(doc, "token_endpoint").is_some() {
        let dpop = strings(doc, "dpop_signing_alg_values_supported");
        if dpop.is_none() && !is_true(doc, "tls_client_certificate_bound_access_tokens") {
            out.push(Check::new(
                "NHI510",
                "token_endpoint",
                "no sender-constrained tokens: neither DPoP (dpop_signing_alg_values_supported) nor \
                 mTLS-bound tokens (tls_client_certificate_bound_access_tokens) are advertised, so \
                 access tokens are bearer tokens"
                    .into(),
            ));
        }
        if let Some(algs) = dpop {
            let bad: Vec<&String> = algs
                .iter()
                .filter(|a| a.eq_ignore_ascii_case("none") || is_hmac(a))
                .collect();
            if !bad.is_empty() {
                out.push(
                    Check::new(
                        "NHI511",
                        "dpop_signing_alg_values_supported",
                        format!(
                            "DPoP proofs may use {}, which proves possession of nothing",
                            bad.iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .prop("algorithms", algs.clone()),
                );
            }
        }
    }
    if strings(doc, "grant_types_supported").is_some_and(|g| g.iter().any(|x| x == "password")) {
        out.push(Check::new(
            "NHI512",
            "grant_types_supported",
            "the resource owner password credentials grant (`password`) is supported".into(),
        ));
    }
    if let Some(types) = strings(doc, "response_types_supported") {
        let implicit: Vec<&String> = types
            .iter()
            .filter(|t| t.split_whitespace().any(|p| p == "token"))
            .collect();
        if !implicit.is_empty() {
            out.push(
                Check::new(
                    "NHI513",
                    "response_types_supported",
                    format!(
                        "implicit-flow response types that return access tokens from the \
                         authorization endpoint are supported ({})",
                        implicit
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .prop("response_types", types.clone()),
            );
        }
    }
    if string(doc, "authorization_endpoint").is_none() {
        return;
    }
    let key = "code_challenge_methods_supported";
    match strings(doc, key) {
        None => out.push(Check::new(
            "NHI514",
            "authorization_endpoint",
            "PKCE support is not advertised (no code_challenge_methods_supported)".into(),
        )),
        Some(m) => {
            if !m.iter().any(|x| x == "S256") {
                out.push(Check::new(
                    "NHI514",
                    key,
                    format!("PKCE is advertised without S256 ({})", m.join(", ")),
                ));
            }
            if m.iter().any(|x| x == "plain") {
                out.push(Check::new(
                    "NHI515",
                    key,
                    "the `plain` PKCE method is allowed".into(),
                ));
            }
        }
    }
    if !is_true(doc, "require_pushed_authorization_requests") {
        let msg = if string(doc, "pushed_authorization_request_endpoint").is_some() {
            "pushed authorization requests are offered but not required"
        } else {
            "no pushed authorization request endpoint: authorization requests travel in the \
             browser's URL"
        };
        out.push(Check::new("NHI516", "authorization_endpoint", msg.into()));
    }
    if !is_true(doc, "authorization_response_iss_parameter_supported") {
        out.push(Check::new(
            "NHI517",
            "authorization_endpoint",
            "the `iss` authorization-response parameter is not advertised, so clients talking to \
             several servers cannot detect mix-up attacks"
                .into(),
        ));
    }
}

/// What [`audit`] learnt about a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audited {
    pub shape: Shape,
    pub jwks_uri: Option<String>,
}

/// Parse `item`, tell metadata from JWKS, run the checks and emit findings.
/// `strict` (the audit command): an unparsable or unrecognised document is an
/// error; in a tree scan it is just not one of ours.
pub fn audit(item: &Item, ctx: &Context, out: &mut Sink, strict: bool) -> Option<Audited> {
    let value: Value = match serde_json::from_slice(&item.data) {
        Ok(v) => v,
        Err(e) => {
            if strict {
                out.error(item.path(), format!("not a JSON document: {e}"));
            }
            return None;
        }
    };
    let Some(shape) = shape(&value) else {
        if strict {
            out.error(
                item.path(),
                "neither authorization-server metadata nor a JWK Set",
            );
        }
        return None;
    };
    let doc = value.as_object()?;
    let (checks, jwks_uri) = match shape {
        Shape::Metadata => {
            let url = match &item.provenance {
                Provenance::Remote { url, .. } => Some(url.as_str()),
                _ => None,
            };
            (
                check(doc, url, ctx.options.fapi2),
                string(doc, "jwks_uri").map(str::to_string),
            )
        }
        Shape::Jwks => (jwks::check(doc), None),
    };
    for c in checks {
        emit(item, ctx, out, c);
    }
    Some(Audited { shape, jwks_uri })
}

fn emit(item: &Item, ctx: &Context, out: &mut Sink, c: Check) {
    let start = memchr::memmem::find(&item.data, c.needle.as_bytes()).unwrap_or(0);
    let end = (start + c.needle.len()).min(item.data.len());
    let content = format!("{}\0{}", c.rule, c.detail);
    let Some(mut d) = ctx.finding(c.rule, item, start..end, content.as_bytes(), None) else {
        return;
    };
    // Messages start with a capital (check texts open with a lower-case word).
    let mut message = {
        let mut ch = c.message.chars();
        match ch.next() {
            Some(f) => f.to_uppercase().chain(ch).collect(),
            None => String::new(),
        }
    };
    if let Provenance::Remote { url, .. } = &item.provenance {
        message = format!("{url}: {message}");
    }
    d = d.message(message);
    if let Some(s) = c.severity {
        d = d.severity(s);
    }
    for (k, v) in c.properties {
        d = d.property(k, v);
    }
    d.emit(out);
}

/// The detector: fetched documents and well-known files in a scanned tree.
pub struct AuthorizationServer;

impl Detector for AuthorizationServer {
    fn name(&self) -> &'static str {
        "authorization-server"
    }
    fn keywords(&self) -> &[&'static str] {
        &["issuer", "\"keys\"", "_endpoint"]
    }
    fn applies(&self, item: &Item) -> bool {
        matches!(item.provenance, Provenance::Remote { .. })
    }
    fn detect(&self, item: &Item, ctx: &Context, out: &mut Sink) {
        audit(item, ctx, out, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(doc: Value, url: Option<&str>, fapi2: bool) -> Vec<&'static str> {
        let mut r: Vec<_> = check(doc.as_object().unwrap(), url, fapi2)
            .into_iter()
            .map(|c| c.rule)
            .collect();
        r.sort();
        r
    }

    #[test]
    fn shared_secret_only_and_implied_default() {
        let d = json!({"issuer": "https://a", "token_endpoint": "https://a/t",
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "dpop_signing_alg_values_supported": ["ES256"]});
        assert_eq!(rules(d, None, false), ["NHI501"]);
        let d = json!({"issuer": "https://a", "token_endpoint": "https://a/t",
            "tls_client_certificate_bound_access_tokens": true});
        let c = check(d.as_object().unwrap(), None, false);
        assert_eq!(c.len(), 1);
        assert!(c[0].properties.contains(&("implied", Value::Bool(true))));
        // No token endpoint: nothing to judge (GitHub Actions' token issuer).
        let d = json!({"issuer": "https://token.actions.githubusercontent.com",
            "jwks_uri": "https://token.actions.githubusercontent.com/.well-known/jwks"});
        assert!(rules(d, None, false).is_empty());
    }

    #[test]
    fn private_key_jwt_server_is_judged_differently() {
        let d = json!({"issuer": "https://a", "token_endpoint": "https://a/t",
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "dpop_signing_alg_values_supported": ["ES256"]});
        assert_eq!(rules(d.clone(), None, false), ["NHI506"]);
        let c = check(d.as_object().unwrap(), None, true);
        assert_eq!(c[0].severity, Some(Severity::High));
    }

    #[test]
    fn issuer_forms() {
        assert_eq!(
            expected_issuer("https://h/t1/.well-known/openid-configuration").as_deref(),
            Some("https://h/t1")
        );
        assert_eq!(
            expected_issuer("https://h/.well-known/oauth-authorization-server/t1").as_deref(),
            Some("https://h/t1")
        );
        assert_eq!(
            expected_issuer("https://h/.well-known/oauth-authorization-server").as_deref(),
            Some("https://h")
        );
        assert_eq!(expected_issuer("https://h/meta.json"), None);
        assert!(issuer_matches("https://h/t1/", "https://h/t1"));
        assert!(issuer_matches(
            "https://login.microsoftonline.com/{tenantid}/v2.0",
            "https://login.microsoftonline.com/common/v2.0"
        ));
        assert!(!issuer_matches("https://evil/t1", "https://h/t1"));
    }

    #[test]
    fn flows_and_endpoints() {
        let d = json!({"issuer": "https://a", "token_endpoint": "http://a/t",
            "authorization_endpoint": "https://a/auth",
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "none"],
            "token_endpoint_auth_signing_alg_values_supported": ["none", "HS256", "ES256"],
            "revocation_endpoint": "https://a/r",
            "dpop_signing_alg_values_supported": ["HS256"],
            "grant_types_supported": ["password"],
            "response_types_supported": ["code", "id_token token"],
            "code_challenge_methods_supported": ["plain"]});
        assert_eq!(
            rules(d, None, false),
            [
                "NHI502", "NHI503", "NHI504", "NHI508", "NHI509", "NHI511", "NHI512", "NHI513",
                "NHI514", "NHI515", "NHI516", "NHI517"
            ]
        );
    }
}
