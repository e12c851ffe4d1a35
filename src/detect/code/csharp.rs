//! C#: Microsoft.IdentityModel `TokenValidationParameters`; MSAL.NET default.

use super::query::Code;
use super::util::{call_span, is_false};
use super::Hit;

pub fn check(c: &Code, hits: &mut Vec<Hit>) {
    if c.has_ident(&(0..c.len()), "TokenValidationParameters") {
        for i in 0..c.len() {
            let prop = c.text(i);
            if !c.is_ident(i) || !(c.is(i + 1, "=")) {
                continue;
            }
            let value = i + 2..c.expr_end(i + 2);
            match prop {
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
                "SignatureValidator" => {
                    // A validator that just parses the token skips the signature.
                    let parses_only = value.clone().any(|k| {
                        c.is(k, "new") && matches!(c.text(k + 1), "JwtSecurityToken" | "JsonWebToken")
                    }) && !value.clone().any(|k| c.text(k).contains("Validate"));
                    if parses_only {
                        hits.push(Hit::new(
                            "NHI302",
                            i..value.end,
                            "SignatureValidator returns the token without validating its signature",
                        ));
                    }
                }
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
