//! nhiscan: a scanner of non-human-identity credential posture.
//!
//! Data flows one way: `source` → `item` → `detect` → `finding` → `report` + `gate`.

pub mod app;
pub mod cli;
pub mod config;
pub mod detect;
pub mod docs;
pub mod finding;
#[doc(hidden)]
pub mod fuzzing;
pub mod gate;
pub mod item;
pub mod linehash;
pub mod redact;
pub mod report;
pub mod rules;
pub mod source;
pub mod validate;
