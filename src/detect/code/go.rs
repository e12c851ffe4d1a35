//! Go: golang-jwt (v4, v5, dgrijalva), go-jose, lestrrat-go/jwx validation;
//! golang.org/x/oauth2/jwt assertion-lifetime default.

use super::lexer::Kind;
use super::query::Code;
use super::unverified::trusts_claims;
use super::util::{call_span, method_calls};
use super::Hit;

/// The local name of each imported package whose path starts with `prefix`.
fn aliases(c: &Code, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 0..c.len() {
        let Some(path) = c.str_value(i) else {
            continue;
        };
        if !path.starts_with(prefix) || c.kind(i) != Some(Kind::Str) {
            continue;
        }
        // Only import specs: `import "p"`, `import x "p"`, or a line of an import block.
        let aliased =
            i > 0 && c.is_ident(i - 1) && !c.is(i - 1, "import") && c.toks[i - 1].nl_before;
        let spec = aliased || c.toks[i].nl_before || c.is(i.wrapping_sub(1), "import");
        if !spec {
            continue;
        }
        let name = if aliased {
            c.text(i - 1).to_string()
        } else {
            let mut segs = path.rsplit('/');
            let mut last = segs.next().unwrap_or(path);
            if last.starts_with('v') && last[1..].chars().all(|ch| ch.is_ascii_digit()) {
                last = segs.next().unwrap_or(last);
            }
            // gopkg.in/square/go-jose.v2/jwt, github.com/dgrijalva/jwt-go → jwt.
            let last = last.split('.').next().unwrap_or(last);
            last.trim_start_matches("go-")
                .trim_end_matches("-go")
                .replace('-', "_")
        };
        out.push((name, path.to_string()));
    }
    out
}

pub fn check(c: &Code, hits: &mut Vec<Hit>) {
    for (pkg, path) in aliases(c, "github.com/golang-jwt/jwt")
        .into_iter()
        .chain(aliases(c, "github.com/dgrijalva/jwt-go"))
        .chain(aliases(c, "github.com/form3tech-oss/jwt-go"))
    {
        golang_jwt(c, &pkg, path.ends_with("/v5"), hits);
    }
    for (pkg, _) in aliases(c, "github.com/go-jose/go-jose")
        .into_iter()
        .chain(aliases(c, "gopkg.in/square/go-jose"))
        .chain(aliases(c, "gopkg.in/go-jose/go-jose"))
    {
        go_jose(c, &pkg, hits);
    }
    for (pkg, path) in aliases(c, "github.com/lestrrat-go/jwx") {
        if path.ends_with("/jwt") {
            jwx(c, &pkg, hits);
        }
    }
    for (pkg, path) in aliases(c, "golang.org/x/oauth2") {
        if path == "golang.org/x/oauth2/jwt" {
            oauth2_jwt_config(c, &pkg, hits);
        }
        if path == "golang.org/x/oauth2/google" {
            for (n, open) in method_calls(c, &pkg, "JWTConfigFromJSON") {
                let scope = c.fn_scope(n);
                let set = scope.clone().any(|i| c.seq(i, &[".", "Expires", "="]));
                if !set {
                    hits.push(default_hit(
                        c,
                        n - 2,
                        open,
                        "JWTConfigFromJSON (golang.org/x/oauth2/google)",
                    ));
                }
            }
        }
    }
}

/// The variable an argument `x` or `&x` names: the claims a parse fills.
fn claims_var<'a>(c: &'a Code, a: &std::ops::Range<usize>) -> Option<&'a str> {
    let k = if c.is(a.start, "&") {
        a.start + 1
    } else {
        a.start
    };
    (a.end == k + 1 && c.is_ident(k)).then(|| c.text(k))
}

fn default_hit(c: &Code, start: usize, open: usize, what: &str) -> Hit {
    Hit::new(
        "NHI211",
        call_span(c, start, open),
        format!("{what} without `Expires`: golang.org/x/oauth2/jws signs assertions that live 1 h"),
    )
    .prop("default_lifetime_seconds", 3600)
}

fn golang_jwt(c: &Code, pkg: &str, v5: bool, hits: &mut Vec<Hit>) {
    // Parsers made by NewParser, by variable name.
    let mut receivers = vec![pkg.to_string()];
    for (n, _) in method_calls(c, pkg, "NewParser") {
        let s = n - 2;
        if s >= 2 && (c.is(s - 1, ":=") || c.is(s - 1, "=")) && c.is_ident(s - 2) {
            receivers.push(c.text(s - 2).to_string());
        }
    }
    // The audience check may be attached elsewhere in the file: a parser
    // built with WithAudience in a constructor, a claims type whose Valid
    // (v4, called by Parse) or Validate method calls VerifyAudience.
    let all = 0..c.len();
    let checked = c.has_ident(&all, "WithAudience") || (!v5 && c.has_ident(&all, "VerifyAudience"));
    for r in &receivers {
        for name in ["Parse", "ParseWithClaims"] {
            for (n, open) in method_calls(c, r, name) {
                if !checked {
                    let how = if v5 {
                        "jwt.WithAudience"
                    } else {
                        "a VerifyAudience call"
                    };
                    hits.push(Hit::new(
                        "NHI304",
                        call_span(c, n - 2, open),
                        format!(
                            "Token verified with golang-jwt {name} without {how}: any audience is accepted"
                        ),
                    ));
                }
            }
        }
    }
    // ParseUnverified: the claims are read without the signature.
    let verifier = |c: &Code, n: usize, _open: usize| {
        let name = c.text(n);
        matches!(name, "Parse" | "ParseWithClaims")
            || name.contains("Verify")
            || name.contains("verify")
            || name.contains("Validate")
    };
    for i in c.find_all(&[".", "ParseUnverified", "("]) {
        let open = i + 2;
        // The receiver: `p.`, `jwt.NewParser().`, `new(jwt.Parser).`, `(&jwt.Parser{}).`.
        let mut start = i;
        while start > 0 {
            let p = start - 1;
            if c.is(p, ")") || c.is(p, "}") {
                start = c.close(p);
            } else if c.is_ident(p) || c.is(p, ".") || c.is(p, "&") {
                start = p;
            } else {
                break;
            }
            if c.toks[start].nl_before {
                break;
            }
        }
        let span = call_span(c, start, open);
        let args = c.args(open);
        let claims: Vec<&str> = args
            .get(1)
            .and_then(|a| claims_var(c, a))
            .into_iter()
            .collect();
        if trusts_claims(c, &span, args.first(), &claims, false, &verifier) {
            hits.push(Hit::new(
                "NHI302",
                span,
                "ParseUnverified (golang-jwt) reads the claims without checking the signature, and this function never verifies the token: anyone can forge them",
            ));
        }
    }
    for i in c.find_all(&[pkg, ".", "UnsafeAllowNoneSignatureType"]) {
        hits.push(Hit::new(
            "NHI303",
            i..i + 3,
            "UnsafeAllowNoneSignatureType from golang-jwt lets alg \"none\" tokens through",
        ));
    }
}

fn go_jose(c: &Code, pkg: &str, hits: &mut Vec<Hit>) {
    for i in 0..c.len() {
        if !(c.is(i, ".")
            && matches!(c.text(i + 1), "Validate" | "ValidateWithLeeway")
            && c.is(i + 2, "("))
        {
            continue;
        }
        let open = i + 2;
        let args = c.args(open);
        let Some(first) = args.first() else {
            continue;
        };
        let v = c.deref(first.clone(), i);
        if !(c.is(v.start, pkg) && c.is(v.start + 1, ".") && c.is(v.start + 2, "Expected")) {
            continue;
        }
        let Some(lit) = c.literal_open(&v) else {
            continue;
        };
        if c.field(lit, "Audience").is_none() && c.field(lit, "AnyAudience").is_none() {
            hits.push(Hit::new(
                "NHI304",
                call_span(c, i + 1, open),
                "Claims validated by go-jose with an Expected that names no Audience: any audience is accepted",
            ));
        }
    }
    // Reading the claims to pick the key, then `tok.Claims(key, &c)` on the
    // same token, is how go-jose verifies with several keys.
    let verifier = |c: &Code, n: usize, _open: usize| {
        matches!(c.text(n), "Claims" | "Verify") || c.text(n).contains("Verify")
    };
    for i in c.find_all(&[".", "UnsafeClaimsWithoutVerification", "("]) {
        let open = i + 2;
        let recv = (i >= 1 && c.is_ident(i - 1)).then(|| i - 1..i);
        let start = recv.as_ref().map_or(i + 1, |r| r.start);
        let span = call_span(c, start, open);
        let claims: Vec<&str> = c
            .args(open)
            .iter()
            .filter_map(|a| claims_var(c, a))
            .collect();
        if trusts_claims(c, &span, recv.as_ref(), &claims, false, &verifier) {
            hits.push(Hit::new(
                "NHI302",
                call_span(c, i + 1, open),
                "UnsafeClaimsWithoutVerification (go-jose) reads the claims without checking the signature, and this function never verifies the token",
            ));
        }
    }
}

fn jwx(c: &Code, pkg: &str, hits: &mut Vec<Hit>) {
    for name in ["Parse", "ParseString", "ParseRequest"] {
        for (n, open) in method_calls(c, pkg, name) {
            let args = c.args(open);
            let span = call_span(c, n - 2, open);
            let no_verify = args.iter().any(|a| {
                c.seq(a.start, &[pkg, ".", "WithVerify", "("]) && c.is(a.start + 4, "false")
            });
            if no_verify {
                hits.push(Hit::new(
                    "NHI302",
                    span,
                    format!("{name} (jwx) has WithVerify(false): the signature is not checked"),
                ));
                continue;
            }
            if !c.has_ident(&(0..c.len()), "WithAudience") {
                hits.push(Hit::new(
                    "NHI304",
                    span,
                    format!(
                        "Token verified with jwx {name} without a WithAudience option: any audience is accepted"
                    ),
                ));
            }
        }
    }
    for (n, open) in method_calls(c, pkg, "ParseInsecure") {
        hits.push(Hit::new(
            "NHI302",
            call_span(c, n - 2, open),
            "ParseInsecure (jwx) reads the token without checking its signature",
        ));
    }
}

fn oauth2_jwt_config(c: &Code, pkg: &str, hits: &mut Vec<Hit>) {
    for i in c.find_all(&[pkg, ".", "Config", "{"]) {
        // A composite literal, not `func f() *jwt.Config {` (a return type before a body).
        let prev = c.text(i.wrapping_sub(1));
        if !matches!(prev, "&" | "=" | ":=" | "(" | "," | "return" | ":" | "{") {
            continue;
        }
        let open = i + 3;
        if c.field(open, "Expires").is_none() {
            hits.push(default_hit(c, i, open, "Config (golang.org/x/oauth2/jwt)"));
        }
    }
}
