//! The GitHub Action (action.yml): its shape, and its scan step run locally
//! the way the runner runs it — inputs as INPUT_* environment variables
//! taken from the step's own `env:` map, GITHUB_OUTPUT a temporary file, the
//! debug binary as the install step's output.
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_yaml_ng::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn action() -> Value {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn step<'a>(a: &'a Value, id_or_name: &str) -> &'a Value {
    a["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["id"].as_str() == Some(id_or_name) || s["name"].as_str() == Some(id_or_name))
        .unwrap_or_else(|| panic!("no step {id_or_name}"))
}

#[test]
fn action_is_a_composite_that_installs_a_verified_binary_cached() {
    let a = action();
    assert_eq!(a["runs"]["using"], "composite");
    for input in [
        "paths",
        "history",
        "since",
        "fail-on",
        "baseline",
        "config",
        "sarif-file",
    ] {
        assert!(
            a["inputs"][input]["description"].is_string(),
            "input {input}"
        );
    }
    assert_eq!(
        a["outputs"]["sarif-file"]["value"],
        "${{ steps.scan.outputs.sarif-file }}"
    );
    // Every action is pinned by a full commit id (zizmor's unpinned-uses).
    let cache = step(&a, "Cache a source build of nhiscan");
    let uses = cache["uses"].as_str().unwrap();
    let pin = uses.strip_prefix("actions/cache@").unwrap();
    assert!(
        pin.len() == 40 && pin.bytes().all(|b| b.is_ascii_hexdigit()),
        "{uses}"
    );
    let key = cache["with"]["key"].as_str().unwrap();
    assert!(
        key.contains("runner.os") && key.contains("github.action_ref"),
        "{key}"
    );
    let install = step(&a, "install");
    assert_eq!(
        install["run"],
        "bash \"$GITHUB_ACTION_PATH/scripts/action-install.sh\""
    );
    let scan = step(&a, "scan");
    assert_eq!(
        scan["run"],
        "bash \"$GITHUB_ACTION_PATH/scripts/action-run.sh\""
    );
    assert_eq!(scan["env"]["NHISCAN_BIN"], "${{ steps.install.outputs.bin }}");
    // Nothing is written to GITHUB_PATH or GITHUB_ENV (zizmor's github-env).
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    assert!(!text.contains("GITHUB_PATH") && !text.contains("GITHUB_ENV"));
}

/// The scan step's environment with `${{ inputs.x }}` resolved from `inputs`
/// (falling back to each input's default), as the runner would.
fn step_env(inputs: &[(&str, &str)]) -> BTreeMap<String, String> {
    let a = action();
    let given: BTreeMap<&str, &str> = inputs.iter().copied().collect();
    let mut env = BTreeMap::new();
    for (k, v) in step(&a, "scan")["env"].as_mapping().unwrap() {
        let expr = v.as_str().unwrap();
        if expr == "${{ steps.install.outputs.bin }}" {
            continue; // the binary: run_step names it
        }
        let name = expr
            .strip_prefix("${{ inputs.")
            .and_then(|s| s.strip_suffix(" }}"))
            .unwrap_or_else(|| panic!("unexpected env value {expr}"));
        let value = given.get(name).map(|s| s.to_string()).unwrap_or_else(|| {
            a["inputs"][name]["default"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        });
        env.insert(k.as_str().unwrap().to_string(), value);
    }
    env
}

struct StepRun {
    code: i32,
    outputs: String,
    stderr: String,
}

/// Runs the scan step with `bin` as the binary the install step verified.
fn run_step(cwd: &Path, inputs: &[(&str, &str)], bin: &Path) -> StepRun {
    let outputs = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new("bash")
        .arg(root().join("scripts/action-run.sh"))
        .current_dir(cwd)
        .envs(step_env(inputs))
        .env("GITHUB_ACTION_PATH", root())
        .env("GITHUB_OUTPUT", outputs.path())
        .env("NHISCAN_BIN", bin)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    StepRun {
        code: out.status.code().unwrap_or(-1),
        outputs: std::fs::read_to_string(outputs.path()).unwrap(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn debug_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_nhiscan"))
}

/// A throwaway repository: the smoke fixture's .env plus a clean file.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("smoke/.env"), dir.path().join(".env")).unwrap();
    std::fs::write(dir.path().join("README.md"), "# demo\n").unwrap();
    dir
}

#[test]
fn scan_step_writes_sarif_sets_the_output_and_passes_on_the_exit_code() {
    let dir = repo();
    let r = run_step(
        dir.path(),
        &[("sarif-file", "results/nhiscan.sarif"), ("paths", ".")],
        &debug_bin(),
    );
    // Findings fail the step (exit 1), after the report and outputs exist.
    assert_eq!(r.code, 1, "{}", r.stderr);
    let lines: Vec<&str> = r.outputs.lines().collect();
    assert_eq!(lines, ["sarif-file=results/nhiscan.sarif", "exit-code=1"]);
    let sarif = dir.path().join("results/nhiscan.sarif");
    let doc = json(&std::fs::read_to_string(&sarif).unwrap());
    assert_eq!(doc["runs"][0]["results"][0]["ruleId"], "NHI101");
    assert_sarif_valid(&sarif, Some(dir.path()));
}

#[test]
fn scan_step_honours_fail_on_config_and_baseline() {
    let dir = repo();
    // fail-on none: the same findings, a green step.
    let r = run_step(dir.path(), &[("fail-on", "none")], &debug_bin());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.outputs.contains("sarif-file=nhiscan.sarif\n"));
    assert!(dir.path().join("nhiscan.sarif").exists());

    // A config that excludes the file: clean.
    std::fs::write(dir.path().join("ci.toml"), "exclude = ['.env']\n").unwrap();
    let r = run_step(dir.path(), &[("config", "ci.toml")], &debug_bin());
    assert_eq!(r.code, 0, "{}", r.stderr);

    // A baseline recorded from the findings suppresses them.
    let w = run_in(
        dir.path(),
        &["scan", ".", "-q", "--write-baseline", "baseline.json"],
    );
    assert_eq!(w.code, 0, "{}", w.stderr);
    let r = run_step(
        dir.path(),
        &[("baseline", "baseline.json")],
        &debug_bin(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.outputs.ends_with("exit-code=0\n"), "{}", r.outputs);
}

/// How the step turns inputs into flags (since over history, several paths),
/// checked with a stand-in `nhiscan` that records its arguments.
#[test]
fn scan_step_maps_inputs_to_flags() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("bin");
    std::fs::create_dir(&fake).unwrap();
    let log = dir.path().join("args");
    let script = fake.join("nhiscan");
    std::fs::write(
        &script,
        format!(
            "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > '{}'\nexit 3\n",
            log.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let r = run_step(
        dir.path(),
        &[
            ("paths", "src\n  config files/"),
            ("history", "true"),
            ("since", "abc123"),
            ("fail-on", "high"),
        ],
        &script,
    );
    // Exit code 3 passes through; no SARIF was written, so no path output.
    assert_eq!(r.code, 3);
    assert_eq!(r.outputs, "exit-code=3\n");
    let args = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        [
            "scan",
            "--format",
            "sarif",
            "--output",
            "nhiscan.sarif",
            "--since",
            "abc123",
            "--fail-on",
            "high",
            "--",
            "src",
            "config files/",
        ]
    );

    // Without `since` (a push), `history` applies.
    let r = run_step(dir.path(), &[("history", "true"), ("since", "")], &script);
    assert_eq!(r.code, 3);
    let args = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        [
            "scan",
            "--format",
            "sarif",
            "--output",
            "nhiscan.sarif",
            "--history",
            "--",
            "."
        ]
    );

    let r = run_step(dir.path(), &[("history", "maybe")], &script);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("history must be true or false"));
}
