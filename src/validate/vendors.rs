//! Validators: for each kind of credential, the one request that tells
//! whether it still works without minting a token where the vendor allows
//! that, and how to read the answer (see [`super::judge`]). Each names the
//! vendor's documentation in the rule help (rules/oauth-client-secrets.yaml,
//! docs/validation.md).

use std::collections::BTreeMap;

use reqwest::Url;

use super::judge::{self, Verdict};
use super::net::{Auth, Net, NetError};
use crate::finding::ValidityStatus;

/// One credential to check, with what was found beside it.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Candidate {
    pub rule_id: String,
    pub secret: String,
    pub client_id: Option<String>,
    /// An org or tenant domain (Okta, Auth0) or an Entra tenant id.
    pub domain: Option<String>,
    /// An issuer URL named beside the secret.
    pub issuer: Option<String>,
    pub extra: BTreeMap<&'static str, String>,
}

impl std::fmt::Debug for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Candidate({}, [REDACTED])", self.rule_id)
    }
}

/// Vendor base URLs; tests and self-hosted instances override them
/// (`--validate-endpoint VENDOR=URL`, never from a scanned repository's config).
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    pub overrides: BTreeMap<String, Url>,
}

impl Endpoints {
    /// `default` with scheme, host and port replaced by the override for `vendor`.
    fn url(&self, vendor: &str, default: &str) -> Result<Url, NetError> {
        let mut u = Url::parse(default).map_err(|_| NetError::Refused("not a valid URL".into()))?;
        if let Some(o) = self.overrides.get(vendor) {
            let _ = u.set_scheme(o.scheme());
            let _ = u.set_host(o.host_str());
            let _ = u.set_port(o.port());
        }
        Ok(u)
    }
}

/// What a check came to.
pub struct Outcome {
    pub status: ValidityStatus,
    pub validator: &'static str,
    pub host: Option<String>,
    pub reason: String,
}

impl Outcome {
    /// A request that got no usable answer: refused by policy is "not
    /// checked" (nothing was sent), a failure is "unknown". `stage` names the
    /// step that failed (e.g. "discovery").
    pub fn from_net_error(
        validator: &'static str,
        host: Option<String>,
        e: &NetError,
        stage: Option<&str>,
    ) -> Outcome {
        let (status, reason) = match e {
            NetError::Refused(w) => (ValidityStatus::NotChecked, format!("not sent: {w}")),
            NetError::Failed(w) => (
                ValidityStatus::Unknown,
                stage.map_or_else(|| w.clone(), |s| format!("{s}: {w}")),
            ),
        };
        Outcome {
            status,
            validator,
            host,
            reason,
        }
    }
}

fn not_checked(validator: &'static str, reason: impl Into<String>) -> Outcome {
    Outcome {
        status: ValidityStatus::NotChecked,
        validator,
        host: None,
        reason: reason.into(),
    }
}

/// A made-up authorization code or refresh token: random, never issued.
pub fn made_up_grant() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let mut h = blake3::Hasher::new();
    h.update(&N.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    h.update(&std::process::id().to_le_bytes());
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.update(&t.as_nanos().to_le_bytes());
    format!("nhiscan-probe-{}", &h.finalize().to_hex()[..32])
}

/// Where a made-up authorization code is said to have been sent; no server
/// ever issued a code for it, so no token can result.
const PROBE_REDIRECT: &str = "https://nhiscan.invalid/callback";

fn ask(
    net: &Net,
    validator: &'static str,
    url: Url,
    form: &[(&str, &str)],
    auth: Auth,
    judge: impl FnOnce(u16, &[u8]) -> Verdict,
) -> Outcome {
    let host = url.host_str().map(str::to_string);
    match net.send(&url, form, auth) {
        Ok(r) => {
            let (status, reason) = judge(r.status, &r.body);
            Outcome {
                status,
                validator,
                host,
                reason,
            }
        }
        Err(e) => Outcome::from_net_error(validator, host, &e, None),
    }
}

/// A code probe whose "the client authenticated" answer is believed only when
/// the same request with a made-up secret gets the vendor's "rejected" answer:
/// a server that looked at the made-up grant before the client would answer
/// both alike, and a dead secret must never come out live.
fn ask_controlled(
    net: &Net,
    validator: &'static str,
    url: Url,
    form: &[(&str, &str)],
    judge: impl Fn(u16, &[u8]) -> Verdict,
) -> Outcome {
    let first = ask(net, validator, url.clone(), form, Auth::None, &judge);
    if first.status != ValidityStatus::Valid {
        return first;
    }
    let fake = made_up_grant();
    let control_form: Vec<(&str, &str)> = form
        .iter()
        .map(|&(k, v)| {
            if k == "client_secret" {
                (k, fake.as_str())
            } else {
                (k, v)
            }
        })
        .collect();
    let control = ask(net, validator, url, &control_form, Auth::None, &judge);
    if control.status == ValidityStatus::Invalid {
        Outcome {
            reason: format!("{} (a made-up secret is rejected)", first.reason),
            ..first
        }
    } else {
        Outcome {
            status: ValidityStatus::Unknown,
            reason: "the server answers a made-up secret the same way".into(),
            ..first
        }
    }
}

/// The authorization_code probe body: authenticates the client, asks for a
/// grant nobody issued.
fn code_probe(code: &str) -> [(&str, &str); 3] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", PROBE_REDIRECT),
    ]
}

/// The validator for a credential, by rule; `None` when nhiscan has none.
pub fn check(c: &Candidate, net: &Net, ep: &Endpoints) -> Option<Outcome> {
    let secret = c.secret.as_str();
    let code = made_up_grant();
    let url = |vendor: &str, default: &str| ep.url(vendor, default);
    let outcome = match c.rule_id.as_str() {
        // Google: the token endpoint answers invalid_client for a wrong secret
        // and invalid_grant for a made-up code (RFC 6749 §5.2).
        "NHI101" => {
            let Some(id) = c.client_id.as_deref() else {
                return Some(not_checked("google", "no client id beside the secret"));
            };
            match url("google", "https://oauth2.googleapis.com/token") {
                Ok(u) => {
                    let mut form = code_probe(&code).to_vec();
                    form.extend([("client_id", id), ("client_secret", secret)]);
                    ask_controlled(net, "google", u, &form, judge::oauth_token_error)
                }
                Err(e) => refused("google", e),
            }
        }
        // Entra has no non-minting probe: client credentials, token discarded unread.
        "NHI102" => {
            let (Some(id), Some(tenant)) = (c.client_id.as_deref(), c.domain.as_deref()) else {
                return Some(not_checked(
                    "entra",
                    "needs both a tenant id and a client id beside the secret",
                ));
            };
            if !is_uuid(tenant) {
                return Some(not_checked("entra", "the tenant is not a tenant id"));
            }
            match url(
                "entra",
                &format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"),
            ) {
                Ok(u) => {
                    let form = [
                        ("grant_type", "client_credentials"),
                        ("client_id", id),
                        ("client_secret", secret),
                        ("scope", "https://graph.microsoft.com/.default"),
                    ];
                    ask(net, "entra", u, &form, Auth::None, judge::entra)
                }
                Err(e) => refused("entra", e),
            }
        }
        // GitHub OAuth apps: access_token with a made-up code.
        "NHI103" => {
            let Some(id) = c.client_id.as_deref() else {
                return Some(not_checked("github", "no client id beside the secret"));
            };
            match url("github", "https://github.com/login/oauth/access_token") {
                Ok(u) => {
                    let form = [
                        ("client_id", id),
                        ("client_secret", secret),
                        ("code", code.as_str()),
                    ];
                    ask_controlled(net, "github", u, &form, judge::github_oauth)
                }
                Err(e) => refused("github", e),
            }
        }
        // GitHub tokens ask about themselves; a refresh token cannot without minting.
        "NHI104" => {
            let (path, key) = if secret.starts_with("ghs_") {
                ("/installation/repositories", "total_count")
            } else if secret.starts_with("gho_") || secret.starts_with("ghu_") {
                ("/user", "login")
            } else {
                return Some(not_checked(
                    "github-token",
                    "a refresh token can only be checked by redeeming it",
                ));
            };
            match url("github-api", &format!("https://api.github.com{path}")) {
                Ok(u) => ask(
                    net,
                    "github-token",
                    u,
                    &[],
                    Auth::Header(format!("token {secret}")),
                    |s, b| judge::identity(s, b, key),
                ),
                Err(e) => refused("github-token", e),
            }
        }
        // GitLab applications (Doorkeeper): the same authorization_code probe.
        "NHI105" => {
            let Some(id) = c.client_id.as_deref() else {
                return Some(not_checked("gitlab", "no application id beside the secret"));
            };
            // A self-hosted instance named beside the secret (`gitlab_url`,
            // `GITLAB_HOST` …), else gitlab.com.
            let host = c.domain.as_deref().unwrap_or("gitlab.com");
            match url("gitlab", &format!("https://{host}/oauth/token")) {
                Ok(u) => {
                    let mut form = code_probe(&code).to_vec();
                    form.extend([("client_id", id), ("client_secret", secret)]);
                    ask_controlled(net, "gitlab", u, &form, judge::oauth_token_error)
                }
                Err(e) => refused("gitlab", e),
            }
        }
        // Slack client secrets: oauth.v2.access with a made-up code. A signing
        // secret (no client id beside it) can only be checked by a signed request.
        "NHI106" => {
            let Some(id) = c.client_id.as_deref() else {
                return Some(not_checked(
                    "slack",
                    "no Slack client id beside it (a signing secret cannot be checked)",
                ));
            };
            match url("slack", "https://slack.com/api/oauth.v2.access") {
                Ok(u) => {
                    let form = [
                        ("client_id", id),
                        ("client_secret", secret),
                        ("code", code.as_str()),
                    ];
                    ask_controlled(net, "slack", u, &form, |s, b| {
                        judge::slack(
                            s,
                            b,
                            &["invalid_code", "code_already_used"],
                            &["bad_client_secret", "invalid_client_id"],
                            None,
                        )
                    })
                }
                Err(e) => refused("slack", e),
            }
        }
        "NHI107" => {
            if !secret.starts_with("xoxb-") {
                return Some(not_checked(
                    "slack-token",
                    "app-level tokens are checked only by opening a connection",
                ));
            }
            match url("slack", "https://slack.com/api/auth.test") {
                Ok(u) => ask(net, "slack-token", u, &[], Auth::Bearer(secret), |s, b| {
                    judge::slack(
                        s,
                        b,
                        &[],
                        &[
                            "invalid_auth",
                            "not_authed",
                            "account_inactive",
                            "token_revoked",
                        ],
                        Some("team_id"),
                    )
                }),
                Err(e) => refused("slack-token", e),
            }
        }
        "NHI108" => {
            let Some(domain) = okta_domain(c) else {
                return Some(not_checked(
                    "okta-token",
                    "no Okta org domain beside the token",
                ));
            };
            match url("okta", &format!("https://{domain}/api/v1/users/me")) {
                Ok(u) => ask(
                    net,
                    "okta-token",
                    u,
                    &[],
                    Auth::Header(format!("SSWS {secret}")),
                    |s, b| judge::identity(s, b, "id"),
                ),
                Err(e) => refused("okta-token", e),
            }
        }
        "NHI109" => {
            let Some(domain) = okta_domain(c) else {
                return Some(not_checked("okta", "no Okta org domain beside the secret"));
            };
            let Some(id) = c.client_id.as_deref() else {
                return Some(not_checked("okta", "no client id beside the secret"));
            };
            // The authorization server named beside it (a custom one such as
            // /oauth2/default), else the org's own.
            let named = c.issuer.as_deref().filter(|i| {
                Url::parse(i)
                    .ok()
                    .and_then(|u| u.host_str().map(|h| h == domain))
                    == Some(true)
            });
            match url("okta", named.unwrap_or(&format!("https://{domain}"))) {
                Ok(issuer) => super::oauth::probe(net, "okta", &issuer, id, secret),
                Err(e) => refused("okta", e),
            }
        }
        "NHI110" => {
            let Some(domain) = c.domain.as_deref().filter(|d| d.ends_with(".auth0.com")) else {
                return Some(not_checked(
                    "auth0",
                    "no Auth0 tenant domain beside the secret",
                ));
            };
            let Some(id) = c.client_id.as_deref() else {
                return Some(not_checked("auth0", "no client id beside the secret"));
            };
            match url("auth0", &format!("https://{domain}/oauth/token")) {
                Ok(u) => {
                    let mut form = code_probe(&code).to_vec();
                    form.extend([("client_id", id), ("client_secret", secret)]);
                    ask_controlled(net, "auth0", u, &form, judge::auth0_token_error)
                }
                Err(e) => refused("auth0", e),
            }
        }
        // Any OAuth/OIDC client secret with its issuer named beside it.
        "NHI199" => {
            let Some(id) = c.client_id.as_deref() else {
                return Some(not_checked("oauth", "no client id beside the secret"));
            };
            let Some(issuer) = c.issuer.as_deref().and_then(|i| Url::parse(i).ok()) else {
                return Some(not_checked("oauth", "no issuer named beside the secret"));
            };
            super::oauth::probe(net, "oauth", &issuer, id, secret)
        }
        // A GCP key: is its id still among the account's published
        // certificates? Only the account's e-mail address is sent.
        "NHI162" => {
            let (Some(email), Some(kid)) =
                (c.extra.get("client_email"), c.extra.get("private_key_id"))
            else {
                return Some(not_checked(
                    "gcp",
                    "the key file names no client_email or private_key_id",
                ));
            };
            let encoded: String = url::form_urlencoded::byte_serialize(email.as_bytes()).collect();
            match url(
                "gcp",
                &format!("https://www.googleapis.com/service_accounts/v1/metadata/x509/{encoded}"),
            ) {
                Ok(u) => ask(net, "gcp", u, &[], Auth::None, |s, b| {
                    judge::gcp_key_listed(s, b, kid)
                }),
                Err(e) => refused("gcp", e),
            }
        }
        // A private JWK: is its public half published in the JWKS of the
        // client (jwks_uri) or issuer named beside it? Nothing secret is sent.
        "NHI155" => super::jwks::lookup(net, c),
        // A PEM or base64 DER private key: the same lookup by its public half.
        "NHI150" | "NHI153" => super::jwks::lookup_der(net, c),
        id if id.starts_with("NHI1") => not_checked(
            "none",
            "nhiscan has no validator for this kind of credential",
        ),
        _ => return None,
    };
    Some(outcome)
}

fn refused(validator: &'static str, e: NetError) -> Outcome {
    let why = match e {
        NetError::Refused(w) | NetError::Failed(w) => w,
    };
    not_checked(validator, format!("not sent: {why}"))
}

fn okta_domain(c: &Candidate) -> Option<&str> {
    c.domain.as_deref().filter(|d| {
        [
            ".okta.com",
            ".oktapreview.com",
            ".okta-emea.com",
            ".okta-gov.com",
        ]
        .iter()
        .any(|s| d.ends_with(s))
    })
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_grants_differ() {
        assert_ne!(made_up_grant(), made_up_grant());
    }

    #[test]
    fn missing_context_is_not_checked_without_a_request() {
        let net = Net::new(Default::default()).unwrap();
        let ep = Endpoints::default();
        for rule in [
            "NHI101", "NHI103", "NHI105", "NHI106", "NHI108", "NHI109", "NHI110", "NHI199",
            "NHI162", "NHI150",
        ] {
            let c = Candidate {
                rule_id: rule.into(),
                secret: "x".repeat(30),
                ..Default::default()
            };
            let o = check(&c, &net, &ep).unwrap();
            assert_eq!(o.status, ValidityStatus::NotChecked, "{rule}");
        }
        assert!(check(
            &Candidate {
                rule_id: "NHI301".into(),
                ..Default::default()
            },
            &net,
            &ep
        )
        .is_none());
        assert_eq!(net.requests(), 0);
    }

    #[test]
    fn overrides_replace_only_the_origin() {
        let mut ep = Endpoints::default();
        ep.overrides.insert(
            "google".into(),
            Url::parse("https://127.0.0.1:8443").unwrap(),
        );
        let u = ep
            .url("google", "https://oauth2.googleapis.com/token")
            .unwrap();
        assert_eq!(u.as_str(), "https://127.0.0.1:8443/token");
    }
}
