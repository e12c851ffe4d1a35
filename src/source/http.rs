//! Fetching authorization-server documents over HTTPS: the only source that
//! goes on the network. Blocking reqwest (rustls, system roots plus an
//! optional extra CA) driven by a fixed pool of threads in the caller: one
//! client per run shares its connection pool between threads.
//!
//! Policy: https only (plain http only to loopback when allowed), at most 5
//! redirects and never off https, a body cap (larger bodies are cut off and
//! reported), retries with backoff on timeouts, connection failures and 5xx.

use std::io::Read;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result};
use reqwest::blocking::Client;
use reqwest::redirect;
use reqwest::Url;

pub const MAX_REDIRECTS: usize = 5;

#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub timeout: Duration,
    pub max_response_size: u64,
    pub ca_cert: Option<PathBuf>,
    pub allow_http_loopback: bool,
    /// Further attempts after a timeout, connection failure or 5xx.
    pub retries: u32,
    /// First backoff; doubled for each further retry.
    pub backoff: Duration,
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
    #[error("{0}")]
    Transport(String),
}

impl FetchError {
    fn retryable(&self) -> bool {
        match self {
            FetchError::Status(s) => *s >= 500,
            FetchError::Timeout(_) => true,
            FetchError::Transport(m) => m.contains("connect"),
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

impl Fetcher {
    pub fn new(opts: FetchOptions) -> Result<Fetcher> {
        let allow = opts.allow_http_loopback;
        let policy = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else if !allowed(attempt.url(), allow) {
                let to = attempt.url().to_string();
                attempt.error(format!("redirect to {to} refused: not https"))
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
        if let Some(path) = &opts.ca_cert {
            let pem = std::fs::read(path)
                .with_context(|| format!("cannot read --ca-cert {}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .with_context(|| format!("--ca-cert {}: not a PEM certificate", path.display()))?;
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
        let parsed = Url::parse(url).map_err(|e| FetchError::BadUrl(format!("{url}: {e}")))?;
        if !allowed(&parsed, self.opts.allow_http_loopback) {
            return Err(FetchError::Insecure(url.to_string()));
        }
        let mut attempt = 0;
        loop {
            match self.once(parsed.clone()) {
                Err(e) if e.retryable() && attempt < self.opts.retries => {
                    std::thread::sleep(self.opts.backoff * 2u32.pow(attempt));
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    fn once(&self, url: Url) -> Result<Fetched, FetchError> {
        let resp = self
            .client
            .get(url)
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
        let final_url = resp.url().to_string();
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
        resp.take(max + 1).read_to_end(&mut body).map_err(|e| {
            match e.get_ref().and_then(|r| r.downcast_ref::<reqwest::Error>()) {
                Some(re) => self.transport_ref(re),
                None if e.kind() == std::io::ErrorKind::TimedOut => {
                    FetchError::Timeout(self.opts.timeout)
                }
                None => FetchError::Transport(format!("reading the body: {e}")),
            }
        })?;
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
