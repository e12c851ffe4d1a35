//! Command-line definitions (clap). Only shapes here; `app` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "nhiscan",
    version,
    about = "Scan for non-human-identity credential posture: leaked client secrets and keys, \
             weak client assertions and token validation, CI credential posture, \
             authorization-server metadata.",
    after_help = "Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; \
                  2 the run could not complete; 3 completed, but some inputs could not be read."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files (and optionally git history) for leaked credentials and weak posture.
    Scan(Box<ScanArgs>),
    /// Audit authorization servers: discovery metadata and JWKS, over HTTPS or from local files.
    Audit(Box<AuditArgs>),
    /// Is this credential still live? Reads one secret from standard input and asks its
    /// issuer, as `scan --validate` does (exit 1 valid, 0 invalid, 3 unknown or not checked).
    Validate(Box<ValidateArgs>),
    /// Work with the rule catalogue.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into DIR.
    Man {
        /// Write nhiscan.1 and nhiscan-<command>.1 into this directory instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule: id, severity, name, description.
    List {
        #[command(flatten)]
        catalogue: CatalogueArgs,
        /// Print JSON instead of a table.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Print a Markdown table (the README's rule catalogue).
        #[arg(long)]
        markdown: bool,
    },
    /// Check the catalogue: metadata, patterns, and every example and negative example.
    Check {
        #[command(flatten)]
        catalogue: CatalogueArgs,
    },
    /// Print a rule's full help.
    Explain {
        /// Rule id (e.g. NHI101) or name.
        id: String,
        #[command(flatten)]
        catalogue: CatalogueArgs,
    },
}

/// Where rules come from.
#[derive(Debug, Clone, Args, Default)]
pub struct CatalogueArgs {
    /// Load extra rule files from this directory (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Output and gating, shared by every command that reports findings.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Fail (exit 1) on findings at or above this severity: critical, high, medium, low, info, none
    /// [default: low, or fail-on in .nhiscan.toml].
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// Report only findings at or above this confidence: low (default), medium, high
    /// [default: low, or min-confidence in .nhiscan.toml]. Applied before --fail-on.
    #[arg(long, value_name = "LEVEL", value_parser = ["low", "medium", "high"])]
    pub min_confidence: Option<String>,
    /// Suppress findings recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings as a baseline in FILE (and exit 0 unless the run failed).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Configuration file [default: .nhiscan.toml in the scanned directory, if present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// No progress bar and no per-file notices on stderr (errors are still printed).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    #[command(flatten)]
    pub catalogue: CatalogueArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Files or directories to scan.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Do not honour .gitignore, .ignore and git excludes.
    #[arg(long)]
    pub no_ignore: bool,
    /// Leave out paths matching GLOB (repeatable; relative to the scanned directory).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Skip files larger than this (bytes, or with a unit: 512KiB, 10MiB) [default: 10MiB].
    #[arg(long, value_name = "SIZE")]
    pub max_file_size: Option<String>,
    /// Longest acceptable client-assertion lifetime in seconds [default: 300].
    #[arg(long, value_name = "SECONDS")]
    pub max_assertion_lifetime: Option<u64>,
    /// Worker threads [default: number of cores; at most 4× the cores are used].
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Longest time one file may take in the detectors; a file that takes longer is
    /// reported as not fully scanned (an error, exit 3) and the scan goes on.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0, value_parser = seconds)]
    pub item_timeout: f64,
    /// Audit the authorization servers the scanned files refer to (issuer, authority,
    /// issuer-uri, token-uri, discovery URLs); findings sit at the referencing lines.
    /// Goes on the network.
    #[arg(long)]
    pub audit_issuers: bool,
    /// Check whether each credential found still works, by asking its issuer (opt-in: goes
    /// on the network; stderr names the hosts first). Findings gain a validity; a live one
    /// becomes critical.
    #[arg(long)]
    pub validate: bool,
    /// Report only the credentials --validate found live.
    #[arg(long, requires = "validate")]
    pub only_valid: bool,
    /// With --audit-issuers: also fetch issuers that resolve to loopback, private or
    /// link-local addresses (self-hosted identity providers). Off by default: the
    /// URLs come from the scanned files, which in CI may come from an untrusted pull request.
    #[arg(long, requires = "audit_issuers")]
    pub allow_private_issuers: bool,
    #[command(flatten)]
    #[command(next_help_heading = "Validation (with --validate)")]
    pub validation: ValidationArgs,
    #[command(flatten)]
    #[command(next_help_heading = "Issuer audit (with --audit-issuers) and validation")]
    pub fetch: FetchArgs,
    #[command(flatten)]
    pub git: GitArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Where validation may send credentials, and how fast (shared by `scan --validate` and `validate`).
#[derive(Debug, Clone, Args)]
pub struct ValidationArgs {
    /// Allow validation requests to loopback, private and link-local addresses
    /// (self-hosted issuers inside the network, test servers).
    #[arg(long)]
    pub validate_allow_private: bool,
    /// Send VENDOR's validation requests to URL's host instead (self-hosted instances, tests);
    /// VENDOR: google, entra, github, github-api, gitlab, slack, okta, auth0, gcp. Repeatable.
    #[arg(long, value_name = "VENDOR=URL")]
    pub validate_endpoint: Vec<String>,
    /// Validation requests per second to one host.
    #[arg(long, value_name = "N", default_value_t = 5.0)]
    pub validate_rate: f64,
    /// Credentials validated at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub validate_concurrency: usize,
}

/// `nhiscan validate`: one credential from standard input.
#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// The rule the credential falls under (e.g. NHI101 for a Google client secret, NHI199
    /// for any OAuth client secret with --issuer), or a vendor name: google, entra, github,
    /// github-token, gitlab, slack, slack-token, okta, okta-token, auth0, oauth.
    #[arg(long = "kind", value_name = "RULE|VENDOR")]
    pub kind: String,
    /// The client id the secret belongs to.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The issuer (for `oauth`): its discovery document names the token endpoint.
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// The Okta or Auth0 domain, or the Entra tenant id.
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// Trust this PEM CA certificate (bundle) beside the system roots.
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
    /// Timeout per request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub timeout: f64,
    /// Print JSON instead of a line of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub validation: ValidationArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Profile {
    /// OAuth 2.0 / OIDC best current practice.
    #[default]
    Default,
    /// FAPI 2.0 Security Profile: its checks are raised to high.
    Fapi2,
}

/// Where and how the audit fetches (shared by `audit` and `scan --audit-issuers`).
#[derive(Debug, Clone, Args)]
pub struct FetchArgs {
    /// Trust this PEM CA certificate (bundle) beside the system roots.
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
    /// Timeout per request, in seconds: it covers connecting, the headers and the whole body.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = seconds)]
    pub timeout: f64,
    /// Targets audited at once.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub concurrency: usize,
    /// Largest response accepted (bytes, or with a unit: 512KiB, 1MiB); larger bodies are cut off and reported.
    #[arg(long, value_name = "SIZE", default_value = "1MiB")]
    pub max_response_size: String,
    /// Further attempts after a timeout, connection failure or 5xx, with doubling backoff.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub retries: u32,
    /// Allow plain http to loopback addresses (127.0.0.0/8, ::1, localhost), for local test servers.
    #[arg(long)]
    pub allow_http_loopback: bool,
    /// Check profile: `fapi2` raises the FAPI 2.0 checks to high.
    #[arg(long, value_enum, default_value_t = Profile::Default)]
    pub profile: Profile,
}

#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// Issuer URLs, metadata document URLs, or local JSON files (metadata or JWKS).
    pub targets: Vec<String>,
    /// Read targets from FILE, one a line (blank lines and `#` comments allowed);
    /// findings are located at the target's line.
    #[arg(long = "targets", value_name = "FILE")]
    pub targets_file: Option<PathBuf>,
    #[command(flatten)]
    pub fetch: FetchArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Git sources: history, a commit range, the index. PATH must then be the top
/// of a working copy or a bare repository.
#[derive(Debug, Clone, Args, Default)]
pub struct GitArgs {
    /// Also scan every blob reachable from any ref (branches, tags, remote-tracking
    /// refs, stash), each once, attributed to the commit that introduced it.
    #[arg(long)]
    pub history: bool,
    /// Scan git history but not the working tree (implies --history).
    #[arg(long, conflicts_with = "staged")]
    pub history_only: bool,
    /// Scan only what the commits in REV..HEAD introduced (a pull request's commits).
    #[arg(long, value_name = "REV", conflicts_with_all = ["staged", "history"])]
    pub since: Option<String>,
    /// Scan the staged content of the index (files whose staged blob differs from HEAD),
    /// as a pre-commit hook does.
    #[arg(long, conflicts_with = "history")]
    pub staged: bool,
}

impl GitArgs {
    /// Whether the working tree is scanned at all.
    pub fn scans_working_tree(&self) -> bool {
        !(self.history_only || self.since.is_some() || self.staged)
    }

    /// Whether history (all of it, or a range) is scanned.
    pub fn scans_history(&self) -> bool {
        self.history || self.history_only || self.since.is_some()
    }
}

/// A number of seconds as the time flags take it: finite, above zero, at
/// most a day (1e308 would overflow a `Duration`).
pub fn seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(v.is_finite() && v > 0.0 && v <= 86_400.0) {
        return Err(format!(
            "{s} seconds is out of range: give a number above 0 and at most 86400 (one day)"
        ));
    }
    Ok(v)
}
