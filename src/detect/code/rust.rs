//! Rust: the jsonwebtoken crate's `Validation` and insecure decoders.

use super::query::Code;
use super::util::{call_span, is_false};
use super::Hit;

pub fn check(c: &Code, hits: &mut Vec<Hit>) {
    if !c.has_ident(&(0..c.len()), "jsonwebtoken") {
        return;
    }
    for i in 0..c.len() {
        if c.is(i, "validate_aud") && (c.is(i + 1, "=") || c.is(i + 1, ":")) {
            let v = i + 2..c.expr_end(i + 2);
            if is_false(c, &v) {
                hits.push(Hit::new(
                    "NHI301",
                    i..v.end,
                    "Validation (jsonwebtoken) has validate_aud = false: any audience is accepted",
                ));
            }
        }
        let name = c.text(i);
        if c.is_ident(i)
            && matches!(
                name,
                "insecure_disable_signature_validation"
                    | "dangerous_insecure_decode"
                    | "dangerous_insecure_decode_with_validation"
                    | "insecure_decode"
            )
            && (c.is(i + 1, "(") || c.is(i + 1, "::"))
            && !c.is(i.wrapping_sub(1), "fn")
        {
            let open = (i + 1..c.len().min(i + 12))
                .find(|&k| c.is(k, "("))
                .unwrap_or(i + 1);
            hits.push(Hit::new(
                "NHI302",
                call_span(c, i, open),
                format!("Decoding with jsonwebtoken {name}: the signature is not checked"),
            ));
        }
    }
    // `Validation::new(alg)` with no audience set in the same function.
    for i in c
        .find_all(&["Validation", "::", "new", "("])
        .into_iter()
        .chain(c.find_all(&["Validation", "::", "default", "("]))
    {
        let scope = c.fn_scope(i);
        let sets_aud = c.has_ident(&scope, "set_audience")
            || scope
                .clone()
                .any(|k| c.seq(k, &[".", "aud", "="]) || c.is(k, "validate_aud"));
        if !sets_aud {
            hits.push(
                Hit::new(
                    "NHI304",
                    call_span(c, i, i + 3),
                    "Validation (jsonwebtoken) has no set_audience: tokens that carry no `aud` are accepted for any audience",
                )
                .severity("low"),
            );
        }
    }
}
