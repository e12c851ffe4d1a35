//! A small YAML tree that keeps the byte span of every node, built from
//! saphyr-parser's spanned event stream.
//!
//! Aliases are kept as references to their anchor and never copied, so an
//! alias bomb ("billion laughs") costs one node per alias, not an
//! exponential expansion. Lookups that follow aliases and merge keys (`<<`)
//! draw on one visit budget per document, linear in its size, so thousands
//! of jobs merging a 10⁴-key anchor stay bounded (a budget per lookup let
//! such a file of 162 KB take 27 s); a document that runs out says so
//! ([`Doc::merges_cut`]).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, SpannedEventReceiver};

pub type NodeId = usize;

/// Merged entries one document may visit, on top of [`BUDGET_PER_NODE`] per
/// node: generous for real files (3,000 jobs each merging 50 defaults, read
/// four times over, stay inside), linear for hostile ones.
const VISIT_BUDGET: usize = 100_000;
const BUDGET_PER_NODE: usize = 16;
/// How deep merge keys are followed.
const MERGE_DEPTH: usize = 8;

#[derive(Debug)]
pub enum Kind {
    Scalar {
        value: String,
        style: ScalarStyle,
    },
    Seq(Vec<NodeId>),
    Map(Vec<(NodeId, NodeId)>),
    /// A reference to the node that carries anchor id `.0`.
    Alias(usize),
}

#[derive(Debug)]
pub struct Node {
    pub kind: Kind,
    /// Byte span in the source. For block scalars it covers the content lines.
    pub span: Range<usize>,
}

/// One YAML document with positions.
#[derive(Debug)]
pub struct Doc {
    nodes: Vec<Node>,
    pub root: Option<NodeId>,
    anchors: HashMap<usize, NodeId>,
    /// Merged entries still to visit in this document (see the module doc).
    budget: Cell<usize>,
    cut: Cell<bool>,
    /// Own keys of the maps looked up through merge keys, built on first use
    /// so that each lookup through a merge costs one probe per merged map.
    keys: RefCell<HashMap<NodeId, MapKeys>>,
}

/// A map's own keys (first occurrence wins) and its merge-key values.
#[derive(Debug, Default)]
struct MapKeys {
    own: HashMap<String, (NodeId, NodeId)>,
    merges: Vec<NodeId>,
}

/// Why a file could not be read as YAML.
#[derive(Debug)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parse every document of a YAML stream.
pub fn parse(src: &str) -> Result<Vec<Doc>, ParseError> {
    let mut b = Builder {
        src,
        line_starts: line_starts(src),
        cursor: (0, 0, 0),
        docs: Vec::new(),
        nodes: Vec::new(),
        anchors: HashMap::new(),
        stack: Vec::new(),
        root: None,
    };
    // Events are pulled one by one: the parser's own `load` recurses per
    // nesting level and overflows the stack on a deeply nested (hostile) file.
    for event in Parser::new_from_str(src) {
        // Out of time (see `deadline`): what was read so far is audited and
        // the engine reports the file as not fully scanned.
        if crate::detect::deadline::expired() {
            break;
        }
        let (ev, span) = event.map_err(|e| ParseError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        b.on_event(ev, span);
    }
    Ok(b.docs)
}

fn line_starts(src: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(memchr::memchr_iter(b'\n', src.as_bytes()).map(|i| i + 1));
    v
}

enum Open {
    Seq(NodeId),
    /// A mapping and the key waiting for its value.
    Map(NodeId, Option<NodeId>),
}

struct Builder<'s> {
    src: &'s str,
    line_starts: Vec<usize>,
    /// The last marker placed: (line, column, byte offset).
    cursor: (usize, usize, usize),
    docs: Vec<Doc>,
    nodes: Vec<Node>,
    anchors: HashMap<usize, NodeId>,
    stack: Vec<Open>,
    root: Option<NodeId>,
}

impl Builder<'_> {
    /// Byte offset of a marker (saphyr counts characters; lines are 1-based,
    /// columns 0-based). Counted from the previous marker when it is on the
    /// same line (events come in source order), so a one-line flow sequence
    /// of 200 KB costs one pass over the line, not one per event.
    fn offset(&mut self, m: &saphyr_parser::Marker) -> usize {
        let Some(&start) = self.line_starts.get(m.line().saturating_sub(1)) else {
            return self.src.len();
        };
        let (line, col, at) = self.cursor;
        let (mut col, mut at) = if line == m.line() && col <= m.col() {
            (col, at)
        } else {
            (0, start)
        };
        let bytes = self.src.as_bytes();
        while col < m.col() && at < bytes.len() && bytes[at] != b'\n' {
            at += self.src[at..].chars().next().map_or(1, char::len_utf8);
            col += 1;
        }
        self.cursor = (m.line(), col, at);
        at
    }

    fn add(&mut self, kind: Kind, span: Span, anchor: usize) -> NodeId {
        let id = self.nodes.len();
        let start = self.offset(&span.start);
        let end = self.offset(&span.end).max(start);
        self.nodes.push(Node {
            kind,
            span: start..end,
        });
        if anchor > 0 {
            self.anchors.insert(anchor, id);
        }
        id
    }

    /// Attach a finished node to its parent (or make it the document root).
    fn attach(&mut self, id: NodeId) {
        match self.stack.last_mut() {
            None => self.root = Some(id),
            Some(Open::Seq(s)) => {
                if let Kind::Seq(v) = &mut self.nodes[*s].kind {
                    v.push(id);
                }
            }
            Some(Open::Map(m, pending)) => match pending.take() {
                None => *pending = Some(id),
                Some(k) => {
                    if let Kind::Map(v) = &mut self.nodes[*m].kind {
                        v.push((k, id));
                    }
                }
            },
        }
    }

    fn close(&mut self, end: &saphyr_parser::Marker) {
        let end = self.offset(end);
        if let Some(Open::Seq(id) | Open::Map(id, _)) = self.stack.pop() {
            let n = &mut self.nodes[id];
            n.span.end = end.max(n.span.start);
            self.attach(id);
        }
    }
}

impl<'input> SpannedEventReceiver<'input> for Builder<'_> {
    fn on_event(&mut self, ev: Event<'input>, span: Span) {
        match ev {
            Event::DocumentStart(_) => {
                self.nodes.clear();
                self.anchors.clear();
                self.stack.clear();
                self.root = None;
            }
            Event::DocumentEnd => {
                let nodes = std::mem::take(&mut self.nodes);
                self.docs.push(Doc {
                    budget: Cell::new(VISIT_BUDGET + BUDGET_PER_NODE * nodes.len()),
                    cut: Cell::new(false),
                    keys: RefCell::default(),
                    nodes,
                    root: self.root.take(),
                    anchors: std::mem::take(&mut self.anchors),
                });
            }
            Event::Scalar(value, style, anchor, _) => {
                let id = self.add(
                    Kind::Scalar {
                        value: value.into_owned(),
                        style,
                    },
                    span,
                    anchor,
                );
                self.attach(id);
            }
            Event::Alias(anchor) => {
                let id = self.add(Kind::Alias(anchor), span, 0);
                self.attach(id);
            }
            Event::SequenceStart(anchor, _) => {
                let id = self.add(Kind::Seq(Vec::new()), span, anchor);
                self.stack.push(Open::Seq(id));
            }
            Event::MappingStart(anchor, _) => {
                let id = self.add(Kind::Map(Vec::new()), span, anchor);
                self.stack.push(Open::Map(id, None));
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(&span.end),
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
        }
    }
}

impl Doc {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    pub fn span(&self, id: NodeId) -> Range<usize> {
        self.nodes[id].span.clone()
    }

    /// Follow an alias to its anchored node (one hop: anchors never sit on aliases).
    pub fn resolve(&self, id: NodeId) -> NodeId {
        match self.nodes[id].kind {
            Kind::Alias(a) => self.anchors.get(&a).copied().unwrap_or(id),
            _ => id,
        }
    }

    /// The scalar text of a node (through an alias).
    pub fn str(&self, id: NodeId) -> Option<&str> {
        match &self.nodes[self.resolve(id)].kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    pub fn is_map(&self, id: NodeId) -> bool {
        matches!(self.nodes[self.resolve(id)].kind, Kind::Map(_))
    }

    /// Items of a sequence (through an alias); empty for anything else.
    pub fn items(&self, id: NodeId) -> &[NodeId] {
        match &self.nodes[self.resolve(id)].kind {
            Kind::Seq(v) => v,
            _ => &[],
        }
    }

    /// Whether some lookup through merge keys ran out of the document's
    /// budget (and so saw only part of what the merges bring in).
    pub fn merges_cut(&self) -> bool {
        self.cut.get()
    }

    /// Take `n` from the document's budget; false (and marked cut) when it
    /// is spent.
    fn spend(&self, n: usize) -> bool {
        match self.budget.get().checked_sub(n) {
            Some(left) => {
                self.budget.set(left);
                true
            }
            None => {
                self.budget.set(0);
                self.cut.set(true);
                false
            }
        }
    }

    /// The maps a merge-key value names: one alias or a sequence of them.
    fn merge_targets(&self, m: NodeId) -> Vec<NodeId> {
        match &self.nodes[self.resolve(m)].kind {
            Kind::Seq(v) => v.clone(),
            _ => vec![m],
        }
    }

    /// Key/value pairs of a mapping, own keys first, then keys brought in by
    /// merge keys (`<<: *defaults`) that the mapping does not override.
    pub fn entries(&self, id: NodeId) -> Vec<(NodeId, NodeId)> {
        let mut out = Vec::new();
        self.collect_entries(id, 0, &mut out);
        out
    }

    fn collect_entries(&self, id: NodeId, depth: usize, out: &mut Vec<(NodeId, NodeId)>) {
        let Kind::Map(pairs) = &self.nodes[self.resolve(id)].kind else {
            return;
        };
        // The queried map's own pairs are what the caller asked for; what
        // merges bring in, or an alias lists (the same anchor can be listed
        // through thousands of aliases), is paid from the document's budget.
        let through_alias = self.resolve(id) != id;
        if (depth > 0 || through_alias) && !self.spend(pairs.len()) {
            return;
        }
        // Own keys are taken as they are; only keys brought in by a merge are
        // checked against those already present (a set, so big maps stay linear).
        let merged_from = out.len();
        let mut merges = Vec::new();
        for &(k, v) in pairs {
            if self.str(k) == Some("<<") {
                merges.push(v);
            } else {
                out.push((k, v));
            }
        }
        if depth >= MERGE_DEPTH || merges.is_empty() {
            return;
        }
        let mut seen: std::collections::HashSet<&str> = out[merged_from..]
            .iter()
            .filter_map(|&(k, _)| self.str(k))
            .collect();
        for m in merges {
            for t in self.merge_targets(m) {
                let mut extra = Vec::new();
                self.collect_entries(t, depth + 1, &mut extra);
                for (k, v) in extra {
                    if self.str(k).is_some_and(|name| seen.insert(name)) {
                        out.push((k, v));
                    }
                }
            }
        }
    }

    /// The key and value nodes of `key` in mapping `id` (own keys first, then merges).
    pub fn get_entry(&self, id: NodeId, key: &str) -> Option<(NodeId, NodeId)> {
        let Kind::Map(pairs) = &self.nodes[self.resolve(id)].kind else {
            return None;
        };
        let mut merges = Vec::new();
        for &(k, v) in pairs {
            match self.str(k) {
                Some(name) if name == key => return Some((k, v)),
                Some("<<") => merges.push(v),
                _ => {}
            }
        }
        merges
            .into_iter()
            .flat_map(|m| self.merge_targets(m))
            .find_map(|t| self.merged_entry(t, key, 1))
    }

    /// `key` in a map reached through a merge key: its own keys through a
    /// per-map index (built once, paid from the budget), then its merges.
    fn merged_entry(&self, id: NodeId, key: &str, depth: usize) -> Option<(NodeId, NodeId)> {
        let id = self.resolve(id);
        let Kind::Map(pairs) = &self.nodes[id].kind else {
            return None;
        };
        if !self.keys.borrow().contains_key(&id) {
            if !self.spend(pairs.len()) {
                return None;
            }
            let mut keys = MapKeys::default();
            for &(k, v) in pairs {
                match self.str(k) {
                    Some("<<") => keys.merges.push(v),
                    Some(name) => {
                        keys.own.entry(name.to_string()).or_insert((k, v));
                    }
                    None => {}
                }
            }
            self.keys.borrow_mut().insert(id, keys);
        } else if !self.spend(1) {
            return None;
        }
        let (found, merges) = {
            let keys = self.keys.borrow();
            let k = &keys[&id];
            (k.own.get(key).copied(), k.merges.clone())
        };
        if found.is_some() || depth >= MERGE_DEPTH {
            return found;
        }
        merges
            .into_iter()
            .flat_map(|m| self.merge_targets(m))
            .find_map(|t| self.merged_entry(t, key, depth + 1))
    }

    pub fn get(&self, id: NodeId, key: &str) -> Option<NodeId> {
        self.get_entry(id, key).map(|(_, v)| v)
    }

    pub fn get_str(&self, id: NodeId, key: &str) -> Option<&str> {
        self.get(id, key).and_then(|v| self.str(v))
    }

    /// Byte span in the source of `range` (byte offsets into the scalar's
    /// value). Block, folded and quoted scalars are stored with indentation
    /// removed and lines joined, so the text is looked up in the scalar's
    /// source: the n-th occurrence in the value is the n-th in the source.
    /// Falls back to the whole scalar when the text is not found verbatim.
    pub fn sub_span(&self, src: &str, id: NodeId, range: Range<usize>) -> Range<usize> {
        let id = self.resolve(id);
        let node = &self.nodes[id];
        let Kind::Scalar { value, .. } = &node.kind else {
            return node.span.clone();
        };
        let Some(needle) = value.get(range.clone()) else {
            return node.span.clone();
        };
        if needle.is_empty() {
            return node.span.clone();
        }
        let nth = value[..range.start].matches(needle).count();
        let Some(raw) = src.get(node.span.clone()) else {
            return node.span.clone();
        };
        match raw.match_indices(needle).nth(nth) {
            Some((i, _)) => node.span.start + i..node.span.start + i + needle.len(),
            None => node.span.clone(),
        }
    }

    /// Every node reachable from `id` without following aliases (aliases
    /// point at nodes reached elsewhere), depth-first, bounded by `limit`.
    pub fn descendants(&self, id: NodeId, limit: usize) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(n) = stack.pop() {
            if out.len() >= limit {
                break;
            }
            out.push(n);
            match &self.nodes[n].kind {
                Kind::Seq(v) => stack.extend(v.iter().rev()),
                Kind::Map(pairs) => {
                    for &(k, v) in pairs.iter().rev() {
                        stack.push(v);
                        stack.push(k);
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Number of nodes (aliases count one each).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(src: &str, r: Range<usize>) -> &str {
        &src[r]
    }

    #[test]
    fn literal_block_token_maps_to_its_source_position() {
        let src = "a:\n  run: |\n    echo hi\n      x ${{ secrets.A }}\n";
        let docs = parse(src).unwrap();
        let d = &docs[0];
        let run = d.get(d.get(d.root.unwrap(), "a").unwrap(), "run").unwrap();
        let v = d.str(run).unwrap();
        let at = v.find("${{").unwrap();
        let span = d.sub_span(src, run, at..at + 16);
        assert_eq!(text(src, span.clone()), "${{ secrets.A }}");
        // line 4, column 9 (1-based)
        let before = &src[..span.start];
        assert_eq!(before.matches('\n').count() + 1, 4);
        assert_eq!(span.start - before.rfind('\n').unwrap(), 9);
    }

    #[test]
    fn folded_block_and_repeated_tokens() {
        let src = "f: >\n  echo $T\n  echo $T\n";
        let d = &parse(src).unwrap()[0];
        let f = d.get(d.root.unwrap(), "f").unwrap();
        let v = d.str(f).unwrap();
        let second = v.rfind("$T").unwrap();
        let span = d.sub_span(src, f, second..second + 2);
        assert_eq!(span.start, src.rfind("$T").unwrap());
    }

    #[test]
    fn alias_bomb_stays_small() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..40 {
            let p = i - 1;
            src.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let docs = parse(&src).unwrap();
        assert!(docs[0].node_count() < 1000);
        let root = docs[0].root.unwrap();
        assert_eq!(docs[0].entries(root).len(), 40);
    }

    #[test]
    fn merge_keys_are_followed_and_overridden() {
        let src = "d: &d {image: x, script: s}\njob:\n  <<: *d\n  image: y\n";
        let d = &parse(src).unwrap()[0];
        let job = d.get(d.root.unwrap(), "job").unwrap();
        assert_eq!(d.get_str(job, "image"), Some("y"));
        assert_eq!(d.get_str(job, "script"), Some("s"));
    }

    #[test]
    fn merge_lookups_share_one_budget_per_document() {
        // 1,000 jobs each merging a 10,000-key anchor: every job looked up
        // for absent keys and listed in full. A budget per lookup made this
        // 2·10⁷ visits per pass; one per document caps it and says so.
        let mut src = String::from("d: &d\n");
        for i in 0..10_000 {
            src.push_str(&format!("  k{i}: v\n"));
        }
        for j in 0..1_000 {
            src.push_str(&format!("j{j}: {{<<: *d, own: x}}\n"));
        }
        let d = &parse(&src).unwrap()[0];
        let root = d.root.unwrap();
        let t = std::time::Instant::now();
        let mut found = 0;
        for (_, job) in d.entries(root) {
            found += usize::from(d.get(job, "k5").is_some());
            for key in ["image", "script", "absent"] {
                assert!(d.get(job, key).is_none());
            }
            let _ = d.entries(job);
        }
        assert!(found > 0, "merges are followed while the budget lasts");
        assert!(d.merges_cut());
        assert!(t.elapsed() < std::time::Duration::from_secs(20));
        // A small file never runs out.
        let small = "d: &d {image: x, script: s}\njob:\n  <<: *d\n  image: y\n";
        let d = &parse(small).unwrap()[0];
        let job = d.get(d.root.unwrap(), "job").unwrap();
        assert_eq!(d.get_str(job, "script"), Some("s"));
        assert!(!d.merges_cut());
    }

    #[test]
    fn self_merging_anchor_terminates() {
        let src = "a: &a\n  <<: *a\n  k: v\n";
        // The parser may accept or reject the forward reference; neither may hang.
        if let Ok(docs) = parse(src) {
            let root = docs[0].root.unwrap();
            let a = docs[0].get(root, "a").unwrap();
            let _ = docs[0].entries(a);
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let deep: String = (0..1500)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        let docs = parse(&deep).unwrap();
        assert!(docs[0].node_count() > 1500);
        assert!(parse(&format!("a: {}", "[".repeat(100_000))).is_err());
    }

    #[test]
    fn invalid_yaml_is_an_error_with_position() {
        let e = parse("a: [1, 2\nb: c\n").unwrap_err();
        assert!(e.line >= 1, "{e:?}");
    }

    #[test]
    fn non_ascii_columns_become_byte_offsets() {
        let src = "é: ünï\nk: v\n";
        let d = &parse(src).unwrap()[0];
        let v = d.get(d.root.unwrap(), "é").unwrap();
        assert_eq!(text(src, d.span(v)), "ünï");
    }
}
