//! An in-process HTTPS server (tokio + tokio-rustls) serving good and hostile
//! authorization-server responses by path prefix. HTTP/1.1 with keep-alive,
//! just enough for reqwest.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

use super::tls::Leaf;

pub struct Server {
    pub port: u16,
    // Read by tests/audit.rs, not by the benchmark example that shares this file.
    #[allow(dead_code)]
    hits: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    /// Requests served so far.
    #[allow(dead_code)]
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }

    pub fn base(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

pub fn acceptor(leaf: &Leaf) -> TlsAcceptor {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs = vec![CertificateDer::from_pem_slice(leaf.cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes()).unwrap();
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

/// A runtime with a listener on 127.0.0.1 (port chosen by the system); each
/// accepted connection is handed to `conn`, on a task of its own.
pub fn listen<F, Fut>(conn: F) -> (tokio::runtime::Runtime, u16)
where
    F: Fn(TcpStream, u16) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    runtime.spawn(async move {
        loop {
            if let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(conn(tcp, port));
            }
        }
    });
    (runtime, port)
}

/// Start a server on 127.0.0.1 with this certificate; `plain` serves http.
pub fn start(leaf: &Leaf, plain: bool) -> Server {
    let acceptor = acceptor(leaf);
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let (runtime, port) = listen(move |tcp, port| {
        let acceptor = acceptor.clone();
        let counter = counter.clone();
        async move {
            if plain {
                let _ = serve(tcp, port, &counter).await;
            } else if let Ok(tls) = acceptor.accept(tcp).await {
                let _ = serve(tls, port, &counter).await;
            }
        }
    });
    Server {
        port,
        hits,
        _runtime: runtime,
    }
}

async fn serve<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut s: S,
    port: u16,
    hits: &AtomicUsize,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        // Read one request head.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        buf.drain(..head_end);
        hits.fetch_add(1, Ordering::Relaxed);
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        // Every request must name nhiscan and its version.
        let ua = concat!("user-agent: nhiscan/", env!("CARGO_PKG_VERSION"), "\r\n");
        if !head.to_ascii_lowercase().contains(ua) {
            send(&mut s, 400, "text/plain", b"no nhiscan user agent").await?;
            return Ok(());
        }
        if !respond(&mut s, &path, port).await? {
            return Ok(());
        }
    }
}

/// Write the response for `path`; false: the connection is done.
async fn respond<S: tokio::io::AsyncWrite + Unpin>(
    s: &mut S,
    path: &str,
    port: u16,
) -> std::io::Result<bool> {
    let base = format!("https://127.0.0.1:{port}");
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    // RFC 8414 path insertion: /.well-known/oauth-authorization-server/{tenant}.
    let tenant = path
        .strip_prefix("/.well-known/oauth-authorization-server/")
        .unwrap_or(first);
    let wk = path.contains("/.well-known/");
    match tenant {
        "slow" => {
            tokio::time::sleep(Duration::from_secs(4)).await;
            send(s, 200, "application/json", b"{}").await
        }
        "endless" => {
            s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n[")
                .await?;
            let chunk = vec![b' '; 64 * 1024];
            loop {
                if s.write_all(&chunk).await.is_err() {
                    return Ok(false);
                }
            }
        }
        "trickle" => {
            // Headers at once, then the body one byte a second, for ever.
            s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n")
                .await?;
            loop {
                if s.write_all(b" ").await.is_err() || s.flush().await.is_err() {
                    return Ok(false);
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        "loop" => redirect(s, &format!("{base}/loop/.well-known/openid-configuration")).await,
        "tohttp" => {
            redirect(
                s,
                &format!("http://127.0.0.1:{port}/good/.well-known/openid-configuration"),
            )
            .await
        }
        "html" => send(s, 200, "text/html", b"<html>hello</html>").await,
        // Fails every other request: a retry succeeds.
        "flaky" if FLAKY.fetch_add(1, Ordering::Relaxed).is_multiple_of(2) => {
            send(s, 503, "text/plain", b"try again").await
        }
        "flaky" if wk => {
            let doc = metadata(&format!("{base}/flaky"), "secret");
            send(s, 200, "application/json", doc.as_bytes()).await
        }
        "flaky" => send(s, 200, "application/json", JWKS.as_bytes()).await,
        "badjson" => send(s, 200, "application/json", b"{\"issuer\": ").await,
        "missing" => send(s, 404, "text/plain", b"not found").await,
        "error" => send(s, 500, "text/plain", b"boom").await,
        "rfc8414" if path.starts_with("/.well-known/oauth-authorization-server/") => {
            let doc = metadata(&format!("{base}/rfc8414"), "secret");
            send(s, 200, "application/json", doc.as_bytes()).await
        }
        "mismatch" if wk => {
            let doc = metadata("https://elsewhere.example.com", "pkjwt").replace(
                "https://elsewhere.example.com/jwks",
                &format!("{base}/good/jwks"),
            );
            send(s, 200, "application/json", doc.as_bytes()).await
        }
        "secret" | "pkjwt" | "good" if wk => {
            let doc = metadata(&format!("{base}/{tenant}"), tenant);
            send(s, 200, "application/json", doc.as_bytes()).await
        }
        "secret" | "pkjwt" | "good" if path.ends_with("/jwks") => {
            send(s, 200, "application/json", JWKS.as_bytes()).await
        }
        _ if first.starts_with("t") && wk => {
            // Benchmark tenants: /t123/.well-known/openid-configuration.
            let doc = metadata(&format!("{base}/{first}"), "secret");
            send(s, 200, "application/json", doc.as_bytes()).await
        }
        _ if first.starts_with("t") && path.ends_with("/jwks") => {
            send(s, 200, "application/json", JWKS.as_bytes()).await
        }
        _ => send(s, 404, "text/plain", b"not found").await,
    }
}

static FLAKY: AtomicUsize = AtomicUsize::new(0);

pub const JWKS: &str = r#"{"keys":[
 {"kty":"EC","crv":"P-256","kid":"k1","use":"sig","alg":"ES256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
 {"kty":"oct","kid":"hmac","k":"GawgguFyGrWKav7AX4VKUg"}]}"#;

/// A metadata document: `secret` lists shared-secret methods only, `pkjwt`
/// adds private_key_jwt with ES256.
pub fn metadata(issuer: &str, kind: &str) -> String {
    let methods = if kind == "secret" {
        r#"["client_secret_basic","client_secret_post"]"#
    } else {
        r#"["client_secret_basic","private_key_jwt"],"token_endpoint_auth_signing_alg_values_supported":["ES256"],"dpop_signing_alg_values_supported":["ES256"]"#
    };
    format!(
        r#"{{"issuer":"{issuer}","token_endpoint":"{issuer}/token","jwks_uri":"{issuer}/jwks","token_endpoint_auth_methods_supported":{methods}}}"#
    )
}

async fn redirect<S: tokio::io::AsyncWrite + Unpin>(s: &mut S, to: &str) -> std::io::Result<bool> {
    let r = format!("HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\n\r\n");
    s.write_all(r.as_bytes()).await?;
    Ok(true)
}

async fn send<S: tokio::io::AsyncWrite + Unpin>(
    s: &mut S,
    status: u16,
    ctype: &str,
    body: &[u8],
) -> std::io::Result<bool> {
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await?;
    s.write_all(body).await?;
    s.flush().await?;
    Ok(true)
}
