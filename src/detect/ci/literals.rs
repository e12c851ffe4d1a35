//! NHI410: a literal credential as the value of a credential-named
//! variable or input; NHI411: a hard-coded container/service registry
//! password. A value counts when it is not an expression or variable
//! reference, not a placeholder, and long and random enough to be real.
//! (Secrets with a known format are also found by the NHI1xx rules, which
//! run over CI files like any other file.)

use super::model::{Job, Var};
use super::names::{is_reference, is_secret_name};
use super::yaml::NodeId;
use super::{Hit, Scan};
use crate::detect::filters;
use crate::finding::redact;

/// Shortest value taken for a credential.
const MIN_LEN: usize = 8;
/// Entropy below which a value reads like a word, not a credential.
const MIN_ENTROPY: f64 = 3.0;

pub fn check(scan: &mut Scan, job: &Job) {
    let mut vars: Vec<&Var> = job.env.iter().collect();
    for s in &job.steps {
        vars.extend(s.env.iter().chain(&s.with));
    }
    for v in vars {
        if is_secret_name(&v.name) {
            literal(scan, v.value, &v.name, "NHI410");
        }
    }
}

/// Long, random enough, not a placeholder, not a number or boolean.
pub fn looks_like_credential(t: &str) -> bool {
    t.len() >= MIN_LEN
        && !t.contains(char::is_whitespace)
        && !filters::is_placeholder(t.as_bytes())
        && !matches!(t, "true" | "false")
        && t.parse::<f64>().is_err()
        && filters::entropy(t.as_bytes()) >= MIN_ENTROPY
}

/// Whether a scalar is a literal credential; returns its trimmed byte range in the value.
fn literal_value(scan: &Scan, value: NodeId) -> Option<std::ops::Range<usize>> {
    let s = scan.doc.str(value)?;
    let t = s.trim();
    if is_reference(scan.system, t) || !looks_like_credential(t) {
        return None;
    }
    let start = s.find(t).unwrap_or(0);
    Some(start..start + t.len())
}

/// A value that is itself a secret's name (`exclude-secrets: NPM_TOKEN`,
/// `secret-name: DEPLOY_PRIVATE_KEY`): upper-case words joined by `_`.
fn names_a_secret(value: &str) -> bool {
    value.contains('_')
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && is_secret_name(value)
}

/// A value that spells its own variable's name (`dj4ng0s3cr3tk3y` for
/// DJANGO_SECRET_KEY) is a test stand-in, not a credential.
fn spells_name(value: &str, name: &str) -> bool {
    let plain: String = value
        .to_ascii_lowercase()
        .chars()
        .map(|c| match c {
            '4' | '@' => 'a',
            '3' => 'e',
            '1' | '!' => 'i',
            '0' => 'o',
            '5' | '$' => 's',
            '7' => 't',
            c => c,
        })
        .filter(|c| c.is_ascii_alphabetic())
        .collect();
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 4)
        .collect();
    !words.is_empty() && words.iter().filter(|w| plain.contains(*w)).count() >= words.len().min(2)
}

fn literal(scan: &mut Scan, value: NodeId, name: &str, rule: &'static str) {
    let Some(range) = literal_value(scan, value) else {
        return;
    };
    let text = &scan.doc.str(value).unwrap_or("")[range.clone()];
    if spells_name(text, name) || names_a_secret(text) {
        return;
    }
    let secret = scan.doc.str(value).unwrap_or("")[range.clone()].to_string();
    let span = scan.sub(value, range);
    scan.hit(
        Hit::new(
            rule,
            span.clone(),
            format!(
                "The value of `{name}` is a literal credential: {}",
                redact(&secret)
            ),
        )
        .key(format!(
            "{name}:{}",
            crate::finding::secret_hash(secret.as_bytes())
        ))
        .prop("secret_length", secret.len())
        .secret(span),
    );
}

/// Registry passwords written into the pipeline: GitHub `container`/`services`
/// `credentials.password`, CircleCI `docker[].auth.password`, Bitbucket
/// `image.password`, GitLab `DOCKER_AUTH_CONFIG`.
pub fn check_registry_passwords(scan: &mut Scan) {
    let Some(root) = scan.doc.root else { return };
    let nodes = scan.doc.descendants(root, super::WALK_LIMIT);
    let mut found = Vec::new();
    for n in nodes {
        if !scan.doc.is_map(n) {
            continue;
        }
        for (k, v) in scan.doc.entries(n) {
            let Some(key) = scan.doc.str(k) else { continue };
            let is_registry_auth = matches!(key, "credentials" | "auth") && scan.doc.is_map(v)
                || key == "image" && scan.doc.is_map(v);
            if is_registry_auth {
                if let Some(p) = scan.doc.get(v, "password") {
                    found.push((p, "registry password"));
                }
            } else if key == "DOCKER_AUTH_CONFIG" {
                found.push((v, "DOCKER_AUTH_CONFIG"));
            }
        }
    }
    for (value, name) in found {
        if name == "DOCKER_AUTH_CONFIG" {
            // JSON with a base64 `auth`: literal when it carries no reference.
            let Some(s) = scan.doc.str(value) else {
                continue;
            };
            if s.contains("\"auth\"") && !is_reference(scan.system, s) {
                let span = scan.doc.span(value);
                scan.hit(
                    Hit::new(
                        "NHI411",
                        span.clone(),
                        "The value of `DOCKER_AUTH_CONFIG` holds literal registry credentials",
                    )
                    .key("DOCKER_AUTH_CONFIG")
                    .secret(span),
                );
            }
            continue;
        }
        if let Some(range) = scan.doc.str(value).and_then(|s| {
            let t = s.trim();
            (t.len() >= 6
                && !is_reference(scan.system, t)
                && !filters::is_placeholder(t.as_bytes()))
            .then(|| s.find(t).map(|i| i..i + t.len()))
            .flatten()
        }) {
            let secret = scan.doc.str(value).unwrap_or("")[range.clone()].to_string();
            let span = scan.sub(value, range);
            scan.hit(
                Hit::new(
                    "NHI411",
                    span.clone(),
                    format!(
                        "A container registry password is hard-coded: {}",
                        redact(&secret)
                    ),
                )
                .key(format!(
                    "registry:{}",
                    crate::finding::secret_hash(secret.as_bytes())
                ))
                .secret(span),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::names_a_secret;

    #[test]
    fn values_naming_a_secret_are_not_one() {
        assert!(names_a_secret("SOME_PRIVATE_KEY"));
        assert!(names_a_secret("NPM_TOKEN"));
        assert!(!names_a_secret("Xk29fLq7Rz_Wq8zN4mK7rT2xV5b"));
        assert!(!names_a_secret("AKIA_NOT_A_NAME_9f4c2b7e8a1d"));
    }

    #[test]
    fn values_spelling_their_name_are_stand_ins() {
        assert!(super::spells_name("dj4ng0s3cr3tk3y", "DJANGO_SECRET_KEY"));
        assert!(super::spells_name("t3st-t0ken-value", "TEST_TOKEN"));
        assert!(!super::spells_name("9f4c2b7e8a1d3f6c0b5e", "SONAR_TOKEN")); // nhiscan:ignore
    }
}
