//! Files git tracks that `.gitignore` hides from the walk. A committed file
//! under an ignore pattern (`git add -f`, or committed before the pattern was
//! written) is in every clone, so it is exactly where a leak hides: the walk
//! reads it anyway. Untracked ignored files (build output, local `.env`) stay
//! out. `--exclude` and `.ignore` files still keep a tracked file out: they
//! are the user's word to nhiscan, not git's.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use globset::GlobSet;
use ignore::gitignore::Gitignore;

use super::fs::{excluded, relative};
use super::git;
use crate::detect::{Notice, NoticeKind};

/// The tracked files under the walk's roots that the walk has not seen yet.
#[derive(Default)]
pub struct Tracked {
    pending: Mutex<HashSet<PathBuf>>,
    /// Whether there is anything to look for (no lock per entry otherwise).
    active: bool,
    pub notices: Vec<Notice>,
}

impl Tracked {
    /// The tracked regular files under each directory root, as the walk
    /// would name them (`root` joined with the path below it).
    pub fn find(roots: &[PathBuf], base: &Path) -> Tracked {
        let mut out = Tracked::default();
        let pending = out.pending.get_mut().unwrap_or_else(|e| e.into_inner());
        for root in roots.iter().filter(|r| r.is_dir()) {
            let (workdir, paths) = match git::tracked_files(root) {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(e) => {
                    out.notices.push(Notice {
                        kind: NoticeKind::Skipped,
                        path: relative(base, root),
                        message: format!(
                            "{e:#}; files .gitignore matches were not read, even those git tracks"
                        ),
                    });
                    continue;
                }
            };
            // Where the root sits inside the working copy, to keep only what is under it.
            let (Ok(root_abs), Ok(top)) = (root.canonicalize(), workdir.canonicalize()) else {
                continue;
            };
            let Ok(below) = root_abs.strip_prefix(&top) else {
                continue;
            };
            for p in paths {
                if let Ok(rest) = Path::new(&p).strip_prefix(below) {
                    pending.insert(root.join(rest));
                }
            }
        }
        out.active = !pending.is_empty();
        out
    }

    /// The walk reached `path`: it needs no second look.
    pub fn seen(&self, path: &Path) {
        if self.active {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            pending.remove(path);
        }
    }

    /// What the walk did not reach, minus what `--exclude` or a `.ignore`
    /// file keeps out, in path order.
    pub fn unseen(self, base: &Path, excludes: &GlobSet) -> Vec<PathBuf> {
        let pending = self.pending.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut ignores = IgnoreFiles::default();
        let mut out: Vec<PathBuf> = pending
            .into_iter()
            .filter(|p| {
                !excluded(&relative(base, p), excludes)
                    && !std::path::absolute(p).is_ok_and(|abs| ignores.ignores(&abs))
            })
            .collect();
        out.sort();
        out
    }
}

/// `.ignore` files of the folders above a path, read once each.
#[derive(Default)]
struct IgnoreFiles {
    by_dir: HashMap<PathBuf, Option<Gitignore>>,
}

impl IgnoreFiles {
    /// The nearest `.ignore` that says anything about `path` decides, as in the walk.
    fn ignores(&mut self, path: &Path) -> bool {
        for dir in path.ancestors().skip(1) {
            let matcher = self.by_dir.entry(dir.to_path_buf()).or_insert_with(|| {
                let file = dir.join(".ignore");
                file.is_file().then(|| Gitignore::new(&file).0)
            });
            if let Some(m) = matcher {
                let verdict = m.matched_path_or_any_parents(path, false);
                if verdict.is_ignore() {
                    return true;
                }
                if verdict.is_whitelist() {
                    return false;
                }
            }
        }
        false
    }
}
