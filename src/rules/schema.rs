//! The shape of a rule file. Unknown keys are rejected so a typo in a rule
//! file fails `rules check` instead of silently weakening a rule.

use serde::Deserialize;

use crate::finding::{Confidence, Severity};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable opaque id, e.g. `NHI101`.
    pub id: String,
    /// Human name in kebab-case, e.g. `google-oauth-client-secret`.
    pub name: String,
    pub severity: Severity,
    pub confidence: Confidence,
    /// One line: what the rule finds.
    pub short_description: String,
    /// A paragraph: what and why.
    pub full_description: String,
    /// Markdown help: what, why, how to fix, references.
    pub help: String,
    /// One line: the fix, printed under each finding in text output.
    pub fix: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
    /// Languages or file kinds a code/config rule understands (for the catalogue).
    #[serde(default)]
    pub languages: Vec<String>,

    /// Regex rules: the pattern (Rust `regex` syntax, matched on bytes). A
    /// capture group named `secret` marks the secret; otherwise the whole match.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Regex rules: ASCII case-insensitive literals, one of which must occur in
    /// an item before the pattern runs (the prefilter).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Regex rules: minimum Shannon entropy (bits per character) of the secret.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Regex rules: drop secrets that look like placeholders or variable references.
    #[serde(default)]
    pub placeholder_filter: bool,
    /// Regex rules: where a candidate value must stand to count (`literal`:
    /// a string literal in code, a value in a configuration file, never an
    /// identifier, member access, call or lookup). See `detect::candidate`.
    #[serde(default)]
    pub value: ValueKind,
    /// Regex rules: an identifier (client id, tenant, domain) to look for near the secret.
    #[serde(default)]
    pub pair: Option<Pair>,
    /// Regex rules: only items whose path matches one of these globs.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Regex rules: a checksum the secret carries; a valid one raises the
    /// confidence, an invalid one lowers it to low (a made-up look-alike).
    #[serde(default)]
    pub checksum: Option<Checksum>,

    /// Texts the rule must fire on.
    pub examples: Vec<Example>,
    /// Texts the rule must not fire on.
    pub negative_examples: Vec<Example>,

    /// Which file the rule came from (filled by the loader).
    #[serde(skip)]
    pub source: String,
    /// False when disabled by configuration.
    #[serde(skip, default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// An identifier that, when found near a secret, corroborates it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    /// What the identifier is, e.g. `client id`.
    pub name: String,
    /// Regex; a group named `id` marks the identifier, otherwise the whole match.
    pub pattern: String,
    /// How many lines above and below the secret to search (default 5).
    #[serde(default = "default_window")]
    pub lines: u32,
    /// Report the secret only when the identifier is found (for secrets whose
    /// format alone, such as 40 hex characters, is too common to stand alone).
    #[serde(default)]
    pub required: bool,
}

/// Which candidate values a regex rule accepts (rule key `value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// Whatever the pattern matched (formats with a distinctive prefix).
    #[default]
    Any,
    /// Only literal values: in code, a string literal (or a credential-shaped
    /// value in a comment); elsewhere, a value that is not a reference, not a
    /// placeholder named after its key, and not prose.
    Literal,
}

/// Checksums some vendors build into their tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Checksum {
    /// GitHub's token format: the last 6 characters are the base62 CRC32 of
    /// the random part between the `_` and them.
    GithubCrc32,
    /// A PEM private key's body: base64 that decodes to a private-key
    /// structure (PKCS#1, PKCS#8, SEC1, DSA) or an `openssh-key-v1` key. A
    /// truncated or made-up body (docs, tests) fails it.
    PemKeyStructure,
}

fn default_window() -> u32 {
    5
}

/// An example: plain text (checked as `example.txt`), or text with the path it
/// should be checked under (CI rules need a workflow path, code rules a file
/// extension).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Example {
    Text(String),
    WithPath {
        path: String,
        text: String,
        /// Check the text as a document fetched from this URL (audit rules
        /// that compare a document with where it came from).
        #[serde(default)]
        url: Option<String>,
    },
}

impl Example {
    pub fn path(&self) -> &str {
        match self {
            Example::Text(_) => "example.txt",
            Example::WithPath { path, .. } => path,
        }
    }

    pub fn url(&self) -> Option<&str> {
        match self {
            Example::WithPath { url, .. } => url.as_deref(),
            Example::Text(_) => None,
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Example::Text(t) | Example::WithPath { text: t, .. } => t,
        }
    }
}

impl Rule {
    /// Help as plain text (SARIF `help.text`): the Markdown with its markup thinned.
    pub fn help_text(&self) -> String {
        self.help
            .lines()
            .map(|l| l.trim_start_matches('#').trim_start())
            .collect::<Vec<_>>()
            .join("\n")
            .replace("**", "")
            .replace('`', "")
    }
}
