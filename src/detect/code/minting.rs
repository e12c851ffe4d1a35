//! Part B: code that mints a client assertion (RFC 7523 §2.2, private_key_jwt)
//! with a lifetime longer than `--max-assertion-lifetime`.
//!
//! The same token shapes serve every language: an `exp`-like key in a claims
//! literal, a subscript or field assignment, a `.claim("exp", …)` call or an
//! expiry setter; a duration key (`expiresIn`, `expires_in`, Go `Expires`);
//! or a lifetime argument of an assertion-building helper. The finding needs
//! evidence in the claims themselves ([`claims`]): iss equals sub, the
//! audience is a token endpoint — or the words client_assertion / jwt-bearer
//! / private_key_jwt in the innermost enclosing function, or a function
//! named for assertions. ID tokens, token responses, attestations and DPoP
//! proofs are not client assertions.

use super::claims::Claims;
use super::lexer::{Kind, Lang};
use super::lifetime::{self, Mode};
use super::query::{Code, Span};
use super::Hit;

/// Claims keys holding an absolute expiry.
fn absolute_key(lang: Lang, k: &str) -> bool {
    match k {
        "exp" | "ExpiresAt" | "Expiry" | "Exp" | "expires_at" | "expiresAt" => true,
        "Expires" => lang == Lang::CSharp,
        "expires" => lang == Lang::CSharp,
        _ => false,
    }
}

/// Keys and keyword arguments holding a lifetime.
fn relative_key(lang: Lang, k: &str) -> bool {
    match k {
        "expiresIn" => lang == Lang::JavaScript,
        "expires_in" => lang == Lang::Python,
        "Expires" => lang == Lang::Go,
        _ => false,
    }
}

/// Python `expires_in=` is also a token-response field: count it only as an
/// argument of a call that signs an assertion, never as a parameter default.
fn relative_ok(c: &Code, i: usize) -> bool {
    if c.lang != Lang::Python {
        return true;
    }
    let Some(open) = c.enclosing_open(i) else {
        return false;
    };
    if !c.is(open, "(") || open == 0 {
        return false;
    }
    let callee = c.text(open - 1);
    let is_def = open >= 2 && c.is(open - 2, "def");
    !is_def
        && matches!(
            callee,
            "private_key_jwt_sign" | "client_secret_jwt_sign" | "create_normal_assertion" | "sign"
        )
}

/// Setter methods taking an expiry.
fn setter(k: &str) -> Option<Mode> {
    match k {
        "setExpiration" | "expiration" | "expirationTime" | "withExpiresAt" | "setExpiresAt"
        | "setExpirationTime" | "SetExpiration" => Some(Mode::Absolute),
        _ => None,
    }
}

/// Where an expiry value sits: the key token and the value span.
struct Site {
    key: usize,
    value: Span,
    mode: Mode,
    /// The claims literal opener, when the expiry is one of its entries.
    literal: Option<usize>,
    /// The assertion helper the lifetime is passed to.
    helper: Option<usize>,
    /// The lifetime is the default of the assertion helper defined here.
    default_of: Option<usize>,
}

impl Site {
    /// An expiry at `key` with value `value` outside a claims literal.
    fn at(key: usize, value: Span, mode: Mode) -> Site {
        Site {
            key,
            value,
            mode,
            literal: None,
            helper: None,
            default_of: None,
        }
    }

    /// The claims literal: the one the expiry sits in, or the one assigned
    /// to the object an expiry is set on (`payload = {…}` … `payload["exp"] = v`).
    fn claims_literal(&self, c: &Code) -> Option<usize> {
        if self.literal.is_some() {
            return self.literal;
        }
        let mut r = self.key.checked_sub(1)?;
        if c.is(r, ":") || c.is(r, "[") || c.is(r, ".") || c.is(r, "->") {
            r = r.checked_sub(1)?;
        }
        if c.is(r, "[") {
            r = r.checked_sub(1)?;
        }
        if !c.is_ident(r) {
            return None;
        }
        let v = c.resolve(c.text(r), r)?;
        c.literal_open(&v)
    }
}

fn sites(c: &Code) -> Vec<Site> {
    let mut out = Vec::new();
    for i in 0..c.len() {
        let t = c.text(i);
        let key = if c.kind(i) == Some(Kind::Str) {
            c.str_value(i).unwrap_or("")
        } else if c.is_ident(i) {
            t
        } else {
            continue;
        };
        let abs = absolute_key(c.lang, key);
        let rel = relative_key(c.lang, key) && relative_ok(c, i);
        if abs || rel {
            let mode = if rel { Mode::Relative } else { Mode::Absolute };
            // `key: v`, `key => v`, `key = v` inside a literal or argument list.
            let sep = i + 1;
            let in_list = i > 0
                && (c.is(i - 1, "{") || c.is(i - 1, ",") || c.is(i - 1, "(") || c.is(i - 1, ":"));
            let entry = (c.is(sep, ":") || c.is(sep, "=>")) && (in_list || c.toks[i].nl_before)
                || c.is(sep, "=") && (in_list || c.lang == Lang::CSharp && c.toks[i].nl_before);
            if entry && !(c.lang == Lang::Python && c.is(sep, ":") && c.kind(i) != Some(Kind::Str))
            {
                let v = sep + 1;
                let literal = c.enclosing_open(i);
                out.push(Site {
                    literal,
                    ..Site::at(i, v..c.expr_end(v), mode)
                });
                continue;
            }
            // C# collection initializer pairs: `new JwtPayload { { "exp", v }, … }`.
            if abs
                && c.kind(i) == Some(Kind::Str)
                && c.is(i.wrapping_sub(1), "{")
                && c.is(i + 1, ",")
            {
                let inner = i - 1;
                out.push(Site {
                    literal: c.enclosing_open(inner),
                    ..Site::at(i, i + 2..c.close(inner), mode)
                });
                continue;
            }
            // `claims.ExpiresAt = v`, `payload.exp = v` (not `==`).
            if abs
                && c.is_ident(i)
                && i > 0
                && (c.is(i - 1, ".") || c.is(i - 1, "->"))
                && c.is(i + 1, "=")
            {
                out.push(Site::at(i, i + 2..c.expr_end(i + 2), mode));
                continue;
            }
            // `claims["exp"] = v`, `$payload['exp'] = v`, `payload[:exp] = v`.
            if abs && c.is(i.wrapping_sub(1), "[") && c.is(i + 1, "]") && c.is(i + 2, "=") {
                out.push(Site::at(i, i + 3..c.expr_end(i + 3), mode));
                continue;
            }
            if c.lang == Lang::Ruby
                && abs
                && c.is(i.wrapping_sub(2), "[")
                && c.is(i - 1, ":")
                && c.is(i + 1, "]")
                && c.is(i + 2, "=")
            {
                out.push(Site::at(i, i + 3..c.expr_end(i + 3), mode));
                continue;
            }
        }
        // `.claim("exp", v)`, `.Set("exp", v)`, `->claim('exp', v)`.
        if c.is_ident(i)
            && matches!(t, "claim" | "Set" | "set" | "with_claim" | "AddClaim")
            && c.is(i + 1, "(")
        {
            let args = c.args(i + 1);
            if args.len() == 2 && args[0].len() == 1 && c.str_value(args[0].start) == Some("exp") {
                out.push(Site::at(args[0].start, args[1].clone(), Mode::Absolute));
            }
            continue;
        }
        // `build_client_assertion(key, id, url, lifetime=3600)`,
        // `createAssertion({ ttl: 7200 })`: an assertion helper's lifetime.
        if c.is_ident(i) && c.is(i + 1, "(") && assertion_named(t) && !defines(c, i) {
            for a in c.args(i + 1) {
                // A duration passed by position: `SignedJWTProfileAssertion(id, aud, time.Hour, signer)`.
                // (Not a claims literal: its `exp` entry is a site of its own.)
                if c.kwarg_entries(std::slice::from_ref(&a)).is_empty()
                    && !a.clone().any(|k| c.is(k, "{"))
                    && a.clone().any(|k| duration_word(c, k))
                {
                    out.push(Site {
                        helper: Some(i),
                        ..Site::at(a.start, a.clone(), Mode::Relative)
                    });
                }
                let mut entries: Vec<(usize, Span)> = c.kwarg_entries(std::slice::from_ref(&a));
                if let Some(o) = c.literal_open(&a).filter(|&o| c.is(o, "{")) {
                    entries.extend(c.entries(o));
                }
                for (k, v) in entries {
                    let name = c.str_value(k).unwrap_or(c.text(k));
                    if lifetime_param(name) {
                        out.push(Site {
                            helper: Some(i),
                            ..Site::at(k, v, Mode::Relative)
                        });
                    }
                }
            }
        }
        // `def create_normal_assertion(…, expires_in=600)`: a helper's default.
        if c.is_ident(i) && c.is(i + 1, "(") && assertion_named(t) && defines(c, i) {
            for (k, v) in c.kwarg_entries(&c.args(i + 1)) {
                let name = c.str_value(k).unwrap_or(c.text(k));
                if lifetime_param(name) {
                    out.push(Site {
                        default_of: Some(i),
                        ..Site::at(k, v, Mode::Relative)
                    });
                }
            }
        }
        // `kwargs.pop("expires_in", 3600)`, `options.get("ttl", 600)`: a
        // default inside a helper (judged by the function it is in).
        if c.is_ident(i)
            && matches!(t, "pop" | "get" | "getOrDefault" | "fetch")
            && c.is(i + 1, "(")
            && i > 0
            && c.is(i - 1, ".")
        {
            let args = c.args(i + 1);
            if args.len() == 2
                && args[0].len() == 1
                && c.str_value(args[0].start).is_some_and(lifetime_param)
            {
                out.push(Site::at(args[0].start, args[1].clone(), Mode::Relative));
            }
        }
        if let Some(mode) = setter(t) {
            if c.is_ident(i) && c.is(i + 1, "(") && i > 0 && (c.is(i - 1, ".") || c.is(i - 1, "->"))
            {
                let args = c.args(i + 1);
                if args.len() == 1 {
                    out.push(Site::at(i, args[0].clone(), mode));
                }
            }
        }
    }
    out
}

/// Words that put a function in a client-assertion context (normalised:
/// lower case, `-` → `_`).
const CONTEXT_WORDS: [&str; 6] = [
    "client_assertion",
    "clientassertion",
    "jwt_bearer",
    "jwtbearer",
    "private_key_jwt",
    "privatekeyjwt",
];

/// Token types that are signed JWTs with claims but not client assertions:
/// client attestations (their attester sets the lifetime), DPoP proofs,
/// access tokens, logout tokens.
const OTHER_TYPES: [&str; 5] = [
    "attestation+jwt",
    "dpop+jwt",
    "at+jwt",
    "logout+jwt",
    "token-introspection+jwt",
];

/// A helper named for building assertions (`build_client_assertion`,
/// `createAssertion`, `makeJwtAssertion`), not a test assertion helper.
fn assertion_named(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("assertion")
        && (n.starts_with("assertion") || !n.starts_with("assert"))
        && !n.ends_with("assertions")
}

/// Keyword or option names that hold an assertion helper's lifetime.
fn lifetime_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace('_', "");
    matches!(
        n.as_str(),
        "lifetime"
            | "lifetimeseconds"
            | "ttl"
            | "expiresin"
            | "validity"
            | "validfor"
            | "expiresafter"
    )
}

/// A token that builds a duration: Go `time.Hour`, `timedelta`, `Duration`,
/// `ofMinutes`, `FromHours`.
fn duration_word(c: &Code, k: usize) -> bool {
    let t = c.text(k);
    (t == "time" && c.is(k + 1, ".") && matches!(c.text(k + 2), "Hour" | "Minute" | "Second"))
        || matches!(t, "timedelta" | "Duration" | "TimeSpan")
        || (t.starts_with("of") || t.starts_with("From"))
            && ["Seconds", "Minutes", "Hours", "Days"]
                .iter()
                .any(|u| t.ends_with(u))
}

/// `def name(`, `function name(`, `fn name(`, `func name(`: a definition, not a call.
fn defines(c: &Code, i: usize) -> bool {
    i > 0 && matches!(c.text(i - 1), "def" | "function" | "fn" | "func" | "fun")
}

/// Why the expiry at `s` belongs to a client assertion, if it does.
fn context(c: &Code, s: &Site, scope: &Span) -> Option<String> {
    // A lifetime given to an assertion helper, or an expiry among the
    // arguments of one (authlib `AssertionSession(…, expires_at=…)`).
    let callee = s
        .literal
        .filter(|&o| c.is(o, "(") && o > 0 && assertion_named(c.text(o - 1)))
        .map(|o| o - 1);
    if let Some(h) = s.helper.or(callee) {
        return Some(format!("passed to `{}`", c.text(h)));
    }
    if let Some(h) = s.default_of {
        return Some(format!("the default of `{}`", c.text(h)));
    }
    let claims = Claims::gather(c, s.claims_literal(c), scope);
    if claims.not_an_assertion() || other_type(c, scope) || serves_tokens(c, scope) {
        return None;
    }
    if let Some(why) = claims.evidence(c) {
        return Some(why);
    }
    if let Some(why) = words(c, scope) {
        return Some(why);
    }
    c.fn_name(scope)
        .filter(|n| assertion_named(n))
        .map(|n| format!("built in `{n}`"))
}

fn words(c: &Code, span: &Span) -> Option<String> {
    for i in span.clone() {
        let word = match c.kind(i) {
            Some(Kind::Ident) => c.text(i),
            Some(Kind::Str) => c.str_value(i).unwrap_or(""),
            _ => continue,
        };
        if word.len() > 200 {
            continue;
        }
        let norm = word.to_ascii_lowercase().replace('-', "_");
        if let Some(w) = CONTEXT_WORDS.iter().find(|w| norm.contains(*w)) {
            return Some(format!("mentions {w}"));
        }
    }
    None
}

/// The function writes a token response (`"access_token": …`,
/// `resp["id_token"] = …`): a token endpoint, often a test double, minting
/// ID or access tokens, not a client signing its assertion.
fn serves_tokens(c: &Code, scope: &Span) -> bool {
    scope.clone().any(|i| {
        let key = c.str_value(i).unwrap_or(c.text(i));
        matches!(key, "access_token" | "id_token")
            && (c.is(i + 1, ":") || c.is(i + 1, "=>") || c.seq(i + 1, &["]", "="]))
            && !(c.is(i + 1, ":") && c.lang == Lang::Python && c.kind(i) != Some(Kind::Str))
    })
}

/// A string naming another token type (`typ: 'dpop+jwt'`) in `scope`.
fn other_type(c: &Code, scope: &Span) -> bool {
    scope.clone().any(|i| {
        c.str_value(i).filter(|v| v.len() < 100).is_some_and(|v| {
            OTHER_TYPES
                .iter()
                .any(|t| v.to_ascii_lowercase().contains(t))
        })
    })
}

/// Explicit lifetimes over the limit (NHI210).
pub fn check(c: &Code, max: u64, hits: &mut Vec<Hit>) {
    let all = sites(c);
    // Lifetimes that are an assertion helper's default: uses of that default
    // elsewhere in the file (`now + expires_in`, `expires_in=e`) are the same
    // problem, reported once at the default.
    let defaults: Vec<f64> = all
        .iter()
        .filter(|s| s.default_of.is_some())
        .filter_map(|s| lifetime::seconds(c, &s.value, s.mode))
        .collect();
    for s in all {
        let Some(secs) = lifetime::seconds(c, &s.value, s.mode) else {
            continue;
        };
        if secs <= max as f64 {
            continue;
        }
        let literal = s
            .value
            .clone()
            .any(|i| matches!(c.kind(i), Some(Kind::Num) | Some(Kind::Str)));
        if s.default_of.is_none() && !literal && defaults.contains(&secs) {
            continue;
        }
        // A map of expiries by token type (`map[TokenType]time.Time{…}`) is a store.
        if c.is(s.value.start, "map") {
            continue;
        }
        let scope = c.inner_fn_scope(s.key);
        let Some(why) = context(c, &s, &scope) else {
            continue;
        };
        let severity = if secs > 3600.0 { "high" } else { "medium" };
        hits.push(Hit {
            rule: "NHI210",
            span: s.key..s.value.end,
            message: format!(
                "Client assertion minted with a lifetime of {} ({} s; limit {} s): {}",
                lifetime::human(secs),
                secs.round() as u64,
                max,
                why
            ),
            severity: Some(severity),
            props: vec![("lifetime_seconds", (secs.round() as u64).into())],
        });
    }
}
