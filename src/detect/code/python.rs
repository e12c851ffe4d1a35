//! Python: PyJWT, python-jose and authlib validation; authlib, google-auth,
//! MSAL and Okta assertion-lifetime defaults.

use super::query::{Code, Span};
use super::unverified::trusts_claims;
use super::util::{call_span, fn_calls, has_none_alg, is_false, method_calls};
use super::Hit;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lib {
    PyJwt,
    Jose,
    /// python-jose's `jws` module.
    JoseJws,
    Authlib,
    /// python_jwt (`process_jwt` / `verify_jwt`).
    PythonJwt,
}

/// `import a as b` / `from m import a as b, c` on the line at `i`: (module, name, local).
fn import_names(c: &Code, i: usize) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let line_end = |from: usize| {
        let mut k = from;
        // A line ends the statement unless the previous line left a bracket or a comma open.
        let ends = |k: usize| {
            k > from
                && c.toks[k].nl_before
                && !c.is(k.wrapping_sub(1), "(")
                && !c.is(k.wrapping_sub(1), ",")
        };
        while k < c.len() && !ends(k) {
            if c.is(k, "(") {
                k = c.close(k);
            }
            k += 1;
        }
        k
    };
    if c.is(i, "import") {
        let end = line_end(i);
        // `import a.b as x, c`
        let mut k = i + 1;
        while k < end {
            let s = k;
            while k + 2 <= end && c.is(k + 1, ".") {
                k += 2;
            }
            let dotted: String = (s..=k).map(|t| c.text(t)).collect();
            let local = if c.is(k + 1, "as") {
                c.text(k + 2).to_string()
            } else {
                dotted.clone()
            };
            out.push((dotted, String::new(), local));
            k = if c.is(k + 1, "as") { k + 3 } else { k + 1 };
            if c.is(k, ",") {
                k += 1;
            } else {
                break;
            }
        }
    } else if c.is(i, "from") {
        let end = line_end(i);
        let mut k = i + 1;
        let s = k;
        while c.is(k + 1, ".") {
            k += 2;
        }
        let module: String = (s..=k).map(|t| c.text(t)).collect();
        if !c.is(k + 1, "import") {
            return out;
        }
        for t in k + 2..end {
            if !c.is_ident(t) || c.is(t, "as") || c.is(t.wrapping_sub(1), "as") {
                continue;
            }
            let local = if c.is(t + 1, "as") {
                c.text(t + 2)
            } else {
                c.text(t)
            };
            out.push((module.clone(), c.text(t).to_string(), local.to_string()));
        }
    }
    out
}

/// The names the file binds to JWT libraries (`jwt`, `pyjwt`, `jose_jwt`, …).
fn libraries(c: &Code) -> Vec<(String, Lib)> {
    let mut out: Vec<(String, Lib)> = Vec::new();
    for i in 0..c.len() {
        if !(c.is(i, "from") || c.is(i, "import")) || !c.toks[i].nl_before {
            continue;
        }
        for (module, name, local) in import_names(c, i) {
            let lib = match (module.as_str(), name.as_str()) {
                ("jwt", "") => Lib::PyJwt,
                ("python_jwt", "") => Lib::PythonJwt,
                ("jose", "jwt") => Lib::Jose,
                ("jose", "jws") => Lib::JoseJws,
                ("authlib.jose" | "joserfc", "jwt") => Lib::Authlib,
                _ => continue,
            };
            out.retain(|(l, _)| *l != local);
            out.push((local, lib));
        }
    }
    // `jwt` bound some other way (`jwt = JsonWebToken([...])`, a test
    // fixture): the library the file imports from decides, as before.
    if !out.iter().any(|(l, _)| l == "jwt") {
        let mut fallback = None;
        for i in 0..c.len() {
            if !(c.is(i, "from") && c.toks[i].nl_before) {
                continue;
            }
            match c.text(i + 1) {
                "authlib" | "joserfc" => fallback = Some(Lib::Authlib),
                "jose" if fallback != Some(Lib::Authlib) => fallback = Some(Lib::Jose),
                "jwt" if fallback.is_none() => fallback = Some(Lib::PyJwt),
                _ => {}
            }
        }
        if let Some(lib) = fallback {
            out.push(("jwt".to_string(), lib));
        }
    }
    out
}

pub fn check(c: &Code, hits: &mut Vec<Hit>) {
    let libs = libraries(c);
    for (recv, lib) in &libs {
        match lib {
            Lib::PyJwt | Lib::Jose | Lib::Authlib => {
                for name in ["decode", "decode_complete"] {
                    for (n, open) in method_calls(c, recv, name) {
                        decode_call(c, &libs, *lib, n - 2, open, hits);
                    }
                }
                if *lib == Lib::Jose {
                    unverified_calls(c, &libs, recv, "get_unverified_claims", "python-jose", hits);
                }
                // python_jwt imported under the usual `jwt` name.
                if *lib == Lib::PyJwt {
                    unverified_calls(c, &libs, recv, "process_jwt", "python_jwt", hits);
                }
            }
            Lib::JoseJws => {
                unverified_calls(c, &libs, recv, "get_unverified_claims", "python-jose", hits);
                for (n, open) in method_calls(c, recv, "verify") {
                    let args = c.args(open);
                    if c.kwarg(&args, "verify").is_some_and(|v| is_false(c, &v)) {
                        unverified_hit(
                            c,
                            &libs,
                            n - 2,
                            open,
                            "Verifying with python-jose jws.verify and `verify=False`",
                            true,
                            hits,
                        );
                    }
                }
            }
            Lib::PythonJwt => {
                unverified_calls(c, &libs, recv, "process_jwt", "python_jwt", hits);
            }
        }
    }
    defaults(c, hits);
}

/// Calls that verify a token in Python: a library `decode` that keeps the
/// signature check, python_jwt `verify_jwt`, `jws.verify`, any `verify…`.
fn verifies(c: &Code, libs: &[(String, Lib)], n: usize, open: usize) -> bool {
    let name = c.text(n);
    if name.contains("verify")
        && !c
            .kwarg(&c.args(open), "verify")
            .is_some_and(|v| is_false(c, &v))
    {
        return true;
    }
    matches!(name, "decode" | "decode_complete")
        && n >= 2
        && libs
            .iter()
            .any(|(r, l)| c.is(n - 2, r) && *l != Lib::PythonJwt)
        && !signature_off(c, n - 2, open)
}

fn unverified_calls(
    c: &Code,
    libs: &[(String, Lib)],
    recv: &str,
    name: &str,
    lib: &str,
    hits: &mut Vec<Hit>,
) {
    for (n, open) in method_calls(c, recv, name) {
        unverified_hit(
            c,
            libs,
            n - 2,
            open,
            &format!("Decoding with {lib} {name}"),
            false,
            hits,
        );
    }
}

fn unverified_hit(
    c: &Code,
    libs: &[(String, Lib)],
    start: usize,
    open: usize,
    what: &str,
    explicit: bool,
    hits: &mut Vec<Hit>,
) {
    let span = call_span(c, start, open);
    let args = c.args(open);
    let verifier = |c: &Code, n: usize, o: usize| verifies(c, libs, n, o);
    if trusts_claims(c, &span, args.first(), &[], explicit, &verifier) {
        hits.push(Hit::new(
            "NHI302",
            span,
            format!("{what} reads the claims without checking the signature, and this function never verifies the token: anyone can forge them"),
        ));
    }
}

/// The value of option `key` in the `options=` of the call opened at `open`:
/// a dict literal, `dict(k=v)`, a list of pairs, a variable assigned one
/// earlier, or `opts["k"] = v` statements before the call.
fn option(c: &Code, start: usize, open: usize, key: &str) -> Option<Span> {
    let args = c.args(open);
    let raw = c.kwarg(&args, "options")?;
    let v = c.deref(raw.clone(), start);
    // `{"k": v}`, `dict(k=v)`, `[("k", v)]`, `dict([("k", v)])`.
    for k in v.clone() {
        if c.key_is(k, key) && (c.is(k + 1, ":") || c.is(k + 1, "=") || c.is(k + 1, ",")) {
            let val = k + 2;
            return Some(c.deref(val..c.expr_end(val), start));
        }
    }
    // `opts["k"] = v` earlier in the function.
    if raw.len() == 1 && c.is_ident(raw.start) {
        let name = c.text(raw.start);
        let scope = c.fn_scope(start);
        let mut found = None;
        for k in scope.start..start {
            if c.is(k, name)
                && c.is(k + 1, "[")
                && c.str_value(k + 2) == Some(key)
                && c.is(k + 3, "]")
                && c.is(k + 4, "=")
            {
                found = Some(k + 5..c.expr_end(k + 5));
            }
        }
        return found;
    }
    None
}

fn signature_off(c: &Code, start: usize, open: usize) -> bool {
    let args = c.args(open);
    option(c, start, open, "verify_signature").is_some_and(|v| is_false(c, &v))
        || c.kwarg(&args, "verify").is_some_and(|v| is_false(c, &v))
}

fn decode_call(
    c: &Code,
    libs: &[(String, Lib)],
    lib: Lib,
    start: usize,
    open: usize,
    hits: &mut Vec<Hit>,
) {
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
                "Token decoded with authlib jwt.decode without claims_options naming `aud`: the audience is never checked",
            ));
        }
        return;
    }
    let lib_name = if lib == Lib::Jose {
        "python-jose"
    } else {
        "PyJWT"
    };
    let call = c.text(start + 2);
    if signature_off(c, start, open) {
        unverified_hit(
            c,
            libs,
            start,
            open,
            &format!("Decoding with {lib_name} {call} and signature verification turned off"),
            true,
            hits,
        );
        return;
    }
    if let Some(algs) = c.kwarg(&args, "algorithms").map(|v| c.deref(v, start)) {
        if has_none_alg(c, &algs) {
            hits.push(Hit::new(
                "NHI303",
                span.clone(),
                format!("Algorithm \"none\" is accepted by this {lib_name} {call} call"),
            ));
        }
    }
    if option(c, start, open, "verify_aud").is_some_and(|v| is_false(c, &v)) {
        hits.push(Hit::new(
            "NHI301",
            span,
            format!(
                "Token decoded with {lib_name} {call} with `verify_aud` turned off: any audience is accepted"
            ),
        ));
        return;
    }
    // `**kwargs` may carry the audience.
    let spread = args.iter().any(|a| c.is(a.start, "**"));
    if c.kwarg(&args, "audience").is_none() && !spread {
        hits.push(
            Hit::new(
                "NHI304",
                span,
                format!("Token decoded with {lib_name} {call} without `audience=`: tokens that carry no `aud` are accepted for any audience"),
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
                        "{name} (authlib) signs client assertions that live 3600 s (its default)"
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
                        format!("Assertion signed with authlib {name} without `expires_in`: it lives 3600 s"),
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
                    "Service-account credentials (google-auth) sign jwt-bearer assertions that live 3600 s",
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
