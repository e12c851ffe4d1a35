//! The rule catalogue: rule files are data (`rules/*.yaml`), embedded at build
//! time and extendable with `--rules DIR`. Regex rules carry their pattern;
//! structured checks implemented in Rust get their metadata from here too, so
//! `rules list`, the docs and SARIF's `tool.driver.rules` share one source.

pub mod check;
#[cfg(test)]
mod keyword_proof;
mod schema;

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context as _, Result};

use crate::finding::Severity;
pub use schema::{Checksum, Example, Pair, Rule, RuleFile, ValueKind};

/// Rule files compiled into the binary: (file name, contents).
pub const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// Rules about a leaked credential (NHI1xx secrets and keys, NHI20x literal
/// client assertions): the only ones that still matter for content no longer
/// at HEAD. Posture rules about code, CI or registrations describe what runs
/// today, so on a past blob they would report nothing anyone can act on.
pub fn is_leaked_credential(rule_id: &str) -> bool {
    rule_id.starts_with("NHI1") || rule_id.starts_with("NHI20")
}

/// All known rules, in file then declaration order, indexed by id.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    rules: Vec<Rule>,
    by_id: HashMap<String, usize>,
}

impl Catalogue {
    /// The embedded rules.
    pub fn embedded() -> Result<Catalogue> {
        let mut c = Catalogue::default();
        for (name, text) in EMBEDDED {
            c.add_file(name, text)?;
        }
        Ok(c)
    }

    /// Parse one rule file and add its rules; duplicate ids are an error.
    pub fn add_file(&mut self, name: &str, text: &str) -> Result<()> {
        let file: RuleFile =
            serde_yaml_ng::from_str(text).with_context(|| format!("rule file {name}"))?;
        for mut rule in file.rules {
            rule.source = name.to_string();
            if self.by_id.contains_key(&rule.id) {
                bail!("rule file {name}: duplicate rule id {}", rule.id);
            }
            self.by_id.insert(rule.id.clone(), self.rules.len());
            self.rules.push(rule);
        }
        Ok(())
    }

    /// Add every `*.yaml`/`*.yml` file of a directory (for `--rules DIR`).
    pub fn add_dir(&mut self, dir: &Path) -> Result<()> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read rules directory {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f)
                .with_context(|| format!("cannot read rule file {}", f.display()))?;
            self.add_file(&f.display().to_string(), &text)?;
        }
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Turn rules off (config `disable`); unknown ids are an error so typos show.
    pub fn disable(&mut self, ids: &[String]) -> Result<()> {
        for id in ids {
            match self.by_id.get(id) {
                Some(&i) => self.rules[i].enabled = false,
                None => bail!("cannot disable unknown rule {id}"),
            }
        }
        Ok(())
    }

    /// Override a rule's severity (config `[severity]`).
    pub fn set_severity(&mut self, id: &str, severity: Severity) -> Result<()> {
        match self.by_id.get(id) {
            Some(&i) => {
                self.rules[i].severity = severity;
                Ok(())
            }
            None => bail!("cannot override severity of unknown rule {id}"),
        }
    }

    /// The enabled rule with this id, if any.
    pub fn enabled(&self, id: &str) -> Option<&Rule> {
        self.get(id).filter(|r| r.enabled)
    }

    /// The rules among `ids`, in catalogue order: a report over a few
    /// findings without the whole catalogue's help (the fuzz targets render
    /// every input's report in every format).
    pub fn subset<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Catalogue {
        let wanted: std::collections::HashSet<&str> = ids.into_iter().collect();
        let mut c = Catalogue::default();
        for r in self.rules.iter().filter(|r| wanted.contains(r.id.as_str())) {
            c.by_id.insert(r.id.clone(), c.rules.len());
            c.rules.push(r.clone());
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaked_credential_families_are_nhi1xx_and_nhi20x() {
        for id in ["NHI101", "NHI150", "NHI199", "NHI201", "NHI207"] {
            assert!(is_leaked_credential(id), "{id}");
        }
        for id in ["NHI210", "NHI241", "NHI304", "NHI410", "NHI501"] {
            assert!(!is_leaked_credential(id), "{id}");
        }
    }

    #[test]
    fn embedded_catalogue_loads_with_unique_ids() {
        let c = Catalogue::embedded().unwrap();
        assert!(!c.rules().is_empty());
        for r in c.rules() {
            assert_ne!(r.id, r.name, "rule name must differ from its id");
            assert!(r.id.starts_with("NHI"), "{}", r.id);
        }
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let mut c = Catalogue::embedded().unwrap();
        let (name, text) = EMBEDDED[0];
        let err = c.add_file(name, text).unwrap_err().to_string();
        assert!(err.contains("duplicate rule id"), "{err}");
    }

    #[test]
    fn disabling_unknown_rule_fails() {
        let mut c = Catalogue::embedded().unwrap();
        assert!(c.disable(&["NHI999999".into()]).is_err());
    }
}
