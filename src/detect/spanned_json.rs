//! A small JSON reader that keeps the byte span of every value and member
//! key, so structured checks can point at the exact member (serde_json does
//! not expose positions). One pass, linear in the input; nesting is capped so
//! hostile input cannot exhaust the stack. Anything that is not one complete
//! JSON document is `None`: callers treat it as "not this kind of file".

use std::ops::Range;

/// Deepest nesting accepted; real key files nest two or three levels.
const MAX_DEPTH: usize = 128;

/// Largest document read into a tree. The tree takes up to ~28× its input
/// (a 48-byte node per two-byte array element, plus vector slack), so a
/// 100 MB document took 2.8 GB; the documents these checks are for (key
/// files, JWK Sets) are kilobytes. Callers say when a document is skipped.
pub const MAX_DOCUMENT: usize = 4 << 20;

#[derive(Debug)]
pub struct Node {
    pub span: Range<usize>,
    pub value: Value,
}

#[derive(Debug)]
pub enum Value {
    Object(Vec<Member>),
    Array(Vec<Node>),
    Str(String),
    /// Numbers, booleans and null: checks here never need their value.
    Scalar,
}

#[derive(Debug)]
pub struct Member {
    pub key: String,
    pub key_span: Range<usize>,
    pub value: Node,
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The member `key` of an object (the first, if repeated).
    pub fn get(&self, key: &str) -> Option<&Member> {
        match &self.value {
            Value::Object(members) => members.iter().find(|m| m.key == key),
            _ => None,
        }
    }
}

/// Parse `data` as one JSON document (a leading UTF-8 BOM is allowed).
/// Documents over [`MAX_DOCUMENT`] are `None` as well (callers check the
/// size first to say why).
pub fn parse(data: &[u8]) -> Option<Node> {
    if data.len() > MAX_DOCUMENT {
        return None;
    }
    let start = if data.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut p = Parser { data, pos: start };
    p.ws();
    let node = p.value(0)?;
    p.ws();
    (p.pos == data.len()).then_some(node)
}

struct Parser<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek() == Some(b)).then(|| self.pos += 1)
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let start = self.pos;
        let value = match self.peek()? {
            b'{' => self.object(depth)?,
            b'[' => self.array(depth)?,
            b'"' => Value::Str(self.string()?),
            b't' => self.literal(b"true")?,
            b'f' => self.literal(b"false")?,
            b'n' => self.literal(b"null")?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return None,
        };
        Some(Node {
            span: start..self.pos,
            value,
        })
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        self.eat(b'{')?;
        let mut members = Vec::new();
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(Value::Object(members));
        }
        loop {
            self.ws();
            let key_start = self.pos;
            let key = self.string()?;
            let key_span = key_start..self.pos;
            self.ws();
            self.eat(b':')?;
            self.ws();
            let value = self.value(depth + 1)?;
            members.push(Member {
                key,
                key_span,
                value,
            });
            self.ws();
            if self.eat(b',').is_some() {
                continue;
            }
            self.eat(b'}')?;
            return Some(Value::Object(members));
        }
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        self.eat(b'[')?;
        let mut items = Vec::new();
        self.ws();
        if self.eat(b']').is_some() {
            return Some(Value::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            if self.eat(b',').is_some() {
                continue;
            }
            self.eat(b']')?;
            return Some(Value::Array(items));
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<Value> {
        self.data[self.pos..].starts_with(word).then(|| {
            self.pos += word.len();
            Value::Scalar
        })
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.pos;
        while matches!(
            self.peek(),
            Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        ) {
            self.pos += 1;
        }
        (self.pos > start).then_some(Value::Scalar)
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.data.get(self.pos..self.pos + 4)?;
        let s = std::str::from_utf8(digits).ok()?;
        let v = u32::from_str_radix(s, 16).ok()?;
        self.pos += 4;
        Some(v)
    }

    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut out: Vec<u8> = Vec::new();
        loop {
            // Copy the run up to the next quote or backslash in one go.
            let rest = &self.data[self.pos..];
            let n = memchr::memchr2(b'"', b'\\', rest)?;
            out.extend_from_slice(&rest[..n]);
            self.pos += n;
            if self.eat(b'"').is_some() {
                return Some(String::from_utf8_lossy(&out).into_owned());
            }
            self.pos += 1; // the backslash
            let c = self.peek()?;
            self.pos += 1;
            let decoded = match c {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let hi = self.hex4()?;
                    let code = if (0xD800..0xDC00).contains(&hi)
                        && self.data[self.pos..].starts_with(b"\\u")
                    {
                        self.pos += 2;
                        let lo = self.hex4()?;
                        0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                    } else {
                        hi
                    };
                    char::from_u32(code).unwrap_or('\u{FFFD}')
                }
                _ => return None,
            };
            let mut buf = [0u8; 4];
            out.extend_from_slice(decoded.encode_utf8(&mut buf).as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = br#"{"a": {"kty": "RSA", "n": [1, 2.5e3, true, null]}, "s": "x\ny\u00e9"}"#;
        let doc = parse(text).unwrap();
        let a = doc.get("a").unwrap();
        let kty = a.value.get("kty").unwrap();
        assert_eq!(&text[kty.key_span.clone()], br#""kty""#);
        assert_eq!(&text[kty.value.span.clone()], br#""RSA""#);
        assert_eq!(doc.get("s").unwrap().value.as_str(), Some("x\nyé"));
    }

    #[test]
    fn rejects_what_is_not_one_json_document() {
        for bad in [
            &b""[..],
            b"{",
            b"{\"a\": 1,}",
            b"{\"a\" 1}",
            b"[1] [2]",
            b"\"unterminated",
            b"key: value",
            b"{\"a\": \"\\q\"}",
        ] {
            assert!(parse(bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(parse(b"\xEF\xBB\xBF {\"a\": []} \n").is_some());
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(parse(deep.as_bytes()).is_none());
        let ok = "[".repeat(50) + &"]".repeat(50);
        assert!(parse(ok.as_bytes()).is_some());
    }

    #[test]
    fn mangled_documents_never_panic() {
        let base = br#"{"keys":[{"kty":"RSA","n":"0vx7\u00e9\ud83d\ude00","e":"AQAB","d":[1,-2.5e+3,true,false,null,{}]}]}"#;
        // Every truncation, and every byte replaced by each structural byte.
        for cut in 0..base.len() {
            let _ = parse(&base[..cut]);
        }
        for i in 0..base.len() {
            for b in [b'"', b'\\', b'{', b'}', b'[', b']', b':', b',', b'u', 0xFF] {
                let mut m = base.to_vec();
                m[i] = b;
                let _ = parse(&m);
            }
        }
        assert!(parse(base).is_some());
    }
}
