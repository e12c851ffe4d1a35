//! `scan --validate` settings and the `nhiscan validate` command.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};

use crate::cli::{ValidateArgs, ValidationArgs};
use crate::config::Config;
use crate::finding::{Finding, ValidityStatus};
use crate::gate::exit;
use crate::validate::{self, vendors, Candidate, Endpoints, NetOptions};

/// Vendors whose base URL `--validate-endpoint` may replace.
const VENDORS: &[&str] = &[
    "google",
    "entra",
    "github",
    "github-api",
    "gitlab",
    "slack",
    "okta",
    "auth0",
    "gcp",
];

/// Flags and config merged into one validation setting.
pub fn settings(
    v: &ValidationArgs,
    ca_cert: Option<PathBuf>,
    timeout: f64,
    config: &Config,
) -> Result<validate::Settings> {
    let timeout = Duration::try_from_secs_f64(timeout)
        .ok()
        .filter(|d| !d.is_zero() && *d <= Duration::from_secs(600))
        .context("--timeout must be a number of seconds between 0 and 600")?;
    if !(v.validate_rate > 0.0 && v.validate_rate.is_finite()) {
        bail!("--validate-rate must be a positive number");
    }
    let mut endpoints = Endpoints::default();
    for e in &v.validate_endpoint {
        let Some((vendor, url)) = e.split_once('=') else {
            bail!("--validate-endpoint takes VENDOR=URL, not {e:?}");
        };
        if !VENDORS.contains(&vendor) {
            bail!(
                "--validate-endpoint: unknown vendor {vendor:?} (one of {})",
                VENDORS.join(", ")
            );
        }
        let url = reqwest::Url::parse(url)
            .ok()
            .filter(|u| u.scheme() == "https" && u.host_str().is_some())
            .with_context(|| format!("--validate-endpoint {vendor}: not an https URL"))?;
        endpoints.overrides.insert(vendor.to_string(), url);
    }
    Ok(validate::Settings {
        net: NetOptions {
            timeout,
            ca_cert,
            allow_private: v.validate_allow_private,
            allowed_hosts: config.validate.allowed_hosts.clone(),
            rate_per_host: v.validate_rate,
            ..NetOptions::default()
        },
        endpoints,
        concurrency: v.validate_concurrency,
    })
}

/// The rule a `--kind` names.
fn rule_of(kind: &str) -> Option<&'static str> {
    Some(match kind.to_ascii_lowercase().as_str() {
        "google" | "nhi101" => "NHI101",
        "entra" | "nhi102" => "NHI102",
        "github" | "nhi103" => "NHI103",
        "github-token" | "nhi104" => "NHI104",
        "gitlab" | "nhi105" => "NHI105",
        "slack" | "nhi106" => "NHI106",
        "slack-token" | "nhi107" => "NHI107",
        "okta-token" | "nhi108" => "NHI108",
        "okta" | "nhi109" => "NHI109",
        "auth0" | "nhi110" => "NHI110",
        "gcp" | "nhi162" => "NHI162",
        "oauth" | "nhi199" => "NHI199",
        _ => return None,
    })
}

/// `nhiscan validate`: one secret from standard input (trailing whitespace
/// trimmed; for `gcp`, the key file's JSON).
pub fn run(args: &ValidateArgs) -> Result<u8> {
    let Some(rule) = rule_of(&args.kind) else {
        bail!("--kind {:?}: not a credential nhiscan validates", args.kind);
    };
    let mut input = String::new();
    std::io::stdin()
        .take(1 << 20)
        .read_to_string(&mut input)
        .context("reading the secret from standard input")?;
    let secret = input.trim().to_string();
    if secret.is_empty() {
        bail!("no secret on standard input");
    }
    let mut c = Candidate {
        rule_id: rule.to_string(),
        client_id: args.client_id.clone(),
        domain: args.domain.clone(),
        issuer: args.issuer.clone(),
        ..Default::default()
    };
    if rule == "NHI162" {
        let doc: serde_json::Value = serde_json::from_str(&secret)
            .context("--kind gcp reads a service-account key file (JSON)")?;
        for key in ["client_email", "private_key_id"] {
            if let Some(v) = doc.get(key).and_then(|v| v.as_str()) {
                c.extra.insert(key, v.to_string());
            }
        }
    }
    c.secret = secret;
    let settings = settings(
        &args.validation,
        args.ca_cert.clone(),
        args.timeout,
        &Config::default(),
    )?;
    let net = validate::Net::new(settings.net.clone())?;
    let o = vendors::check(&c, &net, &settings.endpoints).expect("every kind has a validator");
    if args.json {
        let mut f = serde_json::Map::new();
        f.insert("status".into(), o.status.as_str().into());
        f.insert("validator".into(), o.validator.into());
        if let Some(h) = &o.host {
            f.insert("host".into(), h.as_str().into());
        }
        f.insert("reason".into(), o.reason.as_str().into());
        println!("{}", serde_json::Value::Object(f));
    } else {
        let at = o
            .host
            .as_deref()
            .map(|h| format!(", {h}"))
            .unwrap_or_default();
        println!("{} ({}{at}): {}", o.status.as_str(), o.validator, o.reason);
    }
    Ok(match o.status {
        ValidityStatus::Valid => exit::FINDINGS,
        ValidityStatus::Invalid => exit::CLEAN,
        _ => exit::INCOMPLETE,
    })
}

/// The one-line summary of a validation run for stderr.
pub fn summary_line(s: &validate::Summary) -> String {
    format!(
        "--validate: {} distinct credential(s): {} live, {} rejected, {} unknown, {} not checked; {} request(s) sent",
        s.checked, s.valid, s.invalid, s.unknown, s.not_checked, s.requests
    )
}

/// `--only-valid`: keep the findings whose credential was found live.
pub fn keep_only_valid(findings: &mut Vec<Finding>) {
    findings.retain(|f| {
        f.validity
            .as_ref()
            .is_some_and(|v| v.status == ValidityStatus::Valid)
    });
}
