//! The object around a `token_endpoint_auth_method` hit: its bracketed body in
//! code and JSON, or its indentation block in YAML, with the text that opens it
//! (`const DEFAULTS = {`, `Client.needsSecret({`). Registrations are told from
//! code that models the method by what sits beside the key in that object.

use std::ops::Range;

use crate::item::Item;

/// How far (bytes, lines) the search for the enclosing object reaches.
const REACH: usize = 4096;
const REACH_LINES: u32 = 200;

pub struct Block<'a> {
    /// The object's text (between its brackets, or its YAML lines).
    pub body: Range<usize>,
    /// The line that opens it, up to the opening bracket (YAML: the parent key line).
    pub head: &'a [u8],
    /// The function the object (or argument list) is passed to, if any.
    pub callee: Option<&'a [u8]>,
}

fn is_yaml(item: &Item) -> bool {
    let name = item.file_name().to_ascii_lowercase();
    name.ends_with(".yaml") || name.ends_with(".yml")
}

fn offset(item: &Item, n: u32) -> usize {
    item.line_bytes(n).as_ptr() as usize - item.data.as_ptr() as usize
}

/// The innermost object around byte `at` of line `n`.
pub fn around<'a>(item: &'a Item, n: u32, at: usize) -> Option<Block<'a>> {
    let line_start = offset(item, n);
    let open = unmatched_opener(&item.data, at);
    match open {
        // YAML nests by indentation unless the hit sits in a flow or JSON
        // string on its own line.
        Some(o) if !is_yaml(item) || o >= line_start => Some(bracketed(item, o, at)),
        _ if is_yaml(item) => indented(item, n),
        _ => None,
    }
}

/// The nearest opening bracket before `at` that is not closed before it.
fn unmatched_opener(data: &[u8], at: usize) -> Option<usize> {
    let mut depth = 0usize;
    for i in (at.saturating_sub(REACH)..at).rev() {
        match data[i] {
            b'}' | b']' | b')' => depth += 1,
            b'{' | b'[' | b'(' if depth == 0 => return Some(i),
            b'{' | b'[' | b'(' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn bracketed(item: &Item, open: usize, at: usize) -> Block<'_> {
    let data = &item.data[..];
    let hi = (at + REACH).min(data.len());
    let mut depth = 0usize;
    let mut end = hi;
    for (i, &b) in data.iter().enumerate().take(hi).skip(at) {
        match b {
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' if depth == 0 => {
                end = i;
                break;
            }
            b'}' | b']' | b')' => depth -= 1,
            _ => {}
        }
    }
    let head_start = data[..open]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    // `name(` directly, or `name({` / `name([`: the object is an argument.
    let mut paren = Some(open).filter(|&o| data[o] == b'(');
    if paren.is_none() {
        let before = data[head_start..open].trim_ascii_end();
        if before.ends_with(b"(") {
            paren = Some(head_start + before.len() - 1);
        }
    }
    let callee = paren.and_then(|p| {
        let before = data[head_start..p].trim_ascii_end();
        let from = before
            .iter()
            .rposition(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'$'))
            .map_or(0, |i| i + 1);
        Some(&before[from..]).filter(|c| !c.is_empty())
    });
    Block {
        body: open + 1..end,
        head: &data[head_start..open],
        callee,
    }
}

/// Indentation of a YAML line's content, counting `- ` list markers as indentation.
fn content_indent(line: &[u8]) -> (usize, bool) {
    let mut i = 0;
    let mut item = false;
    loop {
        while i < line.len() && line[i] == b' ' {
            i += 1;
        }
        if line[i..].starts_with(b"- ") {
            item = true;
            i += 1;
        } else {
            return (i, item);
        }
    }
}

fn blank_or_comment(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.is_empty() || t.starts_with(b"#")
}

/// The YAML mapping that holds line `n`: its sibling lines and the parent key.
fn indented(item: &Item, n: u32) -> Option<Block<'_>> {
    let last = item.line_index().line_count() as u32;
    let (indent, starts_item) = content_indent(item.line_bytes(n));
    let mut first = n;
    let mut head: &[u8] = b"";
    if !starts_item {
        for k in (n.saturating_sub(REACH_LINES).max(1)..n).rev() {
            let l = item.line_bytes(k);
            if blank_or_comment(l) {
                continue;
            }
            let (i, list) = content_indent(l);
            if i < indent {
                head = l;
                break;
            }
            first = k;
            if i == indent && list {
                break;
            }
        }
    }
    let mut end = n;
    for k in n + 1..=last.min(n + REACH_LINES) {
        let l = item.line_bytes(k);
        if blank_or_comment(l) {
            continue;
        }
        let (i, list) = content_indent(l);
        if i < indent || (i == indent && list) {
            break;
        }
        end = k;
    }
    let last_line = item.line_bytes(end);
    Some(Block {
        body: offset(item, first)..offset(item, end) + last_line.len(),
        head,
        callee: None,
    })
}

/// The key a YAML or pretty-printed JSON line sets (`examples:`, `"examples": {`).
fn key(line: &[u8]) -> Option<&[u8]> {
    let (i, _) = content_indent(line);
    let t = &line[i..];
    let (k, rest) = match t.first() {
        Some(&q @ (b'"' | b'\'')) => {
            let close = t[1..].iter().position(|&b| b == q)? + 1;
            (&t[1..close], &t[close + 1..])
        }
        _ => {
            let colon = t.iter().position(|&b| b == b':')?;
            (&t[..colon], &t[colon..])
        }
    };
    rest.trim_ascii_start()
        .starts_with(b":")
        .then_some(k.trim_ascii())
}

/// Line `n` or one of the keys it sits under (by indentation) is one of `keys`.
pub fn under_key(item: &Item, n: u32, keys: &[&str]) -> bool {
    let hit = |l: &[u8]| key(l).is_some_and(|k| keys.iter().any(|w| k == w.as_bytes()));
    let line = item.line_bytes(n);
    if hit(line) {
        return true;
    }
    let (mut indent, _) = content_indent(line);
    for k in (1..n).rev() {
        if indent == 0 {
            break;
        }
        let l = item.line_bytes(k);
        if blank_or_comment(l) {
            continue;
        }
        let (i, _) = content_indent(l);
        if i < indent {
            if hit(l) {
                return true;
            }
            indent = i;
        }
    }
    false
}

/// Byte `at` of a Python file sits in a docstring: a triple-quoted string
/// that opens a statement right after a `def`/`class` line (or the module's
/// first statement). Usage examples there document the method.
pub fn in_docstring(item: &Item, at: usize) -> bool {
    let name = item.file_name().to_ascii_lowercase();
    if !(name.ends_with(".py") || name.ends_with(".pyi")) {
        return false;
    }
    let before = &item.data[..at.min(item.data.len())];
    for quote in [&br#"""""#[..], b"'''"] {
        let opens = memchr::memmem::find_iter(before, quote).count();
        if opens % 2 == 0 {
            continue;
        }
        let Some(open) = memchr::memmem::rfind(before, quote) else {
            continue;
        };
        let line_start = before[..open]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let lead = before[line_start..open].trim_ascii();
        if !(lead.is_empty() || lead.eq_ignore_ascii_case(b"r")) {
            return false;
        }
        let prev = before[..line_start]
            .split(|&b| b == b'\n')
            .map(<[u8]>::trim_ascii)
            .rfind(|l| !l.is_empty() && !l.starts_with(b"#"));
        return prev.is_none_or(|l| l.ends_with(b":"));
    }
    false
}

/// `text` names `field` in any spelling (`client_id_issued_at`, `ClientIdIssuedAt`).
pub fn has_field(text: &[u8], field: &str) -> bool {
    let squeezed: Vec<u8> = text
        .iter()
        .filter(|&&b| b != b'_' && b != b'-')
        .map(u8::to_ascii_lowercase)
        .collect();
    memchr::memmem::find(&squeezed, field.as_bytes()).is_some()
}

fn idents(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$'))
        .filter(|w| !w.is_empty())
}

/// The head names a set of defaults (`DEFAULTS`, `defaultClientMetadata`);
/// the bare keyword (`export default {`) does not count.
pub fn names_defaults(head: &[u8]) -> bool {
    idents(head).any(|w| {
        let w = w.to_ascii_lowercase();
        w != b"default" && memchr::memmem::find(&w, b"default").is_some()
    })
}

/// `needsSecret`, `requires_secret`, `isConfidential`, `has_secret`: a
/// function that answers a question about the metadata.
pub fn is_predicate(name: &[u8]) -> bool {
    [
        "needs", "requires", "is", "has", "uses", "supports", "should", "can",
    ]
    .iter()
    .any(|p| {
        let p = p.as_bytes();
        name.len() > p.len()
            && name[..p.len()].eq_ignore_ascii_case(p)
            && (name[p.len()] == b'_' || name[p.len()].is_ascii_uppercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_and_defaults() {
        assert!(is_predicate(b"needsSecret"));
        assert!(is_predicate(b"requires_secret"));
        assert!(is_predicate(b"isConfidential"));
        assert!(!is_predicate(b"issue"));
        assert!(!is_predicate(b"hash"));
        assert!(!is_predicate(b"register"));
        assert!(names_defaults(b"const DEFAULTS = "));
        assert!(names_defaults(b"  clientDefaults: "));
        assert!(!names_defaults(b"export default "));
    }

    #[test]
    fn fields_in_any_spelling() {
        assert!(has_field(
            b"ClientSecretExpiresAt: 0,",
            "clientsecretexpiresat"
        ));
        assert!(has_field(
            b"\"registration_access_token\": \"x\"",
            "registrationaccesstoken"
        ));
        assert!(!has_field(b"client_secret: x", "clientsecretexpiresat"));
    }

    fn py(name: &str, text: &[u8]) -> Item {
        Item::new(
            crate::item::Provenance::File { path: name.into() },
            text.to_vec(),
        )
    }

    #[test]
    fn docstrings_only() {
        let doc: &[u8] = b"class A:\n    \"\"\"Use it::\n\n        s = S(m='x')\n    \"\"\"\n";
        let at = memchr::memmem::find(doc, b"m='x'").unwrap();
        assert!(in_docstring(&py("auth.py", doc), at));
        let body: &[u8] =
            b"body = \"\"\"{\"m\": \"x\"}\"\"\"\nreq = \"\"\"\n{\"m\": \"y\"}\n\"\"\"\n";
        let at = memchr::memmem::find(body, b"\"y\"").unwrap();
        assert!(!in_docstring(&py("client.py", body), at));
    }

    #[test]
    fn keys_of_yaml_and_json_lines() {
        assert_eq!(key(b"    examples:"), Some(&b"examples"[..]));
        assert_eq!(key(b"  \"examples\": {"), Some(&b"examples"[..]));
        assert_eq!(key(b"  - value: x"), Some(&b"value"[..]));
        assert_eq!(key(b"  plain text"), None);
    }
}
