//! Where a finding lives: production code or configuration, tests, docs,
//! vendored or generated code, CI. Judged from the path (folder and file
//! name conventions of the ecosystems nhiscan reads) and, for generated
//! files, from the markers code generators write at the top.
//!
//! Vendored and generated files are scanned like any other: a secret
//! committed inside `node_modules/` or a generated client is as leaked as
//! anywhere else. Their findings say where they sit, and secret rules lower
//! their confidence one step there, as in tests and docs: in a sample of
//! real OAuth repositories most findings sat in such files and were example
//! values, so a gate with `--min-confidence medium` can keep to what matters
//! without hiding it from a full report.

use crate::finding::{FileContext, Finding};
use crate::item::Item;
use crate::rules::Catalogue;

/// Bytes at the top of a file searched for a generator's marker.
const HEADER_BYTES: usize = 1024;

const VENDOR_DIRS: &[&str] = &[
    "vendor",
    "vendors",
    "node_modules",
    "third_party",
    "third-party",
    "thirdparty",
    "bower_components",
    "jspm_packages",
    "site-packages",
    "pods",
];

const LOCKFILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "cargo.lock",
    "go.sum",
    "gemfile.lock",
    "poetry.lock",
    "pipfile.lock",
    "composer.lock",
    "packages.lock.json",
    "uv.lock",
    "mix.lock",
    "flake.lock",
];

const GENERATED_DIRS: &[&str] = &["generated", "__generated__", "dist"];

const GENERATED_SUFFIXES: &[&str] = &[
    ".pb.go",
    "_pb2.py",
    "_pb2_grpc.py",
    ".pb.cc",
    ".pb.h",
    ".g.cs",
    ".designer.cs",
    ".g.dart",
    ".freezed.dart",
    "_generated.go",
    ".gen.go",
    ".gen.ts",
    ".generated.ts",
];

const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "__tests__",
    "__test__",
    "spec",
    "specs",
    "testdata",
    "test-data",
    "testresources",
    "test-resources",
    "javatests",
    "test_data",
    "testing",
    "fixtures",
    "fixture",
    "__fixtures__",
    "__mocks__",
    "mocks",
    "__snapshots__",
    ".snapshots",
    "snapshots",
    "e2e",
    "cypress",
];

/// Folder name endings of test projects (`Foo.UnitTests`, `api-tests`).
const TEST_DIR_SUFFIXES: &[&str] = &[
    ".tests",
    ".test",
    "-tests",
    "-test",
    "_tests",
    "_test",
    "unittests",
    "integrationtests",
    "functionaltests",
];

const TEST_FILE_SUFFIXES: &[&str] = &[
    "_test.go",
    "_test.py",
    "_tests.py",
    "_test.rb",
    "_spec.rb",
    "test.java",
    "tests.java",
    "test.kt",
    "tests.kt",
    "test.cs",
    "tests.cs",
    "test.php",
    "_test.rs",
    ".snap",
];

const DOC_DIRS: &[&str] = &[
    "docs",
    "doc",
    "documentation",
    "demo",
    "demos",
    "tutorial",
    "tutorials",
    "guides",
    "website",
];

/// Words in a folder name that make it documentation (`examples`,
/// `keycloak-quickstarts`, `oauth-samples`).
const DOC_DIR_WORDS: &[&str] = &["example", "sample", "quickstart"];

/// Words in a folder or file name of an API description (OpenAPI, Swagger):
/// its `example:` values show what a response looks like.
const API_DESCRIPTION_WORDS: &[&str] = &["openapi", "swagger", "oas-spec"];

const DOC_EXTENSIONS: &[&str] = &["md", "mdx", "markdown", "rst", "adoc", "asciidoc", "ipynb"];

const DOC_NAMES: &[&str] = &["readme", "changelog", "contributing", "howto"];

/// CI files no NHI4xx audit reads but that are still CI configuration.
const CI_NAMES: &[&str] = &[
    "jenkinsfile",
    ".travis.yml",
    ".drone.yml",
    "appveyor.yml",
    ".appveyor.yml",
    "cloudbuild.yaml",
    "cloudbuild.yml",
];

/// The context of a file from its repository-relative path and its bytes.
pub fn classify(path: &str, data: &[u8]) -> FileContext {
    let lower = path.to_ascii_lowercase();
    let mut parts: Vec<&str> = lower.split('/').filter(|p| !p.is_empty()).collect();
    let name = parts.pop().unwrap_or("");
    let dirs = parts;
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);

    if dirs.iter().any(|d| VENDOR_DIRS.contains(d))
        || lower.contains("wwwroot/lib/")
        || lower.contains("wwwroot/libs/")
        || name.ends_with(".min.js")
        || name.ends_with(".min.mjs")
        || name.ends_with(".min.css")
    {
        return FileContext::Vendored;
    }
    if LOCKFILES.contains(&name)
        || dirs.iter().any(|d| GENERATED_DIRS.contains(d))
        || GENERATED_SUFFIXES.iter().any(|s| name.ends_with(s))
        || name.starts_with("zz_generated")
        || generated_marker(data)
    {
        return FileContext::Generated;
    }
    if dirs
        .iter()
        .any(|d| TEST_DIRS.contains(d) || TEST_DIR_SUFFIXES.iter().any(|s| d.ends_with(s)))
        || is_test_file(name)
    {
        return FileContext::Test;
    }
    if dirs
        .iter()
        .any(|d| DOC_DIRS.contains(d) || DOC_DIR_WORDS.iter().any(|w| d.contains(w)))
        || DOC_EXTENSIONS.contains(&ext)
        || (matches!(ext, "yaml" | "yml" | "json")
            && dirs
                .iter()
                .chain(std::iter::once(&name))
                .any(|p| API_DESCRIPTION_WORDS.iter().any(|w| p.contains(w))))
        || DOC_NAMES
            .iter()
            .any(|n| name == *n || name.starts_with(&format!("{n}.")))
    {
        return FileContext::Docs;
    }
    if super::ci::system_of(path).is_some() || CI_NAMES.contains(&name) {
        return FileContext::Ci;
    }
    FileContext::Production
}

fn is_test_file(name: &str) -> bool {
    if TEST_FILE_SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return true;
    }
    if name == "conftest.py" || (name.starts_with("test_") && name.ends_with(".py")) {
        return true;
    }
    // foo.test.ts, foo.spec.js, foo.test.tsx …
    let mut dots = name.split('.');
    dots.next();
    dots.any(|p| p == "test" || p == "spec" || p == "tests")
}

/// "Code generated … DO NOT EDIT." (Go's convention), `@generated`,
/// `<auto-generated>` (.NET) and the like near the top of the file.
fn generated_marker(data: &[u8]) -> bool {
    let head = data[..data.len().min(HEADER_BYTES)].to_ascii_lowercase();
    let has = |n: &[u8]| memchr::memmem::find(&head, n).is_some();
    (has(b"do not edit") && has(b"generated"))
        || has(b"@generated")
        || has(b"<auto-generated")
        || has(b"autogenerated by")
        || has(b"auto-generated by")
        || has(b"this file was generated")
        || has(b"this file is generated")
        || has(b"this file was automatically generated")
}

/// Give the findings of `item` their context, and lower the confidence of
/// leaked-credential findings (rules tagged `secret`) outside production
/// code and CI by one step.
pub fn apply(findings: &mut [Finding], item: &Item, catalogue: &Catalogue) {
    if findings.is_empty() {
        return;
    }
    let context = classify(item.path(), &item.data);
    let lowers = matches!(
        context,
        FileContext::Test | FileContext::Docs | FileContext::Vendored | FileContext::Generated
    );
    for f in findings {
        f.context = context;
        let secret = catalogue
            .get(&f.rule_id)
            .is_some_and(|r| r.tags.iter().any(|t| t == "secret"));
        if lowers && secret {
            f.confidence = f.confidence.lowered();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(path: &str) -> FileContext {
        classify(path, b"")
    }

    #[test]
    fn paths_by_convention() {
        use FileContext::*;
        for (path, want) in [
            ("src/app.py", Production),
            ("config/application.yml", Production),
            (".env", Production),
            ("server/server_test.go", Test),
            ("tests/test_e2e.py", Test),
            ("pkg/test_utils.py", Test),
            ("lib/__tests__/client.ts", Test),
            ("src/client.spec.ts", Test),
            ("web/login.test.tsx", Test),
            ("src/test/java/a/RegisteredClientTests.java", Test),
            ("IdentityServer.UnitTests/Validation/Setup.cs", Test),
            ("storage/testdata/clients.json", Test),
            ("spec/models/user_spec.rb", Test),
            ("fixtures/secrets/a.env", Test),
            ("oauth2_http/testresources/client_secret.json", Test),
            ("__snapshots__/x.snap", Test),
            ("README.md", Docs),
            ("docs/pages/providers/github.mdx", Docs),
            ("examples/example-app/server.go", Docs),
            ("keycloak-quickstarts/app/start.js", Docs),
            ("samples/demo/application.yml", Docs),
            ("notebooks/auth.ipynb", Docs),
            ("openapi3/management.yaml", Docs),
            ("api/swagger.json", Docs),
            ("client/.snapshots/TestHandler-create.json", Test),
            ("cypress/integration/oauth2/authorize.js", Test),
            ("vendor/github.com/x/y/z.go", Vendored),
            ("web/node_modules/oidc-client/index.js", Vendored),
            ("src/wwwroot/lib/oidc-client.js", Vendored),
            ("static/oidc-client.min.js", Vendored),
            ("third_party/lib.py", Vendored),
            ("package-lock.json", Generated),
            ("api/v1/service.pb.go", Generated),
            ("dist/index.js", Generated),
            (".github/workflows/ci.yml", Ci),
            (".gitlab-ci.yml", Ci),
            ("Jenkinsfile", Ci),
            // A test inside the docs is a test; a vendored test is vendored.
            ("examples/app/main_test.go", Test),
            ("vendor/x/x_test.go", Vendored),
            // Words that only contain "test".
            ("src/latest/contest.go", Production),
        ] {
            assert_eq!(of(path), want, "{path}");
        }
    }

    #[test]
    fn generator_markers() {
        let go = b"// Code generated by ent, DO NOT EDIT.\n\npackage db\n";
        assert_eq!(
            classify("storage/ent/db/client.go", go),
            FileContext::Generated
        );
        let cs = b"//------\n// <auto-generated>\n//     This code was generated by a tool.\n";
        assert_eq!(classify("Api/Client.cs", cs), FileContext::Generated);
        let plain = b"package db\n// the generated ids are random\n";
        assert_eq!(classify("db.go", plain), FileContext::Production);
    }
}
