//! `nhiscan rules list|check|explain`.

use anyhow::{bail, Result};

use crate::cli::{CatalogueArgs, RulesCommand};
use crate::gate::exit;
use crate::rules::{check, Catalogue};

fn load(args: &CatalogueArgs) -> Result<Catalogue> {
    let mut c = Catalogue::embedded()?;
    for dir in &args.rules {
        c.add_dir(dir)?;
    }
    Ok(c)
}

pub fn run(cmd: RulesCommand) -> Result<u8> {
    match cmd {
        RulesCommand::List {
            catalogue,
            json,
            markdown,
        } => {
            let c = load(&catalogue)?;
            if markdown {
                print!("{}", crate::docs::catalogue_table(&c));
            } else if json {
                let rows: Vec<_> = c
                    .rules()
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.id, "name": r.name, "severity": r.severity,
                            "confidence": r.confidence, "description": r.short_description,
                            "tags": r.tags, "languages": r.languages,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in c.rules() {
                    println!(
                        "{:<8} {:<9} {:<40} {}",
                        r.id, r.severity, r.name, r.short_description
                    );
                }
            }
            Ok(exit::CLEAN)
        }
        RulesCommand::Check { catalogue } => {
            let c = load(&catalogue)?;
            let problems = check::check(&c);
            for p in &problems {
                println!("{p}");
            }
            let examples: usize = c
                .rules()
                .iter()
                .map(|r| r.examples.len() + r.negative_examples.len())
                .sum();
            println!(
                "rules check: {} rules, {} examples, {} problems",
                c.rules().len(),
                examples,
                problems.len()
            );
            Ok(if problems.is_empty() {
                exit::CLEAN
            } else {
                exit::FINDINGS
            })
        }
        RulesCommand::Explain { id, catalogue } => {
            let c = load(&catalogue)?;
            let Some(rule) = c
                .get(&id)
                .or_else(|| c.rules().iter().find(|r| r.name == id))
            else {
                bail!("no rule {id:?}; `nhiscan rules list` shows them");
            };
            print!("{}", crate::docs::rule_markdown(rule));
            Ok(exit::CLEAN)
        }
    }
}
