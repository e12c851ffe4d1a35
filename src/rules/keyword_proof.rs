//! A proof, over every regex rule's pattern, that the keyword prefilter can
//! never hide a match: every string the pattern matches contains one of the
//! rule's keywords (ASCII case-insensitively, as the prefilter compares).
//!
//! The pattern's syntax tree is walked for literal sets every match must
//! contain: a finite set of strings for a sub-pattern (a literal, a small
//! class such as `[Cc]` from `(?i)`, a concatenation or alternation of
//! those), and for a concatenation any run of consecutive parts with finite
//! sets. A pattern is proven when one such required set has a keyword inside
//! each of its strings, or, for an alternation, when each branch is proven.
//! Non-ASCII case variants of ASCII letters (`ſ` for `s`, the Kelvin sign for
//! `k`, which `(?i)` also admits) are left out: the prefilter lower-cases
//! ASCII only, so such a spelling is a known blind spot of every keyword.

use regex_syntax::hir::{Class, Hir, HirKind};

use super::Catalogue;

/// Largest literal set followed before giving up on a sub-pattern.
const MAX_SET: usize = 256;

fn class_chars(c: &Class) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    match c {
        Class::Unicode(u) => {
            for r in u.ranges() {
                if (r.end() as u32 - r.start() as u32) > 8 {
                    return None;
                }
                for ch in r.start()..=r.end() {
                    out.push(ch.to_lowercase().collect());
                }
            }
        }
        Class::Bytes(b) => {
            for r in b.ranges() {
                if r.end() - r.start() > 8 {
                    return None;
                }
                for byte in r.start()..=r.end() {
                    out.push((byte.to_ascii_lowercase() as char).to_string());
                }
            }
        }
    }
    if out.iter().any(|s| s.is_ascii()) {
        out.retain(|s| s.is_ascii());
    }
    out.sort();
    out.dedup();
    (out.len() <= 8).then_some(out)
}

/// Every string `h` can match, lower-cased, when that set is small.
fn literals(h: &Hir) -> Option<Vec<String>> {
    let set = match h.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![String::new()],
        HirKind::Literal(l) => vec![String::from_utf8_lossy(&l.0).to_ascii_lowercase()],
        HirKind::Class(c) => class_chars(c)?,
        HirKind::Capture(c) => literals(&c.sub)?,
        HirKind::Repetition(r) if r.max == Some(1) => {
            let mut s = literals(&r.sub)?;
            if r.min == 0 {
                s.push(String::new());
            }
            s
        }
        HirKind::Repetition(_) => return None,
        HirKind::Concat(parts) => {
            let mut acc = vec![String::new()];
            for p in parts {
                acc = product(&acc, &literals(p)?)?;
            }
            acc
        }
        HirKind::Alternation(alts) => {
            let mut all = Vec::new();
            for a in alts {
                all.extend(literals(a)?);
            }
            all
        }
    };
    (set.len() <= MAX_SET).then_some(set)
}

fn product(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() * b.len() > MAX_SET {
        return None;
    }
    let mut out: Vec<String> = a
        .iter()
        .flat_map(|x| b.iter().map(move |y| format!("{x}{y}")))
        .collect();
    out.sort();
    out.dedup();
    Some(out)
}

fn covered(set: &[String], keywords: &[String]) -> bool {
    !set.is_empty()
        && set
            .iter()
            .all(|s| keywords.iter().any(|k| s.contains(k.as_str())))
}

/// Whether every match of `h` contains a keyword.
fn proven(h: &Hir, keywords: &[String]) -> bool {
    if literals(h).is_some_and(|s| covered(&s, keywords)) {
        return true;
    }
    match h.kind() {
        HirKind::Capture(c) => proven(&c.sub, keywords),
        HirKind::Repetition(r) if r.min >= 1 => proven(&r.sub, keywords),
        HirKind::Alternation(alts) => alts.iter().all(|a| proven(a, keywords)),
        HirKind::Concat(parts) => {
            if parts.iter().any(|p| proven(p, keywords)) {
                return true;
            }
            // Runs of consecutive parts with finite literal sets.
            for i in 0..parts.len() {
                let mut acc = vec![String::new()];
                for p in &parts[i..] {
                    let Some(next) = literals(p).and_then(|l| product(&acc, &l)) else {
                        break;
                    };
                    acc = next;
                    if covered(&acc, keywords) {
                        return true;
                    }
                }
            }
            false
        }
        _ => false,
    }
}

/// The regex rules whose keywords a match could avoid, one line each.
pub fn unproven(catalogue: &Catalogue) -> Vec<String> {
    let mut out = Vec::new();
    for rule in catalogue.rules() {
        let Some(pattern) = &rule.pattern else {
            continue;
        };
        let keywords: Vec<String> = rule
            .keywords
            .iter()
            .map(|k| k.to_ascii_lowercase())
            .collect();
        let hir = match regex_syntax::ParserBuilder::new()
            .utf8(false)
            .build()
            .parse(pattern)
        {
            Ok(h) => h,
            Err(e) => {
                out.push(format!("{}: pattern does not parse: {e}", rule.id));
                continue;
            }
        };
        if !proven(&hir, &keywords) {
            out.push(format!(
                "{}: a match need not contain any of its keywords {:?}",
                rule.id, rule.keywords
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proves(pattern: &str, kws: &[&str]) -> bool {
        let hir = regex_syntax::ParserBuilder::new()
            .utf8(false)
            .build()
            .parse(pattern)
            .unwrap();
        let kws: Vec<String> = kws.iter().map(|k| k.to_ascii_lowercase()).collect();
        proven(&hir, &kws)
    }

    #[test]
    fn the_proof_tells_covered_from_uncovered_patterns() {
        assert!(proves(
            r"(?i)client[_-]?secret\s*=\s*(?P<secret>\w+)",
            &["client_secret", "client-secret", "clientsecret"]
        ));
        assert!(!proves(
            r"(?i)client[_-]?secret\s*=\s*(?P<secret>\w+)",
            &["client_secret"]
        ));
        assert!(proves(r"(?:ghp|gho)_[A-Za-z0-9]{36}", &["ghp_", "gho_"]));
        assert!(!proves(
            r"(?:ghp|gho|ghu)_[A-Za-z0-9]{36}",
            &["ghp_", "gho_"]
        ));
        assert!(proves(
            r"-----BEGIN (?:RSA |EC |)PRIVATE KEY-----",
            &["PRIVATE KEY-----"]
        ));
    }

    #[test]
    fn every_rule_keyword_set_covers_its_pattern() {
        let problems = unproven(&Catalogue::embedded().unwrap());
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
