//! Client registrations that choose a shared-secret token-endpoint
//! authentication method where `private_key_jwt` would serve (NHI240–NHI242):
//! Spring Security client (and authorization-server) registrations, OIDC
//! dynamic-registration metadata (`token_endpoint_auth_method`), and Keycloak
//! client representations. Line-based for the first two (the key and its value
//! sit on one line, or in a YAML block list right under it); a JSON walk for
//! Keycloak, where the meaning depends on sibling keys (`publicClient`).

mod block;
mod keycloak;

use regex::bytes::Regex;

use super::{Context, Detector, Sink};
use crate::finding;
use crate::item::Item;

const SPRING: &str = "NHI240";
const OIDC: &str = "NHI241";

/// The shared-secret methods of RFC 7591 §2 / OIDC Core §9.
const SECRET_METHODS: &[&str] = &[
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
];

pub struct ClientRegistrations {
    /// `client-authentication-method(s)` in YAML, .properties, env and Kotlin/Groovy assignments.
    spring_key: Regex,
    /// `ClientAuthenticationMethod.CLIENT_SECRET_BASIC` in JVM code.
    jvm_const: Regex,
    /// `token_endpoint_auth_method` in JSON, YAML, HCL, code.
    oidc: Regex,
}

impl Default for ClientRegistrations {
    fn default() -> Self {
        let re = |p: &str| Regex::new(p).expect("constant pattern compiles (unit-tested)");
        ClientRegistrations {
            spring_key: re(
                r#"(?i)(?:^|[^a-z0-9])(?P<key>client[-_.]?authentication[-_.]?method(?P<plural>s)?)(?:\[\d+\])?["']?[ \t]*[:=][ \t]*(?P<rest>.*)$"#,
            ),
            jvm_const: re(
                r"ClientAuthenticationMethod\s*\.\s*(?P<m>CLIENT_SECRET_(?:BASIC|POST|JWT)|BASIC|POST)\b",
            ),
            oidc: re(
                r#"(?i)(?:^|[^a-z0-9_])["']?token[-_]?endpoint[-_]?auth[-_]?method["']?\s*(?::|=>|=)\s*["']?(?P<m>client_secret_(?:basic|post|jwt))\b"#,
            ),
        }
    }
}

/// Fields of a dynamic-registration response (RFC 7591 §3.2.1, RFC 7592 §3),
/// never sent in a request; compared without case, `_` or `-`.
const RESPONSE_FIELDS: &[&str] = &[
    "clientidissuedat",
    "clientsecretexpiresat",
    "registrationaccesstoken",
    "registrationclienturi",
];

/// An OpenAPI or Swagger document: a top-level `openapi: 3.…` / `swagger: "2.0"`.
fn is_openapi(data: &[u8]) -> bool {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?m)^\s{0,4}["']?(?:openapi|swagger)["']?[ \t]*:[ \t]*["']?[23]\.\d"#)
            .expect("constant pattern compiles (unit-tested)")
    })
    .is_match(data)
}

/// Prose that documents the methods is not a registration.
const DOC_EXTENSIONS: &[&str] = &[".md", ".markdown", ".rst", ".adoc", ".html", ".htm"];
const JVM_EXTENSIONS: &[&str] = &[".java", ".kt", ".kts", ".groovy", ".scala"];

fn has_ext(item: &Item, exts: &[&str]) -> bool {
    let name = item.file_name().to_ascii_lowercase();
    exts.iter().any(|e| name.ends_with(e))
}

impl Detector for ClientRegistrations {
    fn name(&self) -> &'static str {
        "registrations"
    }

    fn keywords(&self) -> &[&'static str] {
        &[
            "authentication-method",
            "authentication_method",
            "authentication.method",
            "authenticationmethod",
            "auth_method",
            "auth-method",
            "authmethod",
            keycloak::KEYWORD,
            // Keycloak clients that leave the authenticator to its default.
            "redirectUris",
            "publicClient",
        ]
    }

    fn applies(&self, item: &Item) -> bool {
        !has_ext(item, DOC_EXTENSIONS)
    }

    fn detect(&self, item: &Item, ctx: &Context, out: &mut Sink) {
        if has_ext(item, &[".json"]) && keycloak::may_hold_clients(&item.data) {
            keycloak::detect(item, ctx, out);
        }
        let jvm = has_ext(item, JVM_EXTENSIONS);
        let spring = !is_test_source(item.path());
        let lines = item.line_index().line_count() as u32;
        // Inside a YAML block list under `client-authentication-methods:`.
        let mut in_list = false;
        for n in 1..=lines {
            let line = item.line_bytes(n);
            if line.trim_ascii().is_empty() || is_comment(line) {
                continue;
            }
            let base = line.as_ptr() as usize - item.data.as_ptr() as usize;
            let mut hits: Vec<(usize, usize, &'static str)> = Vec::new();
            match line.trim_ascii_start().strip_prefix(b"-") {
                Some(entry) if in_list => {
                    let off = line.len() - entry.len();
                    let entry = strip_comment(entry);
                    hits.extend(
                        secret_methods(entry, false)
                            .into_iter()
                            .map(|(a, b)| (off + a, off + b, SPRING)),
                    );
                }
                _ => in_list = self.spring_line(line, &mut hits),
            }
            if jvm {
                let from = item.line_bytes(n.saturating_sub(2).max(1));
                let recent_start = from.as_ptr() as usize - item.data.as_ptr() as usize;
                let recent = &item.data[recent_start..base + line.len()];
                self.jvm_line(line, recent, &mut hits);
            }
            for c in self.oidc.captures_iter(line) {
                let m = c.name("m").expect("group m");
                hits.push((m.start(), m.end(), OIDC));
            }
            if !spring {
                hits.retain(|h| h.2 != SPRING);
            }
            if !hits.is_empty() && models_methods(item, n, line, base + hits[0].0) {
                hits.clear();
            }
            hits.sort();
            hits.dedup_by_key(|h| h.0);
            for (a, b, rule) in hits {
                let method = String::from_utf8_lossy(&line[a..b]).to_ascii_lowercase();
                let method = canonical(&method);
                // Only Spring configuration names its registration in the key path.
                let name = (rule == SPRING && !jvm)
                    .then(|| registration_name(item, owner_line(item, n)))
                    .flatten();
                emit(item, ctx, out, rule, base + a..base + b, &method, name);
            }
        }
    }
}

impl ClientRegistrations {
    /// Spring keys with the value on the line. Returns true when a plural key
    /// has no value on its line: a YAML block list follows.
    fn spring_line(&self, line: &[u8], hits: &mut Vec<(usize, usize, &'static str)>) -> bool {
        let Some(c) = self.spring_key.captures(line) else {
            return false;
        };
        let rest = c.name("rest").expect("group rest");
        let plural = c.name("plural").is_some();
        let value = strip_comment(&line[rest.start()..rest.end()]);
        let found = secret_methods(value, !plural);
        hits.extend(
            found
                .into_iter()
                .map(|(a, b)| (rest.start() + a, rest.start() + b, SPRING)),
        );
        plural && value.trim_ascii().is_empty()
    }

    /// `recent` is the line with the two lines above it, for the multi-line
    /// `clientAuthenticationMethods(methods -> {` … `methods.add(…)` form.
    fn jvm_line(&self, line: &[u8], recent: &[u8], hits: &mut Vec<(usize, usize, &'static str)>) {
        let find = |hay: &[u8], needle: &[u8]| memchr::memmem::find(hay, needle).is_some();
        for c in self.jvm_const.captures_iter(line) {
            let whole = c.get(0).expect("group 0");
            let before = &line[..whole.start()];
            let after = line[whole.end()..].trim_ascii_start();
            // A registration sets the method: the builder call or property
            // (`clientAuthenticationMethod(…)`, `clientAuthenticationMethod = …`)
            // or an `add` to the client's method set. Comparisons, switch labels
            // and metadata lists (`….getValue()`) only read it.
            let sets = find(before, b"clientAuthenticationMethod")
                || (find(before, b".add(") && find(recent, b"clientAuthenticationMethods"));
            let reads = after.starts_with(b".equals")
                || after.starts_with(b".getValue")
                || after.starts_with(b"==")
                || find(before, b"==");
            if sets && !reads {
                let m = c.name("m").expect("group m");
                hits.push((m.start(), m.end(), SPRING));
            }
        }
    }
}

/// Code that implements or models the methods rather than registering a
/// client: a library's own sources and default client metadata, converters
/// and defaults filled in by a server, provider presets for identity
/// providers that accept only one method, recorded API responses, OpenAPI
/// examples, and unit tests that exercise each method on a client object.
fn models_methods(item: &Item, n: u32, line: &[u8], at: usize) -> bool {
    let path = item.path().to_ascii_lowercase();
    let name = item.file_name().to_ascii_lowercase();
    let code = [
        ".java", ".kt", ".go", ".js", ".mjs", ".cjs", ".ts", ".py", ".rb", ".cs",
    ]
    .iter()
    .any(|e| name.ends_with(e));
    let find = |hay: &[u8], needle: &[u8]| memchr::memmem::find(hay, needle).is_some();
    // Spring Security's own sources; recorded HTTP interactions; API specs.
    if path.contains("org/springframework/security/")
        || path.contains("cassette")
        || path.contains("openapi")
        || path.contains("swagger")
    {
        return true;
    }
    // next-auth style provider presets: `providers/<idp>.ts` factories.
    if code && (path.starts_with("providers/") || path.contains("/providers/")) {
        return true;
    }
    // A library's default client metadata (`clientDefaults`, defaults.js).
    if code && name.contains("default") {
        return true;
    }
    let from = item.line_bytes(n.saturating_sub(4).max(1));
    let start = from.as_ptr() as usize - item.data.as_ptr() as usize;
    let end = line.as_ptr() as usize - item.data.as_ptr() as usize;
    let above = &item.data[start.min(end)..end];
    if find(above, b"clientDefaults") || find(above, b"client_defaults") {
        return true;
    }
    if is_openapi(&item.data) && block::under_key(item, n, &["example", "examples"]) {
        return true;
    }
    // A usage example in a Python docstring documents the method.
    if block::in_docstring(item, at) {
        return true;
    }
    // The metadata object (or argument list) that holds the method.
    if let Some(b) = block::around(item, n, at) {
        let text = &item.data[b.body.clone()];
        // RFC 7591 §3.2.1 / RFC 7592 fields only a registration *response*
        // carries: a server building it, or a recorded one, echoes the method.
        if RESPONSE_FIELDS.iter().any(|f| block::has_field(text, f)) {
            return true;
        }
        // A library's default client metadata (`const DEFAULTS = {`).
        if block::names_defaults(b.head) {
            return true;
        }
        // The metadata handed to a predicate (`Client.needsSecret({…})`,
        // `requires_secret(…)`): code asking about the method, not choosing it.
        if b.callee.is_some_and(block::is_predicate) {
            return true;
        }
    }
    if !code {
        return false;
    }
    // Converters (`if (METHOD.equals(value)) builder.method(…)`) and a
    // server filling in a default (`if m == "" { m = "client_secret_basic" }`).
    let near = &item.data[item.line_bytes(n.saturating_sub(2).max(1)).as_ptr() as usize
        - item.data.as_ptr() as usize..end];
    if [
        &b".equals("[..],
        b"equalsIgnoreCase(",
        b"== \"\"",
        b"is None",
        b"=== undefined",
    ]
    .iter()
    .any(|p| find(near, p) || find(line, p))
        || find(line, b"this.clientAuthenticationMethods")
    {
        return true;
    }
    // Unit tests of the method on a client object (`OAuth2Session(…,
    // token_endpoint_auth_method=…)` in a test; Go test tables).
    let test = name.starts_with("test_")
        || name.ends_with("_test.go")
        || name.ends_with("_test.py")
        || name.contains(".test.")
        || name.contains(".spec.");
    test && (name.ends_with("_test.go")
        || [
            &b"OAuth2Client("[..],
            b"OAuth2Session(",
            b"AsyncOAuth2Client(",
            b"AssertionSession(",
        ]
        .iter()
        .any(|p| find(line, p) || find(above, p)))
}

/// Test source sets (Maven/Gradle `src/test/`) register clients for tests, not deployments.
fn is_test_source(path: &str) -> bool {
    path.starts_with("src/test/") || path.contains("/src/test/")
}

/// `CLIENT_SECRET_BASIC` → `client_secret_basic`; Spring 5's `basic`/`post` → their new names.
fn canonical(method: &str) -> String {
    match method {
        "basic" => "client_secret_basic".into(),
        "post" => "client_secret_post".into(),
        m => m.into(),
    }
}

fn is_comment(line: &[u8]) -> bool {
    let t = line.trim_ascii_start();
    [&b"#"[..], b"//", b"/*", b"*", b"!", b"<!--", b"--"]
        .iter()
        .any(|p| t.starts_with(p))
}

/// The value part without a trailing ` #` comment.
fn strip_comment(v: &[u8]) -> &[u8] {
    match memchr::memmem::find(v, b" #") {
        Some(i) => &v[..i],
        None => v,
    }
}

/// Spans of shared-secret method names in a value. `legacy` also accepts
/// Spring 5's `basic` / `post`, but only as the whole value.
fn secret_methods(value: &[u8], legacy: bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < value.len() {
        if !(value[i].is_ascii_alphabetic() || value[i] == b'_') {
            i += 1;
            continue;
        }
        let start = i;
        while i < value.len() && (value[i].is_ascii_alphanumeric() || value[i] == b'_') {
            i += 1;
        }
        let word = String::from_utf8_lossy(&value[start..i]).to_ascii_lowercase();
        let word = word.rsplit('.').next().unwrap_or(&word).to_string();
        if SECRET_METHODS.contains(&word.as_str()) {
            out.push((start, i));
        }
    }
    if out.is_empty() && legacy {
        let t = value.trim_ascii();
        let t = t
            .strip_prefix(b"\"")
            .and_then(|t| t.strip_suffix(b"\""))
            .unwrap_or(t);
        let t = t
            .strip_prefix(b"'")
            .and_then(|t| t.strip_suffix(b"'"))
            .unwrap_or(t);
        if t.eq_ignore_ascii_case(b"basic") || t.eq_ignore_ascii_case(b"post") {
            let off = t.as_ptr() as usize - value.as_ptr() as usize;
            out.push((off, off + t.len()));
        }
    }
    out
}

/// For a `- client_secret_basic` list entry, the line of the key that owns the list.
fn owner_line(item: &Item, n: u32) -> u32 {
    let line = item.line_bytes(n);
    if !line.trim_ascii_start().starts_with(b"-") {
        return n;
    }
    let indent = line.len() - line.trim_ascii_start().len();
    (1..n)
        .rev()
        .find(|&k| {
            let l = item.line_bytes(k);
            let t = l.trim_ascii_start();
            !t.is_empty() && !t.starts_with(b"-") && l.len() - t.len() <= indent
        })
        .unwrap_or(n)
}

/// The registration a Spring key belongs to: the segment before the key in a
/// dotted property (`…registration.okta.client-authentication-method`), or the
/// nearest less-indented YAML key above it (`okta:`).
fn registration_name(item: &Item, n: u32) -> Option<String> {
    let line = item.line_bytes(n);
    let text = String::from_utf8_lossy(line);
    let t = text.trim_start();
    let key = t.split(['=', ':']).next().unwrap_or("");
    let parts: Vec<&str> = key.split('.').collect();
    if parts.len() >= 2 {
        let name = parts[parts.len() - 2];
        // Authorization-server form: `client.<id>.registration.client-authentication-methods`.
        let name = if name == "registration" && parts.len() >= 3 {
            parts[parts.len() - 3]
        } else {
            name
        };
        return Some(name.to_string()).filter(|s| !s.is_empty());
    }
    // YAML: climb to less-indented keys, skipping Spring's `registration:` level.
    let mut indent = text.len() - t.len();
    for k in (1..n).rev() {
        if indent == 0 {
            break;
        }
        let l = String::from_utf8_lossy(item.line_bytes(k)).into_owned();
        let lt = l.trim_start();
        let li = l.len() - lt.len();
        if lt.is_empty() || lt.starts_with('#') || li >= indent {
            continue;
        }
        let name = lt.strip_suffix(':')?.trim().trim_matches(['"', '\'']);
        if name != "registration" {
            return Some(name.to_string()).filter(|s| !s.is_empty());
        }
        indent = li;
    }
    None
}

fn emit(
    item: &Item,
    ctx: &Context,
    out: &mut Sink,
    rule: &str,
    span: std::ops::Range<usize>,
    method: &str,
    name: Option<String>,
) {
    let line = item.line_bytes(item.position(span.start).line);
    let content = finding::normalise(line);
    let Some(d) = ctx.finding(rule, item, span, &content, None) else {
        return;
    };
    let who = match &name {
        Some(n) => format!("Client registration `{n}`"),
        None => "A client registration".to_string(),
    };
    let mut d = d
        .snippet(Some(snippet(line)))
        .message(format!(
            "{who} authenticates to the token endpoint with {method}, a shared secret; register a key and move to private_key_jwt"
        ))
        .property("method", method.to_string());
    if let Some(n) = name {
        d = d.property("registration", n);
    }
    d.emit(out);
}

/// The line as a snippet. A leading property key (`spring.security.oauth2…`,
/// `SPRING_SECURITY_OAUTH2_…`) is long and mixes letters and digits, so the
/// generic masker would hide it; it names no secret, so it is kept, and the
/// rest of the line still goes through the masker.
fn snippet(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let t = text.trim();
    let key_len = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || "._-[]".contains(c)))
        .unwrap_or(t.len());
    let (key, rest) = t.split_at(key_len);
    let shown = if key.to_ascii_lowercase().contains("authentication") {
        format!("{key}{}", super::filters::mask_secrets(rest))
    } else {
        super::filters::mask_secrets(t)
    };
    let mut out: String = shown.chars().take(160).collect();
    if shown.chars().count() > 160 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_methods_in_values() {
        assert_eq!(secret_methods(b" client_secret_basic", true), vec![(1, 20)]);
        assert_eq!(
            secret_methods(b"[private_key_jwt, client_secret_post]", false).len(),
            1
        );
        assert_eq!(secret_methods(b" 'post'", true).len(), 1);
        assert!(secret_methods(b" post", false).is_empty());
        assert!(secret_methods(b" private_key_jwt", true).is_empty());
        assert!(secret_methods(b" postman", true).is_empty());
    }

    #[test]
    fn patterns_compile_and_match() {
        let d = ClientRegistrations::default();
        let yaml = b"    client-authentication-method: client_secret_basic"; // nhiscan:ignore
        assert!(d.spring_key.is_match(yaml));
        assert!(d.spring_key.is_match(
            b"SPRING_SECURITY_OAUTH2_CLIENT_REGISTRATION_X_CLIENT_AUTHENTICATION_METHOD=post"
        ));
        let json = br#""token_endpoint_auth_method": "client_secret_jwt""#; // nhiscan:ignore
        assert!(d.oidc.is_match(json));
        assert!(!d
            .oidc
            .is_match(br#""token_endpoint_auth_methods_supported": ["client_secret_basic"]"#));
        assert!(d.jvm_const.is_match(
            b".clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_POST)"
        ));
    }
}
