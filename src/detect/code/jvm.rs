//! Java and Kotlin: jjwt, auth0 java-jwt, Nimbus JOSE+JWT, Spring Security
//! decoders; Okta and MSAL4J assertion-lifetime defaults.

use super::query::Code;
use super::util::{call_span, method_calls};
use super::Hit;

pub fn check(c: &Code, hits: &mut Vec<Hit>) {
    jjwt(c, hits);
    auth0(c, hits);
    nimbus(c, hits);
    spring(c, hits);
    defaults(c, hits);
}

/// Method names in the chain starting at the call opened at `open`.
fn chain_names<'a>(c: &'a Code, open: usize) -> Vec<(&'a str, usize, usize)> {
    c.chain(open)
        .into_iter()
        .map(|(n, o)| (c.text(n), n, o))
        .collect()
}

fn jjwt(c: &Code, hits: &mut Vec<Hit>) {
    for name in ["parser", "parserBuilder"] {
        for (n, open) in method_calls(c, "Jwts", name) {
            let chain = chain_names(c, open);
            let end = chain.last().map_or(c.close(open), |&(_, _, o)| c.close(o)) + 1;
            let span = n - 2..end;
            let has = |m: &str| chain.iter().any(|&(x, _, _)| x == m);
            if has("unsecured") {
                hits.push(Hit::new(
                    "NHI303",
                    span.clone(),
                    "jjwt parser with unsecured(): unsigned (alg \"none\") tokens are accepted",
                ));
            }
            if has("parseClaimsJwt") || has("parseUnsecuredClaims") {
                hits.push(Hit::new(
                    "NHI302",
                    span.clone(),
                    "jjwt parseClaimsJwt/parseUnsecuredClaims reads an unsigned token",
                ));
                continue;
            }
            let parses = chain
                .iter()
                .any(|&(x, _, _)| x.starts_with("parse") || x == "build");
            if !parses || has("requireAudience") {
                continue;
            }
            // The audience may be compared by hand in the same method.
            // (Only inside a braced method body: an expression-bodied Kotlin
            // function's scope is the whole file.)
            let scope = c.fn_scope(n);
            if scope.start > 0
                && (c.has_ident(&scope, "getAudience") || c.has_ident(&scope, "requireAudience"))
            {
                continue;
            }
            hits.push(Hit::new(
                "NHI304",
                span,
                "jjwt parser without requireAudience: any audience is accepted",
            ));
        }
    }
}

fn auth0(c: &Code, hits: &mut Vec<Hit>) {
    for (n, open) in method_calls(c, "JWT", "require") {
        let chain = chain_names(c, open);
        let end = chain.last().map_or(c.close(open), |&(_, _, o)| c.close(o)) + 1;
        let span = n - 2..end;
        let arg = n + 1..c.close(open);
        if arg.clone().any(|i| c.seq(i, &["Algorithm", ".", "none"])) {
            hits.push(Hit::new(
                "NHI303",
                span.clone(),
                "java-jwt verifier built with Algorithm.none(): unsigned tokens are accepted",
            ));
        }
        if !chain
            .iter()
            .any(|&(x, _, _)| x == "withAudience" || x == "withAnyOfAudience")
        {
            hits.push(Hit::new(
                "NHI304",
                span,
                "java-jwt verifier without withAudience: any audience is accepted",
            ));
        }
    }
}

fn nimbus(c: &Code, hits: &mut Vec<Hit>) {
    for i in c.find_all(&["DefaultJWTClaimsVerifier"]) {
        // `new DefaultJWTClaimsVerifier<>(…)` / `DefaultJWTClaimsVerifier<C>(…)`.
        let mut open = i + 1;
        if c.is(open, "<") {
            while open < c.len() && !c.is(open, ">") {
                open += 1;
            }
            open += 1;
        }
        if !c.is(open, "(") || c.is(i.wrapping_sub(1), "class") || c.is(i.wrapping_sub(1), "import")
        {
            continue;
        }
        let args = c.args(open);
        let no_aud = match args.len() {
            0 => true,
            2 => !c
                .deref(args[0].clone(), i)
                .clone()
                .any(|k| c.is(k, "audience")),
            _ => c.is(args[0].start, "null") && args[0].len() == 1,
        };
        if no_aud {
            hits.push(Hit::new(
                "NHI304",
                call_span(c, i, open),
                "Nimbus DefaultJWTClaimsVerifier without an accepted audience: any audience is accepted",
            ));
        }
    }
}

fn spring(c: &Code, hits: &mut Vec<Hit>) {
    let mut starts = Vec::new();
    for recv in ["NimbusJwtDecoder", "NimbusReactiveJwtDecoder"] {
        for m in [
            "withJwkSetUri",
            "withPublicKey",
            "withSecretKey",
            "withIssuerLocation",
        ] {
            starts.extend(method_calls(c, recv, m));
        }
    }
    for recv in ["JwtDecoders", "ReactiveJwtDecoders"] {
        for m in ["fromIssuerLocation", "fromOidcIssuerLocation"] {
            starts.extend(method_calls(c, recv, m));
        }
    }
    for (n, open) in starts {
        let scope = c.fn_scope(n);
        if c.has_ident(&scope, "setJwtValidator") {
            continue;
        }
        let chain = chain_names(c, open);
        let end = chain.last().map_or(c.close(open), |&(_, _, o)| c.close(o)) + 1;
        hits.push(Hit::new(
            "NHI304",
            n - 2..end,
            format!(
                "Spring Security {}.{} without setJwtValidator: the default validators check time and issuer, not audience",
                c.text(n - 2),
                c.text(n)
            ),
        ));
    }
}

fn defaults(c: &Code, hits: &mut Vec<Hit>) {
    for i in c.find_all(&["AuthorizationMode", ".", "PRIVATE_KEY"]) {
        hits.push(
            Hit::new(
                "NHI211",
                i..i + 3,
                "Okta SDK private-key authorization signs client assertions that live 50 min",
            )
            .prop("default_lifetime_seconds", 3000),
        );
    }
    for (n, open) in method_calls(c, "ClientCredentialFactory", "createFromCertificate") {
        hits.push(
            Hit::new(
                "NHI211",
                call_span(c, n - 2, open),
                "MSAL4J certificate credential signs client assertions that live 600 s",
            )
            .prop("default_lifetime_seconds", 600),
        );
    }
}
