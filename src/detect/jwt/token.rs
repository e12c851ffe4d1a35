//! Finding compact JWS strings (`header.payload.signature`) in arbitrary bytes
//! and decoding header and claims WITHOUT verifying anything.
//!
//! The scan is linear in the input: each `eyJ` (base64url of `{"`) is only a
//! candidate at the start of a base64url run, and a failed candidate skips the
//! whole run, so no byte is looked at more than a constant number of times.

use std::ops::Range;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use memchr::memmem;
use serde_json::{Map, Value};

/// Longest header or payload segment we decode. Real tokens stay far below
/// (headers with an `x5c` chain reach a few KiB); longer runs are data, not tokens.
const MAX_SEGMENT: usize = 64 * 1024;

/// base64url, padding tolerated, trailing bits tolerated: we read, we do not validate.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A decoded compact JWS found in text.
#[derive(Debug)]
pub struct Token {
    /// Byte span of the whole token in the item.
    pub span: Range<usize>,
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
}

impl Token {
    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }

    /// `alg: none` in any letter case: libraries that compared case-sensitively
    /// were bypassed with `None` and `NONE`.
    pub fn unsigned(&self) -> bool {
        self.alg().eq_ignore_ascii_case("none")
    }

    pub fn str_claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// A NumericDate claim (RFC 7519 §2) as whole seconds; tolerates floats
    /// and numeric strings, which some libraries emit.
    pub fn time_claim(&self, name: &str) -> Option<i64> {
        match self.claims.get(name)? {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
            // RFC 7519 §2: a NumericDate is a JSON number. A string is no
            // date at all (`"123"` is not 1970-01-01).
            _ => None,
        }
    }

    /// `aud` as a list (RFC 7519 §4.1.3 allows a string or an array).
    pub fn audiences(&self) -> Vec<&str> {
        match self.claims.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn run_end(data: &[u8], from: usize) -> usize {
    data[from..]
        .iter()
        .position(|&b| !is_b64url(b))
        .map_or(data.len(), |n| from + n)
}

/// Whether an `eyJ` at `i` can start a token. Normally the byte before must
/// not be base64url (else we are inside a longer run); two escapes glue a
/// letter to the token and are allowed: `%20eyJ…` / `%3DeyJ…` (URL encoding)
/// and `\neyJ…` (an escaped newline in a JSON or log string).
fn starts_token(data: &[u8], i: usize) -> bool {
    if i == 0 || !is_b64url(data[i - 1]) {
        return true;
    }
    (i >= 3 && data[i - 3] == b'%' && data[i - 2].is_ascii_hexdigit())
        || (i >= 2 && data[i - 2] == b'\\')
}

/// Every compact JWS in `data` whose header decodes to a JSON object with a
/// string `alg` (and no `enc`: that is a JWE) and whose payload decodes to a
/// JSON object. Anything else that starts with `eyJ` is ignored.
pub fn find(data: &[u8]) -> Vec<Token> {
    let finder = memmem::Finder::new(b"eyJ");
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let Some(i) = finder.find(&data[pos..]).map(|n| n + pos) else {
            break;
        };
        let header_end = run_end(data, i);
        pos = header_end.max(i + 3);
        if !starts_token(data, i) {
            continue;
        }
        if let Some(tok) = parse_at(data, i, header_end) {
            pos = tok.span.end;
            out.push(tok);
        }
    }
    out
}

fn parse_at(data: &[u8], start: usize, header_end: usize) -> Option<Token> {
    if data.get(header_end) != Some(&b'.') || header_end - start > MAX_SEGMENT {
        return None;
    }
    let payload_start = header_end + 1;
    let payload_end = run_end(data, payload_start);
    if payload_end == payload_start
        || payload_end - payload_start > MAX_SEGMENT
        || data.get(payload_end) != Some(&b'.')
    {
        return None;
    }
    // The signature may be empty (alg none); it is never decoded.
    let sig_end = run_end(data, payload_end + 1);
    let header = decode_object(&data[start..header_end])?;
    if !header.get("alg").is_some_and(Value::is_string) || header.contains_key("enc") {
        return None;
    }
    let claims = decode_object(&data[payload_start..payload_end])?;
    Some(Token {
        span: start..sig_end,
        header,
        claims,
    })
}

fn decode_object(segment: &[u8]) -> Option<Map<String, Value>> {
    let bytes = B64URL.decode(segment).ok()?;
    match serde_json::from_slice::<Value>(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Build a token from JSON texts (tests only): base64url header and claims, a fake signature.
#[cfg(test)]
pub fn encode(header: &str, claims: &str, sig: &str) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!("{}.{}.{sig}", e.encode(header), e.encode(claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = r#"{"alg":"RS256","kid":"k1"}"#;
    const C: &str = r#"{"iss":"a","sub":"a","aud":"https://as/token","exp":200,"iat":100}"#;

    #[test]
    fn finds_a_token_and_its_span() {
        let t = encode(H, C, "c2ln");
        let text = format!("x client_assertion={t}&y=1");
        let found = find(text.as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].span.clone()], t);
        assert_eq!(found[0].alg(), "RS256");
        assert_eq!(found[0].time_claim("exp"), Some(200));
        assert_eq!(found[0].audiences(), vec!["https://as/token"]);
    }

    #[test]
    fn accepts_escaped_and_url_encoded_prefixes() {
        let t = encode(H, C, "c2ln");
        for text in [format!("Bearer%20{t}"), format!(r#""a\n{t}""#)] {
            assert_eq!(find(text.as_bytes()).len(), 1, "{text}");
        }
        // Glued to a longer base64 run: not a token start.
        assert!(find(format!("QUJD{t}").as_bytes()).is_empty());
    }

    #[test]
    fn unsigned_token_with_empty_signature() {
        let t = encode(r#"{"alg":"None"}"#, C, "");
        let found = find(format!("{t} ").as_bytes());
        assert_eq!(found.len(), 1);
        assert!(found[0].unsigned());
    }

    #[test]
    fn ignores_what_does_not_decode() {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let no_alg = encode(r#"{"typ":"JWT"}"#, C, "c2ln");
        let jwe = encode(r#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#, C, "c2ln");
        let bad_claims = format!("{}.{}.c2ln", e.encode(H), e.encode("not json"));
        let bad_utf8 = format!("{}.{}.c2ln", e.encode(H), e.encode([0xff, 0xfe, b'{']));
        for text in [
            no_alg,
            jwe,
            bad_claims,
            bad_utf8,
            "eyJhbGciOi".to_string(),
            "eyJ!!!.eyJ.".to_string(),
            "eyJ".repeat(1000),
            "eyJhbGciOiJSUzI1NiJ9".to_string(),
            "eyJ.eyJ.eyJ".to_string(),
        ] {
            assert!(find(text.as_bytes()).is_empty(), "{text}");
        }
        assert!(find(&[0xff, b'e', b'y', b'J', 0x00, b'.']).is_empty());
    }

    #[test]
    fn huge_garbled_input_is_linear() {
        // 2 MiB of near-misses (debug build): must finish quickly and find nothing.
        let mut data = Vec::new();
        while data.len() < 2 << 20 {
            data.extend_from_slice(b"eyJeyJ.eyJ.");
            data.extend_from_slice(b"xeyJhbGci ");
        }
        let t = std::time::Instant::now();
        assert!(find(&data).is_empty());
        assert!(t.elapsed().as_secs() < 10, "{:?}", t.elapsed());
    }
}
