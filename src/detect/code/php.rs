//! PHP: firebase/php-jwt `JWT::decode`, which never checks `aud` itself.

use super::query::Code;
use super::util::{call_span, method_calls};
use super::Hit;

pub fn check(c: &Code, hits: &mut Vec<Hit>) {
    for (n, open) in method_calls(c, "JWT", "decode") {
        let scope = c.fn_scope(n);
        // `$claims->aud`, `$claims['aud']`, `$claims["aud"]`, `in_array($aud, …)`.
        let compares = scope.clone().any(|k| {
            (c.is(k, "->") && c.is(k + 1, "aud"))
                || (c.is(k, "[") && c.str_value(k + 1) == Some("aud"))
        });
        if !compares {
            hits.push(Hit::new(
                "NHI304",
                call_span(c, n - 2, open),
                "JWT::decode (php-jwt) with no `aud` comparison in the same function: any audience is accepted",
            ));
        }
    }
}
