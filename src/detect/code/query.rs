//! Questions the matchers ask of a token stream: what are this call's
//! arguments, which keys does this object literal set, what was this variable
//! assigned a few lines up, where does the enclosing function start and end.

use std::ops::Range;

use super::lexer::{lex, pair_brackets, Kind, Lang, Tok};

pub struct Code<'a> {
    pub src: &'a str,
    pub lang: Lang,
    pub toks: Vec<Tok>,
    pub pair: Vec<usize>,
}

/// A half-open range of token indices.
pub type Span = Range<usize>;

impl<'a> Code<'a> {
    pub fn new(src: &'a str, lang: Lang) -> Code<'a> {
        let toks = lex(src, lang);
        let pair = pair_brackets(src, &toks);
        Code {
            src,
            lang,
            toks,
            pair,
        }
    }

    pub fn len(&self) -> usize {
        self.toks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.toks.is_empty()
    }

    pub fn text(&self, i: usize) -> &'a str {
        self.toks.get(i).map_or("", |t| &self.src[t.start..t.end])
    }

    pub fn kind(&self, i: usize) -> Option<Kind> {
        self.toks.get(i).map(|t| t.kind)
    }

    /// Token `i` is the code word or punctuation `s` (never a string).
    pub fn is(&self, i: usize, s: &str) -> bool {
        self.kind(i).is_some_and(|k| k != Kind::Str) && self.text(i) == s
    }

    pub fn is_ident(&self, i: usize) -> bool {
        self.kind(i) == Some(Kind::Ident)
    }

    /// The contents of a string token, without prefix and quotes.
    pub fn str_value(&self, i: usize) -> Option<&'a str> {
        if self.kind(i) != Some(Kind::Str) {
            return None;
        }
        let t = self.text(i);
        let body = t.trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '@' || c == '$');
        let body = body.trim_start_matches('#');
        let q = body.chars().next()?;
        let n = if body.starts_with("\"\"\"") || body.starts_with("'''") {
            3
        } else {
            1
        };
        let inner = body.get(n..)?;
        let inner = inner.trim_end_matches('#');
        let inner = inner.strip_suffix(&body[..n]).unwrap_or(inner);
        let _ = q;
        Some(inner)
    }

    /// Token `i` names `key`: an identifier, a string, or a Ruby/PHP symbol (`:key`).
    pub fn key_is(&self, i: usize, key: &str) -> bool {
        (self.is_ident(i) && self.text(i) == key) || self.str_value(i) == Some(key)
    }

    /// Tokens from `i` are exactly `pat` (code words and punctuation).
    pub fn seq(&self, i: usize, pat: &[&str]) -> bool {
        pat.iter().enumerate().all(|(k, p)| self.is(i + k, p))
    }

    /// Every index where `pat` starts.
    pub fn find_all(&self, pat: &[&str]) -> Vec<usize> {
        (0..self.len()).filter(|&i| self.seq(i, pat)).collect()
    }

    /// The closing bracket of the opener at `open` (or `open` itself).
    pub fn close(&self, open: usize) -> usize {
        self.pair.get(open).copied().unwrap_or(open)
    }

    /// The arguments of the bracketed list opened at `open`, split at top-level commas.
    pub fn args(&self, open: usize) -> Vec<Span> {
        let close = self.close(open);
        let mut out = Vec::new();
        if close <= open + 1 {
            return out;
        }
        let mut start = open + 1;
        let mut i = open + 1;
        while i < close {
            if self.is_open(i) {
                i = self.close(i).max(i) + 1;
                continue;
            }
            if self.is(i, ",") || self.is(i, ";") {
                if i > start {
                    out.push(start..i);
                }
                start = i + 1;
            }
            i += 1;
        }
        if close > start {
            out.push(start..close);
        }
        out
    }

    pub fn is_open(&self, i: usize) -> bool {
        self.is(i, "(") || self.is(i, "[") || self.is(i, "{")
    }

    /// Key/value entries of an object literal, dict, hash, keyword-argument list
    /// or initializer opened at `open`: `k: v`, `"k": v`, `'k' => v`, `k = v`, `:k => v`.
    pub fn entries(&self, open: usize) -> Vec<(usize, Span)> {
        let mut out = Vec::new();
        for a in self.args(open) {
            if let Some(e) = self.entry(a) {
                out.push(e);
            }
        }
        out
    }

    fn entry(&self, a: Span) -> Option<(usize, Span)> {
        let mut k = a.start;
        // Ruby symbol keys `:exp => v`.
        if self.is(k, ":") && self.is_ident(k + 1) {
            k += 1;
        }
        let sep = k + 1;
        if sep < a.end && (self.is(sep, ":") || self.is(sep, "=>") || self.is(sep, "=")) {
            return Some((k, sep + 1..a.end));
        }
        None
    }

    /// The value of entry `key` in the object/argument list opened at `open`.
    pub fn field(&self, open: usize, key: &str) -> Option<Span> {
        self.entries(open)
            .into_iter()
            .find(|(k, _)| self.key_is(*k, key))
            .map(|(_, v)| v)
    }

    /// The value of keyword argument `name` among `args`.
    pub fn kwarg(&self, args: &[Span], name: &str) -> Option<Span> {
        args.iter()
            .filter_map(|a| self.entry(a.clone()))
            .find(|(k, _)| self.key_is(*k, name))
            .map(|(_, v)| v)
    }

    /// If `span` is one bracketed literal, its opener.
    pub fn literal_open(&self, span: &Span) -> Option<usize> {
        let mut s = span.start;
        // `dict(...)`, `new X { … }`, `Hash[...]`, `array(...)`, `&Foo{…}`.
        while s < span.end && !self.is_open(s) {
            s += 1;
        }
        (s < span.end && self.close(s) + 1 == span.end).then_some(s)
    }

    /// Where the expression starting at `i` ends: a top-level `,` `;` or
    /// closing bracket, or a new line in languages where lines end statements.
    pub fn expr_end(&self, i: usize) -> usize {
        let newline_ends = !matches!(
            self.lang,
            Lang::Java | Lang::CSharp | Lang::Rust | Lang::Php
        );
        let mut j = i;
        while j < self.len() {
            if j > i && newline_ends && self.toks[j].nl_before && !self.continues(j) {
                break;
            }
            if self.is_open(j) {
                j = self.close(j).max(j) + 1;
                continue;
            }
            if self.is(j, ",")
                || self.is(j, ";")
                || self.is(j, ")")
                || self.is(j, "]")
                || self.is(j, "}")
            {
                break;
            }
            j += 1;
        }
        j
    }

    /// Token `j` (first on its line) continues the previous line's expression.
    fn continues(&self, j: usize) -> bool {
        let prev = self.text(j.wrapping_sub(1));
        let cur = self.text(j);
        matches!(cur, "." | "?." | "+" | "-" | "*" | "/" | "&&" | "||" | "->")
            || matches!(
                prev,
                "+" | "-" | "*" | "/" | "=" | ":=" | "," | "(" | "." | "&&" | "||" | "\\"
            )
    }

    /// The right-hand side of the last assignment to `name` before token `before`,
    /// inside the same function (UPPER_CASE constants: anywhere earlier in the file).
    pub fn resolve(&self, name: &str, before: usize) -> Option<Span> {
        let scope = self.fn_scope(before);
        self.resolve_in(name, before, false).or_else(|| {
            // Module-level options objects and constants.
            (scope.start > 0)
                .then(|| self.resolve_in(name, scope.start, true))
                .flatten()
        })
    }

    fn resolve_in(&self, name: &str, before: usize, top_level: bool) -> Option<Span> {
        let constant = name.len() > 1
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        let floor = if constant || top_level {
            0
        } else {
            self.fn_scope(before).start
        };
        let mut j = before;
        while j > floor {
            j -= 1;
            if !self.is_ident(j) || self.text(j) != name {
                continue;
            }
            let prev = self.text(j.wrapping_sub(1));
            if j > 0 && matches!(prev, "." | "->" | "?.") {
                continue;
            }
            if top_level && self.fn_scope(j).start != 0 {
                continue;
            }
            // `name = v`, `name := v`, `name: Type = v`, `name = v;` (also `$name`).
            let mut k = j + 1;
            if self.is(k, ":") && self.lang != Lang::Go && !self.is(k + 2, "(") {
                // Type annotation: skip to `=` on the same statement.
                while k < self.len()
                    && !self.is(k, "=")
                    && !self.toks[k + 1..].first().is_some_and(|t| t.nl_before)
                {
                    k += 1;
                }
            }
            if self.is(k, "=") || self.is(k, ":=") {
                let v = k + 1;
                return Some(v..self.expr_end(v));
            }
        }
        None
    }

    /// If `span` is one identifier, what it was assigned; otherwise `span` itself.
    pub fn deref(&self, span: Span, before: usize) -> Span {
        if span.len() == 1 && self.is_ident(span.start) {
            if let Some(v) = self.resolve(self.text(span.start), before) {
                return v;
            }
        }
        span
    }

    /// The tokens of the function enclosing token `i` (the whole file at top level).
    pub fn fn_scope(&self, i: usize) -> Span {
        match self.lang {
            Lang::Python | Lang::Ruby => self.indent_scope(i),
            _ => self.brace_scope(i),
        }
    }

    fn indent_scope(&self, i: usize) -> Span {
        let mut j = i.min(self.len());
        while j > 0 {
            j -= 1;
            // Ruby blocks that end a line (`it 'x' do`, `describe … do |y|`)
            // are scopes too: RSpec examples hold no `def`.
            let ruby_block = self.lang == Lang::Ruby
                && self.is(j, "do")
                && (j + 1 >= self.len() || self.toks[j + 1].nl_before || self.is(j + 1, "|"));
            if self.is(j, "def") && self.toks[j].nl_before
                || (self.is(j, "def") && self.is(j.wrapping_sub(1), "async"))
                || ruby_block
            {
                let mut first = j;
                while ruby_block && first > 0 && !self.toks[first].nl_before {
                    first -= 1;
                }
                let ind = self.indent(first);
                let mut end = j + 1;
                while end < self.len() {
                    if self.toks[end].nl_before && self.indent(end) <= ind && !self.is(end, ")") {
                        if self.lang == Lang::Ruby && self.is(end, "end") {
                            end += 1;
                        }
                        break;
                    }
                    end += 1;
                }
                if end > i {
                    return j..end;
                }
            }
        }
        0..self.len()
    }

    /// Columns of indentation before token `i`.
    pub fn indent(&self, i: usize) -> usize {
        let s = self.toks[i].start;
        let line_start = self.src[..s].rfind('\n').map_or(0, |p| p + 1);
        s - line_start
    }

    /// The outermost enclosing `{ … }` whose header has parentheses (a
    /// function, method or lambda body), or the whole file.
    fn brace_scope(&self, i: usize) -> Span {
        let mut best = 0..self.len();
        let mut j = i.min(self.len());
        let mut depth = 0usize;
        while j > 0 {
            j -= 1;
            if self.is(j, "}") {
                depth += 1;
            } else if self.is(j, "{") {
                if depth > 0 {
                    depth -= 1;
                    continue;
                }
                if self.header_has_parens(j) {
                    best = j..self.close(j) + 1;
                }
            }
        }
        best
    }

    /// The header before `open` has parentheses (a function, method or
    /// lambda), and is not a type declaration (Kotlin `class A(val x: X) {`).
    fn header_has_parens(&self, open: usize) -> bool {
        let mut j = open;
        let mut parens = false;
        while j > 0 {
            j -= 1;
            if self.is(j, ";") || self.is(j, "{") || self.is(j, "}") {
                break;
            }
            if self.is(j, ")") || self.is(j, "=>") {
                parens = true;
                if self.is(j, ")") {
                    j = self.close(j).min(j);
                }
            }
            let decl = match self.text(j) {
                "class" | "interface" | "enum" => true,
                "object" => self.lang == Lang::Kotlin,
                "record" | "struct" => matches!(self.lang, Lang::Java | Lang::CSharp),
                _ => false,
            };
            if decl && self.is_ident(j) {
                return false;
            }
        }
        parens
    }

    /// Identifier `name` occurs (as code) in `span`.
    pub fn has_ident(&self, span: &Span, name: &str) -> bool {
        span.clone()
            .any(|i| self.is_ident(i) && self.text(i) == name)
    }

    /// One of `names` occurs as code anywhere in the file.
    pub fn has_any_ident(&self, names: &[&str]) -> bool {
        let all = 0..self.len();
        names.iter().any(|n| self.has_ident(&all, n))
    }

    /// Some string in `span` equals `value`.
    pub fn has_str(&self, span: &Span, value: &str) -> bool {
        span.clone().any(|i| self.str_value(i) == Some(value))
    }

    /// Identifier or string `name` occurs in `span` (keys may be either).
    pub fn mentions(&self, span: &Span, name: &str) -> bool {
        span.clone().any(|i| self.key_is(i, name))
    }

    /// The method chain after token `i`: each `.name(…)` as (name index, opener).
    pub fn chain(&self, mut i: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        loop {
            let j = if self.is_open(i) {
                self.close(i) + 1
            } else {
                i + 1
            };
            if (self.is(j, ".") || self.is(j, "?.") || self.is(j, "->")) && self.is_ident(j + 1) {
                if self.is(j + 2, "(") {
                    out.push((j + 1, j + 2));
                    i = j + 2;
                    continue;
                }
                // Property access or generic call `.<T>` etc.: keep walking.
                i = j + 1;
                continue;
            }
            return out;
        }
    }

    /// Byte range of tokens `span`.
    pub fn bytes(&self, span: &Span) -> Range<usize> {
        let s = self.toks.get(span.start).map_or(0, |t| t.start);
        let e = self
            .toks
            .get(span.end.saturating_sub(1).max(span.start))
            .map_or(s, |t| t.end);
        s..e.max(s)
    }

    /// Source of tokens `span` with whitespace dropped (fingerprint content).
    pub fn normalized(&self, span: &Span) -> String {
        span.clone()
            .map(|i| self.text(i))
            .collect::<Vec<_>>()
            .join("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_entries_and_resolution() {
        let src = "def f(t):\n    opts = {\"verify_aud\": False,\n        'x': g(1, 2)}\n    return jwt.decode(t, k,\n        options=opts)\n";
        let c = Code::new(src, Lang::Python);
        let call = c.find_all(&["jwt", ".", "decode", "("])[0];
        let args = c.args(call + 3);
        assert_eq!(args.len(), 3);
        let opts = c.kwarg(&args, "options").unwrap();
        let v = c.deref(opts, call);
        let open = c.literal_open(&v).unwrap();
        let aud = c.field(open, "verify_aud").unwrap();
        assert_eq!(c.text(aud.start), "False");
        assert_eq!(c.text(c.fn_scope(call).start), "def");
    }

    #[test]
    fn brace_scope_is_the_function() {
        let src = "class A { void f() { var x = 1; if (y) { g(x); } } }";
        let c = Code::new(src, Lang::Java);
        let g = c.find_all(&["g", "("])[0];
        let s = c.fn_scope(g);
        assert_eq!(c.text(s.start), "{");
        assert_eq!(c.text(s.start - 1), ")");
        assert_eq!(c.resolve("x", g).map(|v| c.text(v.start)), Some("1"));
    }
}
