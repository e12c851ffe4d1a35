//! The generic OAuth 2.0 / OIDC client-secret probe: discovery over HTTPS,
//! then one request to the advertised token endpoint that authenticates the
//! client with the method the server advertises but asks for a grant nobody
//! issued (an authorization code made up here), so no token can result.
//! RFC 6749 §5.2 then says which: `invalid_client`, or an error about the grant.

use reqwest::Url;

use super::judge;
use super::net::{Auth, Net};
use super::vendors::{made_up_grant, Outcome};
use crate::finding::ValidityStatus;

fn outcome(
    validator: &'static str,
    status: ValidityStatus,
    host: Option<String>,
    reason: String,
) -> Outcome {
    Outcome {
        status,
        validator,
        host,
        reason,
    }
}

fn trimmed(u: &str) -> &str {
    u.trim_end_matches('/')
}

pub fn probe(
    net: &Net,
    validator: &'static str,
    issuer: &Url,
    client_id: &str,
    secret: &str,
) -> Outcome {
    let host = issuer.host_str().map(str::to_string);
    let discovery = match Url::parse(&format!(
        "{}/.well-known/openid-configuration",
        trimmed(issuer.as_str())
    )) {
        Ok(u) => u,
        Err(_) => {
            return outcome(
                validator,
                ValidityStatus::NotChecked,
                host,
                "the issuer is not a URL".into(),
            )
        }
    };
    let doc = net.get_document(&discovery);
    let meta = match doc.as_ref() {
        Ok(v) => v,
        Err(e) => return Outcome::from_net_error(validator, host, e, Some("discovery")),
    };
    // The metadata must be the issuer's own (OIDC Discovery §4.3).
    let named = meta.get("issuer").and_then(|v| v.as_str()).unwrap_or("");
    if trimmed(named) != trimmed(issuer.as_str()) {
        return outcome(
            validator,
            ValidityStatus::Unknown,
            host,
            "discovery: the metadata names another issuer; nothing sent".into(),
        );
    }
    let Some(token_endpoint) = meta
        .get("token_endpoint")
        .and_then(|v| v.as_str())
        .and_then(|s| Url::parse(s).ok())
    else {
        return outcome(
            validator,
            ValidityStatus::Unknown,
            host,
            "discovery: no token_endpoint".into(),
        );
    };
    // RFC 8414 §2: absent means client_secret_basic.
    let methods: Vec<String> = meta
        .get("token_endpoint_auth_methods_supported")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_else(|| vec!["client_secret_basic".to_string()]);
    let code = made_up_grant();
    let probe = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://nhiscan.invalid/callback"),
    ];
    let host = token_endpoint.host_str().map(str::to_string);
    let basic = methods.iter().any(|m| m == "client_secret_basic");
    let post = methods.iter().any(|m| m == "client_secret_post");
    if !basic && !post {
        return outcome(
            validator,
            ValidityStatus::NotChecked,
            host,
            "the server advertises neither client_secret_basic nor client_secret_post".into(),
        );
    }
    let send = |use_basic: bool, secret: &str| {
        let mut form = probe.to_vec();
        form.push(("client_id", client_id));
        if use_basic {
            net.send(&token_endpoint, &form, Auth::ClientBasic(client_id, secret))
        } else {
            form.push(("client_secret", secret));
            net.send(&token_endpoint, &form, Auth::None)
        }
    };
    // A server that enforces each client's registered method rejects a
    // client_secret_post client that authenticates with Basic as
    // invalid_client: when both are advertised, a rejection by one is tried
    // with the other before the secret is called invalid.
    let mut use_basic = basic;
    let mut sent = send(use_basic, secret);
    if basic && post {
        if let Ok(r) = &sent {
            if judge::oauth_token_error(r.status, &r.body).0 == ValidityStatus::Invalid {
                use_basic = false;
                sent = send(use_basic, secret);
            }
        }
    }
    let r = match sent {
        Ok(r) => r,
        Err(e) => return Outcome::from_net_error(validator, host, &e, None),
    };
    let (status, reason) = judge::oauth_token_error(r.status, &r.body);
    let code = serde_json::from_slice::<serde_json::Value>(&r.body)
        .ok()
        .and_then(|d| judge::code(&d, "error"));
    // Anything but invalid_client may come from a server that looks at the
    // grant before it authenticates the client (some answer invalid_request
    // for a grant type the client may not use, after authenticating it). So
    // the same request with a made-up secret is the control: only when that
    // one gets invalid_client did the real secret authenticate.
    let maybe = status == ValidityStatus::Valid
        || (r.status == 400
            && matches!(
                code.as_deref(),
                Some("invalid_request" | "unsupported_grant_type")
            ));
    if !maybe {
        return outcome(validator, status, host, reason);
    }
    let control = match send(use_basic, &made_up_grant()) {
        Ok(c) => judge::oauth_token_error(c.status, &c.body).0,
        Err(_) => ValidityStatus::Unknown,
    };
    if control == ValidityStatus::Invalid {
        let code = code.unwrap_or_default();
        outcome(
            validator,
            ValidityStatus::Valid,
            host,
            format!(
                "HTTP {} {code}: the client authenticated (a made-up secret gets invalid_client)",
                r.status
            ),
        )
    } else {
        outcome(
            validator,
            ValidityStatus::Unknown,
            host,
            format!(
                "HTTP {} {}: the server answers a made-up secret the same way",
                r.status,
                code.unwrap_or_default()
            ),
        )
    }
}
