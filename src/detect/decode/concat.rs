//! String literals in code, joined where the code concatenates them: a PEM
//! key split over `"-----BEGIN PRIVATE KEY-----\n" + "MIIE…" + …` (Java, C#,
//! JavaScript, Go, Kotlin), Python's and Ruby's implicit concatenation of
//! adjacent literals, PHP's `.`; and single literals that hold a JSON key
//! (`'{"kty": "EC", "d": …}'`, a C# raw string). The code lexer finds the
//! literals, so a `+` inside a string or a comment never joins anything.
//! Each joined byte maps back to its place in the source.

use super::{Decoded, Kind};
use crate::detect::code::lexer::{self, Kind as Tok, Lang};

/// Joined text worth a rescan names one of these.
const WORTH: &[&str] = &["PRIVATE KEY", "\"kty\""];

pub fn candidates(data: &[u8], path: &str, out: &mut Vec<Decoded>) {
    let Some(lang) = Lang::of_path(path) else {
        return;
    };
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let toks = lexer::lex(src, lang);
    if src.contains("kty") {
        objects(src, &toks, out);
    }
    // The next literal joined to the one at `j`: adjacent (Python, Ruby), or
    // after one concatenation operator. Comments never become tokens.
    let op = match lang {
        Lang::Php => ".",
        _ => "+",
    };
    let implicit = matches!(lang, Lang::Python | Lang::Ruby);
    let next = |j: usize| -> Option<usize> {
        match toks.get(j + 1)? {
            t if t.kind == Tok::Str && implicit => Some(j + 1),
            t if t.kind == Tok::Punct
                && (&src[t.start..t.end] == op || (implicit && &src[t.start..t.end] == "\\")) =>
            {
                let n = toks.get(j + 2)?;
                (n.kind == Tok::Str).then_some(j + 2)
            }
            _ => None,
        }
    };
    let mut i = 0;
    while i < toks.len() {
        if toks[i].kind != Tok::Str {
            i += 1;
            continue;
        }
        let mut parts = vec![i];
        while let Some(n) = next(*parts.last().expect("non-empty")) {
            parts.push(n);
        }
        let j = *parts.last().expect("non-empty");
        let mut bytes = Vec::new();
        let mut map = Vec::new();
        let mut content_end = toks[j].end;
        for &p in &parts {
            let t = &toks[p];
            content_end = literal_content(data, t.start, t.end, &mut bytes, &mut map);
        }
        let end = toks[j].end;
        let single = i == j;
        i = j + 1;
        let text = String::from_utf8_lossy(&bytes);
        if !WORTH.iter().any(|w| text.contains(w)) {
            continue;
        }
        // A key in one literal with `\n` escapes is found as it stands.
        if single && text.contains("PRIVATE KEY") && !text.contains("\"kty\"") {
            continue;
        }
        let Some(&first) = map.first() else {
            continue;
        };
        map.push(content_end);
        out.push(Decoded::mapped(Kind::Joined, first..end, bytes, map));
    }
}

/// Longest object literal rewritten, in tokens.
const MAX_OBJECT_TOKENS: usize = 4096;

/// Object and dict literals in code that have a `kty` member (a JWK written
/// as a JavaScript object or a Python dict), rewritten as JSON so the JWK
/// check reads them: keys quoted, single-quoted strings double-quoted,
/// trailing commas dropped, `True`/`False`/`None` spelled as JSON. A value
/// that is not a literal (a variable, a call) becomes `null`: a reference is
/// not key material.
fn objects(src: &str, toks: &[lexer::Tok], out: &mut Vec<Decoded>) {
    let pairs = lexer::pair_brackets(src, toks);
    let text = |t: &lexer::Tok| &src[t.start..t.end];
    let mut done = 0;
    for (k, t) in toks.iter().enumerate() {
        let named_kty = match t.kind {
            Tok::Ident => text(t) == "kty",
            Tok::Str => text(t).len() == 5 && &text(t)[1..4] == "kty",
            _ => false,
        };
        if !named_kty || k < done || toks.get(k + 1).map(text) != Some(":") {
            continue;
        }
        // The innermost `{` still open at the key.
        let Some(open) = (0..k)
            .rev()
            .find(|&o| text(&toks[o]) == "{" && pairs[o] > k)
        else {
            continue;
        };
        let close = pairs[open];
        if close - open > MAX_OBJECT_TOKENS {
            continue;
        }
        done = close;
        if let Some(d) = as_json(src, &toks[open..=close]) {
            out.push(d);
        }
    }
}

fn as_json(src: &str, toks: &[lexer::Tok]) -> Option<Decoded> {
    let data = src.as_bytes();
    let mut bytes: Vec<u8> = Vec::new();
    let mut map: Vec<usize> = Vec::new();
    let push = |bytes: &mut Vec<u8>, map: &mut Vec<usize>, s: &[u8], at: usize| {
        bytes.extend_from_slice(s);
        map.extend(std::iter::repeat_n(at, s.len()));
    };
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        let tx = &src[t.start..t.end];
        let next_is_colon = toks.get(i + 1).is_some_and(|n| &src[n.start..n.end] == ":");
        match (t.kind, tx) {
            (Tok::Punct, "{" | "[" | ":" | ",") => {
                push(&mut bytes, &mut map, tx.as_bytes(), t.start)
            }
            (Tok::Punct, "}" | "]") => {
                if bytes.last() == Some(&b',') {
                    bytes.pop();
                    map.pop();
                }
                push(&mut bytes, &mut map, tx.as_bytes(), t.start);
            }
            (Tok::Str, _) => {
                let mut content = Vec::new();
                let mut at = Vec::new();
                let end = literal_content(data, t.start, t.end, &mut content, &mut at);
                push(&mut bytes, &mut map, b"\"", t.start);
                for (b, a) in content.iter().zip(&at) {
                    if *b == b'"' || *b == b'\\' {
                        push(&mut bytes, &mut map, b"\\", *a);
                    }
                    push(&mut bytes, &mut map, &[*b], *a);
                }
                push(&mut bytes, &mut map, b"\"", end);
            }
            (Tok::Ident, _) if next_is_colon => {
                push(&mut bytes, &mut map, b"\"", t.start);
                for (n, b) in tx.bytes().enumerate() {
                    push(&mut bytes, &mut map, &[b], t.start + n);
                }
                push(&mut bytes, &mut map, b"\"", t.end);
            }
            (Tok::Ident, "true" | "True") => push(&mut bytes, &mut map, b"true", t.start),
            (Tok::Ident, "false" | "False") => push(&mut bytes, &mut map, b"false", t.start),
            (Tok::Ident, "null" | "None" | "nil") => push(&mut bytes, &mut map, b"null", t.start),
            (Tok::Num, _) => push(&mut bytes, &mut map, tx.as_bytes(), t.start),
            _ => {
                // Not a literal: the whole value up to the next `,` or the
                // enclosing closer at this depth becomes null.
                push(&mut bytes, &mut map, b"null", t.start);
                let mut depth = 0i32;
                while i + 1 < toks.len() {
                    let n = &src[toks[i + 1].start..toks[i + 1].end];
                    match n {
                        "(" | "[" | "{" => depth += 1,
                        ")" | "]" | "}" if depth > 0 => depth -= 1,
                        "," | "}" | "]" if depth == 0 => break,
                        _ => {}
                    }
                    i += 1;
                }
            }
        }
        i += 1;
    }
    let start = toks.first()?.start;
    let end = toks.last()?.end;
    map.push(end);
    Some(Decoded::mapped(Kind::Joined, start..end, bytes, map))
}

/// Append a literal token's content, escapes undone, with each byte's source
/// offset; returns where the content ends (before the closing quotes).
fn literal_content(
    data: &[u8],
    start: usize,
    end: usize,
    bytes: &mut Vec<u8>,
    map: &mut Vec<usize>,
) -> usize {
    let tok = &data[start..end];
    // Prefixes (r, b, f, u, @, $) and the opening quote run (1 or 3 quotes).
    let lead = tok
        .iter()
        .take_while(|c| c.is_ascii_alphabetic() || **c == b'@' || **c == b'$')
        .count();
    let Some(&q) = tok.get(lead) else {
        return end;
    };
    let quotes = tok[lead..].iter().take_while(|&&c| c == q).count().min(3);
    let quotes = if quotes == 2 { 1 } else { quotes };
    let raw = tok[..lead].iter().any(|c| matches!(c, b'r' | b'R' | b'@'));
    let (a, b) = (
        start + lead + quotes,
        end.saturating_sub(quotes).max(start + lead + quotes),
    );
    let mut k = a;
    while k < b {
        let c = data[k];
        if c == b'\\' && !raw && k + 1 < b {
            let e = match data[k + 1] {
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                other => other,
            };
            bytes.push(e);
            map.push(k);
            k += 2;
            continue;
        }
        bytes.push(c);
        map.push(k);
        k += 1;
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(path: &str, src: &str) -> Vec<String> {
        let mut out = Vec::new();
        candidates(src.as_bytes(), path, &mut out);
        out.iter()
            .map(|d| String::from_utf8_lossy(&d.data).into_owned())
            .collect()
    }

    #[test]
    fn java_plus_and_python_adjacent_literals_join() {
        let java = "String k = \"-----BEGIN PRIVATE KEY-----\\n\" +\n  \"MIIEabc\\n\" + // body\n  \"-----END PRIVATE KEY-----\";";
        assert_eq!(
            joined("K.java", java),
            ["-----BEGIN PRIVATE KEY-----\nMIIEabc\n-----END PRIVATE KEY-----"]
        );
        let py = "KEY = (\n  '-----BEGIN PRIVATE KEY-----\\n'\n  'MIIEabc\\n'\n  '-----END PRIVATE KEY-----\\n'\n)";
        assert_eq!(joined("k.py", py).len(), 1);
        // A call between literals is not concatenation.
        assert!(joined("K.java", "f(\"-----BEGIN PRIVATE KEY-----\", g(\"MIIE\"))").is_empty());
    }

    #[test]
    fn maps_back_to_the_source() {
        let src = "x = \"-----BEGIN PRIVATE KEY-----\" + \"QUJD\"";
        let mut out = Vec::new();
        candidates(src.as_bytes(), "a.js", &mut out);
        let d = &out[0];
        let at = d.data.windows(4).position(|w| w == b"QUJD").unwrap();
        assert_eq!(&src.as_bytes()[d.to_parent(at..at + 4)], b"QUJD");
    }

    #[test]
    fn object_and_dict_literals_become_json() {
        let js = "const k = {\n  kty: 'EC', crv: 'P-256',\n  d: 'abc\\'d', x: process.env.X,\n  ext: true,\n};";
        assert_eq!(
            joined("k.js", js),
            [r#"{"kty":"EC","crv":"P-256","d":"abc'd","x":null,"ext":true}"#]
        );
        let py = "KEY = {'kty': 'OKP', 'd': key(1, 2), 'x': None}";
        assert_eq!(joined("k.py", py), [r#"{"kty":"OKP","d":null,"x":null}"#]);
    }

    #[test]
    fn single_quoted_json_key_is_a_candidate() {
        let js = r#"const jwk = JSON.parse('{"kty":"EC","crv":"P-256","d":"abc"}');"#;
        assert_eq!(
            joined("a.ts", js),
            [r#"{"kty":"EC","crv":"P-256","d":"abc"}"#]
        );
    }
}
