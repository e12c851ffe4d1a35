//! JavaScript/TypeScript: jsonwebtoken `verify` and jose `jwtVerify`;
//! claims read without the signature (jsonwebtoken `decode`, jose
//! `decodeJwt`, jwt-decode, jwt-simple `noVerify`); jose v1 `JWK.None`.

use super::query::{Code, Span};
use super::unverified::trusts_claims;
use super::util::{call_span, fn_calls, has_none_alg, method_calls};
use super::Hit;

/// Names the file binds to module `module`: default/namespace imports and
/// `require` results (as receivers), and named imports of `export` (as functions).
fn bindings(c: &Code, module: &str, export: &str) -> (Vec<String>, Vec<String>) {
    let mut recv = Vec::new();
    let mut funcs = Vec::new();
    for i in 0..c.len() {
        if c.str_value(i) != Some(module) {
            continue;
        }
        // `require('m')` / `import('m')`: the name assigned just before.
        if c.is(i.wrapping_sub(1), "(") && matches!(c.text(i.wrapping_sub(2)), "require") {
            if c.is(i.wrapping_sub(3), "=") && c.is_ident(i.wrapping_sub(4)) {
                recv.push(c.text(i - 4).to_string());
            }
            if c.is(i.wrapping_sub(3), "=") && c.is(i.wrapping_sub(4), "}") {
                let open = c.close(i - 4);
                named(c, open, export, &mut funcs);
            }
            continue;
        }
        if !c.is(i.wrapping_sub(1), "from") {
            continue;
        }
        // Walk back over the import clause to `import`.
        let mut j = i - 1;
        while j > 0 && !c.is(j, "import") {
            j -= 1;
            if c.is(j, "}") {
                named(c, c.close(j), export, &mut funcs);
                j = c.close(j);
            }
        }
        let mut k = j + 1;
        if c.is(k, "type") {
            k += 1;
        }
        if c.is(k, "*") && c.is(k + 1, "as") {
            recv.push(c.text(k + 2).to_string());
        } else if c.is_ident(k) && !c.is(k, "{") {
            recv.push(c.text(k).to_string());
        }
    }
    (recv, funcs)
}

fn named(c: &Code, open: usize, export: &str, out: &mut Vec<String>) {
    for a in c.args(open) {
        if c.text(a.start) == export {
            let local = if c.is(a.start + 1, "as") || c.is(a.start + 1, ":") {
                c.text(a.start + 2)
            } else {
                export
            };
            out.push(local.to_string());
        }
    }
}

fn calls(c: &Code, module: &str, export: &str) -> Vec<(usize, usize)> {
    let (recv, funcs) = bindings(c, module, export);
    let mut out = Vec::new();
    for r in &recv {
        out.extend(
            method_calls(c, r, export)
                .into_iter()
                .map(|(n, o)| (n - 2, o)),
        );
    }
    for f in &funcs {
        out.extend(fn_calls(c, f));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The options object of a call, if the argument at `idx` is (or names) one.
/// `Err(())`: there is an argument but it cannot be read (a parameter, a spread).
fn options(c: &Code, args: &[Span], idx: usize, at: usize) -> Result<Option<usize>, ()> {
    let Some(a) = args.get(idx) else {
        return Ok(None);
    };
    // A callback in the options position: no options.
    if c.is(a.start, "function") || c.is(a.start, "async") || a.clone().any(|i| c.is(i, "=>")) {
        return Ok(None);
    }
    let v = c.deref(a.clone(), at);
    c.literal_open(&v)
        .filter(|&o| c.is(o, "{"))
        .map(Some)
        .ok_or(())
}

pub fn check(c: &Code, hits: &mut Vec<Hit>) {
    verifiers(c, hits);
    unverified(c, hits);
}

fn verifiers(c: &Code, hits: &mut Vec<Hit>) {
    for (start, open) in calls(c, "jsonwebtoken", "verify") {
        let args = c.args(open);
        let span = call_span(c, start, open);
        let Ok(opts) = options(c, &args, 2, start) else {
            continue;
        };
        if let Some(algs) = opts
            .and_then(|o| c.field(o, "algorithms"))
            .map(|v| c.deref(v, start))
        {
            if has_none_alg(c, &algs) {
                hits.push(Hit::new(
                    "NHI303",
                    span.clone(),
                    "Algorithm \"none\" is accepted by this jsonwebtoken verify call",
                ));
            }
        }
        if opts.and_then(|o| c.field(o, "audience")).is_none() {
            hits.push(Hit::new(
                "NHI304",
                span,
                "Token verified with jsonwebtoken without an `audience` option: any audience is accepted",
            ));
        }
    }
    for (start, open) in calls(c, "jose", "jwtVerify") {
        let args = c.args(open);
        let Ok(opts) = options(c, &args, 2, start) else {
            continue;
        };
        // Attestations, DPoP proofs, logout tokens: `typ` names a token that has no audience.
        let other_typ = opts
            .and_then(|o| c.field(o, "typ"))
            .and_then(|v| c.str_value(v.start))
            .is_some_and(|t| {
                let t = t.to_ascii_lowercase();
                !(t == "jwt" || t.ends_with("at+jwt") || t.ends_with("id_token+jwt"))
            });
        if !other_typ && opts.and_then(|o| c.field(o, "audience")).is_none() {
            hits.push(Hit::new(
                "NHI304",
                call_span(c, start, open),
                "Token verified with jose jwtVerify without an `audience` option: any audience is accepted",
            ));
        }
    }
    let (ns, named_unsecured) = bindings(c, "jose", "UnsecuredJWT");
    if !ns.is_empty() || !named_unsecured.is_empty() {
        for i in c.find_all(&["UnsecuredJWT", ".", "decode", "("]) {
            hits.push(Hit::new(
                "NHI303",
                call_span(c, i, i + 3),
                "UnsecuredJWT.decode from jose accepts unsigned (alg \"none\") tokens",
            ));
        }
    }
}

/// Code that runs in a browser reads its own session token: nothing there
/// trusts the claims for access, the server verifies them.
fn browser(c: &Code) -> bool {
    const BROWSER: &[&str] = &[
        "localStorage",
        "sessionStorage",
        "window",
        "document",
        "useState",
        "useEffect",
        "useMemo",
        "navigator",
    ];
    let all = 0..c.len();
    c.has_any_ident(BROWSER)
        || ["react", "vue", "@angular/core", "svelte", "next-auth/react"]
            .iter()
            .any(|m| c.has_str(&all, m))
}

/// Calls of an unverified decoder: (first token, opener).
fn decoders(c: &Code, module: &str, export: &str, default_is_fn: bool) -> Vec<(usize, usize)> {
    let mut out = calls(c, module, export);
    if default_is_fn {
        // jwt-decode v3: the default export is the function.
        let (recv, _) = bindings(c, module, export);
        for r in &recv {
            out.extend(fn_calls(c, r));
            out.extend(
                method_calls(c, r, "default")
                    .into_iter()
                    .map(|(n, o)| (n - 2, o)),
            );
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn unverified(c: &Code, hits: &mut Vec<Hit>) {
    if browser(c) {
        return;
    }
    let (simple, _) = bindings(c, "jwt-simple", "decode");
    // jwt-simple `decode(token, key, noVerify, algorithm)` skips the signature
    // when noVerify is truthy: `true`, or a string such as an algorithm name
    // passed one place too early (`decode(t, key, 'HS256')`).
    let no_verify = |c: &Code, open: usize, at: usize| {
        c.args(open).get(2).is_some_and(|a| {
            let v = c.deref(a.clone(), at);
            v.len() == 1
                && (c.is(v.start, "true")
                    || c.str_value(v.start).is_some_and(|s| !s.is_empty())
                    || (c.kind(v.start) == Some(super::lexer::Kind::Num)
                        && !c.text(v.start).trim_start_matches(['0', '.']).is_empty()))
        })
    };
    let verifier = |c: &Code, n: usize, open: usize| {
        let name = c.text(n);
        name.to_ascii_lowercase().contains("verify")
            || (name == "decode"
                && n >= 2
                && simple.iter().any(|r| c.is(n - 2, r))
                && !no_verify(c, open, n))
    };
    let mut found: Vec<(usize, usize, &str, bool)> = Vec::new();
    for (s, o) in decoders(c, "jsonwebtoken", "decode", false) {
        found.push((s, o, "Decoding with jsonwebtoken `decode`", false));
    }
    for (s, o) in decoders(c, "jose", "decodeJwt", false) {
        found.push((s, o, "Decoding with jose `decodeJwt`", false));
    }
    for (s, o) in decoders(c, "jwt-decode", "jwtDecode", true) {
        found.push((s, o, "Decoding with jwt-decode", false));
    }
    for r in &simple {
        for (n, o) in method_calls(c, r, "decode") {
            if no_verify(c, o, n) {
                found.push((
                    n - 2,
                    o,
                    "Decoding with jwt-simple `decode` and a truthy third argument (no signature check)",
                    true,
                ));
            }
        }
    }
    for (start, open, what, explicit) in found {
        let span = call_span(c, start, open);
        let args = c.args(open);
        if trusts_claims(c, &span, args.first(), &[], explicit, &verifier) {
            hits.push(Hit::new(
                "NHI302",
                span,
                format!(
                    "{what} reads the claims without checking the signature, and this function never verifies the token: anyone can forge them"
                ),
            ));
        }
    }
    // jose v1: `JWT.verify(token, JWK.None)` accepts unsecured JWTs.
    let (jose, jose_named) = bindings(c, "jose", "JWK");
    if jose.is_empty() && jose_named.is_empty() {
        return;
    }
    for i in c.find_all(&[".", "verify", "("]) {
        let open = i + 2;
        let none = c.args(open).get(1).is_some_and(|a| {
            let v = c.deref(a.clone(), i);
            v.len() >= 3 && c.seq(v.end - 3, &["JWK", ".", "None"])
        });
        if none && i >= 1 {
            hits.push(Hit::new(
                "NHI303",
                call_span(c, i - 1, open),
                format!(
                    "{}.verify with `JWK.None` accepts unsigned (alg \"none\") tokens",
                    c.text(i - 1)
                ),
            ));
        }
    }
}
