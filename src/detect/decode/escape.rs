//! Backslash-escaped string literals: JSON inside a JSON string
//! (`"{\"client_secret\": \"…\"}"`), a config file pasted into a code string.
//! The candidate is the whole literal around a gating keyword; its escapes
//! (`\"`, `\\`, `\/`, `\n`, `\r`, `\t`, `\uXXXX`) are undone byte by byte, so
//! findings inside map back exactly.

use super::{Decoded, Kind};

/// Shortest literal decoded.
const MIN_LITERAL: usize = 16;
/// A literal is looked for this far around a keyword at most, in bytes.
const REACH: usize = 64 * 1024;

/// Every distinct string literal that contains an escaped quote.
pub fn candidates(data: &[u8], out: &mut Vec<Decoded>) {
    let mut from = 0;
    // Bytes before `floor` were already walked back over: each byte is
    // looked at a bounded number of times, however many escapes a line has.
    let mut floor = 0;
    while let Some(p) = memchr::memmem::find(&data[from..], b"\\\"") {
        let at = from + p;
        let found = literal_around(data, at, floor);
        floor = at;
        match found {
            Some(span) => {
                from = span.end;
                if span.len() >= MIN_LITERAL {
                    if let Some(d) = decode(data, span) {
                        out.push(d);
                    }
                }
            }
            None => from = at + 2,
        }
    }
}

/// Whether the quote at `i` is escaped (an odd number of backslashes before it).
fn escaped(data: &[u8], i: usize) -> bool {
    let mut n = 0;
    while i > n && data[i - 1 - n] == b'\\' {
        n += 1;
    }
    n % 2 == 1
}

/// The content span of the double-quoted literal holding the escape at `at`:
/// back to an unescaped `"`, forward to the next one, on one line.
fn literal_around(data: &[u8], at: usize, floor: usize) -> Option<std::ops::Range<usize>> {
    let low = at.saturating_sub(REACH).max(floor);
    let mut s = at;
    loop {
        if s == low {
            return None;
        }
        s -= 1;
        match data[s] {
            b'\n' => return None,
            b'"' if !escaped(data, s) => break,
            _ => {}
        }
    }
    let high = (at + REACH).min(data.len());
    let mut e = at + 2;
    while e < high {
        match data[e] {
            b'\n' => return None,
            b'"' if !escaped(data, e) => return Some(s + 1..e),
            _ => e += 1,
        }
    }
    None
}

fn decode(data: &[u8], span: std::ops::Range<usize>) -> Option<Decoded> {
    let mut bytes = Vec::with_capacity(span.len());
    let mut map = Vec::with_capacity(span.len() + 1);
    let mut j = span.start;
    while j < span.end {
        let b = data[j];
        if b != b'\\' || j + 1 >= span.end {
            bytes.push(b);
            map.push(j);
            j += 1;
            continue;
        }
        let (c, len) = match data[j + 1] {
            b'n' => ('\n', 2),
            b'r' => ('\r', 2),
            b't' => ('\t', 2),
            b'"' => ('"', 2),
            b'\'' => ('\'', 2),
            b'\\' => ('\\', 2),
            b'/' => ('/', 2),
            b'u' if j + 6 <= span.end => {
                let hex = std::str::from_utf8(&data[j + 2..j + 6]).ok()?;
                let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?).unwrap_or('\u{FFFD}');
                (c, 6)
            }
            other => (other as char, 2),
        };
        let mut buf = [0u8; 4];
        for &x in c.encode_utf8(&mut buf).as_bytes() {
            bytes.push(x);
            map.push(j);
        }
        j += len;
    }
    map.push(span.end);
    Some(Decoded::mapped(Kind::Escaped, span, bytes, map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_a_json_string() {
        let src = br#"{"config": "{\"client_secret\": \"Zx8-qL2v\\nEND\"}", "x": "\"q\""}"#; // nhiscan:ignore (test input)
        let mut out = Vec::new();
        candidates(src, &mut out);
        assert_eq!(out.len(), 1, "the short literal is no candidate");
        let d = &out[0];
        assert_eq!(d.data, b"{\"client_secret\": \"Zx8-qL2v\\nEND\"}"); // nhiscan:ignore (test input)
        let at = d.data.windows(8).position(|w| w == b"Zx8-qL2v").unwrap();
        assert_eq!(&src[d.to_parent(at..at + 8)], b"Zx8-qL2v");
    }

    #[test]
    fn unterminated_literal_is_no_candidate() {
        let mut out = Vec::new();
        candidates(b"x = \"abc \\\" def\nmore", &mut out);
        assert!(out.is_empty());
    }
}
