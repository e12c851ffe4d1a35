//! Shell completions and man pages come from the clap definition.
mod common;

use common::*;

#[test]
fn completions_cover_commands_and_flags_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let r = run(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        for word in ["scan", "rules", "format", "fail-on"] {
            assert!(r.stdout.contains(word), "{shell} completion lacks {word}");
        }
        // Format values, where the shell completes values at all.
        if matches!(shell, "bash" | "zsh" | "fish") {
            assert!(
                r.stdout.contains("gitlab") && r.stdout.contains("junit"),
                "{shell}"
            );
        }
    }
    // The bash script is valid bash.
    let r = run(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("nhiscan.bash");
    std::fs::write(&script, &r.stdout).unwrap();
    let status = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn man_page_is_roff_with_every_command() {
    let r = run(&["man"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(".TH nhiscan 1"), "{}", r.stdout);
    for cmd in [
        "nhiscan\\-scan(1)",
        "nhiscan\\-rules(1)",
        "nhiscan\\-man(1)",
    ] {
        assert!(r.stdout.contains(cmd), "no {cmd}:\n{}", r.stdout);
    }

    let dir = tempfile::tempdir().unwrap();
    let r = run(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let scan = std::fs::read_to_string(dir.path().join("nhiscan-scan.1")).unwrap();
    assert!(scan.contains("\\-\\-format"), "{scan}");
    assert!(scan.contains("gitlab"), "{scan}");
    assert!(dir.path().join("nhiscan-rules-explain.1").exists());
}
