//! Filters that separate real secrets from look-alikes: entropy, placeholders
//! and variable references, plus the snippet masker.

/// Shannon entropy in bits per byte.
pub fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Substrings that mark a value as a reference to a secret stored elsewhere
/// (environment, template, CI secret store) rather than the secret itself.
const REFERENCE_MARKERS: &[&str] = &[
    "${",
    "{{",
    "%env(",
    "$(",
    "env(",
    "os.environ",
    "os.getenv",
    "getenv(",
    "process.env",
    "secrets.",
    "vars.",
    "env.",
    "environ[",
    "system.getenv",
    "config[",
    "settings.",
    "<%",
    "%>",
    "#{",
    "@{",
];

/// Words that mark a value as a placeholder.
const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "your",
    "example",
    "placeholder",
    "dummy",
    "redacted",
    "replace",
    "insert",
    "sample",
    "todo",
    "fixme",
    "secret_here",
    "xxxxxx",
    "******",
    "......",
    "<",
    ">",
    "null",
    "none",
    "undefined",
    "password",
    "notasecret",
    "not-a-secret",
    "test-secret",
    "fake",
];

/// True when a candidate secret is a variable reference or an obvious placeholder.
pub fn is_placeholder(secret: &[u8]) -> bool {
    let s = String::from_utf8_lossy(secret).to_ascii_lowercase();
    if s.starts_with('$') || s.starts_with('%') && s.ends_with('%') {
        return true;
    }
    if REFERENCE_MARKERS.iter().any(|m| s.contains(m)) {
        return true;
    }
    if PLACEHOLDER_WORDS.iter().any(|w| s.contains(w)) {
        return true;
    }
    // One character repeated (xxxx, 0000, ****) is never a real secret.
    let mut chars = s.chars();
    if let Some(first) = chars.next() {
        if chars.all(|c| c == first) {
            return true;
        }
    }
    false
}

/// Credentials printed as examples in the specifications and copied into
/// documentation everywhere (RFC 6749's client `s6BhdRkqt3` with secret
/// `gX1fBat3bV`, and the password of its resource-owner example).
const PUBLISHED_EXAMPLES: &[&str] = &["gX1fBat3bV", "s6BhdRkqt3", "A3ddj3w"];

/// True when the value is an example credential published in a specification.
pub fn is_published_example(v: &[u8]) -> bool {
    PUBLISHED_EXAMPLES.iter().any(|e| e.as_bytes() == v)
}

/// True when the value is base64 (standard or URL-safe, padded or not) of
/// short printable text that is itself a placeholder or made of words:
/// `b2F1dGgy…` for "oauth2-proxy-client-secret", a JWK `k` that decodes to
/// "changemechangeme…". Random key material never decodes to such text.
pub fn is_encoded_placeholder(v: &[u8]) -> bool {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    use base64::Engine as _;
    if v.len() < 12 || v.len() > 512 {
        return false;
    }
    let trimmed = v
        .strip_suffix(b"==")
        .or_else(|| v.strip_suffix(b"="))
        .unwrap_or(v);
    let Some(text) = STANDARD_NO_PAD
        .decode(trimmed)
        .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
        .ok()
    else {
        return false;
    };
    let text = text.trim_ascii();
    if text.len() < 6 || !text.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return false;
    }
    is_placeholder(text) || super::candidate::is_word_like(text)
}

fn is_token_byte(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-' | '.' | '~')
}

/// Mask every token that looks like a secret (long, mixed letters and digits,
/// high entropy) so a snippet never carries one, even one no rule matched.
pub fn mask_secrets(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if looks_secret(token) {
            out.push_str(&crate::finding::redact(token));
        } else {
            out.push_str(token);
        }
        token.clear();
    };
    for c in line.chars() {
        if is_token_byte(c) {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

fn looks_secret(token: &str) -> bool {
    token.len() >= 20
        && token.bytes().any(|b| b.is_ascii_digit())
        && token.bytes().any(|b| b.is_ascii_alphabetic())
        && entropy(token.as_bytes()) >= 3.5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_uniform_and_constant() {
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn placeholders_and_references() {
        for p in [
            "changeme",
            "your-client-secret",
            "xxxxxxxxxxxxxxxx",
            "${CLIENT_SECRET}",
            "{{ .Values.secret }}",
            "%env(OAUTH_SECRET)%",
            "os.environ['X']",
            "process.env.CLIENT_SECRET",
            "${{ secrets.CLIENT_SECRET }}",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        assert!(!is_placeholder(b"q8Zr3kLm9TfXv2Wb"));
    }

    #[test]
    fn masks_only_secret_looking_tokens() {
        let m = mask_secrets("key = 'q8Zr3kLm9TfXv2Wb7HnYp4Qs' # verify_signature_and_audience");
        assert!(!m.contains("q8Zr3kLm9TfXv2Wb7HnYp4Qs"));
        assert!(m.contains("verify_signature_and_audience"));
    }
}
