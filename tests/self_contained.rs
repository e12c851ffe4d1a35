//! `cargo test --locked` passes on a fresh clone with only a Rust toolchain:
//! nothing under tests/ may reach the developers' shared folder beside the
//! repository (it is not in a clone).

use std::path::Path;

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // Installed by `npm ci` (tests/oidc), not part of the repository.
        if path.file_name().is_some_and(|n| n == "node_modules") {
            continue;
        }
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn no_file_in_tests_refers_to_the_shared_folder() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    files_under(&root.join("tests"), &mut files);
    assert!(files.len() > 20, "tests/ looks empty: {files:?}");
    // Built here so that this file does not hold the string it looks for.
    let needles = [["..", "shared"].join("/"), ["..", "shared"].join("\\")];
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| {
            let bytes = std::fs::read(f).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            needles.iter().any(|n| text.contains(n.as_str()))
        })
        .map(|f| f.strip_prefix(root).unwrap().display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "these files refer to the shared folder, absent from a clone: {offenders:?}"
    );
}
