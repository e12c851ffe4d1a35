//! Java and Kotlin: jjwt, auth0 java-jwt, Nimbus JOSE+JWT, Spring Security
//! decoders; Okta and MSAL4J assertion-lifetime defaults.

use super::query::{Code, Span};
use super::unverified::{id_token, trusts_claims};
use super::util::{call_span, method_calls};
use super::Hit;

pub fn check(c: &Code, hits: &mut Vec<Hit>) {
    jjwt(c, hits);
    jjwt_parsers(c, hits);
    auth0(c, hits);
    auth0_decode(c, hits);
    nimbus(c, hits);
    nimbus_claims(c, hits);
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

/// The first token of the call chain whose `.` is at `dot`: `v` in
/// `v.a(x).b(`, `Jwts` in `Jwts.parser().b(`.
fn chain_root(c: &Code, dot: usize) -> usize {
    let mut r = dot;
    loop {
        let mut p = r.wrapping_sub(1);
        if c.is(p, ")") {
            p = c.close(p).wrapping_sub(1);
        }
        if !c.is_ident(p) {
            return r;
        }
        r = p;
        if !(c.is(r.wrapping_sub(1), ".") || c.is(r.wrapping_sub(1), "?.")) {
            return r;
        }
        r -= 1;
    }
}

/// One of `methods` is called on the builder started at `start` outside
/// its chain: on the variable it is assigned to (`v.withAudience(…)`), or
/// in a function that starts no builder itself (one passed in or held in a
/// field).
fn attached_elsewhere(c: &Code, start: usize, starts: &[usize], methods: &[&str]) -> bool {
    let var =
        (start >= 2 && c.is(start - 1, "=") && c.is_ident(start - 2)).then(|| c.text(start - 2));
    (0..c.len()).any(|i| {
        if !(c.is(i, ".") && methods.contains(&c.text(i + 1)) && c.is(i + 2, "(")) {
            return false;
        }
        let root = chain_root(c, i);
        if var.is_some_and(|v| c.is(root, v)) {
            return true;
        }
        let scope = c.fn_scope(i);
        !starts.iter().any(|s| scope.contains(s))
    })
}

fn jjwt(c: &Code, hits: &mut Vec<Hit>) {
    let mut starts = Vec::new();
    for name in ["parser", "parserBuilder"] {
        starts.extend(
            method_calls(c, "Jwts", name)
                .into_iter()
                .map(|(n, _)| n - 2),
        );
    }
    for name in ["parser", "parserBuilder"] {
        // Also fully qualified: `io.jsonwebtoken.Jwts.parser()`.
        let qualified = c
            .find_all(&["jsonwebtoken", ".", "Jwts", ".", name, "("])
            .into_iter()
            .map(|k| (k + 4, k + 5));
        for (n, open) in method_calls(c, "Jwts", name).into_iter().chain(qualified) {
            let chain = chain_names(c, open);
            let end = chain.last().map_or(c.close(open), |&(_, _, o)| c.close(o)) + 1;
            let span = n - 2..end;
            let has = |m: &str| chain.iter().any(|&(x, _, _)| x == m);
            if has("unsecured") {
                hits.push(Hit::new(
                    "NHI303",
                    span.clone(),
                    "JwtParser (jjwt) has unsecured(): unsigned (alg \"none\") tokens are accepted",
                ));
            }
            if let Some(&(m, _, _)) = chain.iter().find(|&&(x, _, _)| UNSIGNED.contains(&x)) {
                hits.push(Hit::new(
                    "NHI302",
                    span.clone(),
                    format!("JwtParser (jjwt) reads an unsigned token with {m}: the signature is not checked"),
                ));
                continue;
            }
            if !v012(c)
                && chain
                    .iter()
                    .any(|&(x, _, o)| x == "parse" && c.args(o).len() == 1)
            {
                hits.push(Hit::new("NHI302", span.clone(), PARSE_MSG));
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
            // The audience may be compared by hand in the same method, or
            // required on the builder elsewhere in the file.
            let scope = c.fn_scope(n);
            if scope.start > 0 && c.has_ident(&scope, "getAudience")
                || attached_elsewhere(c, n - 2, &starts, &["requireAudience"])
            {
                continue;
            }
            hits.push(Hit::new(
                "NHI304",
                span,
                "JwtParser (jjwt) has no requireAudience: any audience is accepted",
            ));
        }
    }
}

/// jjwt methods that read a token without a signature.
const UNSIGNED: &[&str] = &[
    "parseClaimsJwt",
    "parsePlaintextJwt",
    "parseUnsecuredClaims",
    "parseUnsecuredContent",
];

const PARSE_MSG: &str = "JwtParser.parse(token) (jjwt) also accepts an unsigned token: the signature is not checked unless the token carries one";

/// The file uses the jjwt 0.12 API, whose `parse` rejects unsigned tokens
/// unless the parser was built with `unsecured()`.
fn v012(c: &Code) -> bool {
    c.has_any_ident(&[
        "verifyWith",
        "decryptWith",
        "parseSignedClaims",
        "parseSignedContent",
        "keyLocator",
    ])
}

/// jjwt parsers built elsewhere in the file or passed in: variables, fields
/// and parameters of type `JwtParser` (or assigned a `Jwts.parser…` chain),
/// then `p.parse(token)` / `p.parseClaimsJwt(token)`.
fn jjwt_parsers(c: &Code, hits: &mut Vec<Hit>) {
    if !c.has_ident(&(0..c.len()), "jsonwebtoken") {
        return;
    }
    let mut names: Vec<&str> = Vec::new();
    for i in 0..c.len() {
        // Java `JwtParser p`, Kotlin `p: JwtParser`, `p = Jwts.parser…`.
        if c.is(i, "JwtParser") && c.is_ident(i + 1) {
            names.push(c.text(i + 1));
        }
        if c.is(i, "JwtParser") && c.is(i.wrapping_sub(1), ":") && c.is_ident(i.wrapping_sub(2)) {
            names.push(c.text(i - 2));
        }
        if c.is(i, "Jwts") && c.is(i.wrapping_sub(1), "=") && c.is_ident(i.wrapping_sub(2)) {
            names.push(c.text(i - 2));
        }
    }
    names.sort_unstable();
    names.dedup();
    let fresh = v012(c);
    for name in names {
        for i in c.find_all(&[name, "."]) {
            let (m, open) = (i + 2, i + 3);
            if !c.is(open, "(") || (i > 0 && c.is(i - 1, ".") && !c.is(i.wrapping_sub(2), "this")) {
                continue;
            }
            let start = if i >= 2 && c.seq(i - 2, &["this", "."]) {
                i - 2
            } else {
                i
            };
            let span = call_span(c, start, open);
            let method = c.text(m);
            if UNSIGNED.contains(&method) {
                hits.push(Hit::new(
                    "NHI302",
                    span,
                    format!("JwtParser (jjwt) reads an unsigned token with {method}: the signature is not checked"),
                ));
            } else if method == "parse" && c.args(open).len() == 1 && !fresh {
                hits.push(Hit::new("NHI302", span, PARSE_MSG));
            }
        }
    }
}

/// The JVM calls that verify a token: java-jwt `verify`, jjwt signed
/// parses, Nimbus `verify`/`process`, a Spring `JwtDecoder.decode`.
fn jvm_verifier(c: &Code, n: usize, _open: usize) -> bool {
    let name = c.text(n);
    name.to_ascii_lowercase().contains("verify")
        || matches!(
            name,
            "process" | "parseClaimsJws" | "parseSignedClaims" | "parseSignedContent"
        )
        || (name == "decode" && !c.is(n.wrapping_sub(2), "JWT"))
}

/// java-jwt `JWT.decode(token)` whose claims are used without a verifier.
fn auth0_decode(c: &Code, hits: &mut Vec<Hit>) {
    if !c.has_ident(&(0..c.len()), "auth0") {
        return;
    }
    for (n, open) in method_calls(c, "JWT", "decode") {
        let span = call_span(c, n - 2, open);
        let args = c.args(open);
        if trusts_claims(c, &span, args.first(), &[], false, &jvm_verifier) {
            hits.push(Hit::new(
                "NHI302",
                span,
                "JWT.decode (java-jwt) reads the claims without checking the signature, and this method never verifies the token: anyone can forge them",
            ));
        }
    }
}

/// Nimbus: claims read with `getJWTClaimsSet()` from a token parsed in the
/// same function (`SignedJWT.parse`, `JWTParser.parse`) and never verified.
fn nimbus_claims(c: &Code, hits: &mut Vec<Hit>) {
    if !c.has_ident(&(0..c.len()), "nimbusds") {
        return;
    }
    let parsed = |c: &Code, v: &Span| {
        v.clone().any(|k| {
            matches!(c.text(k), "SignedJWT" | "JWTParser" | "PlainJWT")
                && c.seq(k + 1, &[".", "parse", "("])
        })
    };
    for i in c.find_all(&[".", "getJWTClaimsSet", "("]) {
        let open = i + 2;
        // Inline `SignedJWT.parse(t).getJWTClaimsSet()` or a variable.
        let start = if c.is(i.wrapping_sub(1), ")") {
            let p = c.close(i - 1);
            let s = p.saturating_sub(3);
            if !parsed(c, &(s..i)) {
                continue;
            }
            s
        } else if c.is_ident(i.wrapping_sub(1)) {
            let s = i - 1;
            let Some(v) = c.resolve(c.text(s), s) else {
                continue;
            };
            if !parsed(c, &v) {
                continue;
            }
            s
        } else {
            continue;
        };
        // The string parsed: an ID token the client received is not reported.
        let parsed_arg = (start..i)
            .find(|&k| c.is(k, "parse") && c.is(k + 1, "("))
            .and_then(|k| c.args(k + 1).first().cloned());
        let via_var = c.is_ident(start) && start + 1 == i;
        let id = if via_var {
            c.resolve(c.text(start), start)
                .is_some_and(|v| id_token(c, &v))
        } else {
            parsed_arg.is_some_and(|a| id_token(c, &a))
        };
        let span = call_span(c, start, open);
        if !id && trusts_claims(c, &span, None, &[], false, &jvm_verifier) {
            hits.push(Hit::new(
                "NHI302",
                span,
                "The Nimbus getJWTClaimsSet call reads the claims of a parsed token that this method never verifies: anyone can forge them",
            ));
        }
    }
}

fn auth0(c: &Code, hits: &mut Vec<Hit>) {
    let starts: Vec<usize> = method_calls(c, "JWT", "require")
        .into_iter()
        .map(|(n, _)| n - 2)
        .collect();
    for (n, open) in method_calls(c, "JWT", "require") {
        // `withAudience` on a verification built over several statements.
        let elsewhere =
            attached_elsewhere(c, n - 2, &starts, &["withAudience", "withAnyOfAudience"]);
        let chain = chain_names(c, open);
        let end = chain.last().map_or(c.close(open), |&(_, _, o)| c.close(o)) + 1;
        let span = n - 2..end;
        let arg = n + 1..c.close(open);
        if arg.clone().any(|i| c.seq(i, &["Algorithm", ".", "none"])) {
            hits.push(Hit::new(
                "NHI303",
                span.clone(),
                "JWTVerifier (java-jwt) is built with Algorithm.none(): unsigned tokens are accepted",
            ));
        }
        if !elsewhere
            && !chain
                .iter()
                .any(|&(x, _, _)| x == "withAudience" || x == "withAnyOfAudience")
        {
            hits.push(Hit::new(
                "NHI304",
                span,
                "JWTVerifier (java-jwt) has no withAudience: any audience is accepted",
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
            // (requiredAudience | acceptedAudience, exactMatchClaims, …): an
            // exact-match claims set with an audience checks it too.
            _ => {
                c.is(args[0].start, "null")
                    && args[0].len() == 1
                    && !args
                        .get(1)
                        .map(|a| c.deref(a.clone(), i))
                        .is_some_and(|v| v.clone().any(|k| c.is(k, "audience")))
            }
        };
        if no_aud {
            hits.push(Hit::new(
                "NHI304",
                call_span(c, i, open),
                "The Nimbus DefaultJWTClaimsVerifier has no accepted audience: any audience is accepted",
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
    // A validator set on the decoder here, or on a decoder passed in (a
    // function that builds none) with an audience check: `JwtClaimValidator`
    // on `aud`, an audience validator.
    let audience_elsewhere = c
        .find_all(&[".", "setJwtValidator", "("])
        .into_iter()
        .any(|i| {
            let scope = c.fn_scope(i);
            !starts.iter().any(|(n, _)| scope.contains(n))
                && (c.has_str(&scope, "aud")
                    || c.has_ident(&scope, "AUD")
                    || scope.clone().any(|k| {
                        c.is_ident(k) && c.text(k).to_ascii_lowercase().contains("audience")
                    }))
        });
    for (n, open) in starts.iter().copied() {
        let scope = c.fn_scope(n);
        if c.has_ident(&scope, "setJwtValidator") || audience_elsewhere {
            continue;
        }
        let chain = chain_names(c, open);
        let end = chain.last().map_or(c.close(open), |&(_, _, o)| c.close(o)) + 1;
        hits.push(Hit::new(
            "NHI304",
            n - 2..end,
            format!(
                "The Spring Security decoder from {}.{} has no setJwtValidator: the default validators check time and issuer, not audience",
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
