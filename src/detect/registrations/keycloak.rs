//! Keycloak client representations (realm exports, single-client exports,
//! partial imports): a confidential client whose `clientAuthenticatorType` is
//! `client-secret` or `client-secret-jwt` (NHI242). Needs the JSON structure:
//! the same key on a public or bearer-only client means nothing.

use serde_json::Value;

use super::super::{Context, Sink};
use crate::item::Item;

const RULE: &str = "NHI242";

/// The prefilter keyword (ASCII case-insensitive).
pub const KEYWORD: &str = "clientAuthenticatorType";

/// Clients every realm ships with that older Keycloak versions created
/// confidential (`account` before 12, `broker`, `realm-management`): flagging
/// them is noise the user did not choose. The other built-ins (`admin-cli`,
/// `security-admin-console`, `account-console`) ship public, so a confidential
/// one was made so on purpose — `admin-cli` with a service account and a
/// secret is an admin-API credential — and is reported like any client.
const BUILT_IN: &[&str] = &["account", "broker", "realm-management"];

struct Flagged {
    client_id: String,
    /// The `clientAuthenticatorType` the file sets; None when it sets none
    /// and Keycloak's default (a client secret) applies.
    authenticator: Option<String>,
    service_account: bool,
}

/// Keys only a Keycloak client representation carries: an object with a
/// `clientId` and one of these, and no `clientAuthenticatorType`, is a client
/// that takes the default authenticator.
const CLIENT_KEYS: &[&str] = &[
    "redirectUris",
    "publicClient",
    "standardFlowEnabled",
    "directAccessGrantsEnabled",
    "serviceAccountsEnabled",
    "bearerOnly",
    "webOrigins",
];

/// Whether a JSON file may hold Keycloak client representations.
pub fn may_hold_clients(data: &[u8]) -> bool {
    let has = |k: &[u8]| memchr::memmem::find(data, k).is_some();
    has(KEYWORD.as_bytes())
        || (has(b"\"clientId\"") && CLIENT_KEYS.iter().any(|k| has(k.as_bytes())))
}

pub fn detect(item: &Item, ctx: &Context, out: &mut Sink) {
    let doc: Value = match serde_json::from_slice(&item.data) {
        Ok(v) => v,
        Err(e) => {
            out.skipped(
                item.path(),
                format!("not valid JSON ({e}); Keycloak client check skipped"),
            );
            return;
        }
    };
    let mut flagged = Vec::new();
    visit(&doc, &mut flagged);
    // Each flagged client, located by its clientId and the authenticator key after it.
    let mut from = 0;
    for f in flagged {
        let span = locate(&item.data, &f.client_id, from);
        from = span.end;
        let content = format!(
            "{}\0{}",
            f.client_id,
            f.authenticator.as_deref().unwrap_or("client-secret")
        );
        let Some(d) = ctx.finding(RULE, item, span, content.as_bytes(), None) else {
            continue;
        };
        let id = shown(&f.client_id);
        let what = if f.service_account {
            " (a service-account client)"
        } else {
            ""
        };
        let how = match &f.authenticator {
            Some(a) => format!("authenticates with clientAuthenticatorType {a}, a shared secret"),
            None => "sets no clientAuthenticatorType, so Keycloak's default applies: a client secret, shared with the server".to_string(),
        };
        d.message(format!(
            "Keycloak confidential client `{id}`{what} {how}; switch it to client-jwt (signed JWT)"
        ))
        .property("client_id", id)
        .property(
            "client_authenticator_type",
            f.authenticator
                .clone()
                .unwrap_or_else(|| "client-secret".into()),
        )
        .property("authenticator_defaulted", f.authenticator.is_none())
        .property("service_account", f.service_account)
        .emit(out);
    }
}

fn visit(v: &Value, flagged: &mut Vec<Flagged>) {
    match v {
        Value::Object(m) => {
            let kind = match m.get("clientAuthenticatorType") {
                Some(Value::String(k)) => Some(Some(k.clone())),
                // No authenticator set: a client representation with a secret
                // (or marked confidential) uses the default, client-secret.
                None if m.get("clientId").is_some_and(Value::is_string)
                    && CLIENT_KEYS.iter().any(|k| m.contains_key(*k))
                    && (m
                        .get("secret")
                        .and_then(Value::as_str)
                        .is_some_and(|s| !s.is_empty())
                        || m.get("publicClient").and_then(Value::as_bool) == Some(false)) =>
                {
                    Some(None)
                }
                _ => None,
            };
            if let Some(kind) = kind {
                let yes = |k: &str| m.get(k).and_then(Value::as_bool) == Some(true);
                let client_id = m.get("clientId").and_then(Value::as_str).unwrap_or("");
                let shared = kind
                    .as_deref()
                    .is_none_or(|k| k == "client-secret" || k == "client-secret-jwt");
                if shared
                    && !yes("publicClient")
                    && !yes("bearerOnly")
                    && !client_id.is_empty()
                    && !BUILT_IN.contains(&client_id)
                    && !client_id.ends_with("-realm")
                {
                    flagged.push(Flagged {
                        client_id: client_id.to_string(),
                        authenticator: kind,
                        service_account: yes("serviceAccountsEnabled"),
                    });
                }
            }
            for child in m.values() {
                visit(child, flagged);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| visit(c, flagged)),
        _ => {}
    }
}

/// Byte span to report for a client: its `clientAuthenticatorType` value
/// after its `"clientId": "<id>"`, else the clientId itself, else the file start.
fn locate(data: &[u8], client_id: &str, from: usize) -> std::ops::Range<usize> {
    let quoted = serde_json::to_string(client_id).unwrap_or_default();
    let finder = memchr::memmem::Finder::new(quoted.as_bytes());
    let key = b"\"clientId\"";
    let search = |start: usize| -> Option<usize> {
        let mut pos = start;
        while let Some(i) = finder.find(&data[pos..]).map(|i| i + pos) {
            // The value of a clientId key: `"clientId"` then `:` just before it.
            let before = data[..i].trim_ascii_end();
            if let Some(b) = before.strip_suffix(b":") {
                if b.trim_ascii_end().ends_with(key) {
                    return Some(i);
                }
            }
            pos = i + 1;
        }
        None
    };
    let Some(at) = search(from).or_else(|| search(0)) else {
        return 0..0;
    };
    let id_span = at..at + quoted.len();
    let rest = &data[id_span.end..];
    let next_client = memchr::memmem::find(rest, key).unwrap_or(rest.len());
    match memchr::memmem::find(&rest[..next_client], b"\"clientAuthenticatorType\"") {
        Some(k) => {
            let start = id_span.end + k;
            let line_end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |e| start + e);
            start..line_end
        }
        None => id_span,
    }
}

fn shown(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(120)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if s.chars().count() > 120 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_only_confidential_secret_clients() {
        let doc: Value = serde_json::from_str(
            r#"{"clients":[
              {"clientId":"billing","clientAuthenticatorType":"client-secret","publicClient":false,"serviceAccountsEnabled":true},
              {"clientId":"spa","clientAuthenticatorType":"client-secret","publicClient":true},
              {"clientId":"api","clientAuthenticatorType":"client-secret","bearerOnly":true},
              {"clientId":"jobs","clientAuthenticatorType":"client-jwt"},
              {"clientId":"broker","clientAuthenticatorType":"client-secret"},
              {"clientId":"admin-cli","clientAuthenticatorType":"client-secret","publicClient":true},
              {"clientId":"hmac","clientAuthenticatorType":"client-secret-jwt"},
              {"clientId":"quickstart","secret":"s3cr3t","redirectUris":["*"]},
              {"clientId":"spa2","publicClient":true,"secret":"x","redirectUris":["*"]},
              {"clientId":"settings","secret":"x"}
            ]}"#,
        )
        .unwrap();
        let mut f = Vec::new();
        visit(&doc, &mut f);
        let ids: Vec<&str> = f.iter().map(|f| f.client_id.as_str()).collect();
        assert_eq!(ids, ["billing", "hmac", "quickstart"]);
        assert!(f[0].service_account);
        assert!(f[2].authenticator.is_none());
    }

    #[test]
    fn locates_the_authenticator_of_the_right_client() {
        let text = b"{\"clientId\" : \"a\",\n \"clientAuthenticatorType\" : \"client-jwt\"},\n{\"clientId\" : \"b\",\n \"x\": 1,\n \"clientAuthenticatorType\" : \"client-secret\"}";
        let s = locate(text, "b", 0);
        assert!(text[s.clone()].starts_with(b"\"clientAuthenticatorType\" : \"client-secret\""));
        assert_eq!(locate(text, "zz", 0), 0..0);
    }
}
