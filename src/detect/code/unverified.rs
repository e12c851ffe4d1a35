//! Claims read without the signature (NHI302), shared by the language files.
//!
//! Decoding a token without verifying it is fine when the result only picks
//! the key, issuer or tenant (`kid`, `iss`, `tid`), or reads the expiry of a
//! cached token, or when the same function verifies the same token. It is a
//! finding when the claims themselves are used: read, returned, passed on.

use super::lexer::Lang;
use super::query::{Code, Span};

/// Names whose reading does not trust the claims: key, issuer or tenant
/// selection and expiry checks of one's own cached token.
const HARMLESS: &[&str] = &[
    "kid",
    "iss",
    "tid",
    "alg",
    "typ",
    "jku",
    "x5t",
    "x5u",
    "header",
    "headers",
    "Header",
    "protected",
    "issuer",
    "Issuer",
    "tenant",
    "tenantId",
    "exp",
    "iat",
    "nbf",
    "ExpiresAt",
    "IssuedAt",
    "NotBefore",
    "KeyID",
    "getKeyId",
    "getKeyID",
    "getIssuer",
    "getAlgorithm",
    "getHeader",
    "getHeaderClaim",
    "getType",
    "getExpiresAt",
    "getIssuedAt",
    "getNotBefore",
    "getExpirationTime",
    "getIssueTime",
    "getNotBeforeTime",
    "GetIssuer",
    "GetExpirationTime",
];

/// Accessors that lead to the claims without reading one: `payload`,
/// `getClaim("x")` (its key comes next), `[0]`, Go type assertions.
const WRAPPERS: &[&str] = &[
    "payload",
    "claims",
    "Claims",
    "body",
    "getPayload",
    "getBody",
    "getClaims",
    "getJWTClaimsSet",
    "getClaim",
    "getStringClaim",
    "claim",
    "get",
    "fetch",
    "dig",
    "first",
    "0",
    "1",
    "(type)",
    "data",
];

/// What the code does with a decoded value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Nothing that trusts the claims.
    None,
    /// Only key/issuer/tenant selection or expiry.
    Harmless,
    /// Returned to the caller, which decides.
    Returned,
    /// A claim read, or the value handed on.
    Trusted,
}

fn join(a: Use, b: Use) -> Use {
    match (a, b) {
        (Use::Trusted, _) | (_, Use::Trusted) => Use::Trusted,
        (Use::Returned, _) | (_, Use::Returned) => Use::Returned,
        (Use::Harmless, _) | (_, Use::Harmless) => Use::Harmless,
        _ => Use::None,
    }
}

/// The names read after token `i` (`.a`, `?.a`, `["a"]`, `.get("a")`,
/// `.getA()`, `.(T)`), and the index just past them.
fn access_chain(c: &Code, mut j: usize) -> (Vec<String>, usize) {
    let mut names = Vec::new();
    loop {
        // `!.` (TypeScript), `?.` (JS/Kotlin/C#), `&.` (Ruby) lex as two tokens.
        if (c.is(j, "!") || c.is(j, "?") || c.is(j, "&")) && (c.is(j + 1, ".") || c.is(j + 1, "["))
        {
            j += 1;
        }
        if (c.is(j, ".") || c.is(j, "?.") || c.is(j, "&.") || c.is(j, "->")) && c.is(j + 1, "(") {
            // Go type assertion `.(jwt.MapClaims)`.
            names.push("(type)".to_string());
            j = c.close(j + 1) + 1;
            continue;
        }
        if (c.is(j, ".") || c.is(j, "?.") || c.is(j, "&.") || c.is(j, "->")) && c.is_ident(j + 1) {
            names.push(c.text(j + 1).to_string());
            if c.is(j + 2, "(") {
                let args = c.args(j + 2);
                if let Some(k) = args.first().and_then(|a| c.str_value(a.start)) {
                    names.push(k.to_string());
                }
                j = c.close(j + 2) + 1;
            } else {
                j += 2;
            }
            continue;
        }
        if c.is(j, "?.") && c.is(j + 1, "[") {
            j += 1;
        }
        if c.is(j, "[") {
            let v = j + 1;
            let key = c.str_value(v).map(str::to_string).or_else(|| {
                (c.kind(v) == Some(super::lexer::Kind::Num)).then(|| c.text(v).to_string())
            });
            match key {
                Some(k) => names.push(k),
                None => names.push("[?]".to_string()),
            }
            j = c.close(j) + 1;
            continue;
        }
        return (names, j);
    }
}

/// Type and shape checks (`claims.is_a?(Hash)`): they trust nothing.
const TYPE_CHECKS: &[&str] = &[
    "is_a",
    "is_a?",
    "kind_of",
    "kind_of?",
    "instance_of",
    "instance_of?",
    "respond_to",
    "respond_to?",
    "nil",
    "nil?",
    "empty",
    "empty?",
];

fn classify(names: &[String]) -> Option<Use> {
    let first = names.iter().find(|n| !WRAPPERS.contains(&n.as_str()))?;
    if TYPE_CHECKS.contains(&first.as_str()) {
        return Some(Use::None);
    }
    Some(if HARMLESS.contains(&first.as_str()) {
        Use::Harmless
    } else {
        Use::Trusted
    })
}

/// Names bound by the assignment whose right-hand side starts at `start`:
/// `v = …`, `const v: T = …`, `a, b := …`, `const { a, b: c } = …`.
/// `Err(())`: assigned to a member (`self.claims = …`): kept, not traceable.
type Bound = Result<Option<Vec<(String, Option<String>)>>, ()>;

fn bound_names(c: &Code, start: usize) -> Bound {
    let mut s = start;
    while s > 0 && matches!(c.text(s - 1), "await" | "(") && !c.is(s.wrapping_sub(2), "if") {
        if c.is(s - 1, "(") && c.is_ident(s.wrapping_sub(2)) {
            break;
        }
        s -= 1;
    }
    if s == 0 || !(c.is(s - 1, "=") || c.is(s - 1, ":=")) {
        return Ok(None);
    }
    let mut j = s - 2;
    let mut out = Vec::new();
    if c.is(j, "}") || c.is(j, "]") {
        // Destructuring: each key, and the local name it binds.
        let open = c.close(j);
        for a in c.args(open) {
            let key = c.text(a.start).to_string();
            let local = if c.is(a.start + 1, ":") {
                c.text(a.start + 2).to_string()
            } else {
                key.clone()
            };
            out.push((local, Some(key)));
        }
        return Ok(Some(out));
    }
    // Ruby/Python `first, = …`.
    if c.is(j, ",") && j > 0 && c.is_ident(j - 1) {
        j -= 1;
    }
    // Type annotation `name: Type =`.
    if c.is_ident(j) && j >= 2 && c.is(j - 1, ":") && c.is_ident(j - 2) && !c.toks[j].nl_before {
        j -= 2;
    }
    if !c.is_ident(j) {
        return Ok(None);
    }
    if j > 0 && matches!(c.text(j - 1), "." | "->" | "?.") {
        return Err(());
    }
    out.push((c.text(j).to_string(), None));
    // Tuple targets `a, b = …` / `a, b, err := …`.
    while j >= 2 && c.is(j - 1, ",") && c.is_ident(j - 2) {
        j -= 2;
        out.push((c.text(j).to_string(), None));
    }
    // `_`, `_unused` and Go's `err` hold no claims.
    out.retain(|(n, _)| !n.starts_with('_') && n != "err");
    Ok(Some(out))
}

/// What the code does with a value that ends at token `end` (exclusive) and
/// starts at `start`: read a field, assign it, return it, drop it.
fn value_use(c: &Code, start: usize, end: usize, scope: &Span, depth: u8) -> Use {
    // TypeScript `(decode(t) as T).field`.
    if c.is(end, "as") && start > 0 && c.is(start - 1, "(") {
        let close = c.close(start - 1);
        if close > end {
            return value_use(c, start - 1, close + 1, scope, depth);
        }
    }
    let (names, after) = access_chain(c, end);
    if let Some(u) = classify(&names) {
        return if presence_check(c, after) {
            Use::None
        } else {
            u
        };
    }
    // A chain of wrappers only (`tok.Claims.(jwt.MapClaims)`) is the value itself.
    let _ = after;
    match bound_names(c, start) {
        Err(()) => return Use::Trusted,
        Ok(Some(names)) => {
            let mut u = Use::None;
            for (local, key) in names {
                if let Some(k) = key {
                    if HARMLESS.contains(&k.as_str()) {
                        u = join(u, Use::Harmless);
                        continue;
                    }
                    if !WRAPPERS.contains(&k.as_str()) {
                        u = join(u, Use::Trusted);
                        continue;
                    }
                }
                u = join(u, var_use(c, &local, end, scope, depth));
            }
            return u;
        }
        Ok(None) => {}
    }
    bare_use(c, start, after)
}

/// A value used as is (not bound, no field read): tested against null,
/// returned, or handed on (printing it shows forged claims as real). A decode whose result is
/// dropped is reported: the call is there to read the token, and test code
/// that shows the flaw looks so.
fn bare_use(c: &Code, start: usize, after: usize) -> Use {
    let prev = c.text(start.wrapping_sub(1));
    let next = c.text(after);
    if matches!(next, "==" | "!=" | "===" | "!==" | "is")
        || matches!(prev, "!" | "not" | "&&" | "||")
    {
        return Use::None;
    }
    if matches!(prev, "return" | "=>") {
        return Use::Returned;
    }
    // `isinstance(claims, dict)`, `len(claims)`.
    if prev == "("
        && matches!(
            c.text(start.wrapping_sub(2)),
            "isinstance" | "type" | "len" | "hasattr"
        )
    {
        return Use::None;
    }
    Use::Trusted
}

/// A field read compared with an empty value: a presence check, not trust.
fn presence_check(c: &Code, after: usize) -> bool {
    matches!(c.text(after), "==" | "!=" | "===" | "!==" | "is")
        && (matches!(
            c.text(after + 1),
            "nil" | "null" | "None" | "undefined" | "not"
        ) || c.str_value(after + 1) == Some(""))
}

/// How variable `name`, bound at token `from`, is used in `scope` after it.
/// A variable never read again is kept claims: reported (a dead store is
/// rare, and test code written to show the flaw looks like that).
fn var_use(c: &Code, name: &str, from: usize, scope: &Span, depth: u8) -> Use {
    let read = (from..scope.end).any(|i| {
        c.is_ident(i)
            && c.text(i) == name
            && !matches!(c.text(i.wrapping_sub(1)), "." | "?." | "->")
    });
    if !read {
        return Use::Trusted;
    }
    let mut u = Use::None;
    let mut i = from;
    while i < scope.end {
        if !(c.is_ident(i) && c.text(i) == name)
            || matches!(c.text(i.wrapping_sub(1)), "." | "?." | "->")
        {
            i += 1;
            continue;
        }
        // Reassigned: later uses are of another value.
        if c.is(i + 1, "=") && !c.is(i.wrapping_sub(1), ",") {
            break;
        }
        let (names, after) = access_chain(c, i + 1);
        let one = match classify(&names) {
            Some(_) if presence_check(c, after) => Use::None,
            Some(x) => x,
            None if depth < 2 && matches!(c.text(i.wrapping_sub(1)), "=" | ":=") => {
                match bound_names(c, i) {
                    Ok(Some(n)) => {
                        let mut x = Use::None;
                        for (local, _) in n {
                            x = join(x, var_use(c, &local, after, scope, depth + 1));
                        }
                        x
                    }
                    _ => bare_use(c, i, after),
                }
            }
            None => bare_use(c, i, after),
        };
        u = join(u, one);
        if u == Use::Trusted {
            break;
        }
        i = after.max(i + 1);
    }
    u
}

/// The identifier a verifying call must mention to be about the same token:
/// the last name of a plain `a.b.c` / `&x` argument, else `None` (any
/// verifying call of an argument with the same text counts).
pub fn token_name<'a>(c: &'a Code, arg: &Span) -> Option<&'a str> {
    let plain = arg
        .clone()
        .all(|k| c.is_ident(k) || matches!(c.text(k), "." | "?." | "->" | "&" | "*" | "$" | "@"));
    if !plain {
        return None;
    }
    arg.clone()
        .rev()
        .find(|&k| c.is_ident(k))
        .map(|k| c.text(k))
}

/// Token `n` names a function being defined, not called: `def verify_x(`,
/// `function verify(`, Java `boolean verify(String t) {`.
fn definition(c: &Code, n: usize) -> bool {
    let prev = c.text(n.wrapping_sub(1));
    if matches!(prev, "def" | "function" | "func" | "fn" | "fun") {
        return true;
    }
    if !c.is(n + 1, "(") {
        return false;
    }
    let after = c.close(n + 1) + 1;
    (c.is(after, "{") || c.is(after, "throws"))
        && n > 0
        && (c.is_ident(n - 1) || matches!(prev, ">" | "]" | "?"))
        && !matches!(prev, "return" | "new" | "await" | "else")
}

/// Is there, in `scope` outside `call`, a verifying call about the token
/// argument `token`? `verifier(c, name_idx, open)` says which calls verify.
fn verified_in(
    c: &Code,
    scope: &Span,
    call: &Span,
    token: Option<&Span>,
    verifier: &dyn Fn(&Code, usize, usize) -> bool,
) -> bool {
    let name = token.and_then(|t| token_name(c, t));
    let text = token.map(|t| c.normalized(t));
    for n in scope.clone() {
        if call.contains(&n) || !c.is_ident(n) || definition(c, n) || !verifier(c, n, n + 1) {
            continue;
        }
        let args = if c.is(n + 1, "(") {
            n + 1..c.close(n + 1) + 1
        } else if c.lang == Lang::Ruby && n + 1 < c.len() && !c.toks[n + 1].nl_before {
            // Ruby calls without parentheses run to the end of the line.
            let end = (n + 1..c.len())
                .find(|&k| c.toks[k].nl_before)
                .unwrap_or(c.len());
            n + 1..end
        } else {
            continue;
        };
        // The receiver chain too: Nimbus `signedJwt.verify(verifier)`.
        let mut recv = n;
        while recv >= 2 && c.is(recv - 1, ".") && c.is_ident(recv - 2) {
            recv -= 2;
        }
        let about = match (name, &text) {
            (Some(nm), _) => c.has_ident(&args, nm) || c.has_ident(&(recv..n), nm),
            (None, Some(t)) => c.normalized(&args).contains(t.as_str()),
            (None, None) => true,
        };
        if about {
            return true;
        }
    }
    false
}

/// The token is an ID token the client received (`id_token`, `idToken`):
/// read straight from the token endpoint over TLS, OIDC Core 3.1.3.7 lets
/// the client skip its signature.
pub fn id_token(c: &Code, token: &Span) -> bool {
    let t = c.src[c.bytes(token)]
        .to_ascii_lowercase()
        .replace(['_', '-'], "");
    t.contains("idtoken")
}

/// Does the unverified decode `call` (its value ending at `call.end`) hand
/// claims to code that trusts them? `token` is the token argument, `extra`
/// other variables the call fills (Go `ParseUnverified(s, &claims)`).
/// `explicit`: verification was switched off by an option (`verify=False`),
/// so even a decode returned to the caller is reported; a decode-only API
/// returned as is leaves the decision to the caller.
pub fn trusts_claims(
    c: &Code,
    call: &Span,
    token: Option<&Span>,
    extra: &[&str],
    explicit: bool,
    verifier: &dyn Fn(&Code, usize, usize) -> bool,
) -> bool {
    if token.is_some_and(|t| id_token(c, t)) {
        return false;
    }
    let scope = c.fn_scope(call.start);
    if verified_in(c, &scope, call, token, verifier) {
        return false;
    }
    let mut u = value_use(c, call.start, call.end, &scope, 0);
    for name in extra {
        u = join(u, var_use(c, name, call.end, &scope, 0));
    }
    u == Use::Trusted || (explicit && u == Use::Returned)
}

/// `scope` validates DPoP proofs (RFC 9449), which carry no audience (`htm`
/// and `htu` bind them to the request): it names the `dpop+jwt` type, or a
/// proof (`DPoPProofValidator`, `context.ProofToken`) beside a DPoP mention.
/// Merely accepting DPoP-bound access tokens (`ConfigureDPoPTokensForScheme`)
/// is not enough: those are access tokens with an audience.
pub fn validates_dpop_proof(c: &Code, scope: &Span) -> bool {
    let mut proof = false;
    let mut dpop = false;
    for k in scope.clone() {
        if let Some(v) = c.str_value(k) {
            if v.eq_ignore_ascii_case("dpop+jwt") {
                return true;
            }
            dpop |= v.to_ascii_lowercase().contains("dpop");
        } else if c.is_ident(k) {
            let t = c.text(k).to_ascii_lowercase();
            if t.contains("dpopproof") {
                return true;
            }
            proof |= t.contains("proof");
            dpop |= t.contains("dpop");
        }
    }
    proof && dpop
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusts(src: &str, lang: Lang, pat: &[&str]) -> bool {
        let c = Code::new(src, lang);
        let i = c.find_all(pat)[0];
        let open = (i..c.len()).find(|&k| c.is(k, "(")).unwrap();
        let call = i..c.close(open) + 1;
        let tok = c.args(open).first().cloned();
        let verifier = |c: &Code, n: usize, _o: usize| c.text(n).to_lowercase().contains("verify");
        trusts_claims(&c, &call, tok.as_ref(), &[], true, &verifier)
    }

    #[test]
    fn claim_reads_are_trusted_key_picks_are_not() {
        let js = Lang::JavaScript;
        let py = Lang::Python;
        // (source, language, claims trusted?)
        let cases: &[(&str, Lang, bool)] = &[
            ("function f(t) { return jwt.decode(t).sub; }", js, true),
            (
                "function f(t) { const d = jwt.decode(t); use(d.userId); }",
                js,
                true,
            ),
            ("function f(t) { const { sub } = jwt.decode(t); }", js, true),
            (
                "function f(t) { const d = jwt.decode(t, {complete: true}); return d.header.kid; }",
                js,
                false,
            ),
            (
                "function f(t) { const { header } = jwt.decode(t, {complete: true}); }",
                js,
                false,
            ),
            (
                "function f(t) { return jwt.decode(t).exp * 1000 < Date.now(); }",
                js,
                false,
            ),
            (
                "function f(t, k) { const d = jwt.decode(t); jwt.verify(t, k); return d.sub; }",
                js,
                false,
            ),
            (
                "function f(t, k) { const d = jwt.decode(t); jwt.verify(other, k); return d.sub; }",
                js,
                true,
            ),
            ("function f(t) { jwt.decode(t); }", js, true),
            (
                "function f(t, k) { jwt.decode(t); jwt.verify(t, k); }",
                js,
                false,
            ),
            (
                "def f(t):\n    iss = jwt.get_unverified_claims(t)[\"iss\"]\n    return iss\n",
                py,
                false,
            ),
            (
                "def f(t):\n    c = jwt.get_unverified_claims(t)\n    return c[\"email\"]\n",
                py,
                true,
            ),
        ];
        for &(src, lang, want) in cases {
            assert_eq!(trusts(src, lang, &["jwt"]), want, "{src}");
        }
    }
}
