//! Issuer references for `scan --audit-issuers`: the OAuth/OIDC issuer and
//! discovery URLs a repository's client configuration names (`issuer`,
//! `authority`, `issuer-uri`, `token-uri`, `.well-known/openid-configuration`
//! URLs, `*_ISSUER` / `*_AUTHORITY` variables). This detector emits no
//! findings: it records references in the sink, and the scan audits each
//! server once after the walk (data still flows one way: the audit's findings
//! are produced by the metadata detector, located at these lines).

use std::sync::LazyLock;

use regex::Regex;

use super::{Context, Detector, IssuerRef, Options, Sink};
use crate::item::Item;
use crate::linehash;

/// `key: https://…` / `KEY=https://…` / `"key": "https://…"` where the key names an issuer.
static KEYED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)\b(?P<key>[a-z0-9_.-]*(?:issuer|authority)(?:[-_]?(?:uri|url|base[-_]?url))?|token[-_]?(?:uri|url|endpoint))["']?\s*[:=]\s*["']?(?P<url>https://[^\s"'<>`,;)\]}]+)"#,
    )
    .expect("static regex")
});

/// Any discovery-document URL.
static DISCOVERY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"https://[^\s"'<>`,;)\]}]+/\.well-known/(?:openid-configuration|oauth-authorization-server)[^\s"'<>`,;)\]}]*"#,
    )
    .expect("static regex")
});

/// Token endpoint paths, longest first, to recover the issuer from a `token-uri`.
const TOKEN_SUFFIXES: [&str; 6] = [
    "/protocol/openid-connect/token",
    "/oauth2/v2.0/token",
    "/oauth2/v1/token",
    "/oauth2/token",
    "/oauth/token",
    "/token",
];

/// The server a matched URL refers to, or None for placeholders and
/// reserved example domains (RFC 2606), which no one can audit.
fn normalise(url: &str, token: bool) -> Option<(String, bool)> {
    let url = url.trim_end_matches(['.', '"', '\'']);
    if url.contains("${") || url.contains("{{") || url.contains('<') || url.contains('$') {
        return None;
    }
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?.to_ascii_lowercase();
    let reserved = ["example.com", "example.org", "example.net", "example"];
    if reserved
        .iter()
        .any(|r| host == *r || host.ends_with(&format!(".{r}")))
    {
        return None;
    }
    if !token {
        return Some((url.to_string(), false));
    }
    let path = parsed.path();
    let suffix = TOKEN_SUFFIXES.iter().find(|s| path.ends_with(*s))?;
    let issuer_path = &path[..path.len() - suffix.len()];
    let origin = &parsed[..url::Position::BeforePath];
    Some((format!("{origin}{issuer_path}"), true))
}

pub struct IssuerRefs;

impl Detector for IssuerRefs {
    fn name(&self) -> &'static str {
        "issuer-references"
    }
    /// Only `scan --audit-issuers` and `--validate` read issuer references.
    fn active(&self, options: &Options) -> bool {
        options.audit_issuers
    }

    fn keywords(&self) -> &[&'static str] {
        &[
            "issuer",
            "authority",
            "token-uri",
            "token_uri",
            "tokenuri",
            "token_url",
            "token-url",
            "tokenurl",
            "token_endpoint",
            "/.well-known/",
        ]
    }
    fn detect(&self, item: &Item, ctx: &Context, out: &mut Sink) {
        if !ctx.options.audit_issuers {
            return;
        }
        let text = String::from_utf8_lossy(&item.data);
        let mut found: Vec<(usize, String, bool)> = Vec::new();
        for c in KEYED.captures_iter(&text) {
            let key = c["key"].to_ascii_lowercase();
            let m = c.name("url").expect("group");
            let token = key.starts_with("token");
            if let Some((url, guessed)) = normalise(m.as_str(), token) {
                found.push((m.start(), url, guessed));
            }
        }
        for m in DISCOVERY.find_iter(&text) {
            if let Some((url, _)) = normalise(m.as_str(), false) {
                found.push((m.start(), url, false));
            }
        }
        if found.is_empty() {
            return;
        }
        found.sort();
        found.dedup_by(|a, b| a.0 == b.0);
        let hashes = linehash::line_hashes(&item.data);
        for (offset, url, guessed) in found {
            let line = item.position(offset).line;
            out.issuer_refs.push(IssuerRef {
                url,
                guessed,
                path: item.path().to_string(),
                line,
                text: String::from_utf8_lossy(item.line_bytes(line)).into_owned(),
                line_hash: hashes.get(line as usize - 1).cloned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Options;
    use crate::item::Provenance;
    use crate::rules::Catalogue;

    fn refs(path: &str, text: &str) -> Vec<(String, u32, bool)> {
        let catalogue = Catalogue::default();
        let options = Options {
            audit_issuers: true,
            ..Options::default()
        };
        let ctx = Context {
            catalogue: &catalogue,
            options: &options,
        };
        let item = Item::new(
            Provenance::File { path: path.into() },
            text.as_bytes().to_vec(),
        );
        let mut sink = Sink::default();
        IssuerRefs.detect(&item, &ctx, &mut sink);
        sink.issuer_refs
            .into_iter()
            .map(|r| (r.url, r.line, r.guessed))
            .collect()
    }

    #[test]
    fn finds_issuers_in_common_client_configuration() {
        let yaml = "spring:\n  security:\n    oauth2:\n      client:\n        provider:\n          corp:\n            issuer-uri: https://login.corp.test/realms/main\n            token-uri: https://sso.corp.test/realms/x/protocol/openid-connect/token\n";
        assert_eq!(
            refs("application.yml", yaml),
            [
                ("https://login.corp.test/realms/main".to_string(), 7, false),
                ("https://sso.corp.test/realms/x".to_string(), 8, true),
            ]
        );
        let env = "OIDC_ISSUER=https://idp.corp.test\nAZURE_AUTHORITY=\"https://login.microsoftonline.com/contoso.onmicrosoft.test/v2.0\"\n";
        assert_eq!(refs(".env", env).len(), 2);
        let js = "fetch('https://auth.corp.test/.well-known/openid-configuration')";
        assert_eq!(
            refs("a.js", js)[0].0,
            "https://auth.corp.test/.well-known/openid-configuration"
        );
    }

    #[test]
    fn skips_placeholders_and_example_domains() {
        assert!(refs(
            ".env",
            "ISSUER=https://${HOST}/x\nissuer: https://as.example.com\n"
        )
        .is_empty());
    }
}
