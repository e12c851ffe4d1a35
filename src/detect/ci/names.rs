//! What counts as a secret in a CI file: secret-like variable names,
//! references to a CI secret store, and variable references in scripts.

use std::ops::Range;

use super::model::System;

/// Name parts that make a variable a credential.
const SECRET_PARTS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "SECRETS",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PASSPHRASE",
    "APIKEY",
    "PAT",
    "CREDENTIALS",
    "CREDS",
    "PRIVATEKEY",
];

/// Last parts that make a credential-sounding name something else (a path,
/// an id, a URL, a flag).
const NOT_SECRET_LAST: &[&str] = &[
    "ID", "URL", "URI", "FILE", "PATH", "NAME", "USER", "USERNAME", "ENDPOINT", "TYPE", "HOST",
    "ARN", "EXPIRY", "EXPIRES", "TTL", "REGION", "ENABLED", "DIR", "LENGTH", "FORMAT", "VERSION",
    "SCOPE", "SCOPES", "HEADER", "NUMBER", "AUDIENCE", "AUD", "ISSUER", "LIFETIME", "DURATION",
    "TIMEOUT", "PREFIX", "LABEL", "MODE", "KIND", "COUNT", "LIMIT",
];

/// True for names like `API_TOKEN`, `db-password`, `AWS_SECRET_ACCESS_KEY`,
/// `PRIVATE_KEY`, `NPM_TOKEN`; false for `TOKEN_URL`, `AWS_ACCESS_KEY_ID`, `PWD`.
pub fn is_secret_name(name: &str) -> bool {
    // camelCase counts as separate words: `apiToken` → API_TOKEN.
    let mut words = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            words.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        words.push(c);
    }
    let upper = words.to_ascii_uppercase().replace(['-', '.'], "_");
    let parts: Vec<&str> = upper.split('_').filter(|p| !p.is_empty()).collect();
    let Some(last) = parts.last() else {
        return false;
    };
    if NOT_SECRET_LAST.contains(last) {
        return false;
    }
    if parts.iter().any(|p| SECRET_PARTS.contains(p)) {
        return true;
    }
    // KEY alone is too common (CACHE_KEY, SSH_KEY_PATH); only credential keys.
    parts.windows(2).any(|w| {
        w[1] == "KEY"
            && matches!(
                w[0],
                "API"
                    | "ACCESS"
                    | "PRIVATE"
                    | "SIGNING"
                    | "ENCRYPTION"
                    | "SSH"
                    | "SA"
                    | "GCP"
                    | "GCLOUD"
                    | "DEPLOY"
                    | "SECRET"
                    | "MASTER"
                    | "GPG"
                    | "PGP"
                    | "ACCOUNT"
            )
    }) || upper.ends_with("APIKEY")
        || upper.ends_with("ACCESSKEY")
}

/// A `${{ … }}` expression in a string: span and inner text.
pub fn expressions(s: &str) -> Vec<(Range<usize>, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = s[from..].find("${{") {
        let start = from + i;
        let Some(j) = s[start + 3..].find("}}") else {
            break;
        };
        let end = start + 3 + j + 2;
        out.push((start..end, s[start + 3..end - 2].trim()));
        from = end;
    }
    out
}

/// True when a GitHub expression reads the secrets context (not the
/// automatic `GITHUB_TOKEN`, which the runner mints per job).
pub fn reads_secret(expr: &str) -> bool {
    let e = expr.replace(' ', "");
    // `secrets.X != ''`, `!secrets.X`: a boolean about the secret, not the
    // secret (unless `||` can still yield one of its operands).
    if (e.contains("==") || e.contains("!=") || e.starts_with('!')) && !e.contains("||") {
        return false;
    }
    let mut from = 0;
    while let Some(i) = e[from..].find("secrets") {
        let at = from + i;
        let before_ok = at == 0 || !e.as_bytes()[at - 1].is_ascii_alphanumeric();
        let rest = &e[at + 7..];
        if before_ok && (rest.starts_with('.') || rest.starts_with('[')) {
            let name = rest[1..].trim_start_matches(['\'', '"']);
            if !name.to_ascii_uppercase().starts_with("GITHUB_TOKEN") {
                return true;
            }
        }
        from = at + 7;
    }
    false
}

/// A variable reference in a script or value: `$NAME`, `${NAME}`, `$env:NAME`,
/// Azure `$(NAME)`, Windows `%NAME%`. Returns (span, name).
pub fn var_refs(s: &str) -> Vec<(Range<usize>, &str)> {
    let b = s.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            let (open, close) = match b[i + 1] {
                b'{' => (2, Some(b'}')),
                b'(' => (2, Some(b')')),
                _ => (1, None),
            };
            let mut start = i + open;
            if s[start..].to_ascii_lowercase().starts_with("env:") {
                start += 4;
            }
            let mut end = start;
            // Azure macro names may contain dots (`$(my.secret)`).
            while end < b.len() && (ident(b[end]) || (close == Some(b')') && b[end] == b'.')) {
                end += 1;
            }
            if end > start && !b[start].is_ascii_digit() {
                let stop = match close {
                    Some(c) if b.get(end) == Some(&c) => end + 1,
                    Some(_) if close == Some(b'}') => end, // ${VAR:-default} etc.
                    Some(_) => {
                        i = end;
                        continue;
                    }
                    None => end,
                };
                out.push((i..stop, &s[start..end]));
                i = stop;
                continue;
            }
            i += 1;
        } else if b[i] == b'%' {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && ident(b[end]) {
                end += 1;
            }
            if end > start && b.get(end) == Some(&b'%') {
                out.push((i..end + 1, &s[start..end]));
                i = end + 1;
                continue;
            }
            i += 1;
        } else {
            i += 1;
        }
    }
    out
}

/// True when a value is a reference to something stored elsewhere (an
/// expression, a variable, a secret store), not a literal.
pub fn is_reference(system: System, value: &str) -> bool {
    let v = value.trim();
    if v.contains("${{") || v.contains("$(") || v.contains("$[[") {
        return true;
    }
    if !var_refs(v).is_empty() {
        return true;
    }
    match system {
        // CircleCI orb parameters name an environment variable (`AWS_KEY`).
        System::CircleCi => v
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
        _ => false,
    }
}

/// Spans of secret references in `s`: `${{ secrets.X }}` (GitHub), and
/// variable references whose name is secret-like or in `known`.
pub fn secret_refs(system: System, s: &str, known: &[String]) -> Vec<(Range<usize>, String)> {
    let mut out = Vec::new();
    if system == System::GitHub {
        for (span, expr) in expressions(s) {
            if reads_secret(expr) {
                out.push((span, expr.to_string()));
            }
        }
    }
    for (span, name) in var_refs(s) {
        if known.iter().any(|k| k == name) || is_secret_name(name) {
            // Inside a GitHub expression `$` has no meaning.
            if out
                .iter()
                .any(|(o, _)| o.start <= span.start && span.end <= o.end)
            {
                continue;
            }
            out.push((span, name.to_string()));
        }
    }
    out.sort_by_key(|(s, _)| s.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for n in [
            "API_TOKEN",
            "db-password",
            "AWS_SECRET_ACCESS_KEY",
            "PRIVATE_KEY",
            "NPM_TOKEN",
            "SONAR_PAT",
            "GCP_CREDENTIALS",
            "StripeApiKey",
            "apiToken",
            "clientSecret",
            "GCP_SA_KEY",
            "SSH_KEY",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "TOKEN_URL",
            "AWS_ACCESS_KEY_ID",
            "PWD",
            "CACHE_KEY",
            "PASSWORD_FILE",
            "PATH",
            "servicePrincipalKey",
            "tokenUrl",
            "id_token_audience",
            "TOKEN_ISSUER",
            "tokenLifetime",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn variable_references() {
        let v: Vec<_> = var_refs("a $A ${B} $(c.d) $env:E %F% ${G:-x} $1")
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(v, ["A", "B", "c.d", "E", "F", "G"]);
    }

    #[test]
    fn github_secret_expressions() {
        assert!(reads_secret("secrets.AWS_KEY"));
        assert!(reads_secret("secrets['X']"));
        assert!(!reads_secret("secrets.GITHUB_TOKEN"));
        assert!(!reads_secret("github.token"));
        assert!(!reads_secret("inputs.mysecrets"));
        assert!(!reads_secret("secrets.X != ''"));
        assert!(!reads_secret("!secrets.X"));
        assert!(reads_secret("secrets.X != '' && secrets.X || 'none'"));
        let r = secret_refs(System::GitHub, "x ${{ secrets.A }} $TOKEN", &[]);
        assert_eq!(r.len(), 2);
    }
}
