//! Ruby: ruby-jwt `JWT.decode(token, key, verify, options)`.

use super::query::{Code, Span};
use super::util::{call_span, has_none_alg, is_false, method_calls};
use super::Hit;

pub fn check(c: &Code, hits: &mut Vec<Hit>) {
    for (n, open) in method_calls(c, "JWT", "decode") {
        let start = n - 2;
        let span = call_span(c, start, open);
        let args = c.args(open);
        if args
            .get(2)
            .is_some_and(|a| is_false(c, a) || (a.len() == 1 && c.is(a.start, "nil")))
        {
            hits.push(Hit::new(
                "NHI302",
                span,
                "ruby-jwt JWT.decode with verify = false: the signature is not checked",
            ));
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
                    "ruby-jwt JWT.decode accepts algorithm \"none\"",
                ));
            }
        }
        let verify_aud = get("verify_aud");
        if verify_aud.as_ref().is_some_and(|v| is_false(c, v)) {
            hits.push(Hit::new(
                "NHI301",
                span,
                "ruby-jwt JWT.decode with verify_aud: false",
            ));
            continue;
        }
        let on = verify_aud.is_some_and(|v| c.is(v.start, "true"));
        if get("aud").is_none() || !on {
            hits.push(Hit::new(
                "NHI304",
                span,
                "ruby-jwt JWT.decode without `aud:` and `verify_aud: true`: any audience is accepted",
            ));
        }
    }
}
