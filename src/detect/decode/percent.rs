//! Percent-encoding (RFC 3986 §2.1): URL query strings and form bodies that
//! carry a credential document or `key=value` pairs.

use super::{Decoded, Kind};

/// Shortest encoded run decoded, and fewest escapes in it.
const MIN_RUN: usize = 24;
const MIN_ESCAPES: usize = 2;

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Characters that may stand in a percent-encoded run (unreserved, `%`, and
/// the sub-delimiters a query string keeps: `&`, `=`, `+`).
fn in_run(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'%' | b'-' | b'.' | b'_' | b'~' | b'&' | b'=' | b'+')
}

pub fn candidates(data: &[u8], out: &mut Vec<Decoded>) {
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'%', &data[i..]) {
        let mut start = i + p;
        while start > i && in_run(data[start - 1]) {
            start -= 1;
        }
        let mut end = i + p;
        while end < data.len() && in_run(data[end]) {
            end += 1;
        }
        i = end.max(i + p + 1);
        if end - start < MIN_RUN {
            continue;
        }
        if let Some(d) = decode(data, start..end) {
            out.push(d);
        }
    }
}

fn decode(data: &[u8], span: std::ops::Range<usize>) -> Option<Decoded> {
    let mut bytes = Vec::with_capacity(span.len());
    let mut map = Vec::with_capacity(span.len() + 1);
    let mut escapes = 0;
    let mut j = span.start;
    while j < span.end {
        let b = data[j];
        if b == b'%' && j + 2 < span.end {
            if let (Some(h), Some(l)) = (hex(data[j + 1]), hex(data[j + 2])) {
                bytes.push(h << 4 | l);
                map.push(j);
                escapes += 1;
                j += 3;
                continue;
            }
        }
        bytes.push(if b == b'+' { b' ' } else { b });
        map.push(j);
        j += 1;
    }
    map.push(span.end);
    let text = std::str::from_utf8(&bytes).is_ok();
    (escapes >= MIN_ESCAPES && text).then_some(Decoded::mapped(Kind::Percent, span, bytes, map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_maps_back() {
        let src = b"GET /cb?body=%7B%22client_secret%22%3A%22s3cr3tvalue%22%7D HTTP"; // nhiscan:ignore (test input)
        let mut out = Vec::new();
        candidates(src, &mut out);
        assert_eq!(out.len(), 1);
        let d = &out[0];
        assert_eq!(d.data, b"body={\"client_secret\":\"s3cr3tvalue\"}"); // nhiscan:ignore (test input)
        let at = d
            .data
            .windows(11)
            .position(|w| w == b"s3cr3tvalue")
            .unwrap();
        let back = d.to_parent(at..at + 11);
        assert_eq!(&src[back], b"s3cr3tvalue");
    }

    #[test]
    fn too_few_escapes_is_no_candidate() {
        let mut out = Vec::new();
        candidates(b"https://example.com/a%20b/ccccccccccccccccccc", &mut out);
        assert!(out.is_empty());
    }
}
