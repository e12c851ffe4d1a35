//! Fetching authorization-server documents over HTTPS: the only source that
//! goes on the network. Blocking reqwest (rustls, system roots plus an
//! optional extra CA) driven by a fixed pool of threads in the caller: one
//! client per run shares its connection pool between threads.
//!
//! Policy: https only (plain http only to loopback when allowed), at most 5
//! redirects and never off https, a body cap (larger bodies are cut off and
//! reported), retries with capped backoff on timeouts, connection failures
//! and 5xx (never on certificate errors), one deadline per request covering
//! connect, headers and the whole body. Credentials in a URL (`user:pw@`)
//! are never sent. With `public_only` (targets taken from scanned content)
//! every address connected to, after every redirect, must be public: the
//! resolver drops loopback, private, link-local and similar addresses, and
//! IP-literal hosts are checked before any request.

use std::io::Read;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use reqwest::blocking::Client;
use reqwest::redirect;
use reqwest::Url;

use super::public_net::{private_literal, PublicOnly};

pub const MAX_REDIRECTS: usize = 5;
/// Longest single backoff sleep, and longest total of them per document.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
pub const MAX_TOTAL_BACKOFF: Duration = Duration::from_secs(15);

#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub timeout: Duration,
    pub max_response_size: u64,
    pub ca_cert: Option<PathBuf>,
    pub allow_http_loopback: bool,
    /// Further attempts after a timeout, connection failure or 5xx.
    pub retries: u32,
    /// First backoff; doubled for each further retry, capped by [`MAX_BACKOFF`].
    pub backoff: Duration,
    /// Connect only to public addresses (targets named by scanned content).
    pub public_only: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            timeout: Duration::from_secs(10),
            max_response_size: 1 << 20,
            ca_cert: None,
            allow_http_loopback: false,
            retries: 2,
            backoff: Duration::from_millis(200),
            public_only: false,
        }
    }
}

/// Why a document could not be fetched: one clear sentence per case.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    #[error("not a valid URL: {0}")]
    BadUrl(String),
    #[error("refusing {0}: only https is allowed (plain http only to loopback with --allow-http-loopback)")]
    Insecure(String),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("response larger than {0} bytes (--max-response-size): cut off")]
    TooLarge(u64),
    #[error("unexpected content type {0:?} (expected JSON)")]
    ContentType(String),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("refusing {0}: not a public address (a target named by scanned content must be public; --allow-private-issuers allows private ones)")]
    Private(String),
    #[error("{0}")]
    Transport(String),
}

impl FetchError {
    fn retryable(&self) -> bool {
        match self {
            FetchError::Status(s) => *s >= 500,
            FetchError::Timeout(_) => true,
            // A certificate problem does not go away by asking again.
            FetchError::Transport(m) => {
                m.contains("connect")
                    && !m.to_ascii_lowercase().contains("certificate")
                    && !m.contains("no public address")
            }
            _ => false,
        }
    }
}

/// A fetched document: the URL it finally came from and its body.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub url: String,
    pub body: Vec<u8>,
}

pub struct Fetcher {
    client: Client,
    opts: FetchOptions,
}

/// Is `url` allowed: https, or http to a loopback host when permitted.
pub fn allowed(url: &Url, allow_http_loopback: bool) -> bool {
    match url.scheme() {
        "https" => true,
        "http" if allow_http_loopback => match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// The pause before retry `attempt` (0-based): doubling from `base`, at
/// most [`MAX_BACKOFF`], and None once the pauses would pass
/// [`MAX_TOTAL_BACKOFF`] in all (`--retries 20` once meant 58 hours).
fn backoff(base: Duration, attempt: u32, slept: Duration) -> Option<Duration> {
    let pause = base
        .saturating_mul(2u32.saturating_pow(attempt))
        .min(MAX_BACKOFF);
    (slept + pause <= MAX_TOTAL_BACKOFF).then_some(pause)
}

/// `url` without `user:password@` (never sent, never printed).
pub fn without_userinfo(url: &Url) -> Url {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u
}

impl Fetcher {
    pub fn new(opts: FetchOptions) -> Result<Fetcher> {
        let allow = opts.allow_http_loopback;
        let public_only = opts.public_only;
        let policy = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else if !allowed(attempt.url(), allow) {
                let to = crate::finding::redact_url(attempt.url().as_str());
                attempt.error(format!("redirect to {to} refused: not https"))
            } else if let Some(ip) = private_literal(attempt.url()).filter(|_| public_only) {
                attempt.error(FetchError::Private(ip).to_string())
            } else {
                attempt.follow()
            }
        });
        let mut builder = Client::builder()
            .user_agent(concat!("nhiscan/", env!("CARGO_PKG_VERSION")))
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout)
            .redirect(policy)
            .https_only(!allow)
            .use_rustls_tls();
        if public_only {
            // A proxy would resolve and connect for us, out of the check's reach.
            builder = builder
                .dns_resolver(Arc::new(PublicOnly {
                    hint: "a target named by scanned content must be public; --allow-private-issuers allows private ones",
                }))
                .no_proxy();
        }
        if let Some(path) = &opts.ca_cert {
            let pem = std::fs::read(path)
                .with_context(|| format!("cannot read --ca-cert {}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .with_context(|| format!("--ca-cert {}: not a PEM certificate", path.display()))?;
            if certs.is_empty() {
                anyhow::bail!(
                    "--ca-cert {}: no certificate in the file (expected PEM `-----BEGIN CERTIFICATE-----` blocks)",
                    path.display()
                );
            }
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        let client = builder.build().context("building the HTTPS client")?;
        Ok(Fetcher { client, opts })
    }

    pub fn options(&self) -> &FetchOptions {
        &self.opts
    }

    /// GET a JSON document, retrying with backoff on transient failures.
    pub fn get_json(&self, url: &str) -> Result<Fetched, FetchError> {
        let shown = crate::finding::redact_url(url);
        let parsed = Url::parse(url).map_err(|e| FetchError::BadUrl(format!("{shown}: {e}")))?;
        let parsed = without_userinfo(&parsed);
        if !allowed(&parsed, self.opts.allow_http_loopback) {
            return Err(FetchError::Insecure(shown));
        }
        if self.opts.public_only {
            if let Some(ip) = private_literal(&parsed) {
                return Err(FetchError::Private(ip));
            }
        }
        let mut attempt = 0;
        let mut slept = Duration::ZERO;
        loop {
            match self.once(parsed.clone()) {
                Err(e) if e.retryable() && attempt < self.opts.retries => {
                    let Some(pause) = backoff(self.opts.backoff, attempt, slept) else {
                        return Err(e);
                    };
                    std::thread::sleep(pause);
                    slept += pause;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    fn once(&self, url: Url) -> Result<Fetched, FetchError> {
        // One deadline for connect, headers and body: a server that
        // trickles its body a byte a second must not hold us past it.
        let deadline = Instant::now() + self.opts.timeout;
        let resp = self
            .client
            .get(url)
            .timeout(self.opts.timeout)
            .header(
                reqwest::header::ACCEPT,
                "application/json, application/jwk-set+json",
            )
            .send()
            .map_err(|e| self.transport(e))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let final_url = without_userinfo(resp.url()).to_string();
        if let Some(ct) = resp.headers().get(reqwest::header::CONTENT_TYPE) {
            let ct = String::from_utf8_lossy(ct.as_bytes()).to_string();
            let mime = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if !(mime == "application/json" || mime.ends_with("+json")) {
                return Err(FetchError::ContentType(ct));
            }
        }
        let max = self.opts.max_response_size;
        let mut body = Vec::new();
        let mut reader = resp.take(max + 1);
        let mut chunk = [0u8; 16 << 10];
        loop {
            if Instant::now() >= deadline {
                return Err(FetchError::Timeout(self.opts.timeout));
            }
            let n = reader.read(&mut chunk).map_err(|e| {
                match e.get_ref().and_then(|r| r.downcast_ref::<reqwest::Error>()) {
                    Some(re) => self.transport_ref(re),
                    None if e.kind() == std::io::ErrorKind::TimedOut => {
                        FetchError::Timeout(self.opts.timeout)
                    }
                    None => FetchError::Transport(format!("reading the body: {e}")),
                }
            })?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        if body.len() as u64 > max {
            return Err(FetchError::TooLarge(max));
        }
        Ok(Fetched {
            url: final_url,
            body,
        })
    }

    fn transport(&self, e: reqwest::Error) -> FetchError {
        self.transport_ref(&e)
    }

    fn transport_ref(&self, e: &reqwest::Error) -> FetchError {
        if e.is_timeout() {
            return FetchError::Timeout(self.opts.timeout);
        }
        // The chain carries the useful part (certificate name, unknown issuer,
        // redirect policy); reqwest's top line alone says only "error sending request".
        let mut msg = String::new();
        let mut src: Option<&dyn std::error::Error> = Some(e);
        while let Some(s) = src {
            let part = s.to_string();
            if !msg.contains(&part) {
                if !msg.is_empty() {
                    msg.push_str(": ");
                }
                msg.push_str(&part);
            }
            src = s.source();
        }
        if e.is_connect() && !msg.contains("connect") {
            msg = format!("cannot connect: {msg}");
        }
        FetchError::Transport(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(allowed(&u("https://example.com/x"), false));
        assert!(!allowed(&u("http://example.com/x"), true));
        assert!(!allowed(&u("http://127.0.0.1:8080/x"), false));
        assert!(allowed(&u("http://127.0.0.1:8080/x"), true));
        assert!(allowed(&u("http://[::1]:8080/x"), true));
        assert!(allowed(&u("http://localhost/x"), true));
        assert!(!allowed(&u("ftp://127.0.0.1/x"), true));
    }

    #[test]
    fn backoff_is_capped_per_pause_and_in_all() {
        let mut slept = Duration::ZERO;
        let mut pauses = 0;
        for attempt in 0..1000 {
            let Some(p) = backoff(Duration::from_millis(200), attempt, slept) else {
                break;
            };
            assert!(p <= MAX_BACKOFF);
            slept += p;
            pauses += 1;
        }
        assert!(slept <= MAX_TOTAL_BACKOFF, "{slept:?}");
        assert!(pauses >= 4, "the first retries still happen");
    }

    #[test]
    fn certificate_errors_are_not_retried() {
        let tls =
            FetchError::Transport("cannot connect: invalid peer certificate: UnknownIssuer".into());
        assert!(!tls.retryable());
        assert!(FetchError::Transport("cannot connect: connection refused".into()).retryable());
        assert!(!FetchError::Private("127.0.0.1".into()).retryable());
    }

    #[test]
    fn refused_before_any_connection() {
        let f = Fetcher::new(FetchOptions::default()).unwrap();
        assert!(matches!(
            f.get_json("http://example.com/.well-known/openid-configuration"),
            Err(FetchError::Insecure(_))
        ));
        assert!(matches!(
            f.get_json("not a url"),
            Err(FetchError::BadUrl(_))
        ));
    }
}
