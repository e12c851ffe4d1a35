//! `--format json`: a versioned document (schema in docs/json-format.md).
//! Bump [`SCHEMA_VERSION`] on any incompatible change.

use std::io::{self, Write};

use serde::Serialize;

use super::{Report, Stats};
use crate::detect::Notice;
use crate::finding::Finding;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Doc<'a> {
    schema_version: u32,
    tool: Tool,
    findings: &'a [Finding],
    notices: &'a [Notice],
    stats: &'a Stats,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let doc = Doc {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "nhiscan",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: report.findings,
        notices: report.notices,
        stats: report.stats,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
