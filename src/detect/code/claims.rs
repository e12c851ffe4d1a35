//! What a token being minted claims: its issuer, subject, audience and the
//! other claim names it sets, read from the claims literal around an expiry
//! and from the setter calls and assignments in the same function
//! (`.setIssuer(id)`, `.withSubject(id)`, `claims["aud"] = url`,
//! `claims.Issuer = id`). Client-assertion evidence is taken from these
//! claims only, never from a word elsewhere in a long function or file.

use super::lexer::Kind;
use super::query::{Code, Span};

/// A claim this module tells apart.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Claim {
    Iss,
    Sub,
    Aud,
}

fn claim_of_key(key: &str) -> Option<Claim> {
    match key.to_ascii_lowercase().as_str() {
        "iss" | "issuer" => Some(Claim::Iss),
        "sub" | "subject" => Some(Claim::Sub),
        "aud" | "audience" | "audiences" => Some(Claim::Aud),
        _ => None,
    }
}

fn claim_of_setter(name: &str) -> Option<Claim> {
    let n = name.to_ascii_lowercase();
    let n = n
        .strip_prefix("set")
        .or_else(|| n.strip_prefix("with"))
        .unwrap_or(&n);
    claim_of_key(n)
}

/// Claim names that only an ID token carries (OIDC Core §2): a token with
/// any of them is an ID token, not a client assertion.
const ID_TOKEN: &[&str] = &[
    "nonce",
    "azp",
    "at_hash",
    "c_hash",
    "auth_time",
    "acr",
    "amr",
    "sid",
];

/// Keys of a token response or a token store, not of assertion claims
/// (normalised: lower case, `_` dropped).
const RESPONSE: &[&str] = &[
    "accesstoken",
    "refreshtoken",
    "tokentype",
    "idtoken",
    "devicecode",
    "usercode",
    "verificationuri",
];

/// Claims gathered for one expiry site.
#[derive(Default)]
pub struct Claims {
    iss: Vec<String>,
    sub: Vec<String>,
    aud: Vec<Span>,
    /// Names of every claim or field seen (lower case).
    keys: Vec<String>,
}

impl Claims {
    /// Claims from the literal opened at `literal` (and the literals passed
    /// beside it to the same call), plus setters and assignments in `scope`.
    pub fn gather(c: &Code, literal: Option<usize>, scope: &Span) -> Claims {
        let mut out = Claims::default();
        if let Some(open) = literal {
            out.literal(c, open);
            // `jwt.sign({ iss, sub, aud }, key, { expiresIn })`: the claims
            // are a sibling argument of the options literal.
            if c.is(open, "{") && open > 0 {
                if let Some(call) = enclosing_call(c, open) {
                    for a in c.args(call) {
                        let v = c.deref(a.clone(), a.start);
                        if let Some(o) = c.literal_open(&v).filter(|&o| o != open) {
                            out.literal(c, o);
                        }
                    }
                }
            }
        }
        out.setters(c, scope);
        out
    }

    fn literal(&mut self, c: &Code, open: usize) {
        for (k, v) in c.entries(open) {
            let key = match c.kind(k) {
                Some(Kind::Str) => c.str_value(k).unwrap_or(""),
                _ => c.text(k),
            };
            self.add(c, key, v);
        }
        // C# collection initializers: `{ { "iss", id }, { "sub", id } }`.
        for a in c.args(open) {
            if let Some(o) = c.literal_open(&a).filter(|&o| c.is(o, "{") && o == a.start) {
                let pair = c.args(o);
                if pair.len() == 2 && pair[0].len() == 1 {
                    if let Some(k) = c.str_value(pair[0].start) {
                        self.add(c, k, pair[1].clone());
                    }
                }
            }
        }
    }

    fn add(&mut self, c: &Code, key: &str, v: Span) {
        self.keys.push(key.to_ascii_lowercase());
        match claim_of_key(key) {
            Some(Claim::Iss) => self.iss.push(c.normalized(&v)),
            Some(Claim::Sub) => self.sub.push(c.normalized(&v)),
            Some(Claim::Aud) => self.aud.push(v),
            None => {}
        }
    }

    fn setters(&mut self, c: &Code, scope: &Span) {
        for i in scope.clone() {
            if !c.is_ident(i) {
                continue;
            }
            let member = i > 0 && (c.is(i - 1, ".") || c.is(i - 1, "->"));
            // `.setIssuer(x)`, `.issuer(x)`, `.withSubject(x)`, `.audience(x)`.
            if member && c.is(i + 1, "(") {
                let args = c.args(i + 1);
                if let (Some(claim), Some(a)) = (claim_of_setter(c.text(i)), args.first()) {
                    let key = match claim {
                        Claim::Iss => "iss",
                        Claim::Sub => "sub",
                        Claim::Aud => "aud",
                    };
                    self.add(c, key, a.clone());
                }
                // `.claim("nonce", v)`, `.withClaim("azp", v)`, `.Set("iss", v)`.
                if matches!(
                    c.text(i),
                    "claim" | "withClaim" | "Set" | "set" | "with_claim" | "AddClaim" | "put"
                ) && args.len() == 2
                {
                    if let Some(k) = c.str_value(args[0].start) {
                        self.add(c, k, args[1].clone());
                    }
                }
                continue;
            }
            // `claims.Issuer = x`, `payload.iss = x`.
            if member && c.is(i + 1, "=") {
                let v = i + 2;
                self.add(c, c.text(i), v..c.expr_end(v));
            }
        }
        // `claims["iss"] = x`, `payload[:sub] = x`.
        for i in scope.clone() {
            if c.kind(i) == Some(Kind::Str)
                && c.is(i.wrapping_sub(1), "[")
                && c.is(i + 1, "]")
                && c.is(i + 2, "=")
            {
                let v = i + 3;
                self.add(c, c.str_value(i).unwrap_or(""), v..c.expr_end(v));
            }
        }
    }

    /// Why these claims are a client assertion's (RFC 7523 §3: iss and sub
    /// are the client id, aud the token endpoint), if they are.
    pub fn evidence(&self, c: &Code) -> Option<String> {
        if self
            .iss
            .iter()
            .any(|a| !a.is_empty() && self.sub.iter().any(|b| a == b))
        {
            return Some("iss equals sub".into());
        }
        for a in &self.aud {
            let v = c.deref(a.clone(), a.start);
            if [a, &v].iter().any(|s| token_endpoint(c, s)) {
                return Some("audience is a token endpoint".into());
            }
        }
        // golang.org/x/oauth2/jwt `Config{TokenURL: …}` and the like: the
        // object configures assertions for a token endpoint.
        if self.keys.iter().any(|k| {
            let k = k.replace('_', "");
            k == "tokenurl" || k == "tokenuri" || k == "tokenendpoint"
        }) {
            return Some("it names a token endpoint".into());
        }
        None
    }

    /// The claims are an ID token's, or the object is a token response or
    /// token store (an access token's expiry is not an assertion's).
    pub fn not_an_assertion(&self) -> bool {
        self.keys.iter().any(|k| {
            ID_TOKEN.contains(&k.as_str()) || RESPONSE.contains(&k.replace('_', "").as_str())
        })
    }
}

/// The opener of the argument list that holds the literal opened at `open`.
fn enclosing_call(c: &Code, open: usize) -> Option<usize> {
    c.enclosing_open(open).filter(|&j| c.is(j, "("))
}

/// A token-endpoint URL string or a variable named for one (`token_url`,
/// `tokenEndpoint`, `TOKEN_URI`) in `span`.
pub fn token_endpoint(c: &Code, span: &Span) -> bool {
    span.clone().any(|i| {
        let (word, is_str) = match c.kind(i) {
            Some(Kind::Ident) => (c.text(i), false),
            Some(Kind::Str) => (c.str_value(i).unwrap_or(""), true),
            _ => return false,
        };
        if word.len() > 300 {
            return false;
        }
        let n = word.to_ascii_lowercase().replace(['-', '_'], "");
        if is_str {
            let w = word.to_ascii_lowercase();
            w.ends_with("/token")
                || w.contains("/token?")
                || w.ends_with("/oauth2/v2.0/token")
                || w.ends_with("/protocol/openid-connect/token")
        } else {
            ["tokenurl", "tokenuri", "tokenendpoint", "oauthendpoint"]
                .iter()
                .any(|t| n.contains(t))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::code::lexer::Lang;

    fn at<'a>(src: &'a str, lang: Lang, word: &str) -> (Code<'a>, usize) {
        let c = Code::new(src, lang);
        let i = c.find_all(&[word])[0];
        (c, i)
    }

    #[test]
    fn builder_chain_spread_over_statements() {
        let src = "void f() { b.issuer(id); b.subject(id); b.audience(url); b.expirationTime(d); }";
        let (c, i) = at(src, Lang::Java, "expirationTime");
        let cl = Claims::gather(&c, None, &c.inner_fn_scope(i));
        assert_eq!(cl.evidence(&c).as_deref(), Some("iss equals sub"));
    }

    #[test]
    fn id_tokens_and_token_responses_are_not_assertions() {
        let src = "def f():\n    c = {'iss': a, 'sub': a, 'nonce': n, 'exp': e}\n";
        let (c, i) = at(src, Lang::Python, "{");
        let cl = Claims::gather(&c, Some(i), &c.inner_fn_scope(i));
        assert!(cl.not_an_assertion());
        let src = "def f():\n    t = {'access_token': x, 'expires_at': e}\n";
        let (c, i) = at(src, Lang::Python, "{");
        assert!(Claims::gather(&c, Some(i), &c.inner_fn_scope(i)).not_an_assertion());
    }

    #[test]
    fn audience_token_endpoint() {
        let src = "function f() { return { aud: TOKEN_ENDPOINT, exp: 1 }; }";
        let (c, i) = at(src, Lang::JavaScript, "aud");
        let open = i - 1;
        let cl = Claims::gather(&c, Some(open), &c.inner_fn_scope(i));
        assert_eq!(
            cl.evidence(&c).as_deref(),
            Some("audience is a token endpoint")
        );
    }
}
