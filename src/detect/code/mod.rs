//! Code checks (issue 4, parts B and C): client assertions minted with long
//! lifetimes, and JWT validation without audience, without signature, or with
//! `alg: none`, in Python, JavaScript/TypeScript, Go, Java/Kotlin, C#, Rust,
//! Ruby and PHP.
//!
//! One hand-written lexer ([`lexer`]) turns a file into tokens with strings
//! and comments resolved and brackets paired; [`query`] answers questions
//! about calls, arguments, literals and earlier assignments; each language
//! file matches its libraries' calls over those tokens. Files are gated by
//! extension and by the engine's keyword prefilter before any lexing.

mod claims;
mod csharp;
mod go;
mod javascript;
mod jvm;
pub mod lexer;
pub mod lifetime;
mod minting;
mod php;
mod python;
pub mod query;
mod ruby;
mod rust;
mod unverified;

use super::{Context, Detector, Sink};
use crate::finding::Severity;
use crate::item::Item;
use lexer::Lang;
use query::{Code, Span};

/// A match before it becomes a finding.
pub struct Hit {
    pub rule: &'static str,
    /// Token span the finding covers.
    pub span: Span,
    pub message: String,
    /// Overrides the rule's severity where its help says the severity varies.
    pub severity: Option<&'static str>,
    pub props: Vec<(&'static str, serde_json::Value)>,
}

impl Hit {
    pub fn new(rule: &'static str, span: Span, message: impl Into<String>) -> Hit {
        Hit {
            rule,
            span,
            message: message.into(),
            severity: None,
            props: Vec::new(),
        }
    }

    pub fn severity(mut self, s: &'static str) -> Hit {
        self.severity = Some(s);
        self
    }

    pub fn prop(mut self, k: &'static str, v: impl Into<serde_json::Value>) -> Hit {
        self.props.push((k, v.into()));
        self
    }
}

pub struct CodeChecks;

/// Library, function and context words; one must occur before a file is lexed.
const KEYWORDS: &[&str] = &[
    "jwt",
    "jose",
    "jws",
    // Not plain "assertion": Rust and test code say "assertion failed" everywhere.
    "client_assertion",
    "client-assertion",
    "clientassertion",
    "TokenValidationParameters",
    "jsonwebtoken",
    "token_endpoint",
    "tokenendpoint",
    "token_url",
    "tokenurl",
    "service_account",
    "msal",
    "ConfidentialClient",
    "okta",
];

impl Detector for CodeChecks {
    fn name(&self) -> &'static str {
        "code"
    }

    fn keywords(&self) -> &[&'static str] {
        KEYWORDS
    }

    fn applies(&self, item: &Item) -> bool {
        Lang::of_path(item.path()).is_some()
    }

    fn detect(&self, item: &Item, ctx: &Context, out: &mut Sink) {
        let Some(lang) = Lang::of_path(item.path()) else {
            return;
        };
        let repaired;
        let src = match std::str::from_utf8(&item.data) {
            Ok(s) => s,
            Err(_) => {
                repaired = same_length_utf8(&item.data);
                &repaired
            }
        };
        let code = Code::new(src, lang);
        let mut hits = Vec::new();
        minting::check(&code, ctx.options.max_assertion_lifetime, &mut hits);
        match lang {
            Lang::Python => python::check(&code, &mut hits),
            Lang::JavaScript => javascript::check(&code, &mut hits),
            Lang::Go => go::check(&code, &mut hits),
            Lang::Java | Lang::Kotlin => jvm::check(&code, &mut hits),
            Lang::CSharp => csharp::check(&code, &mut hits),
            Lang::Rust => rust::check(&code, &mut hits),
            Lang::Ruby => ruby::check(&code, &mut hits),
            Lang::Php => php::check(&code, &mut hits),
        }
        hits.sort_by_key(|h| (h.span.start, h.rule));
        hits.dedup_by_key(|h| (h.span.start, h.rule));
        for h in hits {
            let bytes = code.bytes(&h.span);
            let content = format!("{}:{}", h.rule, code.normalized(&h.span));
            let Some(mut d) = ctx.finding(h.rule, item, bytes, content.as_bytes(), None) else {
                continue;
            };
            d = d.message(h.message).property("language", lang.name());
            if let Some(s) = h.severity.and_then(Severity::parse) {
                d = d.severity(s);
            }
            for (k, v) in h.props {
                d = d.property(k, v);
            }
            d.emit(out);
        }
    }
}

/// Shared helpers for the language files.
pub(crate) mod util {
    use super::query::{Code, Span};

    /// Every `recv . name (` call: (index of `name`, index of `(`).
    pub fn method_calls(c: &Code, recv: &str, name: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for i in c.find_all(&[recv]) {
            let dot = i + 1;
            if (c.is(dot, ".") || c.is(dot, "::") || c.is(dot, "->"))
                && c.is(dot + 1, name)
                && c.is(dot + 2, "(")
            {
                if i > 0 && (c.is(i - 1, ".") || c.is(i - 1, "->")) {
                    continue;
                }
                out.push((dot + 1, dot + 2));
            }
        }
        out
    }

    /// Every bare `name (` call that is not a method on something else or a definition.
    pub fn fn_calls(c: &Code, name: &str) -> Vec<(usize, usize)> {
        c.find_all(&[name, "("])
            .into_iter()
            .filter(|&i| {
                i == 0
                    || !(c.is(i - 1, ".")
                        || c.is(i - 1, "->")
                        || c.is(i - 1, "def")
                        || c.is(i - 1, "function")
                        || c.is(i - 1, "fn")
                        || c.is(i - 1, "func"))
            })
            .map(|i| (i, i + 1))
            .collect()
    }

    /// The span from token `a` through the closer of the opener `open`.
    pub fn call_span(c: &Code, a: usize, open: usize) -> Span {
        a..c.close(open) + 1
    }

    /// A string in `span` equals `none` (any case).
    pub fn has_none_alg(c: &Code, span: &Span) -> bool {
        span.clone().any(|i| {
            c.str_value(i)
                .is_some_and(|s| s.eq_ignore_ascii_case("none"))
        })
    }

    /// The value in `span` is the literal `false`/`False`.
    pub fn is_false(c: &Code, span: &Span) -> bool {
        span.len() == 1 && matches!(c.text(span.start), "false" | "False" | "FALSE")
    }
}

/// Source that is not valid UTF-8 (a Latin-1 comment, a stray byte) is still
/// checked: each invalid byte becomes `?`, so byte offsets still map back to
/// the item and the code around it is read as it is.
fn same_length_utf8(data: &[u8]) -> String {
    let mut s = String::with_capacity(data.len());
    for chunk in data.utf8_chunks() {
        s.push_str(chunk.valid());
        s.extend(std::iter::repeat_n('?', chunk.invalid().len()));
    }
    s
}

#[cfg(test)]
mod utf8_tests {
    #[test]
    fn invalid_bytes_keep_offsets() {
        let s = super::same_length_utf8(b"a\xff\xfeb\xc3\xa9");
        assert_eq!(s, "a??b\u{e9}");
        assert_eq!(s.len(), 6);
    }
}
