//! C#: Microsoft.IdentityModel `TokenValidationParameters`; MSAL.NET default.

use super::query::{Code, Span};
use super::util::{call_span, is_false};
use super::Hit;

/// A delegate value: a lambda `(a, b) => …`, `delegate (…) { … }`, or the
/// name of a method in the file. Returns (parameter names, body tokens).
fn delegate(c: &Code, value: &Span) -> Option<(Vec<String>, Span)> {
    let v = value.start;
    // Method group: `AudienceValidator = AcceptAll`.
    if value.len() == 1 && c.is_ident(v) {
        let name = c.text(v);
        let def = c.find_all(&[name, "("]).into_iter().find(|&k| {
            let close = c.close(k + 1);
            k != v
                && !matches!(
                    c.text(k.wrapping_sub(1)),
                    "." | "new" | "=" | "(" | "," | "return"
                )
                && (c.is(close + 1, "{") || c.is(close + 1, "=>"))
        })?;
        return params_and_body(c, def + 1, value.end.max(def));
    }
    if c.is(v, "delegate") {
        return params_and_body(c, v + 1, value.end);
    }
    params_and_body(c, v, value.end)
}

/// `(a, b) => body`, `a => body`, `(…) { body }` starting at `p`.
fn params_and_body(c: &Code, p: usize, _end: usize) -> Option<(Vec<String>, Span)> {
    let (params, after) = if c.is(p, "(") {
        let names = c
            .args(p)
            .into_iter()
            .filter_map(|a| {
                (a.start..a.end)
                    .rev()
                    .find(|&k| c.is_ident(k))
                    .map(|k| c.text(k).to_string())
            })
            .collect();
        (names, c.close(p) + 1)
    } else if c.is_ident(p) && c.is(p + 1, "=>") {
        (vec![c.text(p).to_string()], p + 1)
    } else {
        return None;
    };
    if c.is(after, "=>") {
        let b = after + 1;
        if c.is(b, "{") {
            return Some((params, b..c.close(b) + 1));
        }
        return Some((params, b..c.expr_end(b)));
    }
    if c.is(after, "{") {
        return Some((params, after..c.close(after) + 1));
    }
    None
}

fn delegate_body(c: &Code, value: &Span) -> Span {
    delegate(c, value).map_or(value.clone(), |(_, b)| b)
}

/// What the delegate returns when its body is one expression or one
/// `return x;`: that expression's tokens.
fn returned(c: &Code, body: &Span) -> Option<Span> {
    if c.is(body.start, "{") {
        let inner = body.start + 1..body.end - 1;
        if c.is(inner.start, "return") && c.is(inner.end.saturating_sub(1), ";") {
            let e = inner.start + 1..inner.end - 1;
            // Only a single statement.
            return (!e.clone().any(|k| c.is(k, ";"))).then_some(e);
        }
        return None;
    }
    Some(body.clone())
}

fn returns_true(c: &Code, value: &Span) -> bool {
    delegate(c, value)
        .and_then(|(_, b)| returned(c, &b))
        .is_some_and(|e| e.len() == 1 && c.is(e.start, "true"))
}

fn returns_first_param(c: &Code, value: &Span) -> bool {
    delegate(c, value).is_some_and(|(params, b)| {
        returned(c, &b)
            .is_some_and(|e| e.len() == 1 && params.first().is_some_and(|p| c.is(e.start, p)))
    })
}

/// The initializer around token `i` is assigned to a variable that is only
/// ever passed to `DecryptToken`: it decrypts, it accepts no token.
fn decrypt_only(c: &Code, i: usize) -> bool {
    let mut depth = 0usize;
    let mut j = i;
    while j > 0 {
        j -= 1;
        if c.is(j, "}") {
            depth += 1;
        } else if c.is(j, "{") {
            if depth == 0 {
                break;
            }
            depth -= 1;
        }
    }
    if !c.is(j, "{") {
        return false;
    }
    // `var x = new TokenValidationParameters() {` / `… x = new TokenValidationParameters {`.
    let mut k = j;
    if c.is(k.wrapping_sub(1), ")") {
        k = c.close(k - 1);
    }
    if !(c.is(k.wrapping_sub(1), "TokenValidationParameters") && c.is(k.wrapping_sub(2), "new")) {
        return false;
    }
    let eq = k - 3;
    if !(c.is(eq, "=") && c.is_ident(eq.wrapping_sub(1))) {
        return false;
    }
    let name = c.text(eq - 1);
    let end = c.close(j);
    let uses: Vec<usize> = (end..c.len()).filter(|&u| c.is(u, name)).collect();
    !uses.is_empty()
        && uses.iter().all(|&u| {
            // Inside the argument list of a `DecryptToken(` call.
            (0..u)
                .rev()
                .take(40)
                .any(|o| c.is(o, "(") && c.close(o) > u && c.is(o.wrapping_sub(1), "DecryptToken"))
        })
}

pub fn check(c: &Code, hits: &mut Vec<Hit>) {
    // The library's own class sets its defaults: not a configuration.
    let defines = !c
        .find_all(&["class", "TokenValidationParameters"])
        .is_empty();
    if c.has_ident(&(0..c.len()), "TokenValidationParameters") && !defines {
        for i in 0..c.len() {
            let prop = c.text(i);
            if !c.is_ident(i) || !(c.is(i + 1, "=")) {
                continue;
            }
            let value = i + 2..c.expr_end(i + 2);
            // A DPoP proof has no audience (htm/htu are its binding); parameters
            // that only decrypt (`TokenDecryptionKeys`, no signing keys) accept no token.
            let dpop = super::unverified::validates_dpop_proof(c, &c.fn_scope(i));
            let decrypt_only = decrypt_only(c, i);
            match prop {
                "ValidateAudience" | "RequireSignedTokens" | "ValidateIssuerSigningKey"
                    if dpop || decrypt_only => {}
                "ValidateAudience" if is_false(c, &value) => hits.push(Hit::new(
                    "NHI301",
                    i..value.end,
                    "TokenValidationParameters.ValidateAudience = false: any audience is accepted",
                )),
                "RequireSignedTokens" if is_false(c, &value) => hits.push(Hit::new(
                    "NHI302",
                    i..value.end,
                    "TokenValidationParameters.RequireSignedTokens = false: unsigned tokens are accepted",
                )),
                "ValidateIssuerSigningKey" if is_false(c, &value) => hits.push(
                    Hit::new(
                        "NHI305",
                        i..value.end,
                        "TokenValidationParameters.ValidateIssuerSigningKey = false: the key that signed the token is not itself validated (for example its certificate's validity)",
                    )
                    .severity("low"),
                ),
                "SignatureValidator" => {
                    // A validator that just parses the token skips the signature.
                    let body = delegate_body(c, &value);
                    let parses_only = body.clone().any(|k| {
                        c.is(k, "new") && matches!(c.text(k + 1), "JwtSecurityToken" | "JsonWebToken")
                    }) && !body.clone().any(|k| c.text(k).contains("Validate"));
                    if parses_only {
                        hits.push(Hit::new(
                            "NHI302",
                            i..value.end,
                            "The SignatureValidator returns the token without validating its signature",
                        ));
                    }
                }
                "AudienceValidator" if returns_true(c, &value) => hits.push(Hit::new(
                    "NHI301",
                    i..value.end,
                    "The AudienceValidator accepts every audience (it returns true)",
                )),
                "LifetimeValidator" if returns_true(c, &value) => hits.push(Hit::new(
                    "NHI305",
                    i..value.end,
                    "The LifetimeValidator accepts every token (it returns true): expired tokens are accepted",
                )),
                "IssuerValidator" if returns_first_param(c, &value) => hits.push(Hit::new(
                    "NHI305",
                    i..value.end,
                    "The IssuerValidator returns the token's issuer unchecked: tokens from any issuer are accepted",
                )),
                _ => {}
            }
        }
    }
    // MSAL.NET: a certificate credential makes assertions that live 600 s.
    if c.has_ident(&(0..c.len()), "ConfidentialClientApplicationBuilder") {
        for i in c.find_all(&[".", "WithCertificate", "("]) {
            hits.push(
                Hit::new(
                    "NHI211",
                    call_span(c, i + 1, i + 2),
                    "MSAL.NET WithCertificate signs client assertions that live 600 s",
                )
                .prop("default_lifetime_seconds", 600),
            );
        }
    }
}
