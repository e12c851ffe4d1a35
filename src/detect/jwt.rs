//! JWT literals in any scanned text (NHI201–NHI207): compact JWS strings are
//! decoded without verification and judged as client assertions (RFC 7523
//! §2.2) or as other tokens. Nothing here ever prints the token: findings show
//! the claims that matter (iss, aud, lifetime, alg, kid) and redact the span.

pub mod token;

use serde_json::Value;

use super::{Context, Detector, Sink};
use crate::finding::Severity;
use crate::item::Item;
use token::Token;

pub struct JwtLiterals;

const HARD_CODED: &str = "NHI201";
const LONG_LIFETIME: &str = "NHI202";
const NO_EXP: &str = "NHI203";
const NO_JTI: &str = "NHI204";
const UNSIGNED: &str = "NHI205";
const PASTED: &str = "NHI206";
const SHARED_SECRET: &str = "NHI207";

/// Above this lifetime an assertion is high severity whatever the configured maximum.
const HIGH_LIFETIME: i64 = 3600;

/// Longest claim value shown in a message or property.
const SHOWN_MAX: usize = 120;

impl Detector for JwtLiterals {
    fn finds_leaked_credentials(&self) -> bool {
        true
    }

    fn name(&self) -> &'static str {
        "jwt"
    }

    fn keywords(&self) -> &[&'static str] {
        // base64url of `{"`: every JWS header starts with it.
        &["eyJ"]
    }

    fn detect(&self, item: &Item, ctx: &Context, out: &mut Sink) {
        for tok in token::find(&item.data) {
            judge(&tok, item, ctx, out);
        }
    }
}

/// Why a token counts as a client assertion.
#[derive(Clone, Copy)]
enum Assertion {
    /// Assigned to a `client_assertion` key or parameter.
    Context,
    /// The `assertion` parameter of the RFC 7523 §2.1 jwt-bearer grant: the
    /// same bearer risk, but `jti` is optional there (Google service accounts
    /// never send one), so NHI204 does not apply.
    Grant,
    /// Claims shaped like one: iss equals sub, aud a URL.
    Claims,
}

/// One rule a token matched, before the strongest is chosen.
struct Candidate {
    rule: &'static str,
    severity: Severity,
    message: String,
    props: Vec<(&'static str, Value)>,
}

/// When two rules tie on severity, the earlier here is reported: the
/// unsigned token first (anyone can mint one), then the hard-coded assertion.
const PRIORITY: [&str; 7] = [
    UNSIGNED,
    HARD_CODED,
    LONG_LIFETIME,
    SHARED_SECRET,
    NO_EXP,
    NO_JTI,
    PASTED,
];

fn lower(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium => Severity::Low,
        Severity::Low | Severity::Info => Severity::Info,
    }
}

/// Every rule the token matches; [`judge`] reports the strongest.
fn candidates(tok: &Token, facts: &Facts, why: Option<Assertion>, ctx: &Context) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut props = Vec::new();
    let add = |out: &mut Vec<Candidate>,
               props: &mut Vec<(&'static str, Value)>,
               rule: &'static str,
               severity: Option<Severity>,
               message: String| {
        let Some(r) = ctx.catalogue.enabled(rule) else {
            return;
        };
        out.push(Candidate {
            rule,
            severity: severity.unwrap_or(r.severity),
            message,
            props: std::mem::take(props),
        });
    };
    let Some(why) = why else {
        if tok.unsigned() {
            add(
                &mut out,
                &mut props,
                UNSIGNED,
                None,
                format!("Unsigned JWT (alg {}): {}", facts.alg, facts.summary()),
            );
        }
        add(
            &mut out,
            &mut props,
            PASTED,
            None,
            format!("JWT in text, not a client assertion: {}", facts.summary()),
        );
        return out;
    };
    let how = match why {
        Assertion::Context => "assigned to client_assertion",
        Assertion::Grant => "jwt-bearer grant assertion",
        Assertion::Claims => "iss equals sub and aud is a URL",
    };
    props.push(("classified_by", how.into()));
    add(
        &mut out,
        &mut props,
        HARD_CODED,
        None,
        format!("Hard-coded client assertion ({how}): {}", facts.summary()),
    );
    if tok.unsigned() {
        add(
            &mut out,
            &mut props,
            UNSIGNED,
            Some(Severity::Critical),
            format!(
                "Unsigned client assertion (alg {}): anyone can mint it; {}",
                facts.alg,
                facts.summary()
            ),
        );
    } else if facts.alg.to_ascii_uppercase().starts_with("HS") {
        add(
            &mut out,
            &mut props,
            SHARED_SECRET,
            None,
            format!(
                "Client assertion signed with a shared secret (alg {}, client_secret_jwt): {}",
                facts.alg,
                facts.summary()
            ),
        );
    }
    if facts.exp.is_none() && !facts.exp_not_number {
        add(
            &mut out,
            &mut props,
            NO_EXP,
            None,
            format!(
                "Client assertion without exp: it never expires; {}",
                facts.summary()
            ),
        );
    }
    let max = i64::try_from(ctx.options.max_assertion_lifetime).unwrap_or(i64::MAX);
    if let Some(life) = facts.lifetime.filter(|&l| l > max) {
        let severity = if life > HIGH_LIFETIME.max(max) {
            Severity::High
        } else {
            Severity::Medium
        };
        props.push(("max_lifetime_seconds", max.into()));
        add(
            &mut out,
            &mut props,
            LONG_LIFETIME,
            Some(severity),
            format!(
                "Client assertion lifetime {} exceeds the maximum of {max} s: {}",
                human(life),
                facts.summary()
            ),
        );
    }
    if !tok.claims.contains_key("jti") && !matches!(why, Assertion::Grant) {
        add(
            &mut out,
            &mut props,
            NO_JTI,
            None,
            format!(
                "Client assertion without jti: the server cannot reject a replay; {}",
                facts.summary()
            ),
        );
    }
    out
}

/// One finding per token: the strongest rule it matches (severity, then
/// [`PRIORITY`]), the others named in `alsoMatched`. An assertion that has
/// expired can no longer be replayed: it rates one step lower than a live
/// one (an unsigned token does not: it shows the server accepts `alg: none`).
fn judge(tok: &Token, item: &Item, ctx: &Context, out: &mut Sink) {
    let raw = &item.data[tok.span.clone()];
    let placeholder = placeholder_signature(raw);
    let why = assertion_context(&item.data, tok.span.start)
        .or_else(|| claims_look_like_assertion(tok).then_some(Assertion::Claims))
        .filter(|_| !placeholder);
    let facts = Facts::of(tok, ctx.options.now);
    let mut all = candidates(tok, &facts, why, ctx);
    if placeholder {
        for c in all.iter_mut().filter(|c| c.rule == PASTED) {
            c.message = format!(
                "JWT with a placeholder signature (nobody can use it): {}",
                facts.summary()
            );
        }
    }
    if facts.expired {
        for c in all.iter_mut().filter(|c| c.rule != UNSIGNED) {
            c.severity = lower(c.severity);
        }
    }
    let rank = |c: &Candidate| {
        let p = PRIORITY
            .iter()
            .position(|r| *r == c.rule)
            .unwrap_or(PRIORITY.len());
        (std::cmp::Reverse(c.severity), p)
    };
    all.sort_by_key(rank);
    let mut it = all.into_iter();
    let Some(best) = it.next() else {
        return;
    };
    // The weaker rules keep their facts (e.g. the lifetime limit) as properties.
    let mut also = Vec::new();
    let mut props = best.props;
    for c in it {
        also.push(c.rule);
        props.extend(c.props);
    }
    // The token is both the fingerprint content (keyed hash only) and the
    // span redacted in the snippet.
    let Some(mut d) = ctx.finding(
        best.rule,
        item,
        tok.span.clone(),
        raw,
        Some(tok.span.clone()),
    ) else {
        return;
    };
    d = facts
        .annotate(d)
        .severity(best.severity)
        .message(best.message);
    for (k, v) in props {
        d = d.property(k, v);
    }
    if !also.is_empty() {
        d = d.property("alsoMatched", also);
    }
    d.emit(out);
}

/// A signature segment that is a word, not a signature: recorded HTTP
/// cassettes and docs replace it (`SANITIZED_SIGNATURE_PLACEHOLDER`,
/// `signature`, `xxx`). Such a token cannot authenticate anyone.
fn placeholder_signature(raw: &[u8]) -> bool {
    let Some(dot) = memchr::memrchr(b'.', raw) else {
        return false;
    };
    let sig = String::from_utf8_lossy(&raw[dot + 1..]).to_ascii_uppercase();
    if sig.is_empty() {
        return false;
    }
    let words = [
        "PLACEHOLDER",
        "SANITIZED",
        "REDACTED",
        "SIGNATURE",
        "DUMMY",
        "INVALID",
    ];
    words.iter().any(|w| sig.contains(w))
        || matches!(sig.as_str(), "SIG" | "XXX" | "XXXX" | "SIGNED" | "ABC")
}

/// Keys whose value is a client assertion. `assertion` alone (the RFC 7523
/// §2.1 grant parameter) counts only on a line that names the jwt-bearer grant.
const ASSERTION_KEYS: &[&[u8]] = &[b"client_assertion", b"clientassertion", b"client-assertion"];

/// Whether the token at `start` is the value of a client-assertion key:
/// `client_assertion=`, `client_assertion: `, `"client_assertion": "`,
/// `clientAssertion = '`, `CLIENT_ASSERTION=`, `'client_assertion' => '`.
fn assertion_context(data: &[u8], start: usize) -> Option<Assertion> {
    let from = start.saturating_sub(96);
    let mut before = &data[from..start];
    let trim = |s: &mut &[u8], set: &[u8]| {
        while let Some((&last, rest)) = s.split_last() {
            if set.contains(&last) {
                *s = rest;
            } else {
                break;
            }
        }
    };
    trim(&mut before, b" \t\r\n\"'`");
    // One assignment operator: = : := => (and a YAML block scalar header: `>-`, `|+`).
    trim(&mut before, b"|>-+");
    trim(&mut before, b" \t");
    let op_len = before.len();
    trim(&mut before, b"=:>");
    if before.len() == op_len || op_len - before.len() > 2 {
        return None;
    }
    trim(&mut before, b" \t\"'`");
    let lower: Vec<u8> = before
        .iter()
        .rev()
        .take(24)
        .rev()
        .map(u8::to_ascii_lowercase)
        .collect();
    if ASSERTION_KEYS.iter().any(|k| key_ends(&lower, k)) {
        return Some(Assertion::Context);
    }
    if key_ends(&lower, b"assertion") {
        let line_start = memchr::memrchr(b'\n', &data[..start]).map_or(0, |i| i + 1);
        let line_end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
        let line = &data[line_start..line_end];
        return memchr::memmem::find(line, b"jwt-bearer").map(|_| Assertion::Grant);
    }
    None
}

/// `text` ends with `key` and the key is not the tail of a longer word.
fn key_ends(text: &[u8], key: &[u8]) -> bool {
    text.ends_with(key)
        && text
            .len()
            .checked_sub(key.len() + 1)
            .is_none_or(|i| !text[i].is_ascii_alphanumeric())
}

/// RFC 7523 §3: a client assertion has iss = sub = the client id and aud the
/// token endpoint (or the issuer, OIDC Core §9). Self-issued ID tokens (SIOP)
/// also have iss = sub, but their subject is a key thumbprint or a DID, and
/// ID tokens carry a nonce.
fn claims_look_like_assertion(tok: &Token) -> bool {
    let (Some(iss), Some(sub)) = (tok.str_claim("iss"), tok.str_claim("sub")) else {
        return false;
    };
    if iss != sub || iss.is_empty() {
        return false;
    }
    if iss.starts_with("did:")
        || iss.starts_with("urn:ietf:params:oauth:jwk-thumbprint")
        || tok.claims.contains_key("nonce")
    {
        return false;
    }
    tok.audiences()
        .iter()
        .any(|a| a.starts_with("https://") || a.starts_with("http://"))
}

/// The claims a finding shows, cleaned for display.
struct Facts {
    iss: Option<String>,
    aud: Vec<String>,
    alg: String,
    kid: Option<String>,
    typ: Option<String>,
    exp: Option<i64>,
    iat: Option<i64>,
    /// exp − (iat or nbf), when exp is not before the start.
    lifetime: Option<i64>,
    /// exp is before iat (or nbf): the token was dead when issued.
    exp_before_start: bool,
    /// exp is in the past: no server accepts the token any more.
    expired: bool,
    /// exp is there but not a NumericDate (a string, null, …).
    exp_not_number: bool,
    /// A DPoP proof (RFC 9449 §4.2): no exp by design, the server bounds it by iat.
    dpop: bool,
    sub_is_iss: bool,
    has_jti: bool,
    token_length: usize,
}

impl Facts {
    fn of(tok: &Token, now: i64) -> Facts {
        let exp = tok.time_claim("exp");
        let iat = tok.time_claim("iat");
        // Without iat, nbf is the next best start of the validity window.
        let start = iat.or_else(|| tok.time_claim("nbf"));
        let hdr = |k: &str| tok.header.get(k).and_then(Value::as_str).map(shown);
        Facts {
            iss: tok.str_claim("iss").map(shown),
            aud: tok.audiences().into_iter().take(5).map(shown).collect(),
            alg: shown(tok.alg()),
            kid: hdr("kid"),
            typ: hdr("typ"),
            exp,
            iat,
            lifetime: match (start, exp) {
                (Some(s), Some(e)) if e >= s => Some(e.saturating_sub(s)),
                _ => None,
            },
            exp_before_start: matches!((start, exp), (Some(s), Some(e)) if e < s),
            expired: exp.is_some_and(|e| e < now),
            exp_not_number: tok.claims.get("exp").is_some_and(|v| !v.is_number()),
            dpop: tok
                .header
                .get("typ")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt")),
            sub_is_iss: tok.str_claim("sub").is_some()
                && tok.str_claim("sub") == tok.str_claim("iss"),
            has_jti: tok.claims.contains_key("jti"),
            token_length: tok.span.len(),
        }
    }

    fn lifetime_text(&self) -> String {
        let life = match (self.lifetime, self.exp) {
            _ if self.exp_not_number => "exp is not a number".to_string(),
            _ if self.exp_before_start => "exp before iat".to_string(),
            (Some(l), _) => format!("lifetime {}", human(l)),
            (None, None) if self.dpop => "DPoP proof without exp (bounded by iat)".to_string(),
            (None, None) => "no exp (never expires)".to_string(),
            (None, Some(_)) => "lifetime unknown (no iat or nbf)".to_string(),
        };
        match self.exp.filter(|_| self.expired) {
            Some(e) => format!("{life}, expired on {}", crate::finding::civil_date(e)),
            None => life,
        }
    }

    /// One line: iss, aud, lifetime, alg, kid. The subject is left out on
    /// purpose: in an assertion it repeats iss, and in an ID or access token it
    /// identifies a person (often an email address), which does not belong in
    /// a report that is uploaded to code scanning.
    fn summary(&self) -> String {
        let mut s = format!(
            "iss {}, aud {}, {}, alg {}",
            self.iss.as_deref().unwrap_or("(none)"),
            if self.aud.is_empty() {
                "(none)".to_string()
            } else {
                self.aud.join(" ")
            },
            self.lifetime_text(),
            self.alg
        );
        if let Some(k) = &self.kid {
            s.push_str(&format!(", kid {k}"));
        }
        s
    }

    fn annotate(&self, mut d: super::Draft) -> super::Draft {
        d = d
            .property("alg", self.alg.clone())
            .property("aud", self.aud.clone())
            .property("sub_equals_iss", self.sub_is_iss)
            .property("has_jti", self.has_jti)
            .property("expired", self.expired)
            .property("token_length", self.token_length);
        for (k, v) in [("iss", &self.iss), ("kid", &self.kid), ("typ", &self.typ)] {
            if let Some(v) = v {
                d = d.property(k, v.clone());
            }
        }
        for (k, v) in [
            ("exp", self.exp),
            ("iat", self.iat),
            ("lifetime_seconds", self.lifetime),
        ] {
            if let Some(v) = v {
                d = d.property(k, v);
            }
        }
        d
    }
}

/// A claim value fit for a message: no control characters, at most [`SHOWN_MAX`] characters.
fn shown(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(SHOWN_MAX)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if s.chars().count() > SHOWN_MAX {
        out.push('…');
    }
    out
}

/// `86400 s (24 h)`: seconds always, a rounder unit when it is exact.
fn human(secs: i64) -> String {
    let unit = if secs.abs() >= 3600 && secs % 3600 == 0 {
        format!(" ({} h)", secs / 3600)
    } else if secs.abs() >= 120 && secs % 60 == 0 {
        format!(" ({} min)", secs / 60)
    } else {
        String::new()
    };
    format!("{secs} s{unit}")
}

#[cfg(test)]
mod tests {
    use super::token::encode;
    use super::*;
    use crate::detect::{Engine, Options};
    use crate::item::Provenance;
    use crate::rules::Catalogue;

    fn scan_with(text: &str, options: Options) -> Vec<crate::finding::Finding> {
        let engine = Engine::new(
            Catalogue::embedded().unwrap(),
            options,
            crate::detect::registry(),
        )
        .unwrap();
        let item = Item::new(
            Provenance::File {
                path: "t.txt".into(),
            },
            text.as_bytes().to_vec(),
        );
        let mut sink = Sink::default();
        engine.scan(&item, &mut sink);
        sink.findings
            .into_iter()
            .filter(|f| f.rule_id.starts_with("NHI20"))
            .collect()
    }

    /// The clock the tests judge expiry by: just after the assertions below were issued.
    const NOW: i64 = 1_700_000_100;

    fn scan(text: &str) -> Vec<crate::finding::Finding> {
        scan_with(
            text,
            Options {
                now: NOW,
                ..Options::default()
            },
        )
    }

    /// Every rule each finding stands for: its own, then those in `alsoMatched`.
    fn ids(f: &[crate::finding::Finding]) -> Vec<&str> {
        let mut v: Vec<&str> = Vec::new();
        for x in f {
            v.push(x.rule_id.as_str());
            if let Some(a) = x.properties.get("alsoMatched").and_then(Value::as_array) {
                v.extend(a.iter().filter_map(Value::as_str));
            }
        }
        v.sort();
        v
    }

    fn only(f: &[crate::finding::Finding]) -> &crate::finding::Finding {
        assert_eq!(f.len(), 1, "one finding per token");
        &f[0]
    }

    const RS: &str = r#"{"alg":"RS256","kid":"key-1"}"#;

    /// An RS256 token with these claims and a made-up signature.
    fn signed(claims: &str) -> String {
        encode(RS, claims, "c2ln")
    }

    fn assertion(lifetime: i64, jti: bool) -> String {
        let jti = if jti { r#","jti":"4f1c""# } else { "" };
        let claims = format!(
            r#"{{"iss":"svc","sub":"svc","aud":"https://idp.example/token","iat":1700000000,"exp":{}{jti}}}"#,
            1_700_000_000 + lifetime
        );
        encode(RS, &claims, "ZmFrZS1zaWduYXR1cmU")
    }

    #[test]
    fn context_assertion_with_long_lifetime() {
        let t = assertion(86_400, true);
        let f = scan(&format!("curl -d client_assertion={t} https://idp/token"));
        assert_eq!(ids(&f), ["NHI201", "NHI202"]);
        let long = only(&f);
        assert_eq!(long.rule_id, "NHI201");
        assert_eq!(long.severity, Severity::High);
        assert!(long.message.contains("86400 s (24 h)"), "{}", long.message);
        assert!(!long.message.contains("expired"), "{}", long.message);
        for x in &f {
            let all = format!("{} {:?} {:?}", x.message, x.snippet, x.properties);
            assert!(
                !all.contains(&t[..20]) && !all.contains("ZmFrZS1zaWduYXR1cmU"),
                "{all}"
            );
        }
    }

    #[test]
    fn lifetime_severity_follows_the_configured_maximum() {
        let t = assertion(600, true);
        let f = scan(&format!("{{\"client_assertion\": \"{t}\"}}"));
        assert_eq!(ids(&f), ["NHI201", "NHI202"]);
        assert_eq!(only(&f).properties["max_lifetime_seconds"], 300);
        let relaxed = Options {
            max_assertion_lifetime: 900,
            now: NOW,
            ..Options::default()
        };
        assert_eq!(
            ids(&scan_with(&format!("client_assertion: {t}"), relaxed)),
            ["NHI201"]
        );
        assert_eq!(
            ids(&scan(&format!(
                "client_assertion: {}",
                assertion(300, true)
            ))),
            ["NHI201"]
        );
    }

    #[test]
    fn claims_alone_make_an_assertion_and_missing_jti_is_flagged() {
        let f = scan(&format!("token = '{}'", assertion(3600, false)));
        assert_eq!(ids(&f), ["NHI201", "NHI202", "NHI204"]);
        assert_eq!(
            only(&f).properties["alsoMatched"],
            serde_json::json!(["NHI202", "NHI204"])
        );
    }

    #[test]
    fn unsigned_assertion_is_critical_and_no_exp_is_flagged() {
        let t = encode(
            r#"{"alg":"none"}"#,
            r#"{"iss":"c","sub":"c","aud":"https://idp/token","jti":"1"}"#,
            "",
        );
        let f = scan(&format!("client_assertion={t}\n"));
        assert_eq!(ids(&f), ["NHI201", "NHI203", "NHI205"]);
        let none = only(&f);
        assert_eq!(none.rule_id, "NHI205");
        assert_eq!(none.severity, Severity::Critical);
        assert!(none.message.contains("never expires"), "{}", none.message);
    }

    #[test]
    fn id_token_in_docs_is_info_and_hides_the_subject() {
        let t = signed(
            r#"{"iss":"https://accounts.example.com","sub":"jane@example.com","aud":"my-app","nonce":"n","iat":1,"exp":3601}"#,
        );
        let f = scan(&format!("Paste this ID token: `{t}`"));
        assert_eq!(ids(&f), ["NHI206"]);
        assert_eq!(f[0].severity, Severity::Info);
        let all = format!("{} {:?}", f[0].message, f[0].properties);
        assert!(!all.contains("jane@example.com"), "{all}");
        assert!(all.contains("https://accounts.example.com"));
    }

    #[test]
    fn hmac_assertion_and_unsigned_access_token() {
        let hs = encode(
            r#"{"alg":"HS256"}"#,
            r#"{"iss":"c","sub":"c","aud":"https://idp/token","iat":1,"exp":61,"jti":"x"}"#,
            "c2ln",
        );
        assert_eq!(
            ids(&scan(&format!("client_assertion={hs}"))),
            ["NHI201", "NHI207"]
        );
        let none = encode(
            r#"{"alg":"none"}"#,
            r#"{"iss":"https://as","sub":"u1"}"#,
            "",
        );
        let f = scan(&format!("Authorization: Bearer {none}."));
        assert_eq!(ids(&f), ["NHI205", "NHI206"]);
        assert_eq!(only(&f).rule_id, "NHI205");
        assert_eq!(f[0].severity, Severity::Medium);
    }

    #[test]
    fn expired_assertion_says_when_and_rates_lower() {
        // Issued 2019-01-01 for a day; judged in 2023.
        let t = signed(
            r#"{"iss":"svc","sub":"svc","aud":"https://idp.example/token","iat":1546300800,"exp":1546387200,"jti":"x"}"#,
        );
        let f = scan(&format!("client_assertion={t}"));
        let old = only(&f);
        assert_eq!(old.rule_id, "NHI201");
        assert_eq!(old.severity, Severity::Medium);
        assert!(
            old.message.contains("expired on 2019-01-02"),
            "{}",
            old.message
        );
        assert_eq!(old.properties["expired"], true);
        // The same assertion, live, rates high.
        let live = scan_with(
            &format!("client_assertion={t}"),
            Options {
                now: 1_546_300_900,
                ..Options::default()
            },
        );
        assert_eq!(only(&live).severity, Severity::High);
        assert!(!only(&live).message.contains("expired"));
    }

    #[test]
    fn exp_before_iat_is_said_so() {
        let t = signed(
            r#"{"iss":"svc","sub":"svc","aud":"https://idp.example/token","iat":1700000000,"exp":1668377600,"jti":"x"}"#,
        );
        let f = scan(&format!("client_assertion={t}"));
        let m = &only(&f).message;
        assert!(m.contains("exp before iat"), "{m}");
        assert!(!m.contains("-8784") && !m.contains("lifetime"), "{m}");
        assert_eq!(ids(&f), ["NHI201"]);
    }

    #[test]
    fn dpop_proof_is_not_said_to_never_expire() {
        let t = encode(
            r#"{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC"}}"#,
            r#"{"jti":"j","htm":"POST","htu":"https://as.example/token","iat":1700000000}"#,
            "c2ln",
        );
        let f = scan(&format!("DPoP: {t}"));
        let m = &only(&f).message;
        assert!(m.contains("DPoP proof"), "{m}");
        assert!(!m.contains("never expires"), "{m}");
    }

    #[test]
    fn context_rules() {
        let d = |s: &str| assertion_context(s.as_bytes(), s.len()).is_some();
        assert!(d("client_assertion="));
        assert!(d("  \"client_assertion\": \""));
        assert!(d("CLIENT_ASSERTION='"));
        assert!(d("clientAssertion = \""));
        assert!(d("'client_assertion' => '"));
        let grant = "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=";
        assert!(matches!(
            assertion_context(grant.as_bytes(), grant.len()),
            Some(Assertion::Grant)
        ));
        assert!(!d("assertion="));
        assert!(!d("client_assertion_type="));
        assert!(!d("my_client_assertion_example_text "));
        assert!(!d("id_token="));
    }

    #[test]
    fn placeholder_signature_is_not_a_hard_coded_assertion() {
        let t = encode(
            RS,
            r#"{"iss":"svc","sub":"svc","aud":"https://idp.example/token","iat":1700000000,"exp":1700003600,"jti":"x"}"#,
            "",
        );
        let t = format!("{t}SANITIZED_SIGNATURE_PLACEHOLDER_PADDING_0000");
        let f = scan(&format!("client_assertion: {t}"));
        let one = only(&f);
        assert_eq!(one.rule_id, "NHI206");
        assert!(
            one.message.contains("placeholder signature"),
            "{}",
            one.message
        );
        assert!(placeholder_signature(b"a.b.xxx"));
        assert!(!placeholder_signature(b"a.b.ZmFrZS1zaWduYXR1cmU"));
        assert!(!placeholder_signature(b"a.b."));
    }

    #[test]
    fn an_exp_that_is_not_a_number_is_said_so() {
        let t = signed(r#"{"iss":"https://as.example","sub":"u1","exp":"123"}"#);
        let f = scan(&format!("Authorization: Bearer {t}"));
        let one = only(&f);
        assert_eq!(one.rule_id, "NHI206");
        assert!(
            one.message.contains("exp is not a number"),
            "{}",
            one.message
        );
        assert!(!one.message.contains("1970"), "{}", one.message);
        assert!(!one.message.contains("never expires"), "{}", one.message);
        assert!(!one.properties.contains_key("exp"));
    }

    #[test]
    fn human_units() {
        assert_eq!(human(86_400), "86400 s (24 h)");
        assert_eq!(human(3000), "3000 s (50 min)");
        assert_eq!(human(300), "300 s (5 min)");
        assert_eq!(human(59), "59 s");
    }
}
