//! Go: golang-jwt (v4, v5, dgrijalva), go-jose, lestrrat-go/jwx validation;
//! golang.org/x/oauth2/jwt assertion-lifetime default.

use super::lexer::Kind;
use super::query::Code;
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
                    hits.push(default_hit(c, n - 2, open, "google.JWTConfigFromJSON"));
                }
            }
        }
    }
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
    for r in &receivers {
        for name in ["Parse", "ParseWithClaims"] {
            for (n, open) in method_calls(c, r, name) {
                let scope = c.fn_scope(n);
                let checked = if v5 {
                    c.has_ident(&scope, "WithAudience")
                } else {
                    c.has_ident(&scope, "VerifyAudience") || c.has_ident(&scope, "WithAudience")
                };
                if !checked {
                    let how = if v5 {
                        "jwt.WithAudience"
                    } else {
                        "a VerifyAudience call"
                    };
                    hits.push(Hit::new(
                        "NHI304",
                        call_span(c, n - 2, open),
                        format!("golang-jwt {name} without {how}: any audience is accepted"),
                    ));
                }
            }
        }
    }
    for i in c.find_all(&[pkg, ".", "UnsafeAllowNoneSignatureType"]) {
        hits.push(Hit::new(
            "NHI303",
            i..i + 3,
            "golang-jwt UnsafeAllowNoneSignatureType lets alg \"none\" tokens through",
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
                "go-jose claims validated with an Expected that names no Audience: any audience is accepted",
            ));
        }
    }
    for i in c.find_all(&[".", "UnsafeClaimsWithoutVerification", "("]) {
        hits.push(Hit::new(
            "NHI302",
            call_span(c, i + 1, i + 2),
            "go-jose UnsafeClaimsWithoutVerification reads claims without checking the signature",
        ));
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
                    format!("jwx jwt.{name} with WithVerify(false): the signature is not checked"),
                ));
                continue;
            }
            if !c.has_ident(&c.fn_scope(n), "WithAudience") {
                hits.push(Hit::new(
                    "NHI304",
                    span,
                    format!("jwx jwt.{name} without jwt.WithAudience: any audience is accepted"),
                ));
            }
        }
    }
    for (n, open) in method_calls(c, pkg, "ParseInsecure") {
        hits.push(Hit::new(
            "NHI302",
            call_span(c, n - 2, open),
            "jwx jwt.ParseInsecure reads a token without checking its signature",
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
            hits.push(default_hit(c, i, open, "jwt.Config"));
        }
    }
}
