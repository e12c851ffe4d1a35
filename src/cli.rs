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
    /// Worker threads [default: number of cores].
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Audit the authorization servers the scanned files refer to (issuer, authority,
    /// issuer-uri, token-uri, discovery URLs); findings sit at the referencing lines.
    /// Goes on the network.
    #[arg(long)]
    pub audit_issuers: bool,
    #[command(flatten)]
    #[command(next_help_heading = "Issuer audit (with --audit-issuers)")]
    pub fetch: FetchArgs,
    #[command(flatten)]
    pub git: GitArgs,
    #[command(flatten)]
    pub output: OutputArgs,
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
    /// Timeout per request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
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
