//! Part B: code that mints a client assertion (RFC 7523 §2.2, private_key_jwt)
//! with a lifetime longer than `--max-assertion-lifetime`.
//!
//! The same token shapes serve every language: an `exp`-like key in a claims
//! literal, a subscript assignment, a `.claim("exp", …)` call or an expiry
//! setter; or a duration key (`expiresIn`, `expires_in`, Go `Expires`). The
//! finding needs a client-assertion context in the same function: the words
//! client_assertion / jwt-bearer / private_key_jwt, a token-endpoint audience,
//! or `iss` and `sub` set to the same expression.

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
    let Some(open) = enclosing_open(c, i) else {
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
                let literal = enclosing_open(c, i);
                out.push(Site {
                    key: i,
                    value: v..c.expr_end(v),
                    mode,
                    literal,
                });
                continue;
            }
            // `claims["exp"] = v`, `$payload['exp'] = v`, `payload[:exp] = v`.
            if abs && c.is(i.wrapping_sub(1), "[") && c.is(i + 1, "]") && c.is(i + 2, "=") {
                out.push(Site {
                    key: i,
                    value: i + 3..c.expr_end(i + 3),
                    mode,
                    literal: None,
                });
                continue;
            }
            if c.lang == Lang::Ruby
                && abs
                && c.is(i.wrapping_sub(2), "[")
                && c.is(i - 1, ":")
                && c.is(i + 1, "]")
                && c.is(i + 2, "=")
            {
                out.push(Site {
                    key: i,
                    value: i + 3..c.expr_end(i + 3),
                    mode,
                    literal: None,
                });
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
                out.push(Site {
                    key: args[0].start,
                    value: args[1].clone(),
                    mode: Mode::Absolute,
                    literal: None,
                });
            }
            continue;
        }
        if let Some(mode) = setter(t) {
            if c.is_ident(i) && c.is(i + 1, "(") && i > 0 && (c.is(i - 1, ".") || c.is(i - 1, "->"))
            {
                let args = c.args(i + 1);
                if args.len() == 1 {
                    out.push(Site {
                        key: i,
                        value: args[0].clone(),
                        mode,
                        literal: None,
                    });
                }
            }
        }
    }
    out
}

/// The innermost bracket opener containing token `i`.
fn enclosing_open(c: &Code, i: usize) -> Option<usize> {
    let mut j = i;
    let mut depth = 0usize;
    while j > 0 {
        j -= 1;
        if c.is(j, ")") || c.is(j, "]") || c.is(j, "}") {
            depth += 1;
        } else if c.is_open(j) {
            if depth == 0 {
                return Some(j);
            }
            depth -= 1;
        }
    }
    None
}

/// Words that put a function in a client-assertion context (normalised:
/// lower case, `-` → `_`).
const CONTEXT_WORDS: [&str; 12] = [
    "client_assertion",
    "clientassertion",
    "jwt_bearer",
    "jwtbearer",
    "private_key_jwt",
    "privatekeyjwt",
    "token_uri",
    "tokenuri",
    "token_endpoint",
    "tokenendpoint",
    "token_url",
    "tokenurl",
];

/// Words that make a function a client-assertion context on their own.
const STRONG: usize = 6;

/// Why `scope` is a client-assertion context, if it is. When the expiry sits
/// in a claims literal that sets `aud`, only that `aud` value may count as a
/// token-endpoint audience (a token-endpoint URL elsewhere in the function
/// is not evidence about these claims).
fn context(c: &Code, scope: &Span, literal: Option<usize>) -> Option<String> {
    let aud = literal.and_then(|o| c.field(o, "aud"));
    if let Some(aud) = &aud {
        let v = c.deref(aud.clone(), aud.start);
        for span in [aud, &v] {
            if let Some(why) = words(c, span, CONTEXT_WORDS.len()) {
                return Some(why);
            }
        }
    }
    let limit = if aud.is_some() {
        STRONG
    } else {
        CONTEXT_WORDS.len()
    };
    if let Some(why) = words(c, scope, limit) {
        return Some(why);
    }
    iss_is_sub(c, literal)
}

fn words(c: &Code, span: &Span, limit: usize) -> Option<String> {
    let endpoints = limit > STRONG;
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
        if let Some(w) = CONTEXT_WORDS[..limit].iter().find(|w| norm.contains(*w)) {
            return Some(format!("mentions {w}"));
        }
        if endpoints
            && c.kind(i) == Some(Kind::Str)
            && (norm.ends_with("/token")
                || norm.contains("/token?")
                || norm.contains("oauth2/v2.0/token"))
        {
            return Some("audience is a token endpoint".into());
        }
    }
    None
}

/// `iss` and `sub` set to the same expression in the claims literal.
fn iss_is_sub(c: &Code, literal: Option<usize>) -> Option<String> {
    if let Some(open) = literal {
        let iss = c.field(open, "iss").map(|v| c.normalized(&v));
        let sub = c.field(open, "sub").map(|v| c.normalized(&v));
        if let (Some(a), Some(b)) = (iss, sub) {
            if a == b && !a.is_empty() {
                return Some("iss equals sub".into());
            }
        }
    }
    None
}

/// Explicit lifetimes over the limit (NHI210).
pub fn check(c: &Code, max: u64, hits: &mut Vec<Hit>) {
    for s in sites(c) {
        let Some(secs) = lifetime::seconds(c, &s.value, s.mode) else {
            continue;
        };
        if secs <= max as f64 {
            continue;
        }
        let scope = c.fn_scope(s.key);
        let Some(why) = context(c, &scope, s.literal) else {
            continue;
        };
        let severity = if secs > 3600.0 { "high" } else { "medium" };
        hits.push(Hit {
            rule: "NHI210",
            span: s.key..s.value.end,
            message: format!(
                "client assertion minted with a lifetime of {} ({} s; limit {} s); {}",
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
