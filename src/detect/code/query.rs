//! Questions the matchers ask of a token stream: what are this call's
//! arguments, which keys does this object literal set, what was this variable
//! assigned a few lines up, where does the enclosing function start and end.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::ops::Range;

use super::lexer::{lex, pair_brackets, Kind, Lang, Tok};

pub struct Code<'a> {
    pub src: &'a str,
    pub lang: Lang,
    pub toks: Vec<Tok>,
    pub pair: Vec<usize>,
    /// Answers computed once per file on first use, so that a question asked
    /// for every candidate costs a lookup, not a pass over the file (a 71 KB
    /// Python file with many top-level mentions and calls took 34 s when
    /// every resolution walked back over the file and every enclosing-scope
    /// question walked it again).
    cache: Cache<'a>,
}

/// Per name: (token of the name, first token of the value, at top level).
type Assignments<'a> = HashMap<&'a str, Vec<(u32, u32, bool)>>;

#[derive(Default)]
struct Cache<'a> {
    /// The enclosing function of each token ([`Code::fn_scope`]).
    scopes: OnceCell<Vec<(u32, u32)>>,
    /// Indentation of each token's line.
    indents: OnceCell<Vec<u32>>,
    /// Every assignment to a name: (token of the name, first token of the
    /// value, whether at top level), in token order.
    assigns: OnceCell<Assignments<'a>>,
    /// Token indices of each identifier and of each string's contents.
    idents: OnceCell<HashMap<&'a str, Vec<u32>>>,
    strs: OnceCell<HashMap<&'a str, Vec<u32>>>,
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
            cache: Cache::default(),
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

    /// Each of `args` that is a keyword argument or entry (`name=v`, `name: v`).
    pub fn kwarg_entries(&self, args: &[Span]) -> Vec<(usize, Span)> {
        args.iter().filter_map(|a| self.entry(a.clone())).collect()
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
        let sites = self.assignments().get(name)?;
        let upto = sites.partition_point(|&(j, _, _)| (j as usize) < before);
        let &(_, v, _) = sites[..upto]
            .iter()
            .rev()
            .take_while(|&&(j, _, _)| j as usize >= floor)
            .find(|&&(_, _, top)| top || !top_level)?;
        let v = v as usize;
        Some(v..self.expr_end(v))
    }

    /// Every `name = v`, `name := v`, `name: Type = v`, `name = v;` (also
    /// `$name`), not after `.`/`->`/`?.`, grouped by name.
    fn assignments(&self) -> &Assignments<'a> {
        self.cache.assigns.get_or_init(|| {
            let n = self.len();
            // For a type annotation: the first `=` from each token on, or
            // the last token of its line (the walk the annotation takes).
            let mut stop = vec![n; n + 1];
            for m in (0..n).rev() {
                stop[m] = if self.is(m, "=") || m + 1 == n || self.toks[m + 1].nl_before {
                    if m + 1 == n && !self.is(m, "=") {
                        n
                    } else {
                        m
                    }
                } else {
                    stop[m + 1]
                };
            }
            let mut out: Assignments<'a> = HashMap::new();
            for j in 0..n {
                if !self.is_ident(j) {
                    continue;
                }
                if j > 0 && matches!(self.text(j - 1), "." | "->" | "?.") {
                    continue;
                }
                let mut k = j + 1;
                if self.is(k, ":") && self.lang != Lang::Go && !self.is(k + 2, "(") {
                    k = stop[k];
                }
                if self.is(k, "=") || self.is(k, ":=") {
                    let top = self.fn_scope(j).start == 0;
                    out.entry(self.text(j))
                        .or_default()
                        .push((j as u32, (k + 1) as u32, top));
                }
            }
            out
        })
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
        let scopes = self.cache.scopes.get_or_init(|| match self.lang {
            Lang::Python | Lang::Ruby => self.indent_scopes(),
            _ => self.brace_scopes(),
        });
        match scopes.get(i) {
            Some(&(s, e)) => s as usize..e as usize,
            None => 0..self.len(),
        }
    }

    /// For every token, the innermost `def` before it whose body (the lines
    /// indented deeper than the `def`) still holds it. One pass finds where
    /// each `def` ends (open ones on a stack, deepest on top), a second
    /// gives each token the nearest open one.
    fn indent_scopes(&self) -> Vec<(u32, u32)> {
        let n = self.len();
        // Ruby blocks that end a line (`it 'x' do`, `describe … do |y|`) are
        // scopes too: RSpec examples hold no `def`.
        let is_def = |j: usize| {
            (self.is(j, "def") && (self.toks[j].nl_before || self.is(j.wrapping_sub(1), "async")))
                || (self.lang == Lang::Ruby
                    && self.is(j, "do")
                    && (j + 1 >= n || self.toks[j + 1].nl_before || self.is(j + 1, "|")))
        };
        // A scope closes at the first line indented no deeper than the line
        // that opened it.
        let line_indent = |j: usize| {
            let mut first = j;
            while first > 0 && !self.toks[first].nl_before {
                first -= 1;
            }
            self.indent(first)
        };
        let mut ends = vec![n as u32; n];
        let mut open: Vec<(usize, usize)> = Vec::new();
        for t in 0..n {
            if self.toks[t].nl_before && !self.is(t, ")") {
                let ind = self.indent(t);
                let end = if self.lang == Lang::Ruby && self.is(t, "end") {
                    t + 1
                } else {
                    t
                };
                while open.last().is_some_and(|&(_, d)| ind <= d) {
                    let (j, _) = open.pop().unwrap();
                    ends[j] = end as u32;
                }
            }
            if is_def(t) {
                open.push((t, line_indent(t)));
            }
        }
        let whole = (0, n as u32);
        let mut out = Vec::with_capacity(n);
        let mut stack: Vec<(u32, u32)> = Vec::new();
        for (i, &end) in ends.iter().enumerate() {
            while stack.last().is_some_and(|&(_, e)| e as usize <= i) {
                stack.pop();
            }
            out.push(stack.last().copied().unwrap_or(whole));
            if is_def(i) {
                stack.push((i as u32, end));
            }
        }
        out
    }

    /// Columns of indentation before token `i`.
    pub fn indent(&self, i: usize) -> usize {
        let indents = self.cache.indents.get_or_init(|| {
            let mut line_start = 0;
            let mut scanned = 0;
            self.toks
                .iter()
                .map(|t| {
                    if let Some(p) = self.src[scanned..t.start].rfind('\n') {
                        line_start = scanned + p + 1;
                    }
                    scanned = t.start;
                    (t.start - line_start) as u32
                })
                .collect()
        });
        indents[i] as usize
    }

    /// For every token, the outermost enclosing `{ … }` whose header has
    /// parentheses (a function, method or lambda body), or the whole file.
    fn brace_scopes(&self) -> Vec<(u32, u32)> {
        let n = self.len();
        let whole = (0, n as u32);
        let mut out = Vec::with_capacity(n);
        // Open braces, each with the outermost function body at or above it.
        let mut open: Vec<Option<(u32, u32)>> = Vec::new();
        for i in 0..n {
            out.push(open.last().copied().flatten().unwrap_or(whole));
            if self.is(i, "{") {
                let outer = open.last().copied().flatten();
                let own = self
                    .header_has_parens(i)
                    .then(|| (i as u32, (self.close(i) + 1) as u32));
                open.push(outer.or(own));
            } else if self.is(i, "}") {
                open.pop();
            }
        }
        out
    }

    /// The innermost function, method or lambda enclosing token `i` (the
    /// whole file at top level): evidence about one token must come from the
    /// code that builds it, not from a long test body around it.
    pub fn inner_fn_scope(&self, i: usize) -> Span {
        if matches!(self.lang, Lang::Python | Lang::Ruby) {
            // For indentation languages fn_scope is already the innermost def.
            return self.fn_scope(i);
        }
        self.innermost_braces(i)
    }

    /// The innermost `{ … }` with a parenthesised header enclosing token `i`.
    /// Walks back from `i`: linear in the distance, used per candidate only.
    fn innermost_braces(&self, i: usize) -> Span {
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
                    return j..self.close(j) + 1;
                }
            }
        }
        0..self.len()
    }

    /// The innermost bracket opener containing token `i`.
    pub fn enclosing_open(&self, i: usize) -> Option<usize> {
        let mut j = i;
        let mut depth = 0usize;
        while j > 0 {
            j -= 1;
            if self.is(j, ")") || self.is(j, "]") || self.is(j, "}") {
                depth += 1;
            } else if self.is_open(j) {
                if depth == 0 {
                    return Some(j);
                }
                depth -= 1;
            }
        }
        None
    }

    /// The name of the function whose scope is `scope` (as returned by
    /// [`Code::inner_fn_scope`]), when it has one: `def name(`, `name(…) {`,
    /// `func (r) name(…) … {`, `name = (…) => {`.
    pub fn fn_name(&self, scope: &Span) -> Option<&'a str> {
        let s = scope.start;
        if self.is(s, "def") {
            return self.is_ident(s + 1).then(|| self.text(s + 1));
        }
        if !self.is(s, "{") {
            return None;
        }
        // Back from `{` to the parameter list's `)` (skipping a return type).
        let mut j = s;
        while j > 0 {
            j -= 1;
            if self.is(j, ";") || self.is(j, "{") || self.is(j, "}") {
                return None;
            }
            if self.is(j, "=>") {
                // `name = (…) =>`, `name: (…) =>`
                let open = self.close(j.checked_sub(1)?);
                let k = open.checked_sub(2)?;
                return (self.is(k + 1, "=") || self.is(k + 1, ":"))
                    .then(|| self.text(k))
                    .filter(|_| self.is_ident(k));
            }
            if self.is(j, ")") {
                let open = self.close(j);
                // Go returns `(T, error)`: the parameters are the list before.
                if open > 0 && self.is(open - 1, ")") {
                    continue;
                }
                let k = open.checked_sub(1)?;
                return self.is_ident(k).then(|| self.text(k));
            }
        }
        None
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
        let idents = self.cache.idents.get_or_init(|| {
            let mut m: HashMap<&'a str, Vec<u32>> = HashMap::new();
            for i in (0..self.len()).filter(|&i| self.is_ident(i)) {
                m.entry(self.text(i)).or_default().push(i as u32);
            }
            m
        });
        within(idents.get(name), span)
    }

    /// One of `names` occurs as code anywhere in the file.
    pub fn has_any_ident(&self, names: &[&str]) -> bool {
        let all = 0..self.len();
        names.iter().any(|n| self.has_ident(&all, n))
    }

    /// Some string in `span` equals `value`.
    pub fn has_str(&self, span: &Span, value: &str) -> bool {
        let strs = self.cache.strs.get_or_init(|| {
            let mut m: HashMap<&'a str, Vec<u32>> = HashMap::new();
            for i in 0..self.len() {
                if let Some(v) = self.str_value(i) {
                    m.entry(v).or_default().push(i as u32);
                }
            }
            m
        });
        within(strs.get(value), span)
    }

    /// Identifier or string `name` occurs in `span` (keys may be either).
    pub fn mentions(&self, span: &Span, name: &str) -> bool {
        self.has_ident(span, name) || self.has_str(span, name)
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

/// Some of the sorted token indices `at` lies in `span`.
fn within(at: Option<&Vec<u32>>, span: &Span) -> bool {
    at.is_some_and(|v| {
        let k = v.partition_point(|&i| (i as usize) < span.start);
        v.get(k).is_some_and(|&i| (i as usize) < span.end)
    })
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
    fn inner_scope_and_name() {
        let src =
            "describe('x', () => { function mint(a) { const e = 1; } it('y', () => { g(); }); });";
        let c = Code::new(src, Lang::JavaScript);
        let e = c.find_all(&["e", "="])[0];
        let s = c.inner_fn_scope(e);
        assert_eq!(c.fn_name(&s), Some("mint"));
        assert!(c.fn_scope(e).start < s.start);
        let go = Code::new(
            "func (c *C) build(id string) (string, error) { x := 1 }",
            Lang::Go,
        );
        let x = go.find_all(&["x"])[0];
        assert_eq!(go.fn_name(&go.inner_fn_scope(x)), Some("build"));
        let py = Code::new(
            "class A:\n    def make_assertion(self):\n        x = 1\n",
            Lang::Python,
        );
        let x = py.find_all(&["x"])[0];
        assert_eq!(py.fn_name(&py.inner_fn_scope(x)), Some("make_assertion"));
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
