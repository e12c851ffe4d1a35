//! The working tree: a parallel, .gitignore-aware walk that reads hidden files
//! (`.github/`, `.env*` — leaks live there) but never `.git/`, never follows
//! symlinks, and skips binaries and oversized files with a notice. Inside a
//! git checkout, a file git tracks is read even when `.gitignore` matches it
//! (see [`super::tracked`]).

use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::{WalkBuilder, WalkState};

use super::tracked::Tracked;
use super::Event;
use crate::detect::{Notice, NoticeKind};
use crate::item::{Item, Provenance};

/// How many leading bytes are sniffed for a NUL to call a file binary.
const BINARY_SNIFF: usize = 8192;

#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Files or directories to scan.
    pub roots: Vec<PathBuf>,
    /// Paths in findings are relative to this directory.
    pub base: PathBuf,
    pub no_ignore: bool,
    pub excludes: Vec<String>,
    pub max_file_size: u64,
    pub threads: usize,
}

/// Compile `--exclude` globs. A glob without `/` matches a name at any depth
/// (as in .gitignore); `dir/**` also prunes `dir` itself.
pub fn exclude_set(globs: &[String]) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let g = g.trim_start_matches("./").trim_end_matches('/');
        let mut forms = vec![g.to_string()];
        if !g.contains('/') {
            forms.push(format!("**/{g}"));
        }
        if let Some(prefix) = g.strip_suffix("/**") {
            forms.push(prefix.to_string());
        }
        for f in forms {
            b.add(Glob::new(&f).with_context(|| format!("invalid --exclude glob {g:?}"))?);
        }
    }
    Ok(b.build()?)
}

/// As the walk prunes: the path or any folder above it (relative to the base)
/// matches an `--exclude` glob, or it lies in a `.git` folder.
pub fn excluded(rel: &str, excludes: &GlobSet) -> bool {
    let mut end = 0;
    loop {
        let next = rel[end..].find('/').map(|i| end + i);
        let prefix = &rel[..next.unwrap_or(rel.len())];
        if excludes.is_match(prefix) || prefix.rsplit('/').next() == Some(".git") {
            return true;
        }
        match next {
            Some(i) => end = i + 1,
            None => return false,
        }
    }
}

/// The `/`-separated path of `path` relative to `base` (or `path` itself).
pub fn relative(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let s = rel
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| os_text(c.as_os_str()))
        .collect::<Vec<_>>()
        .join("/");
    let s = s.replace("//", "/");
    if s.is_empty() {
        path.file_name().map(os_text).unwrap_or_default()
    } else {
        s
    }
}

/// A path component as text; a name that is not valid UTF-8 keeps its
/// invalid bytes apart as `\\xNN` (see [`crate::item::path_text`]).
fn os_text(s: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        crate::item::path_text(s.as_bytes())
    }
    #[cfg(not(unix))]
    {
        s.to_string_lossy().replace('\\', "/")
    }
}

/// Fail early, with a clear message, when a root cannot be read at all: the
/// run could not do what was asked (exit 2), unlike one unreadable file inside.
pub fn check_roots(roots: &[PathBuf]) -> Result<()> {
    for root in roots {
        let meta = match std::fs::symlink_metadata(root) {
            Ok(m) => m,
            Err(e) => bail!("cannot read {}: {e}", root.display()),
        };
        let is_dir = meta.is_dir() || (meta.is_symlink() && root.is_dir());
        let readable = if is_dir {
            std::fs::read_dir(root).map(drop)
        } else if meta.is_file() {
            File::open(root).map(drop)
        } else {
            Ok(())
        };
        if let Err(e) = readable {
            bail!("cannot read {}: {e}", root.display());
        }
    }
    Ok(())
}

/// Walk the roots in parallel. `make_visitor` is called once per worker
/// thread; the visitor it returns receives that thread's events.
pub fn walk<F, V>(opts: &WalkOptions, make_visitor: F) -> Result<()>
where
    F: Fn() -> V + Sync,
    V: FnMut(Event) + Send,
{
    check_roots(&opts.roots)?;
    let excludes = exclude_set(&opts.excludes)?;
    let mut builder = WalkBuilder::new(&opts.roots[0]);
    for r in &opts.roots[1..] {
        builder.add(r);
    }
    let base = opts.base.clone();
    let filter_excludes = excludes.clone();
    builder
        .hidden(false)
        .follow_links(false)
        .git_ignore(!opts.no_ignore)
        .git_global(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .ignore(!opts.no_ignore)
        .parents(!opts.no_ignore)
        // .gitignore counts only inside a git checkout, as for git itself and
        // ripgrep: an exported tree or tarball can carry one that ignores
        // everything (Debian's linux-source ends its .gitignore with `/*`),
        // and a secret scanner must not silently read nothing there.
        // `.ignore` files are honoured everywhere.
        .require_git(true)
        .threads(opts.threads)
        .filter_entry(move |e| {
            if e.file_name() == ".git" && e.file_type().is_some_and(|t| t.is_dir()) {
                return false;
            }
            let rel = relative(&base, e.path());
            !filter_excludes.is_match(&rel)
        });
    let mut tracked = if opts.no_ignore {
        Tracked::default()
    } else {
        Tracked::find(&opts.roots, &opts.base)
    };
    let max = opts.max_file_size;
    builder.build_parallel().run(|| {
        let mut visit = make_visitor();
        let base = opts.base.clone();
        let tracked = &tracked;
        Box::new(move |entry| {
            match entry {
                Ok(entry) => {
                    tracked.seen(entry.path());
                    if let Some(ev) = read_entry(&base, &entry, max) {
                        visit(ev);
                    }
                }
                Err(err) => visit(Event::Notice(walk_error(&base, err))),
            }
            WalkState::Continue
        })
    });
    let mut visit = make_visitor();
    for n in std::mem::take(&mut tracked.notices) {
        visit(Event::Notice(n));
    }
    for path in tracked.unseen(&opts.base, &excludes) {
        let rel = relative(&opts.base, &path);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) => {
                if let Some(ev) = read_path(rel, &path, meta.file_type(), || Ok(meta), max) {
                    visit(ev);
                }
            }
            // Tracked but deleted from the working tree: nothing on disk to read.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => visit(notice(NoticeKind::Error, rel, format!("cannot read: {e}"))),
        }
    }
    Ok(())
}

fn notice(kind: NoticeKind, path: String, message: impl Into<String>) -> Event {
    Event::Notice(Notice {
        kind,
        path,
        message: message.into(),
    })
}

fn walk_error(base: &Path, err: ignore::Error) -> Notice {
    // A walk error is about one path (unreadable folder, loop); keep going.
    // The walker wraps it (depth, line number): dig out the path and the cause.
    let mut path = String::new();
    let mut cur = &err;
    loop {
        match cur {
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                cur = err
            }
            ignore::Error::WithPath { path: p, err } => {
                path = relative(base, p);
                cur = err;
            }
            _ => break,
        }
    }
    let message = match cur {
        ignore::Error::Loop { child, .. } => {
            path = relative(base, child);
            "file system loop".to_string()
        }
        e => format!("cannot read: {e}"),
    };
    Notice {
        kind: NoticeKind::Error,
        path,
        message,
    }
}

fn read_entry(base: &Path, entry: &ignore::DirEntry, max: u64) -> Option<Event> {
    let ft = entry.file_type()?;
    if ft.is_dir() {
        return None;
    }
    let meta = || entry.metadata().map_err(|e| e.to_string());
    read_path(relative(base, entry.path()), entry.path(), ft, meta, max)
}

/// One path the walk reached (or git tracks): an item, or a notice saying
/// why it was not read.
fn read_path(
    rel: String,
    path: &Path,
    ft: std::fs::FileType,
    meta: impl FnOnce() -> Result<std::fs::Metadata, String>,
    max: u64,
) -> Option<Event> {
    if ft.is_symlink() {
        return Some(notice(
            NoticeKind::Skipped,
            rel,
            "symbolic link not followed",
        ));
    }
    if !ft.is_file() {
        return Some(notice(
            NoticeKind::Skipped,
            rel,
            "not a regular file (FIFO, socket or device)",
        ));
    }
    let meta = match meta() {
        Ok(m) => m,
        Err(e) => return Some(notice(NoticeKind::Error, rel, e)),
    };
    if meta.len() > max {
        return Some(notice(
            NoticeKind::Skipped,
            rel,
            format!("{} bytes is over --max-file-size ({max} bytes)", meta.len()),
        ));
    }
    match read_file_sized(path, max, meta.len()) {
        Ok(Some(data)) => Some(Event::Item(Item::new(Provenance::File { path: rel }, data))),
        Ok(None) => Some(notice(NoticeKind::Skipped, rel, "binary file")),
        Err(e) => Some(notice(NoticeKind::Error, rel, format!("cannot read: {e}"))),
    }
}

/// Read a file, at most `max` bytes (a file that grew since its metadata was
/// read is cut there). None when it is binary.
pub fn read_file(path: &Path, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    read_file_sized(path, max, 0)
}

/// As [`read_file`], with the size the walk already knows: the buffer is
/// allocated once, and a binary file costs one 8 KiB read, not a full one.
fn read_file_sized(path: &Path, max: u64, size: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut file = File::open(path)?;
    let mut data = Vec::with_capacity(size.min(max) as usize + 1);
    let sniff = (BINARY_SNIFF as u64).min(max);
    (&mut file).take(sniff).read_to_end(&mut data)?;
    if is_binary(&data) {
        return Ok(None);
    }
    if data.len() as u64 == sniff {
        file.take(max - sniff).read_to_end(&mut data)?;
    }
    Ok(Some(data))
}

/// A NUL byte in the first 8 KiB marks a binary file (as git and ripgrep
/// judge), except a key store (JKS, JCEKS, PKCS#12): those are scanned, as
/// committing one commits its private keys.
pub fn is_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(BINARY_SNIFF)]).is_some()
        && !crate::detect::keystore::looks_like_store(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excludes_match_names_anywhere_and_prune_dirs() {
        let set =
            exclude_set(&["fixtures/**".into(), "*.min.js".into(), "vendor/".into()]).unwrap();
        assert!(set.is_match("fixtures"));
        assert!(set.is_match("fixtures/a/b.txt"));
        assert!(set.is_match("web/app.min.js"));
        assert!(set.is_match("vendor"));
        assert!(set.is_match("a/vendor"));
        assert!(!set.is_match("src/main.rs"));
    }

    #[test]
    fn excludes_apply_to_the_file_and_every_folder_above_it() {
        let set = exclude_set(&["vendor/".into(), "*.min.js".into()]).unwrap();
        assert!(excluded("vendor/a/b.env", &set));
        assert!(excluded("src/vendor/b.env", &set));
        assert!(excluded("web/app.min.js", &set));
        assert!(excluded("sub/.git/config", &set));
        assert!(!excluded("src/main.env", &set));
        assert!(!excluded("vendorish/x.env", &set));
    }

    #[test]
    fn relative_paths_use_slashes() {
        assert_eq!(
            relative(Path::new("/r"), Path::new("/r/a/b.txt")),
            "a/b.txt"
        );
        assert_eq!(relative(Path::new("."), Path::new("./x")), "x");
    }

    #[test]
    fn nul_means_binary() {
        assert!(is_binary(b"ab\0c"));
        assert!(!is_binary(b"abc"));
    }
}
