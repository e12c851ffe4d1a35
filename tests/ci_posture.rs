//! CI credential posture (NHI4xx) end to end: each CI system's fixtures
//! raise exactly the expected rules at exact line:column positions, clean
//! pipelines raise nothing, bad input is a notice and never stops the scan,
//! repository-level federation raises confidence, SARIF is accepted.
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

/// `RULE path line:col` for every finding of a JSON report.
fn hits(doc: &serde_json::Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let r = &f["location"]["region"];
            format!(
                "{} {} {}:{}",
                f["rule_id"].as_str().unwrap(),
                f["location"]["path"].as_str().unwrap(),
                r["startLine"],
                r["startColumn"]
            )
        })
        .collect()
}

fn scan_json(dir: &Path, extra: &[&str]) -> (Run, serde_json::Value) {
    let mut args = vec!["scan", ".", "--format", "json"];
    args.extend_from_slice(extra);
    let r = run_in(dir, &args);
    let doc = json(&r.stdout);
    (r, doc)
}

fn assert_system(system: &str, expected: &[&str]) {
    let (r, doc) = scan_json(&fixture(&format!("ci/{system}")), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let got = hits(&doc);
    assert_eq!(got, expected, "{system}: got\n{}", got.join("\n"));
    for f in doc["findings"].as_array().unwrap() {
        assert!(f["properties"]["ci_system"].is_string());
    }
}

#[test]
fn github_actions_workflows_and_composite_actions() {
    assert_system(
        "github",
        &[
            "NHI433 .github/workflows/deploy.yml 7:3",
            "NHI410 .github/workflows/deploy.yml 9:16",
            "NHI401 .github/workflows/deploy.yml 22:11",
            "NHI402 .github/workflows/deploy.yml 27:11",
            "NHI403 .github/workflows/deploy.yml 30:11",
            "NHI406 .github/workflows/deploy.yml 35:11",
            // `set -eux` inside a literal block, then the secret two lines later.
            "NHI420 .github/workflows/deploy.yml 38:11",
            "NHI430 .github/workflows/deploy.yml 41:30",
            // `$DEPLOY_TOKEN` inside a folded (`>`) block.
            "NHI420 .github/workflows/deploy.yml 43:23",
            "NHI411 .github/workflows/leaks.yml 9:19",
            "NHI422 .github/workflows/leaks.yml 11:20",
            "NHI423 .github/workflows/leaks.yml 12:19",
            "NHI421 .github/workflows/leaks.yml 15:27",
            "NHI420 .github/workflows/leaks.yml 17:17",
            "NHI421 .github/workflows/leaks.yml 25:13",
            "NHI431 .github/workflows/leaks.yml 28:14",
            "NHI432 .github/workflows/pr-target.yml 10:20",
            // Each publishing step is its own finding; `::add-mask::` hides
            // a value (no NHI420); `ID_TOKEN_AUDIENCE` is not a credential
            // (no NHI410); a push to a private NuGet feed is not NHI407.
            "NHI407 .github/workflows/publish-steps.yml 18:39",
            "NHI407 .github/workflows/publish-steps.yml 23:11",
            "NHI407 .github/workflows/publish-steps.yml 27:42",
            "NHI407 .github/workflows/release.yml 10:11",
            "NHI407 .github/workflows/release.yml 19:11",
            "NHI404 .github/workflows/release.yml 28:11",
            "NHI405 .github/workflows/release.yml 32:11",
            "NHI430 actions/publish/action.yml 10:34",
        ],
    );
}

#[test]
fn a_repository_that_is_an_action_tests_itself_with_uses_dot() {
    // `uses: ./` is read by the inputs it is given: the action's own
    // `action.yml` inputs. The static-key job is the repository's AWS login
    // action given static keys; the OIDC job federates.
    assert_system(
        "github-action",
        &["NHI401 .github/workflows/tests.yml 18:11"],
    );
}

#[test]
fn reusable_workflows_of_the_repository_are_read_where_they_lie() {
    // release.yml's `release` job calls java-release.yml, which does not
    // federate: the workflow-level grant reaches it for nothing. deploy.yml's
    // jobs call scan.yml (an AWS OIDC login) and a remote workflow (unseen,
    // taken to federate): no finding.
    assert_system(
        "github-reusable",
        &["NHI433 .github/workflows/release.yml 6:3"],
    );
    let (_, doc) = scan_json(&fixture("ci/github-reusable"), &[]);
    let f = &doc["findings"][0];
    assert_eq!(
        f["message"].as_str().unwrap(),
        "Workflow-level `id-token: write` reaches 2 jobs, 1 of which does not federate through a known OIDC login; grant it only in the jobs that federate"
    );
    assert_eq!(f["properties"]["jobs_not_federating"], 1);
    // The pass's bookkeeping does not reach the report.
    assert!(f["properties"].get("local_reusable_workflows").is_none());
    assert!(f["properties"].get("grant").is_none());
}

#[test]
fn gitlab_ci_and_its_local_includes() {
    assert_system(
        "gitlab",
        &[
            "NHI424 .gitlab-ci.yml 4:3",
            "NHI410 .gitlab-ci.yml 6:13",
            "NHI411 .gitlab-ci.yml 8:23",
            // In a `.defaults` anchor merged into `build` with `<<: *defaults`.
            "NHI420 .gitlab-ci.yml 12:7",
            "NHI403 .gitlab-ci.yml 18:44",
            "NHI421 .gitlab-ci.yml 21:9",
            "NHI434 .gitlab-ci.yml 24:82",
            "NHI435 .gitlab/ci/deploy.yml 4:7",
            "NHI435 .gitlab/ci/deploy.yml 8:12",
            "NHI401 .gitlab/ci/deploy.yml 10:5",
            "NHI402 .gitlab/ci/deploy.yml 12:49",
            "NHI406 .gitlab/ci/deploy.yml 13:42",
            "NHI407 .gitlab/ci/deploy.yml 14:33",
            "NHI420 .gitlab/ci/deploy.yml 15:28",
        ],
    );
}

#[test]
fn circleci_azure_bitbucket_buildkite() {
    assert_system(
        "circleci",
        &[
            "NHI411 .circleci/config.yml 10:21",
            "NHI410 .circleci/config.yml 12:28",
            "NHI401 .circleci/config.yml 16:11",
            "NHI404 .circleci/config.yml 18:26",
            // The piped `printf … | npm login` on the next line is not reported.
            "NHI420 .circleci/config.yml 22:25",
        ],
    );
    assert_system(
        "azure",
        &[
            "NHI410 azure-pipelines.yml 5:12",
            "NHI425 azure-pipelines.yml 16:20",
            "NHI421 azure-pipelines.yml 18:51",
            "NHI402 azure-pipelines.yml 21:7",
        ],
    );
    assert_system(
        "bitbucket",
        &[
            "NHI411 bitbucket-pipelines.yml 4:13",
            "NHI401 bitbucket-pipelines.yml 13:15",
            "NHI420 bitbucket-pipelines.yml 15:18",
        ],
    );
    assert_system(
        "buildkite",
        &[
            "NHI403 .buildkite/pipeline.yml 2:3",
            "NHI420 .buildkite/pipeline.yml 6:9",
            "NHI404 .buildkite/pipeline.yml 15:25",
        ],
    );
}

#[test]
fn federated_pipelines_are_clean() {
    let (r, doc) = scan_json(&fixture("ci/clean"), &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    assert!(hits(&doc).is_empty());
    assert!(doc["notices"].as_array().unwrap().is_empty());
}

#[test]
fn literal_secrets_never_reach_reports() {
    for system in ["github", "gitlab", "circleci", "azure", "bitbucket"] {
        let (_, doc) = scan_json(&fixture(&format!("ci/{system}")), &[]);
        let text = doc.to_string();
        for secret in [
            "Rk7pW2xQ9mZ4vT8s",
            "9f4c2b7e8a1d3f6c0b5e7a9d2c4f8e1b3a6d9c0f",
            "kX9vQ2mT7rL4wZ8pN3bH6jF1",
            "Zt5nQ8wR2kV7mX3p",
            "Wq8zN4mK7rT2xV5b",
            "Hq4mX8rT2vN7pL3k",
        ] {
            assert!(!text.contains(secret), "{system} leaks {secret}");
        }
    }
}

#[test]
fn bad_input_is_a_notice_and_the_scan_goes_on() {
    let started = Instant::now();
    let (r, doc) = scan_json(&fixture("ci/bad"), &[]);
    // The alias bomb (10^10 nodes if expanded) parses in well under a second.
    assert!(started.elapsed() < Duration::from_secs(20));
    // Findings elsewhere still gate (1); the invalid file is an error notice.
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        hits(&doc),
        [
            "NHI420 .github/workflows/bomb.yml 18:19",
            "NHI420 .github/workflows/unknown-keys.yml 9:20",
        ]
    );
    let notices = doc["notices"].as_array().unwrap();
    let of = |path: &str| {
        notices
            .iter()
            .find(|n| n["path"] == path)
            .unwrap_or_else(|| panic!("no notice for {path}: {notices:?}"))
    };
    let invalid = of(".github/workflows/invalid.yml");
    assert_eq!(invalid["kind"], "error");
    assert!(invalid["message"]
        .as_str()
        .unwrap()
        .contains("invalid YAML at line 4"));
    let unknown = of(".github/workflows/unknown-keys.yml");
    assert_eq!(unknown["kind"], "note");
    assert!(unknown["message"]
        .as_str()
        .unwrap()
        .contains("`frobnicate`"));
    assert!(r
        .stderr
        .contains("nhiscan: error: .github/workflows/invalid.yml"));

    // Only the invalid file: exit 3, completed with input errors.
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::copy(
        fixture("ci/bad/.github/workflows/invalid.yml"),
        wf.join("x.yml"),
    )
    .unwrap();
    assert_eq!(run_in(dir.path(), &["scan", ".", "-q"]).code, 3);

    // Deep nesting (which overflows the stack of a recursive loader) is fine.
    std::fs::remove_file(wf.join("x.yml")).unwrap();
    let deep: String = (0..1500)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    std::fs::write(wf.join("deep.yml"), deep + "on: push\n").unwrap();
    let (r, doc) = scan_json(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(doc["notices"][0]["kind"], "note");
}

#[test]
fn a_50_mb_ci_file_is_skipped_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    let mut text = String::from("on: push\njobs:\n");
    let mut i = 0;
    while text.len() < 50 << 20 {
        text.push_str(&format!(
            "  j{i}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
        ));
        i += 1;
    }
    std::fs::write(wf.join("huge.yml"), &text).unwrap();
    // Over the walk's default size limit: skipped before any detector runs.
    let (r, doc) = scan_json(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(doc["notices"][0]["kind"], "skipped");
    // Admitted by a larger limit: the CI audit declines it, the rest still ran.
    let (r, doc) = scan_json(dir.path(), &["--max-file-size", "100M"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(doc["notices"][0]["kind"], "skipped");
    assert!(doc["notices"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not audited for CI posture"));
    assert_eq!(doc["stats"]["items_scanned"], 1);
}

#[test]
fn federation_elsewhere_in_the_repository_raises_confidence() {
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::write(
        wf.join("static.yml"),
        "on: push\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          aws-secret-access-key: ${{ secrets.AWS_SECRET }}\n          aws-access-key-id: ${{ secrets.AWS_ID }}\n",
    )
    .unwrap();
    let (_, doc) = scan_json(dir.path(), &[]);
    assert_eq!(doc["findings"][0]["rule_id"], "NHI401");
    assert_eq!(doc["findings"][0]["confidence"], "medium");
    assert!(doc["findings"][0]["related"].is_null());

    std::fs::write(
        wf.join("federated.yml"),
        "on: push\njobs:\n  d:\n    runs-on: ubuntu-latest\n    permissions:\n      id-token: write\n    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          role-to-assume: arn:aws:iam::123456789012:role/x\n",
    )
    .unwrap();
    let (_, doc) = scan_json(dir.path(), &[]);
    let f = &doc["findings"][0];
    assert_eq!(f["rule_id"], "NHI401");
    assert_eq!(f["confidence"], "high");
    assert_eq!(f["properties"]["federation_in_repository"], "aws");
    assert_eq!(
        f["related"][0]["location"]["path"],
        ".github/workflows/federated.yml"
    );
    assert_eq!(f["related"][0]["location"]["region"]["startLine"], 8);
}

#[test]
fn sarif_for_ci_findings_passes_the_code_scanning_checker() {
    for system in ["github", "gitlab"] {
        scan_to_checked_sarif(&fixture(&format!("ci/{system}")), &[], 1);
    }
}
