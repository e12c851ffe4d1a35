//! NHI401–NHI407: long-lived credentials handed to CI where the cloud or
//! registry accepts the CI system's OIDC token instead. Also records the
//! places a file already federates, as facts for [`super::correlate`].

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use super::model::{Job, Step, System, Var};
use super::names::{expressions, is_reference, reads_secret, secret_refs};
use super::shell::logical_lines;
use super::{Hit, Scan};
use crate::finding::Confidence;

/// A credential family, the rule that reports it, and the fact that corroborates it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Provider {
    Aws,
    Azure,
    Gcp,
    Vault,
    Jfrog,
    Registry,
    PyPi,
    Npm,
    Crates,
    RubyGems,
    NuGet,
}

impl Provider {
    pub fn rule(self) -> &'static str {
        match self {
            Provider::Aws => "NHI401",
            Provider::Azure => "NHI402",
            Provider::Gcp => "NHI403",
            Provider::Vault => "NHI404",
            Provider::Jfrog => "NHI405",
            Provider::Registry => "NHI406",
            _ => "NHI407",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Azure => "azure",
            Provider::Gcp => "gcp",
            Provider::Vault => "vault",
            Provider::Jfrog => "jfrog",
            Provider::Registry => "registry",
            Provider::PyPi => "pypi.org",
            Provider::Npm => "npm",
            Provider::Crates => "crates",
            Provider::RubyGems => "rubygems",
            Provider::NuGet => "nuget",
        }
    }

    /// Whether the registry offers trusted publishing from this CI system.
    /// Clouds, Vault and JFrog accept any of these systems' OIDC tokens.
    fn federates_from(self, system: System) -> bool {
        match self {
            Provider::PyPi | Provider::Npm => matches!(system, System::GitHub | System::GitLab),
            Provider::Crates | Provider::RubyGems | Provider::NuGet => system == System::GitHub,
            _ => true,
        }
    }
}

/// The federated replacement, in the words of the CI system at hand.
pub fn replacement(p: Provider, system: System) -> String {
    let token = match system {
        System::GitHub => "grant `permissions: id-token: write` to the job and",
        System::GitLab => "declare `id_tokens:` with the provider's audience and",
        System::CircleCi => "use `$CIRCLE_OIDC_TOKEN_V2` and",
        System::Azure => "use a workload-identity-federation service connection and",
        System::Bitbucket => "set `oidc: true` on the step and use `$BITBUCKET_STEP_OIDC_TOKEN` to",
        System::Buildkite => "run `buildkite-agent oidc request-token` and",
    };
    let how = match (p, system) {
        (Provider::Aws, System::GitHub) => {
            "use aws-actions/configure-aws-credentials with `role-to-assume`".to_string()
        }
        (Provider::Aws, _) => "call `aws sts assume-role-with-web-identity`".to_string(),
        (Provider::Azure, System::GitHub) => {
            "use azure/login with `client-id`, `tenant-id` and `subscription-id` (no secret)".into()
        }
        (Provider::Azure, _) => "run `az login --service-principal --federated-token`".into(),
        (Provider::Gcp, System::GitHub) => {
            "use google-github-actions/auth with `workload_identity_provider`".into()
        }
        (Provider::Gcp, _) => "exchange it through Workload Identity Federation".into(),
        (Provider::Vault, System::GitHub) => {
            "use hashicorp/vault-action with `method: jwt` and a bound role".into()
        }
        (Provider::Vault, _) => "log in with `vault write auth/jwt/login role=… jwt=…`".into(),
        (Provider::Jfrog, System::GitHub) => {
            "use jfrog/setup-jfrog-cli with `oidc-provider-name`".into()
        }
        (Provider::Jfrog, _) => "exchange it at JFrog's OIDC token endpoint".into(),
        (Provider::Registry, _) => {
            "log in with a short-lived token from the cloud's federated login (aws ecr get-login-password, gcloud auth print-access-token, az acr login) or `GITHUB_TOKEN` for ghcr.io".into()
        }
        (Provider::PyPi, _) => "publish with PyPI trusted publishing (pypa/gh-action-pypi-publish without a password, or GitLab `id_tokens: PYPI_ID_TOKEN: aud: pypi`)".into(),
        (Provider::Npm, _) => "publish with npm trusted publishing (npm ≥ 11.5.1, no token)".into(),
        (Provider::Crates, _) => "publish with crates.io trusted publishing (rust-lang/crates-io-auth-action)".into(),
        (Provider::RubyGems, _) => "publish with RubyGems trusted publishing (rubygems/release-gem)".into(),
        (Provider::NuGet, _) => "publish with NuGet trusted publishing (NuGet/login)".into(),
    };
    format!("{token} {how}")
}

/// Environment variable names that carry a static credential for a provider
/// (upper-case, `-` read as `_`).
fn env_provider(name: &str) -> Option<Provider> {
    let n = name.to_ascii_uppercase().replace('-', "_");
    Some(match n.as_str() {
        "AWS_SECRET_ACCESS_KEY" | "AWS_ACCESS_KEY_ID" => Provider::Aws,
        "AZURE_CLIENT_SECRET" | "ARM_CLIENT_SECRET" | "AZURE_CREDENTIALS" | "AZURE_PASSWORD" => {
            Provider::Azure
        }
        "GOOGLE_CREDENTIALS"
        | "GOOGLE_APPLICATION_CREDENTIALS_JSON"
        | "GCP_SA_KEY"
        | "GCP_SERVICE_ACCOUNT_KEY"
        | "GCLOUD_SERVICE_KEY"
        | "GOOGLE_CLOUD_KEYFILE_JSON"
        | "GCP_CREDENTIALS"
        | "GCLOUD_KEY" => Provider::Gcp,
        "VAULT_TOKEN" | "VAULT_SECRET_ID" => Provider::Vault,
        "JF_ACCESS_TOKEN"
        | "JFROG_ACCESS_TOKEN"
        | "JF_PASSWORD"
        | "JFROG_PASSWORD"
        | "ARTIFACTORY_PASSWORD"
        | "ARTIFACTORY_API_KEY"
        | "ARTIFACTORY_ACCESS_TOKEN" => Provider::Jfrog,
        _ if n.starts_with("JF_ENV_") => Provider::Jfrog,
        "TWINE_PASSWORD"
        | "PYPI_TOKEN"
        | "PYPI_API_TOKEN"
        | "POETRY_PYPI_TOKEN_PYPI"
        | "UV_PUBLISH_TOKEN"
        | "FLIT_PASSWORD" => Provider::PyPi,
        "NODE_AUTH_TOKEN" | "NPM_TOKEN" | "NPM_AUTH_TOKEN" => Provider::Npm,
        "CARGO_REGISTRY_TOKEN" => Provider::Crates,
        "GEM_HOST_API_KEY" | "RUBYGEMS_API_KEY" => Provider::RubyGems,
        _ => return None,
    })
}

pub fn check(scan: &mut Scan, job: &Job) {
    let ctx = &mut JobFacts::of(scan, job);
    env_vars(scan, job, &job.env, ctx);
    for (i, step) in job.steps.iter().enumerate() {
        ctx.step = Some(i);
        uses(scan, job, step, ctx);
        env_vars(scan, job, &step.env, ctx);
        if scan.system != System::GitHub {
            // Pipe variables, plugin settings and orb parameters are environment too.
            env_vars(scan, job, &step.with, ctx);
        }
        for &s in &step.scripts {
            script(scan, job, s, ctx);
        }
    }
}

/// What the whole job says that changes a verdict.
struct JobFacts {
    /// A custom S3 endpoint (R2, MinIO …): the AWS keys may not be AWS's.
    custom_endpoint: bool,
    publishes_npm: bool,
    /// Publishing to a private PyPI-like index, not pypi.org.
    private_pypi: bool,
    /// The step being checked (None: the job's own variables).
    step: Option<usize>,
    /// Providers already reported: one finding per job and provider, except
    /// for publishing (NHI407), which is reported per step that publishes.
    reported: Vec<(Provider, Option<usize>)>,
}

impl JobFacts {
    fn of(scan: &Scan, job: &Job) -> JobFacts {
        let mut text = String::new();
        for v in job
            .env
            .iter()
            .chain(job.steps.iter().flat_map(|s| s.env.iter().chain(&s.with)))
        {
            text.push_str(&v.name);
            text.push('=');
            text.push_str(scan.doc.str(v.value).unwrap_or(""));
            text.push('\n');
        }
        for s in job.steps.iter().flat_map(|s| &s.scripts) {
            text.push_str(scan.doc.str(*s).unwrap_or(""));
            text.push('\n');
        }
        let lower = text.to_ascii_lowercase();
        let custom_endpoint = [
            "aws_endpoint_url",
            "--endpoint-url",
            "endpoint_url=",
            "r2.cloudflarestorage.com",
            "minio",
            "wasabisys.com",
            "digitaloceanspaces.com",
            "backblazeb2.com",
            "linodeobjects.com",
        ]
        .iter()
        .any(|m| lower.contains(m));
        let publishes_npm = [
            "npm publish",
            "yarn publish",
            "pnpm publish",
            "yarn npm publish",
        ]
        .iter()
        .any(|m| lower.contains(m))
            && !lower.contains("npm.pkg.github.com");
        let private_pypi = (lower.contains("twine_repository_url=")
            || lower.contains("repository-url=")
            || lower.contains("repository_url="))
            && !lower.contains("upload.pypi.org");
        JobFacts {
            custom_endpoint,
            publishes_npm,
            private_pypi,
            step: None,
            reported: Vec::new(),
        }
    }
}

fn holds_credential(scan: &Scan, v: &Var) -> bool {
    let Some(value) = scan.doc.str(v.value) else {
        return false;
    };
    let value = value.trim();
    if value.is_empty() || value.starts_with('/') || value.starts_with("./") {
        return false;
    }
    let exprs = expressions(value);
    if !exprs.is_empty() {
        return exprs.iter().any(|(_, e)| reads_secret(e));
    }
    if is_reference(scan.system, value) {
        // GitHub's secrets are expressions; elsewhere variables come from the secret store.
        return scan.system != System::GitHub;
    }
    // A literal: only one that looks like a credential (a local dev server's
    // `VAULT_TOKEN: root` is not one).
    super::literals::looks_like_credential(value)
}

fn env_vars(scan: &mut Scan, job: &Job, vars: &[Var], ctx: &mut JobFacts) {
    let has_secret_key = vars
        .iter()
        .any(|v| v.name.eq_ignore_ascii_case("AWS_SECRET_ACCESS_KEY"));
    for v in vars {
        let Some(p) = env_provider(&v.name) else {
            continue;
        };
        if p == Provider::Aws && v.name.eq_ignore_ascii_case("AWS_ACCESS_KEY_ID") && has_secret_key
        {
            continue;
        }
        if (p == Provider::Npm && !ctx.publishes_npm) || (p == Provider::PyPi && ctx.private_pypi) {
            continue;
        }
        if !holds_credential(scan, v) {
            continue;
        }
        let what = format!("`{}` hands the job a static credential", v.name);
        report(scan, job, p, scan.doc.span(v.key), &what, ctx);
    }
}

fn report(
    scan: &mut Scan,
    job: &Job,
    p: Provider,
    span: Range<usize>,
    what: &str,
    ctx: &mut JobFacts,
) {
    let per_step = p.rule() == "NHI407";
    let at = if per_step { ctx.step } else { None };
    // A job-wide publish token is one finding at the variable, not one per step.
    if !p.federates_from(scan.system)
        || ctx.reported.contains(&(p, at))
        || ctx.reported.contains(&(p, None))
    {
        return;
    }
    let earlier = ctx.reported.iter().filter(|(q, _)| *q == p).count();
    ctx.reported.push((p, at));
    // The first finding keeps the key it always had (labels are keyed on it).
    let key = match earlier {
        0 => format!("{}:{}", job.name, what),
        n => format!("{}:{}#{n}", job.name, what),
    };
    let mut hit = Hit::new(
        p.rule(),
        span,
        format!("{}; {}", sentence(what), replacement(p, scan.system)),
    )
    .key(key)
    .prop("provider", p.key());
    if p == Provider::Aws && ctx.custom_endpoint {
        hit = hit
            .confidence(Confidence::Low)
            .prop("custom_endpoint", true);
    }
    scan.hit(hit);
}

fn input<'a>(step: &'a Step, names: &[&str]) -> Option<&'a Var> {
    step.with
        .iter()
        .find(|v| names.iter().any(|n| v.name.eq_ignore_ascii_case(n)))
}

fn uses(scan: &mut Scan, job: &Job, step: &Step, ctx: &mut JobFacts) {
    let Some((uses, uses_node)) = &step.uses else {
        return;
    };
    let action = uses.split('@').next().unwrap_or("").to_ascii_lowercase();
    let action = action.split('#').next().unwrap_or("");
    let action = local_action(step, action).unwrap_or(action);
    let uses_span = scan.doc.span(*uses_node);
    fn flag(scan: &mut Scan, job: &Job, ctx: &mut JobFacts, p: Provider, v: &Var, what: &str) {
        if holds_credential(scan, v) || scan.system != System::GitHub {
            report(scan, job, p, scan.doc.span(v.key), what, ctx);
        }
    }
    match action {
        "aws-actions/configure-aws-credentials" => {
            if let Some(v) = input(step, &["aws-secret-access-key", "aws-access-key-id"]) {
                flag(
                    scan,
                    job,
                    ctx,
                    Provider::Aws,
                    v,
                    "configure-aws-credentials is given a static access key",
                );
            } else if input(step, &["role-to-assume"]).is_some() {
                scan.fact("aws", uses_span);
            }
        }
        "azure/login" => {
            if let Some(v) = input(step, &["creds", "client-secret"]) {
                flag(
                    scan,
                    job,
                    ctx,
                    Provider::Azure,
                    v,
                    "azure/login is given a service principal secret",
                );
            } else if input(step, &["client-id"]).is_some() {
                scan.fact("azure", uses_span);
            }
        }
        "azure/webapps-deploy" | "azure/functions-action" => {
            if let Some(v) = input(step, &["publish-profile"]) {
                flag(
                    scan,
                    job,
                    ctx,
                    Provider::Azure,
                    v,
                    "deployment authenticates with a publish profile (a static password)",
                );
            }
        }
        "azure/docker-login" => {
            if let Some(v) = input(step, &["password"]) {
                flag(
                    scan,
                    job,
                    ctx,
                    Provider::Registry,
                    v,
                    "azure/docker-login is given a registry password",
                );
            }
        }
        a if a.starts_with("google-github-actions/")
            || a.starts_with("googlecloudplatform/github-actions") =>
        {
            if let Some(v) = input(
                step,
                &["credentials_json", "service_account_key", "credentials"],
            ) {
                flag(
                    scan,
                    job,
                    ctx,
                    Provider::Gcp,
                    v,
                    "a service account key is handed to the Google action",
                );
            } else if input(step, &["workload_identity_provider"]).is_some() {
                scan.fact("gcp", uses_span);
            }
        }
        "hashicorp/vault-action" => {
            let method = input(step, &["method"])
                .and_then(|v| scan.doc.str(v.value).map(|s| (v, s.to_ascii_lowercase())));
            match method {
                Some((_, m)) if m == "jwt" => scan.fact("vault", uses_span),
                Some((v, m))
                    if ["approle", "token", "userpass", "ldap", "github"].contains(&m.as_str()) =>
                {
                    let v =
                        input(step, &["secretId", "token", "password", "githubToken"]).unwrap_or(v);
                    report(
                        scan,
                        job,
                        Provider::Vault,
                        scan.doc.span(v.key),
                        &format!("Vault login with the static `{m}` method"),
                        ctx,
                    );
                }
                Some(_) => {}
                None => {
                    if let Some(v) = input(step, &["token"]) {
                        flag(
                            scan,
                            job,
                            ctx,
                            Provider::Vault,
                            v,
                            "Vault login with a static token",
                        );
                    }
                }
            }
        }
        "jfrog/setup-jfrog-cli" => {
            if input(step, &["oidc-provider-name"]).is_some() {
                scan.fact("jfrog", uses_span);
            }
        }
        "docker/login-action" => {
            let registry = input(step, &["registry"])
                .and_then(|v| scan.doc.str(v.value))
                .unwrap_or("")
                .to_ascii_lowercase();
            if let Some(v) = input(step, &["password"]) {
                if let Some(kind) = federated_registry(&registry) {
                    let value = scan.doc.str(v.value).unwrap_or("");
                    let github_token =
                        value.contains("GITHUB_TOKEN") || value.contains("github.token");
                    if !(kind == "ghcr.io" && github_token) && holds_credential(scan, v) {
                        report(
                            scan,
                            job,
                            Provider::Registry,
                            scan.doc.span(v.key),
                            &format!(
                                "docker/login-action logs in to {kind} with a stored password"
                            ),
                            ctx,
                        );
                    }
                }
            }
        }
        "pypa/gh-action-pypi-publish" => {
            let private = input(step, &["repository-url", "repository_url"])
                .and_then(|v| scan.doc.str(v.value))
                .is_some_and(|u| !u.contains("pypi.org"));
            match input(step, &["password"]) {
                Some(v) if !private => flag(
                    scan,
                    job,
                    ctx,
                    Provider::PyPi,
                    v,
                    "PyPI upload with an API token",
                ),
                Some(_) => {}
                None => scan.fact("pypi", uses_span),
            }
        }
        "js-devtools/npm-publish" => {
            if let Some(v) = input(step, &["token"]) {
                flag(
                    scan,
                    job,
                    ctx,
                    Provider::Npm,
                    v,
                    "npm publish with an automation token",
                );
            }
        }
        "katyo/publish-crates" => {
            if let Some(v) = input(step, &["registry-token"]) {
                flag(
                    scan,
                    job,
                    ctx,
                    Provider::Crates,
                    v,
                    "crates.io publish with an API token",
                );
            }
        }
        "rust-lang/crates-io-auth-action" => scan.fact("crates", uses_span),
        "rubygems/release-gem" | "rubygems/configure-rubygems-credentials" => {
            scan.fact("rubygems", uses_span)
        }
        "nuget/login" => scan.fact("nuget", uses_span),
        a if a.starts_with("aws-cli/") || a.starts_with("aws-ecr/") || a.starts_with("aws-s3/") => {
            // CircleCI orbs: parameters name the env vars holding the keys.
            if let Some(v) = input(
                step,
                &[
                    "aws_secret_access_key",
                    "aws-secret-access-key",
                    "aws_access_key_id",
                    "aws-access-key-id",
                ],
            ) {
                report(
                    scan,
                    job,
                    Provider::Aws,
                    scan.doc.span(v.key),
                    "the AWS orb is given static access keys",
                    ctx,
                );
            } else if input(step, &["role_arn", "role-arn"]).is_some() {
                scan.fact("aws", uses_span);
            }
        }
        a if a.starts_with("gcp-cli/")
            || a.starts_with("gcp-gcr/")
            || a.starts_with("gcp-gke/") =>
        {
            if input(step, &["use_oidc"]).is_some() {
                scan.fact("gcp", uses_span);
            } else if let Some(v) = input(step, &["gcloud_service_key", "gcloud-service-key"]) {
                report(
                    scan,
                    job,
                    Provider::Gcp,
                    scan.doc.span(v.key),
                    "the GCP orb is given a service account key",
                    ctx,
                );
            }
        }
        a if a.contains("aws-assume-role-with-web-identity") || a.contains("aws-oidc") => {
            scan.fact("aws", uses_span)
        }
        a if a.contains("gcp-workload-identity-federation") => scan.fact("gcp", uses_span),
        _ => {
            // Bitbucket pipes federate with AWS through AWS_OIDC_ROLE_ARN.
            if input(step, &["AWS_OIDC_ROLE_ARN"]).is_some() {
                scan.fact("aws", uses_span);
            }
        }
    }
}

/// The cloud behind a registry host that accepts federated logins.
fn federated_registry(host: &str) -> Option<&'static str> {
    if host.contains(".dkr.ecr.") || host.starts_with("public.ecr.aws") {
        Some("Amazon ECR")
    } else if host.ends_with("-docker.pkg.dev") || host.contains("gcr.io") {
        Some("Google Artifact Registry")
    } else if host.ends_with(".azurecr.io") {
        Some("Azure Container Registry")
    } else if host == "ghcr.io" {
        Some("ghcr.io")
    } else {
        None
    }
}

struct ScriptRule {
    provider: Provider,
    re: Regex,
    what: &'static str,
    /// Only when the matched command also carries a secret reference.
    needs_secret: bool,
}

fn script_rules() -> &'static [ScriptRule] {
    static RULES: OnceLock<Vec<ScriptRule>> = OnceLock::new();
    RULES.get_or_init(|| {
        let r = |provider, re: &str, what, needs_secret| ScriptRule {
            provider,
            re: Regex::new(re).expect("static regex"),
            what,
            needs_secret,
        };
        vec![
            r(Provider::Aws, r"(?s)\baws\s+configure\s+set\s+(?P<at>aws_secret_access_key)\b", "`aws configure set aws_secret_access_key` stores a static key", false),
            r(Provider::Aws, r"(?i)(?P<at>aws_secret_access_key)\s*=\s*[\x22']?\$(?:\{|[A-Za-z_])", "an AWS secret access key is exported or written to a credentials file", true),
            r(Provider::Azure, r"(?s)\baz\s+login\b[^\n;&|]*?(?:\\\n[^\n;&|]*?)*?\s(?P<at>-p|--password|--secret|--client-secret)[\s=]", "`az login --service-principal` with a client secret", false),
            r(Provider::Gcp, r"(?s)\bgcloud\s+auth\s+activate-service-account\b[^\n;&|]*?(?:\\\n[^\n;&|]*?)*?(?P<at>--key-file)\b", "`gcloud auth activate-service-account --key-file` uses a service account key", false),
            r(Provider::Vault, r"(?s)\bvault\s+login\s+(?P<at>-method=(?:approle|userpass|ldap|github)\b|[^-\s]\S*)", "`vault login` with a static token or AppRole", false),
            r(Provider::Vault, r"\bvault\s+write\s+(?P<at>auth/approle/login)\b", "Vault AppRole login with a static secret id", false),
            r(Provider::Jfrog, r"(?s)\b(?:jf|jfrog)\s+(?:c|config|rt\s+c)\s+add\b[^\n;&|]*?(?:\\\n[^\n;&|]*?)*?(?P<at>--password|--access-token(?:-stdin)?|--apikey)\b", "JFrog CLI configured with a password or access token", false),
            r(Provider::Registry, r"(?s)\bdocker\s+login\b(?P<at>[^\n;&|]*?(?:\.dkr\.ecr\.|-docker\.pkg\.dev|gcr\.io|\.azurecr\.io)\S*)", "`docker login` to a federation-capable registry with a stored password", true),
            r(Provider::PyPi, r"(?s)\btwine\s+upload\b[^\n;&|]*?(?:\\\n[^\n;&|]*?)*?\s(?P<at>-p|--password)[\s=]", "`twine upload` with an API token", false),
            r(Provider::PyPi, r"(?s)\b(?:uv|poetry)\s+publish\b[^\n;&|]*?\s(?P<at>--token|--password|-p)[\s=]", "publish to PyPI with an API token", false),
            r(Provider::PyPi, r"\bpoetry\s+config\s+(?P<at>pypi-token\.pypi)\b", "`poetry config pypi-token.pypi` stores an API token", false),
            r(Provider::Npm, r"(?P<at>//registry\.npmjs\.org/:_authToken)", "an npm automation token is written to .npmrc", true),
            r(Provider::Crates, r"\bcargo\s+(?:publish\b[^\n;&|]*?\s(?P<at>--token)\b|(?P<at2>login)\s+\S)", "crates.io publish with an API token", false),
            r(Provider::RubyGems, r"(?P<at>:rubygems_api_key:)", "a RubyGems API key is written to credentials", true),
            r(Provider::NuGet, r"(?i)\b(?:dotnet\s+nuget|nuget)\s+push\b[^\n;&|]*?\s(?P<at>-k|--api-key|-ApiKey)\s", "NuGet push with an API key", false),
        ]
    })
}

fn script(scan: &mut Scan, job: &Job, node: usize, ctx: &mut JobFacts) {
    let Some(value) = scan.doc.str(node).map(str::to_string) else {
        return;
    };
    if !value.is_ascii() && value.len() > 1 << 20 {
        return;
    }
    for (off, line) in logical_lines(&value) {
        for rule in script_rules() {
            let Some(c) = rule.re.captures(line) else {
                continue;
            };
            let m = c.name("at").or_else(|| c.name("at2")).expect("group");
            if rule.needs_secret && secret_refs(scan.system, line, &[]).is_empty() {
                continue;
            }
            if publishes_elsewhere(rule.provider, line) {
                continue;
            }
            let span = scan.sub(node, off + m.start()..off + m.end());
            report(scan, job, rule.provider, span, rule.what, ctx);
        }
    }
}

/// In a repository that is itself a login action, its workflows test it with
/// `uses: ./`: the inputs it is given (its own `action.yml` inputs) say which
/// action it is.
fn local_action(step: &Step, action: &str) -> Option<&'static str> {
    if !(action == "." || action.starts_with("./")) {
        return None;
    }
    let has = |names: &[&str]| input(step, names).is_some();
    if has(&[
        "role-to-assume",
        "aws-access-key-id",
        "aws-secret-access-key",
    ]) {
        Some("aws-actions/configure-aws-credentials")
    } else if has(&["creds"]) || has(&["client-id"]) && has(&["tenant-id"]) {
        Some("azure/login")
    } else if has(&["workload_identity_provider", "credentials_json"]) {
        Some("google-github-actions/auth")
    } else {
        None
    }
}

/// Whether a GitHub job needs `id-token: write`: a step logs in with OIDC (a
/// known action given no static secret, OIDC requested in a script, an
/// attestation or Pages deployment), or the job calls a reusable workflow,
/// which can federate only with its caller's grant. `uses: ./` in a
/// repository that is itself an action is read by the inputs it is given
/// (the inputs of that repository's own `action.yml`).
pub fn job_needs_id_token(scan: &Scan, job: &Job) -> bool {
    let reusable = job.node.is_some_and(|j| scan.doc.get(j, "uses").is_some());
    reusable || job.steps.iter().any(|st| step_federates(scan, st))
}

fn step_federates(scan: &Scan, step: &Step) -> bool {
    let has = |names: &[&str]| input(step, names).is_some();
    let scripted = step.scripts.iter().any(|&n| {
        let v = scan.doc.str(n).unwrap_or("");
        [
            "ACTIONS_ID_TOKEN_REQUEST",
            "--provenance",
            "gh attestation",
            "cosign sign",
        ]
        .iter()
        .any(|m| v.contains(m))
    });
    if scripted {
        return true;
    }
    let Some((uses, _)) = &step.uses else {
        return false;
    };
    let u = uses.to_ascii_lowercase();
    let action = u.split('@').next().unwrap_or("");
    let action = local_action(step, action).unwrap_or(action);
    let aws = action == "aws-actions/configure-aws-credentials"
        && has(&["role-to-assume"])
        && !has(&["aws-secret-access-key"]);
    let azure = action == "azure/login" && has(&["client-id"]) && !has(&["creds", "client-secret"]);
    let gcp = action.starts_with("google-github-actions/") && has(&["workload_identity_provider"]);
    let vault = action == "hashicorp/vault-action"
        && input(step, &["method"])
            .and_then(|v| scan.doc.str(v.value))
            .is_some_and(|m| m.eq_ignore_ascii_case("jwt"));
    let known = [
        "rust-lang/crates-io-auth-action",
        "rubygems/release-gem",
        "rubygems/configure-rubygems-credentials",
        "nuget/login",
        "actions/deploy-pages",
        "actions/attest",
        "sigstore/",
        "slsa-framework/",
    ]
    .iter()
    .any(|k| action.starts_with(k));
    let pypi = action == "pypa/gh-action-pypi-publish" && !has(&["password"]);
    let jfrog = action == "jfrog/setup-jfrog-cli" && has(&["oidc-provider-name"]);
    aws || azure || gcp || vault || known || pypi || jfrog
}

/// The publish command on `line` targets another registry than the one with
/// trusted publishing (a private NuGet feed, a private index, an alternative
/// cargo registry): a token is the only way there, so it is not NHI407.
fn publishes_elsewhere(p: Provider, line: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#"(?i)(?:^|\s)(-s|--source|-source|--repository-url|--repository|-r|--publish-url|--index|--index-url|--registry|--host)(?:\s+|=)["']?([^\s"';|&]+)"#)
            .expect("static regex")
    });
    let home = match p {
        Provider::NuGet => "nuget.org",
        Provider::PyPi => "pypi.org",
        Provider::Crates => "crates.io",
        Provider::RubyGems => "rubygems.org",
        Provider::Npm => "registry.npmjs.org",
        _ => return false,
    };
    re.captures_iter(line).any(|c| {
        let flag = c[1].to_ascii_lowercase();
        let target = c[2].to_ascii_lowercase();
        let applies = match p {
            Provider::NuGet => matches!(flag.as_str(), "-s" | "--source" | "-source"),
            Provider::PyPi => matches!(
                flag.as_str(),
                "--repository-url" | "--repository" | "-r" | "--publish-url" | "--index"
            ),
            Provider::Crates => matches!(flag.as_str(), "--registry" | "--index"),
            Provider::RubyGems => flag == "--host",
            _ => flag == "--registry",
        };
        // `testpypi` and cargo's `crates-io` are names of the home registry.
        let home_named = target.contains(home)
            || (p == Provider::PyPi && matches!(target.as_str(), "pypi" | "testpypi"))
            || (p == Provider::Crates && target == "crates-io");
        applies && !home_named
    })
}

/// The sentence a finding shows for `what`. `what` itself stays the
/// fingerprint key, so findings already labelled keep their identity.
fn sentence(what: &str) -> String {
    let fixed = match what {
        "configure-aws-credentials is given a static access key" => {
            "The configure-aws-credentials action is given a static access key"
        }
        "azure/login is given a service principal secret" => {
            "The azure/login action is given a service principal secret"
        }
        "azure/docker-login is given a registry password" => {
            "The azure/docker-login action is given a registry password"
        }
        "npm publish with an automation token" => "Publishing to npm with an automation token",
        "crates.io publish with an API token" => "Publishing to crates.io with an API token",
        "`aws configure set aws_secret_access_key` stores a static key" => {
            "The script stores a static AWS key with `aws configure set aws_secret_access_key`"
        }
        "`az login --service-principal` with a client secret" => {
            "The script runs `az login` with a service principal's client secret"
        }
        "`gcloud auth activate-service-account --key-file` uses a service account key" => {
            "The script logs in with a service account key file (`gcloud auth activate-service-account`)"
        }
        "`vault login` with a static token or AppRole" => {
            "The script runs `vault login` with a static token or AppRole"
        }
        "`docker login` to a federation-capable registry with a stored password" => {
            "The script runs `docker login` to a federation-capable registry with a stored password"
        }
        "`twine upload` with an API token" => "The script runs `twine upload` with an API token",
        "`poetry config pypi-token.pypi` stores an API token" => {
            "The script stores a PyPI API token with `poetry config pypi-token.pypi`"
        }
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_string();
    }
    if what.starts_with('`') && what.contains("` hands the job") {
        return format!("Variable {what}");
    }
    if what.starts_with("docker/login-action") {
        return format!("The {what}");
    }
    capitalised(what)
}

/// `what` with its first letter upper-case, for the start of a message.
fn capitalised(what: &str) -> String {
    let mut c = what.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Federation done in scripts: OIDC tokens requested or exchanged.
pub fn facts_from_scripts(scan: &mut Scan, jobs: &[Job]) {
    const MARKERS: &[(&str, &str)] = &[
        ("CIRCLE_OIDC_TOKEN", "oidc"),
        ("BITBUCKET_STEP_OIDC_TOKEN", "oidc"),
        ("oidc request-token", "oidc"),
        ("ACTIONS_ID_TOKEN_REQUEST", "oidc"),
        ("assume-role-with-web-identity", "aws"),
        ("--federated-token", "azure"),
        ("auth/jwt/login", "vault"),
        ("-method=jwt", "vault"),
        ("--oidc-provider-name", "jfrog"),
        ("--oidc-token-id", "jfrog"),
    ];
    let mut found = Vec::new();
    for (_, step) in super::all_steps(jobs) {
        for &s in &step.scripts {
            let Some(v) = scan.doc.str(s) else { continue };
            for (m, key) in MARKERS {
                if let Some(i) = v.find(m) {
                    found.push((*key, s, i..i + m.len()));
                }
            }
        }
    }
    for (key, node, range) in found {
        let span = scan.sub(node, range);
        scan.fact(key, span);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_targets_without_trusted_publishing() {
        use Provider::*;
        for (p, line) in [
            (NuGet, "dotnet nuget push *.nupkg -k $KEY -s https://pkgs.dev.azure.com/acme/_packaging/feed/nuget/v3/index.json"),
            (NuGet, "nuget push x.nupkg -ApiKey $K -Source https://nuget.pkg.github.com/acme/index.json"),
            (PyPi, "twine upload --repository-url https://pypi.acme.internal/ -p $T dist/*"),
            (PyPi, "twine upload -r private -p $T dist/*"),
            (Crates, "cargo publish --registry my-registry --token $T"),
            (RubyGems, "gem push --host https://rubygems.pkg.github.com/acme x.gem"),
        ] {
            assert!(publishes_elsewhere(p, line), "{line}");
        }
        for (p, line) in [
            (
                NuGet,
                "dotnet nuget push *.nupkg -k $KEY -s https://api.nuget.org/v3/index.json",
            ),
            (NuGet, "dotnet nuget push *.nupkg --api-key $KEY"),
            (PyPi, "twine upload -r testpypi -p $T dist/*"),
            (Crates, "cargo publish --token $T"),
            (Crates, "cargo publish --registry crates-io --token $T"),
        ] {
            assert!(!publishes_elsewhere(p, line), "{line}");
        }
    }
}
