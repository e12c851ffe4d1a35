//! Python: PyJWT, python-jose and authlib validation; authlib, google-auth,
//! MSAL and Okta assertion-lifetime defaults.

use super::query::Code;
use super::util::{call_span, fn_calls, has_none_alg, is_false, method_calls};
use super::Hit;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lib {
    PyJwt,
    Jose,
    Authlib,
}

/// Which JWT library the file's `jwt` name refers to, from its imports.
fn library(c: &Code) -> Option<Lib> {
    let mut lib = None;
    for i in 0..c.len() {
        if c.is(i, "from") && c.toks[i].nl_before {
            match c.text(i + 1) {
                "authlib" | "joserfc" => return Some(Lib::Authlib),
                "jose" => lib = Some(Lib::Jose),
                "jwt" => lib = lib.or(Some(Lib::PyJwt)),
                _ => {}
            }
        }
        if c.is(i, "import") && c.toks[i].nl_before {
            match c.text(i + 1) {
                "jwt" => lib = lib.or(Some(Lib::PyJwt)),
                "jose" => lib = Some(Lib::Jose),
                _ => {}
            }
        }
    }
    lib
}

pub fn check(c: &Code, hits: &mut Vec<Hit>) {
    if let Some(lib) = library(c) {
        for name in ["decode", "decode_complete"] {
            for (n, open) in method_calls(c, "jwt", name) {
                decode_call(c, lib, n - 2, open, hits);
            }
        }
    }
    defaults(c, hits);
}

fn decode_call(c: &Code, lib: Lib, start: usize, open: usize, hits: &mut Vec<Hit>) {
    let span = call_span(c, start, open);
    let args = c.args(open);
    if lib == Lib::Authlib {
        let aud = c
            .kwarg(&args, "claims_options")
            .map(|v| c.deref(v, start))
            .is_some_and(|v| c.mentions(&v, "aud"));
        if !aud {
            hits.push(Hit::new(
                "NHI304",
                span,
                "authlib jwt.decode without claims_options naming `aud`: the audience is never checked",
            ));
        }
        return;
    }
    let lib_name = if lib == Lib::Jose {
        "python-jose"
    } else {
        "PyJWT"
    };
    let options = c.kwarg(&args, "options").map(|v| c.deref(v, start));
    let opt = |key: &str| {
        options
            .as_ref()
            .and_then(|o| c.literal_open(o))
            .and_then(|o| c.field(o, key))
            .map(|v| c.deref(v, start))
    };
    let no_sig = opt("verify_signature").is_some_and(|v| is_false(c, &v))
        || c.kwarg(&args, "verify").is_some_and(|v| is_false(c, &v));
    if no_sig {
        hits.push(Hit::new(
            "NHI302",
            span.clone(),
            format!("{lib_name} jwt.decode with signature verification turned off"),
        ));
        return;
    }
    if let Some(algs) = c.kwarg(&args, "algorithms").map(|v| c.deref(v, start)) {
        if has_none_alg(c, &algs) {
            hits.push(Hit::new(
                "NHI303",
                span.clone(),
                format!("{lib_name} jwt.decode accepts algorithm \"none\""),
            ));
        }
    }
    if opt("verify_aud").is_some_and(|v| is_false(c, &v)) {
        hits.push(Hit::new(
            "NHI301",
            span,
            format!("{lib_name} jwt.decode with `verify_aud` turned off"),
        ));
        return;
    }
    if c.kwarg(&args, "audience").is_none() {
        hits.push(
            Hit::new(
                "NHI304",
                span,
                format!("{lib_name} jwt.decode without `audience=`: tokens that carry no `aud` are accepted for any audience"),
            )
            .severity("low"),
        );
    }
}

fn defaults(c: &Code, hits: &mut Vec<Hit>) {
    // authlib: PrivateKeyJWT / ClientSecretJWT sign with `exp = iat + 3600`.
    for name in ["PrivateKeyJWT", "ClientSecretJWT"] {
        for (i, open) in fn_calls(c, name) {
            hits.push(
                Hit::new(
                    "NHI211",
                    call_span(c, i, open),
                    format!(
                        "authlib {name} signs client assertions that live 3600 s (its default)"
                    ),
                )
                .prop("default_lifetime_seconds", 3600),
            );
        }
    }
    for name in ["private_key_jwt_sign", "client_secret_jwt_sign"] {
        for (i, open) in fn_calls(c, name) {
            let args = c.args(open);
            let claims_exp = c
                .kwarg(&args, "claims")
                .map(|v| c.deref(v, i))
                .is_some_and(|v| c.mentions(&v, "exp"));
            if c.kwarg(&args, "expires_in").is_none() && !claims_exp {
                hits.push(
                    Hit::new(
                        "NHI211",
                        call_span(c, i, open),
                        format!("authlib {name} without `expires_in`: the assertion lives 3600 s"),
                    )
                    .prop("default_lifetime_seconds", 3600),
                );
            }
        }
    }
    // google-auth service accounts: the jwt-bearer grant assertion lives 3600 s.
    for i in c.find_all(&["service_account", ".", "Credentials"]) {
        let from = i + 3;
        let call = if c.is(from, "(") {
            Some((from, from))
        } else if c.is(from, ".")
            && matches!(
                c.text(from + 1),
                "from_service_account_file" | "from_service_account_info"
            )
            && c.is(from + 2, "(")
        {
            Some((from + 1, from + 2))
        } else {
            None
        };
        if let Some((_, open)) = call {
            hits.push(
                Hit::new(
                    "NHI211",
                    call_span(c, i, open),
                    "google-auth service-account credentials sign jwt-bearer assertions that live 3600 s",
                )
                .prop("default_lifetime_seconds", 3600),
            );
        }
    }
    // MSAL: a certificate credential makes assertions that live 600 s.
    for i in c.find_all(&["ConfidentialClientApplication", "("]) {
        if c.is(i.wrapping_sub(1), "class") || c.is(i.wrapping_sub(1), "def") {
            continue;
        }
        let open = i + 1;
        // `msal.ConfidentialClientApplication(…)` or the imported name.
        let i = if i >= 2 && c.is(i - 1, ".") { i - 2 } else { i };
        let args = c.args(open);
        let Some(cred) = c.kwarg(&args, "client_credential").map(|v| c.deref(v, i)) else {
            continue;
        };
        if c.literal_open(&cred)
            .and_then(|o| c.field(o, "private_key"))
            .is_some()
        {
            hits.push(
                Hit::new(
                    "NHI211",
                    call_span(c, i, open),
                    "MSAL ConfidentialClientApplication with a certificate signs client assertions that live 600 s",
                )
                .prop("default_lifetime_seconds", 600),
            );
        }
    }
    // Okta SDK with private-key authorization: `exp = iat + ONE_HOUR`.
    for i in 0..c.len() {
        if c.key_is(i, "authorizationMode")
            && (c.is(i + 1, ":") || c.is(i + 1, "="))
            && c.str_value(i + 2) == Some("PrivateKey")
        {
            hits.push(
                Hit::new(
                    "NHI211",
                    i..i + 3,
                    "Okta SDK private-key authorization signs client assertions that live 50 min (3000 s; 1 h in older SDK versions)",
                )
                .prop("default_lifetime_seconds", 3000),
            );
        }
    }
}
