//! A loopback HTTPS server that answers validation requests the way each
//! vendor documents (a good secret → the vendor's "authenticated" answer, any
//! other → its "rejected" answer), plus hostile modes. It reads request bodies,
//! counts requests, and records nothing of what it was sent.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::server::{acceptor, listen};
use super::tls::Leaf;

/// How the server answers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// As the vendors document.
    Vendors,
    /// 200 `{"ok":true}` to everything.
    AlwaysOk,
    /// 302 to another host.
    Redirect,
    /// Never answers within the test's timeout.
    Slow,
    /// A body far over the cap.
    Huge,
    /// Headers at once, then the body stalls.
    StallBody,
    /// 400 with the secret it was sent as the "error code".
    Echo,
}

pub struct VendorServer {
    pub port: u16,
    pub requests: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl VendorServer {
    pub fn base(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

/// The secrets the server accepts (any other is rejected).
pub const GOOD: &[&str] = &[
    "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",
    "bdb9ec64dbd562e465e0607ec8b29ca6d92fe653",
    "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",
    "gloas-591c9195229352d465334de2d303cb6a491519127cb19ac52eddec010c73b6c2",
    "8a0c6141575fb258fb7f45c4f451bd37",
    "xoxb-270986398753-6990317548233-7N5A8Ihe22kkOj3fOoTxZwZP",
    "00sH0DiFqMOr08wwHGcY0uLl9YnC8wLS-lAbXi5uil",
    "nDUtuD8bP8kO1nk5RLuQgZt2md25S96aCsChZO3V",
    "SLPBE7jXqrH2MCrUCZDdlEPtlV9CdJd6E7feOC2okTtRnLdA4SZKTQSFoUs0Frfo",
    "Dkf0Q~pnchP0XPnwPM3woOlNE76n.R8L-qGWEuUO",
];

pub const GCP_KEY_ID: &str = "4f1b0c9a7d2e8f6b3a5c1d0e9f8a7b6c5d4e3f2a";

pub fn start(leaf: &Leaf, mode: Mode) -> VendorServer {
    let acceptor = acceptor(leaf);
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let (runtime, port) = listen(move |tcp, port| {
        let acceptor = acceptor.clone();
        let counter = counter.clone();
        async move {
            if let Ok(mut tls) = acceptor.accept(tcp).await {
                if let Some((head, body)) = read_request(&mut tls).await {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let _ = answer(&mut tls, mode, port, &head, &body).await;
                }
            }
        }
    });
    VendorServer {
        port,
        requests,
        _runtime: runtime,
    }
}

async fn read_request<S: tokio::io::AsyncRead + Unpin>(s: &mut S) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 64 << 10 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len.min(64 << 10) {
        let mut chunk = [0u8; 4096];
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, String::from_utf8_lossy(&body).to_string()))
}

/// A form field's decoded value.
fn field(body: &str, name: &str) -> String {
    url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn good(s: &str) -> bool {
    GOOD.contains(&s)
}

/// The secret a request carries: form `client_secret`, Basic auth, a bearer,
/// `token`/`SSWS` authorization.
fn presented(head: &str, body: &str) -> String {
    let form = field(body, "client_secret");
    if !form.is_empty() {
        return form;
    }
    let auth = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("authorization")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_default();
    if let Some(b) = auth.strip_prefix("Basic ") {
        use base64::Engine;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b)
            .unwrap_or_default();
        let raw = String::from_utf8_lossy(&raw).to_string();
        let secret = raw.split_once(':').map(|(_, s)| s).unwrap_or("");
        return url::form_urlencoded::parse(format!("s={secret}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
    }
    for p in ["Bearer ", "token ", "SSWS "] {
        if let Some(t) = auth.strip_prefix(p) {
            return t.to_string();
        }
    }
    String::new()
}

async fn answer<S: tokio::io::AsyncWrite + Unpin>(
    s: &mut S,
    mode: Mode,
    port: u16,
    head: &str,
    body: &str,
) -> std::io::Result<()> {
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (status, json): (u16, String) = match mode {
        Mode::AlwaysOk => (200, r#"{"ok":true}"#.into()),
        Mode::Redirect => {
            let r = "HTTP/1.1 302 Found\r\nlocation: https://elsewhere.example.com/token\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
            return s.write_all(r.as_bytes()).await;
        }
        Mode::Slow => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            (200, "{}".into())
        }
        Mode::Huge => (200, format!("{{\"pad\":\"{}\"}}", "x".repeat(1 << 20))),
        Mode::Echo => (
            400,
            serde_json::json!({ "error": presented(head, body) }).to_string(),
        ),
        Mode::StallBody => {
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{";
            s.write_all(head.as_bytes()).await?;
            s.flush().await?;
            tokio::time::sleep(Duration::from_secs(10)).await;
            return Ok(());
        }
        Mode::Vendors => {
            let ok = good(&presented(head, body));
            vendor(&path, body, ok, port)
        }
    };
    let resp = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
        json.len()
    );
    s.write_all(resp.as_bytes()).await?;
    s.flush().await
}

/// Each vendor's documented answers.
fn vendor(path: &str, body: &str, ok: bool, port: u16) -> (u16, String) {
    let j = |s: &str| s.to_string();
    match path {
        // Google, GitLab (Doorkeeper), Okta: RFC 6749 §5.2.
        "/token" | "/oauth2/v1/token" => oauth(ok),
        "/oauth/token" if field(body, "client_id").starts_with("ETYl") => {
            // Auth0.
            if ok {
                (
                    403,
                    j(
                        r#"{"error":"invalid_grant","error_description":"Invalid authorization code"}"#,
                    ),
                )
            } else {
                (
                    401,
                    j(r#"{"error":"access_denied","error_description":"Unauthorized"}"#),
                )
            }
        }
        "/oauth/token" => oauth(ok),
        "/login/oauth/access_token" => (
            200,
            if ok {
                j(
                    r#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}"#,
                )
            } else {
                j(
                    r#"{"error":"incorrect_client_credentials","error_description":"The client_id and/or client_secret passed are incorrect."}"#,
                )
            },
        ),
        "/user" if ok => (200, j(r#"{"login":"octocat","id":1}"#)),
        "/user" => (401, j(r#"{"message":"Bad credentials"}"#)),
        "/api/oauth.v2.access" => (
            200,
            if ok {
                j(r#"{"ok":false,"error":"invalid_code"}"#)
            } else {
                j(r#"{"ok":false,"error":"bad_client_secret"}"#)
            },
        ),
        "/api/auth.test" => (
            200,
            if ok {
                j(r#"{"ok":true,"team":"T","team_id":"T1","user_id":"U1"}"#)
            } else {
                j(r#"{"ok":false,"error":"invalid_auth"}"#)
            },
        ),
        "/api/v1/users/me" if ok => (200, j(r#"{"id":"00u1","status":"ACTIVE"}"#)),
        "/api/v1/users/me" => (
            401,
            j(r#"{"errorCode":"E0000011","errorSummary":"Invalid token provided"}"#),
        ),
        // Okta discovery for the org authorization server.
        "/.well-known/openid-configuration" => (
            200,
            format!(
                r#"{{"issuer":"https://127.0.0.1:{port}","token_endpoint":"https://127.0.0.1:{port}/oauth2/v1/token","token_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post"]}}"#
            ),
        ),
        p if p.ends_with("/oauth2/v2.0/token") => {
            if ok {
                (
                    200,
                    j(
                        r#"{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0eXAiOiJKV1QifQ.e30.c2lnbmF0dXJl"}"#,
                    ),
                )
            } else {
                (
                    401,
                    j(
                        r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}"#,
                    ),
                )
            }
        }
        p if p.starts_with("/service_accounts/v1/metadata/x509/") => {
            if p.contains("deleted") {
                (404, j(r#"{"error":{"code":404}}"#))
            } else {
                (
                    200,
                    format!(
                        r#"{{"{GCP_KEY_ID}":"-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"}}"#
                    ),
                )
            }
        }
        // A client's published keys: the leaked key's public half, or another key.
        "/client/jwks" => (
            200,
            format!(
                r#"{{"keys":[{{"kty":"EC","crv":"P-256","x":"{JWK_X}","y":"{JWK_Y}","use":"sig","kid":"1"}}]}}"#
            ),
        ),
        // The PEM key's public half (PEM_X/PEM_Y), published by a client.
        "/pem/jwks" => (
            200,
            format!(
                r#"{{"keys":[{{"kty":"EC","crv":"P-256","x":"{PEM_X}","y":"{PEM_Y}","use":"sig"}}]}}"#
            ),
        ),
        "/rotated/jwks" => (
            200,
            format!(
                r#"{{"keys":[{{"kty":"EC","crv":"P-256","x":"{}","y":"{JWK_Y}","use":"sig","kid":"2"}}]}}"#,
                JWK_X.replace('M', "N")
            ),
        ),
        _ => (404, j(r#"{"error":"not_found"}"#)),
    }
}

/// A P-256 key made for these tests with openssl (PKCS#8 PEM body) and its public point.
pub const PEM_BODY: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBjABTesHj9V5322d\n6SAog4/NRGC7nyTVFuWpVjNgKVihRANCAARUsnYgTYjpcITeR6PVY6JHo8LjhY0C\nB3To3VNxKePcYcttqLNzZss9Ci0+tCNZgMqvQ0hbtLNtfZ8R/XBVXhOE";
pub const PEM_X: &str = "VLJ2IE2I6XCE3kej1WOiR6PC44WNAgd06N1TcSnj3GE";
pub const PEM_Y: &str = "y22os3Nmyz0KLT60I1mAyq9DSFu0s219nxH9cFVeE4Q";

/// The example EC key of RFC 7517 Appendix A.2 (a published test key).
pub const JWK_X: &str = "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4";
pub const JWK_Y: &str = "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM";
pub const JWK_D: &str = "870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE";

fn oauth(ok: bool) -> (u16, String) {
    if ok {
        (
            400,
            r#"{"error":"invalid_grant","error_description":"authorization code is invalid"}"#
                .into(),
        )
    } else {
        (
            401,
            r#"{"error":"invalid_client","error_description":"client authentication failed"}"#
                .into(),
        )
    }
}
