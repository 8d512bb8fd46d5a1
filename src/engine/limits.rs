//! How large a scenario may be. Links, imported files, forms and `lab` all reach a run through
//! `World::new` or `World::act`, which hold them to these bounds: nothing a user sends can
//! overflow a clock, exhaust memory or stall the page.

use std::fmt::Display;

/// Cluster sizes: the smallest that can lose a node and keep a majority, and as many lanes
/// as the views draw.
pub const NODES: (usize, usize) = (3, 64);
/// The latest virtual time a scenario may name (a week), so that adding a delay to it never
/// overflows.
pub const MAX_TIME_MS: u64 = 7 * 24 * 3_600_000;
/// The longest delay a setting may ask for (an hour): client think time and timeouts.
pub const MAX_DELAY_MS: u64 = 3_600_000;
pub const MAX_KEY_BYTES: usize = 64;
pub const MAX_VALUE_BYTES: usize = 256;
/// User actions and fault-schedule actions together.
pub const MAX_ACTIONS: usize = 20_000;
/// The longest link or scenario file read, in bytes (a scenario of `MAX_ACTIONS` actions fits).
pub const MAX_SCENARIO_BYTES: usize = 4 << 20;

/// `Ok` if `lo <= value <= hi`, else a message naming the setting.
pub fn within<T: PartialOrd + Display>(name: &str, value: T, lo: T, hi: T) -> Result<(), String> {
    if lo <= value && value <= hi {
        Ok(())
    } else {
        Err(format!("{name} must be between {lo} and {hi}, got {value}"))
    }
}

/// `Ok` if a key or value is at most `max` bytes long.
pub fn short(name: &str, text: &str, max: usize) -> Result<(), String> {
    if text.len() <= max {
        Ok(())
    } else {
        Err(format!(
            "{name} must be at most {max} bytes long, got {}",
            text.len()
        ))
    }
}

/// At most `max` characters of `text`, with an ellipsis if cut: what a message quotes of an input.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}
