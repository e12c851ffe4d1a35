//! Reading an issuer's answer: pure functions from (HTTP status, body) to a
//! verdict. The reason is built only from the status and an error code that
//! passes [`code`] (a short token of letters, digits, `_`, `.`, `-`), so no
//! part of a body (which might echo a secret or carry a token) is ever kept.

use crate::finding::ValidityStatus;

use ValidityStatus::{Invalid, Unknown, Valid};

pub type Verdict = (ValidityStatus, String);

/// Error codes a reason may repeat: RFC 6749 §5.2 and RFC 6750 §3.1, and the
/// codes GitHub and Slack document for the calls made. Only these are ever
/// echoed: a server that answers with the secret as its "error code" must not
/// get it printed.
const KNOWN_CODES: &[&str] = &[
    // RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1; RFC 9449
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "server_error",
    "temporarily_unavailable",
    "invalid_token",
    "insufficient_scope",
    "invalid_dpop_proof",
    "use_dpop_nonce",
    // GitHub: access token request errors
    "incorrect_client_credentials",
    "bad_verification_code",
    "redirect_uri_mismatch",
    "unverified_user_email",
    // Slack: oauth.v2.access, auth.test
    "invalid_code",
    "code_already_used",
    "bad_client_secret",
    "invalid_client_id",
    "bad_redirect_uri",
    "invalid_grant_type",
    "oauth_authorization_url_mismatch",
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "not_allowed_token_type",
    "ratelimited",
];

/// A documented error code from a JSON body (an OAuth `error`, Slack's
/// `error`); an unknown one becomes a fixed phrase, never its text.
pub fn code(body: &serde_json::Value, key: &str) -> Option<String> {
    let c = body.get(key)?.as_str()?;
    Some(if KNOWN_CODES.contains(&c) {
        c.to_string()
    } else {
        "an unrecognised error code".to_string()
    })
}

fn json(body: &[u8]) -> Option<serde_json::Value> {
    serde_json::from_slice(body)
        .ok()
        .filter(|v: &serde_json::Value| v.is_object())
}

/// Statuses that never say anything about the credential.
fn transient(status: u16) -> Option<Verdict> {
    match status {
        429 => Some((Unknown, "HTTP 429: rate limited".into())),
        300..=399 => Some((Unknown, format!("HTTP {status}: redirect not followed"))),
        500..=599 => Some((Unknown, format!("HTTP {status}: server error"))),
        _ => None,
    }
}

/// RFC 6749 §5.2 token-endpoint errors, for a request that authenticates the
/// client but cannot mint a token (a made-up authorization code or refresh
/// token): `invalid_client` means the client did not authenticate; an error
/// about the grant (or the client's right to it) means it did.
pub fn oauth_token_error(status: u16, body: &[u8]) -> Verdict {
    if let Some(v) = transient(status) {
        return v;
    }
    let Some(doc) = json(body) else {
        return (Unknown, format!("HTTP {status}: not a JSON error response"));
    };
    match code(&doc, "error").as_deref() {
        Some("invalid_client") => (
            Invalid,
            format!("HTTP {status} invalid_client: the client did not authenticate"),
        ),
        Some(c @ ("invalid_grant" | "unauthorized_client" | "invalid_scope")) => (
            Valid,
            format!("HTTP {status} {c}: the client authenticated; the made-up grant was refused"),
        ),
        Some(c) => (Unknown, format!("HTTP {status} {c}")),
        None if status == 200 => (
            Unknown,
            "HTTP 200 without an error to a grant nobody issued: not a token endpoint's answer"
                .into(),
        ),
        None => (
            Unknown,
            format!("HTTP {status} without an OAuth error code"),
        ),
    }
}

/// Auth0's token endpoint answers a wrong client secret with 401
/// `access_denied` ("Unauthorized") and a made-up code with 403 `invalid_grant`.
pub fn auth0_token_error(status: u16, body: &[u8]) -> Verdict {
    let doc = json(body);
    if status == 401
        && doc.as_ref().and_then(|d| code(d, "error")).as_deref() == Some("access_denied")
    {
        return (
            Invalid,
            "HTTP 401 access_denied: the client did not authenticate".into(),
        );
    }
    oauth_token_error(status, body)
}

/// GitHub's `login/oauth/access_token` answers 200 with an `error` member:
/// `incorrect_client_credentials` for a wrong id or secret,
/// `bad_verification_code` when the client authenticated.
pub fn github_oauth(status: u16, body: &[u8]) -> Verdict {
    if let Some(v) = transient(status) {
        return v;
    }
    let Some(doc) = json(body) else {
        return (Unknown, format!("HTTP {status}: not a JSON response"));
    };
    match code(&doc, "error").as_deref() {
        Some("incorrect_client_credentials") => (
            Invalid,
            format!("HTTP {status} incorrect_client_credentials"),
        ),
        Some("bad_verification_code") => (
            Valid,
            format!("HTTP {status} bad_verification_code: the client authenticated; the made-up code was refused"),
        ),
        Some(c) => (Unknown, format!("HTTP {status} {c}")),
        None => (Unknown, format!("HTTP {status} without an error code")),
    }
}

/// A bearer credential asked about itself (GitHub's API, Okta's
/// `/api/v1/users/me`): 200 with a JSON object is live, 401 is not.
pub fn identity(status: u16, body: &[u8], expect_key: &str) -> Verdict {
    if let Some(v) = transient(status) {
        return v;
    }
    match status {
        200 => match json(body) {
            Some(d) if d.get(expect_key).is_some() => {
                (Valid, "HTTP 200: the token authenticated".into())
            }
            _ => (Unknown, "HTTP 200 without the expected answer".into()),
        },
        401 => (Invalid, "HTTP 401: the token was rejected".into()),
        s => (Unknown, format!("HTTP {s}")),
    }
}

/// Slack's Web API answers 200 with `ok` and an `error` code. `valid_errors`
/// are the codes that show the credential itself was accepted. `ok: true`
/// counts only with `ok_needs` in the answer (auth.test names the team and
/// user); `None`: `ok: true` is impossible for the request (a made-up code)
/// and says only that the server is not Slack.
pub fn slack(
    status: u16,
    body: &[u8],
    valid_errors: &[&str],
    invalid_errors: &[&str],
    ok_needs: Option<&str>,
) -> Verdict {
    if let Some(v) = transient(status) {
        return v;
    }
    let Some(doc) = json(body) else {
        return (Unknown, format!("HTTP {status}: not a JSON response"));
    };
    match (doc.get("ok").and_then(|v| v.as_bool()), code(&doc, "error")) {
        (Some(true), _) => match ok_needs {
            Some(k) if doc.get(k).is_some() => (Valid, "ok: the credential authenticated".into()),
            _ => (Unknown, "ok without the expected answer".into()),
        },
        (Some(false), Some(c)) if valid_errors.contains(&c.as_str()) => (
            Valid,
            format!("{c}: the credential was accepted; the made-up code was refused"),
        ),
        (Some(false), Some(c)) if invalid_errors.contains(&c.as_str()) => (Invalid, c),
        (_, Some(c)) => (Unknown, c),
        _ => (Unknown, format!("HTTP {status} without ok or error")),
    }
}

/// Microsoft Entra client-credentials grant: 200 with an access token (which
/// the caller discards unread) is live; `invalid_client` is a wrong secret;
/// anything else (an unknown app or tenant) says nothing about the secret.
pub fn entra(status: u16, body: &[u8]) -> Verdict {
    if let Some(v) = transient(status) {
        return v;
    }
    let doc = json(body);
    if status == 200 {
        return match doc {
            Some(d) if d.get("access_token").is_some() => (
                Valid,
                "HTTP 200: a token was issued (discarded unread)".into(),
            ),
            _ => (Unknown, "HTTP 200 without a token".into()),
        };
    }
    match doc.as_ref().and_then(|d| code(d, "error")).as_deref() {
        Some("invalid_client") => (Invalid, format!("HTTP {status} invalid_client")),
        Some(c) => (Unknown, format!("HTTP {status} {c}")),
        None => (Unknown, format!("HTTP {status}")),
    }
}

/// Google's published x509 certificates of a service account: the key is
/// live while its key id is among them. 404: the account no longer exists.
pub fn gcp_key_listed(status: u16, body: &[u8], key_id: &str) -> Verdict {
    if let Some(v) = transient(status) {
        return v;
    }
    // Google's answer maps key ids to PEM certificates; anything else (a
    // server that says 200 `{}` to everything) says nothing either way.
    let certs = |d: &serde_json::Value| {
        let m = d.as_object()?;
        (!m.is_empty()
            && m.values()
                .all(|v| v.as_str().is_some_and(|s| s.contains("BEGIN CERTIFICATE"))))
        .then_some(())
    };
    match (status, json(body)) {
        (200, Some(d)) if certs(&d).is_none() => {
            (Unknown, "HTTP 200 without a map of certificates".into())
        }
        (200, Some(d)) if d.get(key_id).is_some() => (
            Valid,
            "the key id is among the account's published certificates".into(),
        ),
        (200, Some(_)) => (
            Invalid,
            "the key id is not among the account's published certificates (deleted or disabled)"
                .into(),
        ),
        (404, _) => (
            Invalid,
            "HTTP 404: the service account does not exist".into(),
        ),
        (s, _) => (Unknown, format!("HTTP {s}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_errors_per_rfc_6749() {
        let v = |s, b: &str| oauth_token_error(s, b.as_bytes()).0;
        assert_eq!(v(401, r#"{"error":"invalid_client"}"#), Invalid);
        assert_eq!(v(400, r#"{"error":"invalid_grant"}"#), Valid);
        assert_eq!(v(400, r#"{"error":"unauthorized_client"}"#), Valid);
        assert_eq!(v(400, r#"{"error":"invalid_request"}"#), Unknown);
        assert_eq!(v(503, r#"{"error":"invalid_grant"}"#), Unknown);
        assert_eq!(v(429, ""), Unknown);
        assert_eq!(v(302, ""), Unknown);
        assert_eq!(v(400, "<html>"), Unknown);
        // A server that says 200 to everything is not a token endpoint.
        assert_eq!(v(200, r#"{"ok":true}"#), Unknown);
    }

    #[test]
    fn reasons_never_repeat_a_body() {
        let body = br#"{"error":"invalid_client secret=hunter2-very-secret","error_description":"hunter2"}"#;
        let (status, reason) = oauth_token_error(400, body);
        assert_eq!(status, Unknown);
        assert!(!reason.contains("hunter2"), "{reason}");
        // A server that echoes the posted secret as its error code.
        let (_, reason) = oauth_token_error(400, br#"{"error":"Zq8mP2vL9xK4nR7tW1yB3cF6"}"#);
        assert!(!reason.contains("Zq8m"), "{reason}");
        assert!(reason.contains("an unrecognised error code"), "{reason}");
    }

    #[test]
    fn vendor_shapes() {
        assert_eq!(
            github_oauth(200, br#"{"error":"bad_verification_code"}"#).0,
            Valid
        );
        assert_eq!(
            github_oauth(200, br#"{"error":"incorrect_client_credentials"}"#).0,
            Invalid
        );
        assert_eq!(
            auth0_token_error(401, br#"{"error":"access_denied"}"#).0,
            Invalid
        );
        assert_eq!(
            auth0_token_error(403, br#"{"error":"invalid_grant"}"#).0,
            Valid
        );
        let slack_secret = |b: &str| {
            slack(
                200,
                b.as_bytes(),
                &["invalid_code"],
                &["bad_client_secret", "invalid_client_id"],
                None,
            )
            .0
        };
        assert_eq!(slack_secret(r#"{"ok":true}"#), Unknown);
        let bot = |b: &str| slack(200, b.as_bytes(), &[], &["invalid_auth"], Some("team_id")).0;
        assert_eq!(bot(r#"{"ok":true}"#), Unknown);
        assert_eq!(bot(r#"{"ok":true,"team_id":"T1"}"#), Valid);
        assert_eq!(
            slack_secret(r#"{"ok":false,"error":"invalid_code"}"#),
            Valid
        );
        assert_eq!(
            slack_secret(r#"{"ok":false,"error":"bad_client_secret"}"#),
            Invalid
        );
        assert_eq!(
            slack_secret(r#"{"ok":false,"error":"ratelimited"}"#),
            Unknown
        );
        assert_eq!(identity(200, br#"{"login":"x"}"#, "login").0, Valid);
        assert_eq!(identity(200, br#"{}"#, "login").0, Unknown);
        assert_eq!(identity(401, b"", "login").0, Invalid);
        assert_eq!(entra(200, br#"{"access_token":"x"}"#).0, Valid);
        assert_eq!(entra(401, br#"{"error":"invalid_client"}"#).0, Invalid);
        assert_eq!(entra(400, br#"{"error":"unauthorized_client"}"#).0, Unknown);
        assert_eq!(
            gcp_key_listed(200, br#"{"abc":"-----BEGIN CERTIFICATE-----"}"#, "abc").0,
            Valid
        );
        assert_eq!(
            gcp_key_listed(200, br#"{"def":"-----BEGIN CERTIFICATE-----"}"#, "abc").0,
            Invalid
        );
        assert_eq!(gcp_key_listed(404, b"", "abc").0, Invalid);
        assert_eq!(gcp_key_listed(200, b"{}", "abc").0, Unknown);
    }
}
