//! Base64 runs: finding them, decoding them, and the keywords that gate them.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine as _};

use super::{is_text, Decoded, Kind};

/// Shortest run decoded as text: 24 bytes of text, e.g. `client_secret=` and a value.
pub const MIN_TEXT_RUN: usize = 32;

const CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, CONFIG);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);

/// The base64 characters fully determined by `word` when it starts at byte
/// 0, 1 or 2 of a 3-byte group: what any base64 text containing `word`
/// contains, whatever surrounds it. Forms shorter than 6 characters are left
/// out (too common to gate anything).
pub fn aligned_forms(word: &[u8]) -> Vec<String> {
    (0..3).filter_map(|lead| aligned_form(word, lead)).collect()
}

/// The form of `word` at byte `lead` (0-2) of a 3-byte group: for structures
/// at a known offset from the start of the encoded text (a key's or a key
/// store's header), only that alignment occurs.
pub fn aligned_form(word: &[u8], lead: usize) -> Option<String> {
    let mut bytes = vec![0u8; lead];
    bytes.extend_from_slice(word);
    let enc = STANDARD.encode(&bytes);
    let total_bits = 8 * bytes.len();
    // Character i covers bits 6i..6i+6: known when it lies wholly inside the word.
    let known: String = enc
        .chars()
        .enumerate()
        .filter(|&(i, _)| 6 * i >= 8 * lead && 6 * i + 6 <= total_bits)
        .map(|(_, c)| c)
        .collect();
    (known.len() >= 6).then_some(known)
}

pub fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// Maximal runs of base64 characters (with trailing `=`) at least `min` long.
/// With `wrapped`, a run goes on across line breaks and `\n` escapes between
/// base64 characters (a PEM body without its armour).
pub fn runs(data: &[u8], min: usize, wrapped: bool) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if !is_b64(data[i]) {
            i += 1;
            continue;
        }
        let start = i;
        loop {
            while i < data.len() && is_b64(data[i]) {
                i += 1;
            }
            if !wrapped {
                break;
            }
            let gap = wrap_gap(&data[i..]);
            if gap > 0 && data.get(i + gap).copied().is_some_and(is_b64) {
                i += gap;
            } else {
                break;
            }
        }
        // The `n` of a `\n` escape just before the run is not part of it.
        let start = if start >= 1 && data[start - 1] == b'\\' && data[start] == b'n' {
            start + 1
        } else {
            start
        };
        let mut end = i;
        while end < data.len() && data[end] == b'=' && end - i < 2 {
            end += 1;
        }
        if end - start >= min {
            out.push(start..end);
        }
        i = end.max(i + 1);
    }
    out
}

/// Length of a line break (`\n`, `\r\n`, a `\n` escape, optional spaces) at
/// the start of `b`, 0 if none.
fn wrap_gap(b: &[u8]) -> usize {
    let mut j = 0;
    if b.starts_with(b"\\r\\n") {
        j = 4;
    } else if b.starts_with(b"\\n") || b.starts_with(b"\r\n") {
        j = 2;
    } else if b.starts_with(b"\n") {
        j = 1;
    }
    if j == 0 {
        return 0;
    }
    while j < b.len() && matches!(b[j], b' ' | b'\t') {
        j += 1;
    }
    j
}

/// Decode a run (line breaks and `\n` escapes inside it are skipped); None
/// when it is not valid base64 in either alphabet.
pub fn decode(run: &[u8]) -> Option<Vec<u8>> {
    let mut clean: Vec<u8> = Vec::with_capacity(run.len());
    let mut i = 0;
    while i < run.len() {
        match run[i] {
            // `\n`, `\r\n`, and doubly escaped `\\n` line breaks.
            b'\\' => {
                while run.get(i) == Some(&b'\\') {
                    i += 1;
                }
                if matches!(run.get(i), Some(b'n' | b'r' | b't')) {
                    i += 1;
                }
            }
            b'\n' | b'\r' | b' ' | b'\t' => i += 1,
            c => {
                clean.push(c);
                i += 1;
            }
        }
    }
    let url = clean.iter().any(|&c| c == b'-' || c == b'_');
    let std = clean.iter().any(|&c| c == b'+' || c == b'/');
    if url && std {
        return None;
    }
    let engine = if url { &URL_SAFE } else { &STANDARD };
    engine.decode(&clean).ok()
}

/// Base64 runs of `data` whose decoding is text: candidates for a rescan.
pub fn text_candidates(data: &[u8], out: &mut Vec<Decoded>) {
    for r in runs(data, MIN_TEXT_RUN, false) {
        let Some(bytes) = decode(&data[r.clone()]) else {
            continue;
        };
        if is_text(&bytes) {
            out.push(Decoded {
                kind: Kind::Base64,
                span: r,
                data: bytes,
                map: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_forms_occur_in_any_encoding_of_the_word() {
        let word = b"client_secret";
        let forms = aligned_forms(word);
        assert_eq!(forms.len(), 3);
        for lead in 0..3 {
            let mut text = b"xyz"[..lead].to_vec();
            text.extend_from_slice(word);
            text.extend_from_slice(b"=abc");
            let enc = STANDARD.encode(&text);
            assert!(forms.iter().any(|f| enc.contains(f.as_str())), "{enc}");
        }
    }

    #[test]
    fn runs_and_wrapped_runs() {
        let d = b"k: \"QUJDREVGR0hJSktM\\nTU5PUFFSU1RVVldY\" x";
        assert_eq!(runs(d, 10, false).len(), 2);
        let w = runs(d, 10, true);
        assert_eq!(w.len(), 1);
        assert_eq!(
            decode(&d[w[0].clone()]).unwrap(),
            b"ABCDEFGHIJKLMNOPQRSTUVWX"
        );
    }

    #[test]
    fn text_candidates_skip_binary() {
        let mut out = Vec::new();
        let text = STANDARD.encode("client_secret=0123456789abcdefghij"); // nhiscan:ignore (test input)
        let bin = STANDARD.encode([
            0u8, 1, 2, 3, 250, 251, 252, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        ]);
        text_candidates(format!("a: {text}\nb: {bin}\n").as_bytes(), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, b"client_secret=0123456789abcdefghij"); // nhiscan:ignore (test input)
    }
}
