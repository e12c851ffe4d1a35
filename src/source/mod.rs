//! Sources: where bytes come from. A source knows nothing of rules; it hands
//! items (or notices about what it could not read) to a visitor.

pub mod fs;
pub mod git;
pub mod http;
mod tracked;

use crate::detect::Notice;
use crate::item::Item;

/// What a source hands its visitor.
pub enum Event {
    Item(Item),
    Notice(Notice),
}
