//! One hand-written lexer for the C-like languages, Python, Ruby and PHP.
//!
//! It knows just enough to make call matching honest: where strings and
//! comments start and end (so a word inside them never looks like code),
//! identifiers, numbers, punctuation, and which bracket closes which. It does
//! not build a syntax tree; the matchers walk tokens and bracket pairs.

/// Syntax families the lexer distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Python,
    JavaScript,
    Go,
    Java,
    Kotlin,
    CSharp,
    Rust,
    Ruby,
    Php,
}

impl Lang {
    /// The language of a path, from its extension.
    pub fn of_path(path: &str) -> Option<Lang> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "py" | "pyi" => Lang::Python,
            "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx" => Lang::JavaScript,
            "go" => Lang::Go,
            "java" => Lang::Java,
            "kt" | "kts" => Lang::Kotlin,
            "cs" => Lang::CSharp,
            "rs" => Lang::Rust,
            "rb" => Lang::Ruby,
            "php" => Lang::Php,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::JavaScript => "javascript",
            Lang::Go => "go",
            Lang::Java => "java",
            Lang::Kotlin => "kotlin",
            Lang::CSharp => "csharp",
            Lang::Rust => "rust",
            Lang::Ruby => "ruby",
            Lang::Php => "php",
        }
    }

    fn hash_comments(self) -> bool {
        matches!(self, Lang::Python | Lang::Ruby | Lang::Php)
    }

    fn slash_comments(self) -> bool {
        !matches!(self, Lang::Python | Lang::Ruby)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ident,
    Str,
    Num,
    Punct,
    /// A JavaScript regular-expression literal.
    Regex,
}

/// One token: its kind, byte span, and whether a line break precedes it.
#[derive(Debug, Clone, Copy)]
pub struct Tok {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    pub nl_before: bool,
}

/// Longest-first multi-character operators the matchers care about.
const OPS: [&str; 12] = [
    "===", "::", "=>", "->", "==", "!=", ":=", "<=", ">=", "&&", "||", "**",
];

/// Lex `src`; never fails (unterminated strings and comments run to the end).
pub fn lex(src: &str, lang: Lang) -> Vec<Tok> {
    let b = src.as_bytes();
    let mut toks: Vec<Tok> = Vec::with_capacity(b.len() / 4);
    let mut i = 0;
    let mut nl = true;
    while i < b.len() {
        // Out of time (see `deadline`): the tokens so far are checked and
        // the engine reports the file as not fully scanned.
        if crate::detect::deadline::expired() {
            break;
        }
        let c = b[i];
        if c == b'\n' {
            nl = true;
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // Comments.
        if (c == b'#'
            && lang.hash_comments()
            && !(lang == Lang::Php && b.get(i + 1) == Some(&b'[')))
            || (c == b'/' && lang.slash_comments() && b.get(i + 1) == Some(&b'/'))
        {
            i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |p| i + p);
            continue;
        }
        if c == b'/' && lang.slash_comments() && b.get(i + 1) == Some(&b'*') {
            i = block_comment_end(b, i, lang == Lang::Rust);
            continue;
        }
        if lang == Lang::Ruby && nl && b[i..].starts_with(b"=begin") {
            i = find(b, i, b"\n=end").map_or(b.len(), |p| p + 5);
            continue;
        }
        let start = i;
        let kind;
        if c == b'/' && lang == Lang::JavaScript && regex_allowed(src, toks.last()) {
            if let Some(end) = regex_end(b, i) {
                toks.push(Tok {
                    kind: Kind::Regex,
                    start,
                    end,
                    nl_before: nl,
                });
                nl = false;
                i = end;
                continue;
            }
        }
        if let Some(end) = string_at(b, i, lang) {
            kind = Kind::Str;
            i = end;
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c >= 0x80 {
            i += 1;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            // Ruby predicates and bang methods.
            if lang == Lang::Ruby
                && i < b.len()
                && (b[i] == b'?' || b[i] == b'!')
                && b.get(i + 1) != Some(&b'=')
            {
                i += 1;
            }
            kind = Kind::Ident;
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                // `1..5` (Rust/Ruby ranges) and `1.hour` (Ruby) stop the number.
                if b[i] == b'.' && !b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    break;
                }
                i += 1;
            }
            kind = Kind::Num;
        } else {
            let op = OPS.iter().find(|op| b[i..].starts_with(op.as_bytes()));
            i += op.map_or(1, |o| o.len());
            // Keep i on a char boundary for non-ASCII punctuation.
            while i < b.len() && !src.is_char_boundary(i) {
                i += 1;
            }
            kind = Kind::Punct;
        }
        toks.push(Tok {
            kind,
            start,
            end: i,
            nl_before: nl,
        });
        nl = false;
    }
    toks
}

/// A `/` after this token starts a regex, not a division.
fn regex_allowed(src: &str, prev: Option<&Tok>) -> bool {
    let Some(t) = prev else {
        return true;
    };
    let text = &src[t.start..t.end];
    match t.kind {
        Kind::Punct => !matches!(text, ")" | "]" | "}"),
        Kind::Ident => matches!(
            text,
            "return"
                | "typeof"
                | "case"
                | "in"
                | "of"
                | "yield"
                | "await"
                | "delete"
                | "void"
                | "instanceof"
                | "new"
        ),
        _ => false,
    }
}

/// End of a regex literal starting at `i` (with its flags), if it closes on this line.
fn regex_end(b: &[u8], i: usize) -> Option<usize> {
    let mut k = i + 1;
    let mut class = false;
    while k < b.len() {
        match b[k] {
            b'\\' => k += 1,
            b'\n' => return None,
            b'[' => class = true,
            b']' => class = false,
            b'/' if !class => {
                k += 1;
                while k < b.len() && b[k].is_ascii_alphabetic() {
                    k += 1;
                }
                return Some(k);
            }
            _ => {}
        }
        k += 1;
    }
    None
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(&b[from..], needle).map(|p| from + p)
}

fn block_comment_end(b: &[u8], i: usize, nested: bool) -> usize {
    let mut depth = 0usize;
    let mut j = i;
    while j + 1 < b.len() {
        if b[j] == b'/' && b[j + 1] == b'*' {
            depth += 1;
            j += 2;
            if !nested && depth > 1 {
                depth = 1;
            }
        } else if b[j] == b'*' && b[j + 1] == b'/' {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return j;
            }
        } else {
            j += 1;
        }
    }
    b.len()
}

/// If a string literal starts at `i`, the offset just past it.
fn string_at(b: &[u8], i: usize, lang: Lang) -> Option<usize> {
    // Prefixes: Python r/b/f/u, C# @ and $, Rust r#"…"# and b"…".
    let mut j = i;
    match lang {
        Lang::Python => {
            let mut k = i;
            while k < b.len() && k - i < 3 && b"rRbBfFuU".contains(&b[k]) {
                k += 1;
            }
            if k < b.len() && (b[k] == b'"' || b[k] == b'\'') {
                j = k;
            }
        }
        Lang::CSharp => {
            let mut k = i;
            while k < b.len() && k - i < 2 && (b[k] == b'@' || b[k] == b'$') {
                k += 1;
            }
            if k < b.len() && b[k] == b'"' {
                if b[i..k].contains(&b'@') {
                    return Some(verbatim_end(b, k + 1));
                }
                j = k;
            }
        }
        Lang::Rust => {
            let mut k = i;
            if b[k] == b'b' {
                k += 1;
            }
            if k < b.len() && b[k] == b'r' {
                let mut h = k + 1;
                while h < b.len() && b[h] == b'#' {
                    h += 1;
                }
                if h < b.len() && b[h] == b'"' {
                    let hashes = h - k - 1;
                    let mut close = vec![b'"'];
                    close.extend(std::iter::repeat_n(b'#', hashes));
                    return Some(find(b, h + 1, &close).map_or(b.len(), |p| p + close.len()));
                }
            }
            if k < b.len() && (b[k] == b'"' || (b[k] == b'\'' && k > i)) {
                j = k;
            }
        }
        _ => {}
    }
    let q = b[j];
    if q != b'"' && q != b'\'' && q != b'`' {
        return None;
    }
    if q == b'`' && !matches!(lang, Lang::JavaScript | Lang::Go | Lang::Kotlin) {
        // Ruby/PHP backticks run commands; still a literal for our purposes.
        if !matches!(lang, Lang::Ruby | Lang::Php) {
            return None;
        }
    }
    if q == b'\'' && lang == Lang::Rust && j == i {
        // A char literal ('a', '\n') or a lifetime ('a): only the former is a string.
        let rest = &b[j + 1..];
        let is_char = match rest {
            [b'\\', ..] => true,
            [_, b'\'', ..] => true,
            _ => {
                // Multi-byte char literal.
                let s = std::str::from_utf8(&rest[..rest.len().min(5)]).unwrap_or("");
                s.chars()
                    .next()
                    .is_some_and(|ch| ch.len_utf8() > 1 && s[ch.len_utf8()..].starts_with('\''))
            }
        };
        if !is_char {
            return None;
        }
    }
    // Triple quotes: Python, Kotlin/Java text blocks, C# raw strings.
    if b[j..].starts_with(b"\"\"\"") || (lang == Lang::Python && b[j..].starts_with(b"'''")) {
        let close = &b[j..j + 3];
        return Some(find(b, j + 3, close).map_or(b.len(), |p| p + 3));
    }
    let raw = q == b'`' && lang == Lang::Go;
    let single_line = matches!(
        lang,
        Lang::Python | Lang::Java | Lang::Go | Lang::CSharp | Lang::Kotlin
    ) && q != b'`';
    let mut k = j + 1;
    while k < b.len() {
        let ch = b[k];
        if ch == b'\\' && !raw {
            k += 2;
            continue;
        }
        if ch == q {
            return Some(k + 1);
        }
        if ch == b'\n' && single_line {
            // Unterminated on this line: stop here so one stray quote cannot swallow the file.
            return Some(k);
        }
        k += 1;
    }
    Some(b.len())
}

fn verbatim_end(b: &[u8], mut k: usize) -> usize {
    while k < b.len() {
        if b[k] == b'"' {
            if b.get(k + 1) == Some(&b'"') {
                k += 2;
                continue;
            }
            return k + 1;
        }
        k += 1;
    }
    b.len()
}

/// For each token, the index of the bracket that closes (or opens) it; other
/// tokens map to themselves. Unbalanced brackets are tolerated.
pub fn pair_brackets(src: &str, toks: &[Tok]) -> Vec<usize> {
    let mut pair: Vec<usize> = (0..toks.len()).collect();
    let mut stack: Vec<(u8, usize)> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if t.kind != Kind::Punct || t.end - t.start != 1 {
            continue;
        }
        let c = src.as_bytes()[t.start];
        match c {
            b'(' | b'[' | b'{' => stack.push((c, i)),
            b')' | b']' | b'}' => {
                let open = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                // Pop to the matching opener, if there is one on the stack.
                if let Some(pos) = stack.iter().rposition(|&(o, _)| o == open) {
                    let (_, j) = stack[pos];
                    stack.truncate(pos);
                    pair[i] = j;
                    pair[j] = i;
                }
            }
            _ => {}
        }
    }
    // Unclosed openers span to the end.
    for (_, j) in stack {
        pair[j] = toks.len().saturating_sub(1);
    }
    pair
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str, lang: Lang) -> Vec<String> {
        lex(src, lang)
            .iter()
            .map(|t| src[t.start..t.end].to_string())
            .collect()
    }

    #[test]
    fn comments_vanish_and_strings_are_single_tokens() {
        let src = "x = f(a, \"b # c\") # jwt.decode(t)\n'''doc jwt.decode'''";
        assert_eq!(
            texts(src, Lang::Python),
            [
                "x",
                "=",
                "f",
                "(",
                "a",
                ",",
                "\"b # c\"",
                ")",
                "'''doc jwt.decode'''"
            ]
        );
        let js = "a /* verify( */ b // c\n`t ${x} y`";
        assert_eq!(texts(js, Lang::JavaScript), ["a", "b", "`t ${x} y`"]);
        let re = "x = /it's \\/ [/]/g.test(s); y = a / b / c";
        assert_eq!(
            texts(re, Lang::JavaScript),
            [
                "x",
                "=",
                "/it's \\/ [/]/g",
                ".",
                "test",
                "(",
                "s",
                ")",
                ";",
                "y",
                "=",
                "a",
                "/",
                "b",
                "/",
                "c"
            ]
        );
    }

    #[test]
    fn rust_lifetimes_are_not_strings() {
        let src = "fn f<'a>(x: &'a str) -> char { 'x' }";
        let t = texts(src, Lang::Rust);
        assert!(t.contains(&"'x'".to_string()), "{t:?}");
        assert!(t.contains(&"str".to_string()), "{t:?}");
        let raw = texts("r#\"a \" b\"# c", Lang::Rust);
        assert_eq!(raw, ["r#\"a \" b\"#", "c"]);
    }

    #[test]
    fn brackets_pair_up() {
        let src = "f(a[1], {b: c})";
        let toks = lex(src, Lang::JavaScript);
        let p = pair_brackets(src, &toks);
        assert_eq!(p[1], toks.len() - 1);
        assert_eq!(&src[toks[p[3]].start..toks[p[3]].end], "]");
    }

    #[test]
    fn csharp_verbatim_and_numbers() {
        let t = texts(
            "var s = @\"a \"\" b\"; x = 3600 * 1000; y = 1.hour",
            Lang::CSharp,
        );
        assert!(t.contains(&"@\"a \"\" b\"".to_string()), "{t:?}");
        assert!(t.contains(&"3600".to_string()));
        let r = texts("1.hour", Lang::Ruby);
        assert_eq!(r, ["1", ".", "hour"]);
    }
}
