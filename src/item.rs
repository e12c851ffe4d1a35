//! Items: what detectors see. A blob of bytes with its provenance, and the
//! offset → line/column mapping every detector needs to place a finding.

use std::sync::OnceLock;

/// Where an item's bytes came from. Carried unchanged from source to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// A file in the working tree; `path` is relative to the scan root, `/`-separated.
    File { path: String },
    /// A blob from git history: the path and commit that first introduced it.
    GitBlob {
        path: String,
        blob: String,
        commit: String,
        /// Author time, seconds since the Unix epoch.
        author_time: i64,
        /// Whether the same blob content is still reachable at HEAD (None when unknown).
        at_head: Option<bool>,
    },
    /// The staged content of a path in the git index.
    Staged { path: String },
    /// A document fetched from a URL, located at a line of a local file (the
    /// targets file or a referencing line) or at a scheme-less pseudo path
    /// (line 1). Findings about it sit at that line, never inside the document.
    Remote {
        url: String,
        path: String,
        line: u32,
    },
}

impl Provenance {
    /// A blob from history whose content is no longer at HEAD: only
    /// leaked-credential rules run on it (see [`crate::rules::is_leaked_credential`]).
    pub fn is_past(&self) -> bool {
        matches!(
            self,
            Provenance::GitBlob {
                at_head: Some(false),
                ..
            }
        )
    }

    /// The repository-relative path reports use as the location.
    pub fn path(&self) -> &str {
        match self {
            Provenance::File { path }
            | Provenance::GitBlob { path, .. }
            | Provenance::Staged { path }
            | Provenance::Remote { path, .. } => path,
        }
    }
}

/// A path (or file name) from raw bytes: UTF-8 as it is, each byte of an
/// invalid sequence as `\xNN`. Lossy decoding would turn two different
/// non-UTF-8 names into the same `�` path and one file's findings would
/// shadow the other's.
pub fn path_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// A unit of scanning: bytes plus provenance. Text views are derived lazily.
#[derive(Debug)]
pub struct Item {
    pub provenance: Provenance,
    pub data: Vec<u8>,
    lines: OnceLock<LineIndex>,
}

impl Item {
    pub fn new(provenance: Provenance, data: Vec<u8>) -> Self {
        Item {
            provenance,
            data,
            lines: OnceLock::new(),
        }
    }

    pub fn path(&self) -> &str {
        self.provenance.path()
    }

    /// The file name (last path component), lower-cased callers may compare.
    pub fn file_name(&self) -> &str {
        let p = self.path();
        p.rsplit('/').next().unwrap_or(p)
    }

    pub fn line_index(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.data))
    }

    /// 1-based line and column (in Unicode scalar values) of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        self.line_index().position(&self.data, offset)
    }

    /// A region spanning `start..end` byte offsets. Trailing line terminators
    /// in the span (a pattern's closing delimiter can be one) are left out, so
    /// a match ends on its own line and CRLF and LF files get the same region.
    pub fn region(&self, start: usize, end: usize) -> Region {
        let mut end = end.max(start);
        while end > start && matches!(self.data.get(end - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        let s = self.position(start);
        let e = self.position(end);
        Region {
            start_line: s.line,
            start_column: s.column,
            end_line: e.line,
            end_column: e.column,
        }
    }

    /// The byte offset of a 1-based line and column (the inverse of
    /// [`Item::position`]); a column past the line's end gives its end.
    pub fn offset(&self, line: u32, column: u32) -> usize {
        let idx = self.line_index();
        let Some(&start) = idx.starts.get((line.max(1) - 1) as usize) else {
            return self.data.len();
        };
        let mut at = start;
        let mut col = 1;
        for chunk in self.data[start..].utf8_chunks() {
            for c in chunk.valid().chars() {
                if col >= column || c == '\n' {
                    return at;
                }
                at += c.len_utf8();
                col += 1;
            }
            if !chunk.invalid().is_empty() {
                if col >= column {
                    return at;
                }
                at += chunk.invalid().len();
                col += 1;
            }
        }
        at
    }

    /// The bytes of the (1-based) line, without its line terminator.
    pub fn line_bytes(&self, line: u32) -> &[u8] {
        self.line_index().line(&self.data, line)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// A 1-based, end-exclusive-column region, as SARIF expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

impl Region {
    pub fn line(line: u32) -> Region {
        Region {
            start_line: line,
            start_column: 1,
            end_line: line,
            end_column: 1,
        }
    }
}

/// Start offsets of every line. `\n` ends a line; a preceding `\r` is part of
/// the terminator, so CRLF files get the same lines and columns as LF files.
#[derive(Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
    /// Column checkpoints inside long lines: (byte offset on a character
    /// boundary, characters from its line's start to it), every
    /// [`CHECKPOINT`] bytes, in offset order. A column is then counted from
    /// the nearest checkpoint, not from the line start: a 1 MB line with
    /// 32,000 secrets costs one pass, not 32,000.
    checkpoints: OnceLock<Vec<(usize, u32)>>,
}

/// Bytes between column checkpoints in a long line.
const CHECKPOINT: usize = 4096;

impl LineIndex {
    pub fn new(data: &[u8]) -> Self {
        let mut starts = Vec::with_capacity(data.len() / 40 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', data).map(|i| i + 1));
        LineIndex {
            starts,
            checkpoints: OnceLock::new(),
        }
    }

    fn checkpoints(&self, data: &[u8]) -> &[(usize, u32)] {
        self.checkpoints.get_or_init(|| {
            let mut out = Vec::new();
            for (i, &start) in self.starts.iter().enumerate() {
                let end = self.starts.get(i + 1).copied().unwrap_or(data.len());
                if end - start <= CHECKPOINT {
                    continue;
                }
                let mut pos = start;
                let mut col = 0u32;
                let mut next = start + CHECKPOINT;
                for chunk in data[start..end].utf8_chunks() {
                    let valid = chunk.valid();
                    if pos + valid.len() < next {
                        col += valid.chars().count() as u32;
                    } else {
                        for (j, _) in valid.char_indices() {
                            if pos + j >= next {
                                out.push((pos + j, col));
                                next = pos + j + CHECKPOINT;
                            }
                            col += 1;
                        }
                    }
                    pos += valid.len();
                    if !chunk.invalid().is_empty() {
                        col += 1;
                        pos += chunk.invalid().len();
                    }
                }
            }
            out
        })
    }

    pub fn position(&self, data: &[u8], offset: usize) -> Position {
        let offset = offset.min(data.len());
        let idx = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let mut from = self.starts[idx];
        let mut base = 0u32;
        if offset - from > CHECKPOINT {
            let cps = self.checkpoints(data);
            let k = cps.partition_point(|&(o, _)| o <= offset);
            if let Some(&(o, c)) = k.checked_sub(1).map(|k| &cps[k]) {
                if o >= from {
                    from = o;
                    base = c;
                }
            }
        }
        let prefix = &data[from..offset];
        // Columns count characters, not bytes, as a lossy decoding shows them:
        // each invalid sequence is one U+FFFD. Counted without allocating, as
        // a line can be a 100 MB minified file.
        let column = prefix
            .utf8_chunks()
            .map(|c| c.valid().chars().count() + usize::from(!c.invalid().is_empty()))
            .sum::<usize>() as u32
            + base
            + 1;
        Position {
            line: idx as u32 + 1,
            column,
        }
    }

    pub fn line<'a>(&self, data: &'a [u8], line: u32) -> &'a [u8] {
        let idx = (line.max(1) - 1) as usize;
        let Some(&start) = self.starts.get(idx) else {
            return &[];
        };
        let end = self.starts.get(idx + 1).copied().unwrap_or(data.len());
        let mut l = &data[start..end];
        if l.ends_with(b"\n") {
            l = &l[..l.len() - 1];
        }
        if l.ends_with(b"\r") {
            l = &l[..l.len() - 1];
        }
        l
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(s: &str) -> Item {
        Item::new(
            Provenance::File {
                path: "a.txt".into(),
            },
            s.as_bytes().to_vec(),
        )
    }

    #[test]
    fn lf_and_crlf_give_same_positions() {
        let lf = item("one\ntwo SECRET\n");
        let crlf = item("one\r\ntwo SECRET\r\n");
        let p1 = lf.position(lf.data.windows(6).position(|w| w == b"SECRET").unwrap());
        let p2 = crlf.position(crlf.data.windows(6).position(|w| w == b"SECRET").unwrap());
        assert_eq!(p1, Position { line: 2, column: 5 });
        assert_eq!(p1, p2);
        assert_eq!(crlf.line_bytes(2), b"two SECRET");
    }

    #[test]
    fn regions_end_before_the_line_terminator() {
        let lf = item("a SECRET\nb");
        let crlf = item("a SECRET\r\nb");
        assert_eq!(lf.region(2, 9), crlf.region(2, 10));
        assert_eq!(
            lf.region(2, 9),
            Region {
                start_line: 1,
                start_column: 3,
                end_line: 1,
                end_column: 9
            }
        );
    }

    #[test]
    fn offset_inverts_position() {
        let it = item("ab\né=xy\nz");
        for off in [0, 1, 3, 5, 6, 7, 9] {
            let p = it.position(off);
            assert_eq!(it.offset(p.line, p.column), off, "{off}");
        }
    }

    #[test]
    fn columns_count_characters() {
        let it = item("é=x");
        assert_eq!(it.position(3), Position { line: 1, column: 3 });
    }

    #[test]
    fn columns_in_long_lines_match_counting_from_the_line_start() {
        let mut s = String::from("x\n");
        for i in 0..3000 {
            s.push_str(if i % 7 == 0 { "é€" } else { "ab" });
            s.push('\u{1F600}');
        }
        let mut data = s.into_bytes();
        data.splice(5000..5000, [0xFFu8, 0xFE]);
        let it = Item::new(Provenance::File { path: "a".into() }, data.clone());
        for off in (0..data.len()).step_by(37) {
            let line_start = if off < 2 { 0 } else { 2 };
            let expect = data[line_start..off]
                .utf8_chunks()
                .map(|c| c.valid().chars().count() + usize::from(!c.invalid().is_empty()))
                .sum::<usize>() as u32
                + 1;
            assert_eq!(it.position(off).column, expect, "offset {off}");
        }
    }

    #[test]
    fn offsets_past_end_clamp() {
        let it = item("ab");
        assert_eq!(it.position(99), Position { line: 1, column: 3 });
        assert_eq!(it.line_bytes(7), b"");
    }
}
