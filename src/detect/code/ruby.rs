//! Ruby: ruby-jwt `JWT.decode(token, key, verify, options)`.

use super::query::{Code, Span};
use super::unverified::trusts_claims;
use super::util::{has_none_alg, is_false};
use super::Hit;

/// Arguments of `JWT.decode` whose name is at `n`: in parentheses, or
/// without (`JWT.decode token, key, false`) up to the end of the line.
fn decode_args(c: &Code, n: usize) -> Option<(Vec<Span>, usize)> {
    let first = n + 1;
    if c.is(first, "(") && !c.toks[first].nl_before {
        return Some((c.args(first), c.close(first) + 1));
    }
    if first >= c.len()
        || c.toks[first].nl_before
        || !(c.is_ident(first) || c.str_value(first).is_some() || c.is(first, "@"))
    {
        return None;
    }
    let mut args = Vec::new();
    let mut start = first;
    loop {
        let end = c.expr_end(start);
        if end <= start {
            break;
        }
        args.push(start..end);
        if c.is(end, ",") {
            start = end + 1;
            continue;
        }
        return Some((args, end));
    }
    Some((args, start))
}

/// `false` or `nil` as JWT.decode's third argument: no signature check.
fn unverified(c: &Code, args: &[Span]) -> bool {
    args.get(2)
        .is_some_and(|a| is_false(c, a) || (a.len() == 1 && c.is(a.start, "nil")))
}

pub fn check(c: &Code, hits: &mut Vec<Hit>) {
    let verifier = |c: &Code, n: usize, _open: usize| {
        c.text(n).contains("verify")
            || (c.is(n, "decode")
                && c.is(n.wrapping_sub(2), "JWT")
                && decode_args(c, n).is_some_and(|(a, _)| !unverified(c, &a)))
    };
    for i in c.find_all(&["JWT", ".", "decode"]) {
        let n = i + 2;
        // `x.JWT.decode`, `JSON::JWT.decode` (the json-jwt gem): not ruby-jwt.
        if i > 0 && (c.is(i - 1, ".") || (c.is(i - 1, "::") && c.is_ident(i.wrapping_sub(2)))) {
            continue;
        }
        let Some((args, end)) = decode_args(c, n) else {
            continue;
        };
        let start = i;
        let span = start..end;
        if unverified(c, &args) {
            // `::JWT.decode` (top-level constant): the expression starts at `::`.
            let expr = if i > 0 && c.is(i - 1, "::") {
                i - 1..end
            } else {
                span.clone()
            };
            if trusts_claims(c, &expr, args.first(), &[], true, &verifier) {
                hits.push(Hit::new(
                    "NHI302",
                    span,
                    "JWT.decode (ruby-jwt) with verify = false reads the claims without checking the signature, and this method never verifies the token",
                ));
            }
            continue;
        }
        // Options: a hash literal, a variable, or trailing `key: value` arguments.
        let mut entries: Vec<(usize, Span)> = Vec::new();
        for a in args.iter().skip(3) {
            let v = c.deref(a.clone(), start);
            if let Some(o) = c.literal_open(&v).filter(|&o| c.is(o, "{")) {
                entries.extend(c.entries(o));
            } else if let Some(e) = c
                .kwarg(std::slice::from_ref(a), c.text(a.start))
                .map(|v| (a.start, v))
            {
                entries.push(e);
            } else if c.is(a.start, ":") {
                if let Some(v) = c.kwarg(std::slice::from_ref(a), c.text(a.start + 1)) {
                    entries.push((a.start + 1, v));
                }
            }
        }
        let get = |k: &str| {
            entries
                .iter()
                .find(|(key, _)| c.key_is(*key, k))
                .map(|(_, v)| v.clone())
        };
        for key in ["algorithm", "algorithms"] {
            if get(key)
                .map(|v| c.deref(v, start))
                .is_some_and(|v| has_none_alg(c, &v))
            {
                hits.push(Hit::new(
                    "NHI303",
                    span.clone(),
                    "JWT.decode (ruby-jwt) accepts algorithm \"none\"",
                ));
            }
        }
        let verify_aud = get("verify_aud");
        if verify_aud.as_ref().is_some_and(|v| is_false(c, v)) {
            hits.push(Hit::new(
                "NHI301",
                span,
                "JWT.decode (ruby-jwt) with verify_aud: false: any audience is accepted",
            ));
            continue;
        }
        let on = verify_aud.is_some_and(|v| c.is(v.start, "true"));
        if get("aud").is_none() || !on {
            hits.push(Hit::new(
                "NHI304",
                span,
                "JWT.decode (ruby-jwt) without `aud:` and `verify_aud: true`: any audience is accepted",
            ));
        }
    }
}
