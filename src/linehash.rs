//! GitHub code scanning's `primaryLocationLineHash`: a rolling hash over the
//! 100 non-blank characters that start at each line, as the upload action
//! computes it when a SARIF file arrives without one. Supplying it ourselves
//! keeps alerts stable for files the uploader cannot read (history blobs).
//!
//! The algorithm (public in github/codeql-action): spaces and tabs are
//! skipped, CR and CRLF become LF, each UTF-16 code unit is fed to
//! `h = 37·h + c − 37¹⁰⁰·c_out` in wrapping 64-bit arithmetic, and a line's
//! hash is the value once 100 more units have been fed after its first one,
//! written as hex plus `:n`, the n-th time that value occurs.

use std::collections::HashMap;

const BLOCK: usize = 100;
const MOD: u64 = 37;
const EOF_UNIT: u64 = 65535;

/// The hash of every line of `data`, indexed by line number − 1.
pub fn line_hashes(data: &[u8]) -> Vec<String> {
    line_hashes_upto(data, usize::MAX)
}

/// The hashes of lines 1..=`last` (fewer if the file is shorter). A line's
/// hash depends only on what precedes and follows it by 100 units, so the
/// work stops there: a finding near the top of a huge file costs little.
pub fn line_hashes_upto(data: &[u8], last: usize) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    let first_mod = (0..BLOCK).fold(1u64, |m, _| m.wrapping_mul(MOD));
    let mut window = [0u64; BLOCK];
    let mut line_at = [0usize; BLOCK]; // 0 = no line starts here, else line number
    let mut hash: u64 = 0;
    let mut index = 0usize;
    let mut line_no = 0usize;
    let mut line_start = true;
    let mut prev_cr = false;
    let mut counts: HashMap<u64, u32> = HashMap::new();
    let mut out: Vec<String> = Vec::new();

    let mut emit =
        |line_at: &mut [usize; BLOCK], index: usize, hash: u64, out: &mut Vec<String>| {
            let n = counts.entry(hash).or_insert(0);
            *n += 1;
            let line = line_at[index];
            if out.len() < line {
                out.resize(line, String::new());
            }
            out[line - 1] = format!("{hash:x}:{n}");
            line_at[index] = 0;
        };
    let update = |c: u64, window: &mut [u64; BLOCK], index: &mut usize, hash: &mut u64| {
        let begin = window[*index];
        window[*index] = c;
        *hash = MOD
            .wrapping_mul(*hash)
            .wrapping_add(c)
            .wrapping_sub(first_mod.wrapping_mul(begin));
        *index = (*index + 1) % BLOCK;
    };

    let units = text
        .encode_utf16()
        .map(u64::from)
        .chain(std::iter::once(EOF_UNIT));
    for mut c in units {
        if c == b' ' as u64 || c == b'\t' as u64 || (prev_cr && c == b'\n' as u64) {
            prev_cr = false;
            continue;
        }
        if c == b'\r' as u64 {
            c = b'\n' as u64;
            prev_cr = true;
        } else {
            prev_cr = false;
        }
        if line_at[index] != 0 {
            emit(&mut line_at, index, hash, &mut out);
            if out.len() >= last {
                out.truncate(last);
                return out;
            }
        }
        if line_start {
            line_start = false;
            line_no += 1;
            line_at[index] = line_no;
        }
        if c == b'\n' as u64 {
            line_start = true;
        }
        update(c, &mut window, &mut index, &mut hash);
    }
    for _ in 0..BLOCK {
        if line_at[index] != 0 {
            emit(&mut line_at, index, hash, &mut out);
        }
        update(0, &mut window, &mut index, &mut hash);
    }
    out.truncate(last);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_hash_per_line_and_whitespace_insensitive() {
        let a = line_hashes(b"alpha\nbeta\ngamma\n");
        assert_eq!(a.len(), 4, "{a:?}"); // the empty line after the last LF counts
        let b = line_hashes(b"alpha\n  beta\t\ngamma\n");
        assert_eq!(a, b);
        let crlf = line_hashes(b"alpha\r\nbeta\r\ngamma\r\n");
        assert_eq!(a, crlf);
    }

    #[test]
    fn repeated_content_is_counted() {
        // Identical suffixes give identical raw hashes; the counter tells them apart.
        let h = line_hashes(b"x\nx\n");
        assert!(h.iter().all(|s| s.contains(':')));
        assert_ne!(h[0], h[1]);
    }

    #[test]
    fn a_prefix_of_lines_matches_the_full_computation() {
        let text = b"one\ntwo\none\nthree\n".repeat(50);
        let all = line_hashes(&text);
        for last in [1, 2, 3, 40, 199, 201, 500] {
            let some = line_hashes_upto(&text, last);
            assert_eq!(some[..], all[..last.min(all.len())], "last {last}");
        }
    }

    #[test]
    fn known_value_for_single_line() {
        // Hand-computed: "a" then EOF, then 99 zero units → h = 97·37^100 + 65535·37^99 (wrapping).
        let h = line_hashes(b"a");
        let mut expect: u64 = 0;
        for c in [97u64, 65535] {
            expect = expect.wrapping_mul(37).wrapping_add(c);
        }
        for _ in 0..98 {
            expect = expect.wrapping_mul(37);
        }
        assert_eq!(h, vec![format!("{expect:x}:1")]);
    }
}
