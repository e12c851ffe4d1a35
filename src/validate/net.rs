//! The one way validation goes on the network. Every request that may carry a
//! credential passes here, and here is where the safety rules live:
//!
//! - https only; no redirect is ever followed (a 3xx is an answer: unknown);
//! - the host must be public: an IP literal is checked before connecting, a
//!   name is resolved by `source::public_net::PublicOnly`, which drops loopback, private,
//!   link-local and other non-global addresses (unless `allow_private`);
//! - when the user pinned `allowed_hosts`, nothing else is asked;
//! - one deadline covers connect, headers and the whole body; bodies are cut
//!   at `max_body` bytes;
//! - requests to one host are spaced by the rate limit, and counted.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use reqwest::blocking::Client;
use reqwest::Url;

use crate::source::public_net::{private_literal, PublicOnly, NO_PUBLIC_ADDRESS};

#[derive(Debug, Clone)]
pub struct NetOptions {
    pub timeout: Duration,
    pub max_body: u64,
    pub ca_cert: Option<PathBuf>,
    /// Permit loopback, private and link-local addresses (tests, self-hosted servers).
    pub allow_private: bool,
    /// When set, only these hosts (exact, or `*.suffix`) are ever asked.
    pub allowed_hosts: Option<Vec<String>>,
    /// Requests per second to one host.
    pub rate_per_host: f64,
}

impl Default for NetOptions {
    fn default() -> Self {
        NetOptions {
            timeout: Duration::from_secs(10),
            max_body: 64 << 10,
            ca_cert: None,
            allow_private: false,
            allowed_hosts: None,
            rate_per_host: 5.0,
        }
    }
}

/// Why a request was not answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetError {
    /// Not sent: the policy forbids it. The credential is "not checked".
    Refused(String),
    /// Sent, but no usable answer came back. The credential is "unknown".
    Failed(String),
}

/// A fetched JSON object, or why not.
pub type Document = Result<serde_json::Value, NetError>;

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

pub enum Auth<'a> {
    None,
    /// HTTP Basic with the RFC 6749 §2.3.1 form-encoding of id and secret.
    ClientBasic(&'a str, &'a str),
    Bearer(&'a str),
    /// A raw Authorization header value (Okta's `SSWS token`, GitHub's `token x`).
    Header(String),
}

pub struct Net {
    client: Client,
    opts: NetOptions,
    next_slot: Mutex<HashMap<String, Instant>>,
    requests: AtomicU64,
    /// Discovery documents and key sets by URL: a thousand secrets of one
    /// issuer need it once (the first asker fetches, the others wait for it).
    documents: Mutex<HashMap<String, Arc<OnceLock<Arc<Document>>>>>,
}

fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let host = host.to_ascii_lowercase();
    allowed.iter().any(|a| {
        let a = a.to_ascii_lowercase();
        match a.strip_prefix("*.") {
            Some(suffix) => host.ends_with(&format!(".{suffix}")),
            None => host == a,
        }
    })
}

/// RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Net {
    pub fn new(opts: NetOptions) -> Result<Net> {
        let mut builder = Client::builder()
            .user_agent(concat!(
                "nhiscan/",
                env!("CARGO_PKG_VERSION"),
                " (validate)"
            ))
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout)
            .redirect(reqwest::redirect::Policy::none())
            // No proxy from the environment: a proxy would resolve names
            // itself, past the public-address check.
            .no_proxy()
            .https_only(true)
            .use_rustls_tls();
        if !opts.allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly {
                hint: "--validate-allow-private permits it",
            }));
        }
        if let Some(path) = &opts.ca_cert {
            let pem = std::fs::read(path)
                .with_context(|| format!("cannot read --ca-cert {}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .with_context(|| format!("--ca-cert {}: not a PEM certificate", path.display()))?;
            anyhow::ensure!(
                !certs.is_empty(),
                "--ca-cert {}: no certificate in it",
                path.display()
            );
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        Ok(Net {
            client: builder.build().context("building the HTTPS client")?,
            opts,
            next_slot: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
            documents: Mutex::new(HashMap::new()),
        })
    }

    /// Requests sent so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Whether a request to `url` may be sent at all (scheme, host policy, IP literal).
    pub fn check(&self, url: &Url) -> Result<String, NetError> {
        if url.scheme() != "https" {
            // Scheme and host only: a URL's path or query may hold a credential.
            return Err(NetError::Refused(format!(
                "{}://{} is not https",
                url.scheme(),
                url.host_str().unwrap_or("")
            )));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(NetError::Refused("a URL with credentials in it".into()));
        }
        let host = url
            .host_str()
            .ok_or_else(|| NetError::Refused("a URL without a host".into()))?
            .to_string();
        if let Some(allowed) = &self.opts.allowed_hosts {
            if !host_allowed(&host, allowed) {
                return Err(NetError::Refused(format!(
                    "{host} is not among the allowed validation hosts"
                )));
            }
        }
        if !self.opts.allow_private {
            if let Some(h) = private_literal(url) {
                return Err(NetError::Refused(format!(
                    "{h} is not a public address (--validate-allow-private permits it)"
                )));
            }
        }
        Ok(host)
    }

    /// Wait for this host's next slot under the rate limit.
    fn pace(&self, host: &str) {
        let interval = Duration::from_secs_f64(1.0 / self.opts.rate_per_host.max(0.01));
        let slot = {
            let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = next.get(host).copied().filter(|t| *t > now).unwrap_or(now);
            next.insert(host.to_string(), slot + interval);
            slot
        };
        let now = Instant::now();
        if slot > now {
            std::thread::sleep(slot - now);
        }
    }

    /// GET a JSON object (a discovery document), once per URL per run.
    pub fn get_document(&self, url: &Url) -> Arc<Document> {
        let cell = self
            .documents
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(url.as_str().to_string())
            .or_default()
            .clone();
        cell.get_or_init(|| Arc::new(self.fetch_document(url)))
            .clone()
    }

    fn fetch_document(&self, url: &Url) -> Document {
        match self.send(url, &[], Auth::None) {
            Ok(r) if r.status == 200 => serde_json::from_slice::<serde_json::Value>(&r.body)
                .ok()
                .filter(|v| v.is_object())
                .ok_or_else(|| NetError::Failed("not a JSON object".into())),
            Ok(r) => Err(NetError::Failed(format!("HTTP {}", r.status))),
            Err(e) => Err(e),
        }
    }

    /// GET (`form` empty) or POST a form, with one deadline for the whole exchange.
    pub fn send(&self, url: &Url, form: &[(&str, &str)], auth: Auth) -> Result<Response, NetError> {
        let host = self.check(url)?;
        self.pace(&host);
        let mut req = if form.is_empty() {
            self.client.get(url.clone())
        } else {
            self.client.post(url.clone()).form(form)
        };
        req = req.header(reqwest::header::ACCEPT, "application/json");
        req = match auth {
            Auth::None => req,
            Auth::ClientBasic(id, secret) => {
                req.basic_auth(form_encode(id), Some(form_encode(secret)))
            }
            Auth::Bearer(t) => req.bearer_auth(t),
            Auth::Header(v) => req.header(reqwest::header::AUTHORIZATION, v),
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        // One deadline for connect, headers and the whole body: the exchange
        // runs on a thread of its own and is abandoned when the deadline
        // passes (reqwest's blocking reads time out per read, so a server that
        // trickles its answer would otherwise hold us for long).
        let timeout = self.opts.timeout;
        let deadline = Instant::now() + timeout;
        let max_body = self.opts.max_body;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(exchange(req, deadline, max_body));
        });
        match rx.recv_timeout(timeout) {
            Ok(r) => r,
            Err(_) => Err(NetError::Failed(format!("timed out after {timeout:?}"))),
        }
    }
}

/// Send the request and read the answer, up to `max_body` bytes and no later
/// than `deadline` (checked between reads, so the thread ends soon after).
fn exchange(
    req: reqwest::blocking::RequestBuilder,
    deadline: Instant,
    max_body: u64,
) -> Result<Response, NetError> {
    let mut resp = req.send().map_err(|e| {
        // The resolver's refusal of a non-public name: nothing was sent.
        let mut src: Option<&dyn std::error::Error> = Some(&e);
        while let Some(s) = src {
            if s.to_string().contains(NO_PUBLIC_ADDRESS) {
                return NetError::Refused(
                    "the host has no public address (--validate-allow-private permits it)".into(),
                );
            }
            src = s.source();
        }
        NetError::Failed(if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            "cannot connect".to_string()
        } else {
            "request failed".to_string()
        })
    })?;
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if Instant::now() > deadline {
            return Err(NetError::Failed("timed out reading the answer".into()));
        }
        match resp.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                body.extend_from_slice(&buf[..n]);
                if body.len() as u64 > max_body {
                    return Err(NetError::Failed(format!(
                        "answer larger than {max_body} bytes"
                    )));
                }
            }
            Err(_) => return Err(NetError::Failed("reading the answer failed".into())),
        }
    }
    Ok(Response { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_before_sending() {
        let net = Net::new(NetOptions {
            allowed_hosts: Some(vec!["*.okta.com".into(), "oauth2.googleapis.com".into()]),
            ..NetOptions::default()
        })
        .unwrap();
        let u = |s: &str| Url::parse(s).unwrap();
        let refused =
            |s: &str| matches!(net.send(&u(s), &[], Auth::None), Err(NetError::Refused(_)));
        assert!(refused("http://oauth2.googleapis.com/token"));
        assert!(refused("https://127.0.0.1/token"));
        assert!(refused("https://evil.example.com/token"));
        assert!(refused("https://user:pw@dev.okta.com/token"));
        let open = Net::new(NetOptions::default()).unwrap();
        for host in [
            "localhost.",
            "api.localhost",
            "[64:ff9b::a9fe:a9fe]",
            "[2002:7f00:1::]",
            "[::7f00:1]",
            "[fec0::1]",
        ] {
            let u = Url::parse(&format!("https://{host}/token")).unwrap();
            assert!(
                matches!(open.check(&u), Err(NetError::Refused(_))),
                "{host}"
            );
        }
        assert!(net
            .check(&u("https://dev-1.okta.com/oauth2/v1/token"))
            .is_ok());
        assert_eq!(net.requests(), 0);
    }

    #[test]
    fn basic_auth_form_encodes_first() {
        assert_eq!(form_encode("a b:c+d"), "a+b%3Ac%2Bd");
    }
}
