//! Captures raft-rs's own log lines (slog) so they stay with the node instead of being printed.

use slog::{Drain, Key, Level, OwnedKVList, Record, KV};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Lines raft-rs logged since the node last took them. The node asks after every input and
/// nearly always there is nothing, so a flag answers that without taking the lock.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<(Mutex<Vec<String>>, AtomicBool)>);

impl LogBuffer {
    pub fn logger(&self) -> slog::Logger {
        slog::Logger::root(Capture(self.clone()).fuse(), slog::o!())
    }
    pub fn take(&self) -> Vec<String> {
        // A plain load first: an atomic swap on every call costs a locked instruction.
        let flag = &self.0 .1;
        if !flag.load(Ordering::Relaxed) || !flag.swap(false, Ordering::Relaxed) {
            return Vec::new();
        }
        std::mem::take(&mut *self.0 .0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

struct Capture(LogBuffer);

/// raft-rs prints peer sets in the iteration order of an FxHash map, which differs between
/// 64-bit targets and wasm32; sorting every `[..]` or `{..}` list of numbers keeps the captured
/// lines (and so the trace) identical on both.
fn sort_id_lists(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find(['[', '{']) {
        let close_char = if rest.as_bytes()[open] == b'[' {
            ']'
        } else {
            '}'
        };
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let Some(close) = rest.find(close_char) else {
            break;
        };
        let inner = &rest[..close];
        let mut ids: Vec<u64> = Vec::new();
        if !inner.trim().is_empty()
            && inner
                .split(',')
                .all(|x| x.trim().parse::<u64>().map(|v| ids.push(v)).is_ok())
        {
            ids.sort_unstable();
            out.push_str(
                &ids.iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            rest = &rest[close..];
        }
    }
    out.push_str(rest);
    out
}

struct Fields<'a>(&'a mut String);

impl slog::Serializer for Fields<'_> {
    fn emit_arguments(&mut self, key: Key, val: &std::fmt::Arguments) -> slog::Result {
        // raft-rs tags every line with the raft id; the node is shown anyway.
        if key != "raft_id" {
            let _ = write!(self.0, " {key}={val}");
        }
        Ok(())
    }
}

impl Drain for Capture {
    type Ok = ();
    type Err = slog::Never;
    fn log(&self, record: &Record, values: &OwnedKVList) -> Result<(), slog::Never> {
        // Debug lines come per message; only keep what a reader wants to see.
        if !record.level().is_at_least(Level::Info) {
            return Ok(());
        }
        let mut line = record.msg().to_string();
        let _ = record.kv().serialize(record, &mut Fields(&mut line));
        let _ = values.serialize(record, &mut Fields(&mut line));
        let buffer = &self.0 .0;
        (buffer.0.lock().unwrap_or_else(|e| e.into_inner())).push(sort_id_lists(&line));
        buffer.1.store(true, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn numeric_lists_are_sorted_and_other_text_kept() {
        assert_eq!(
            super::sort_id_lists("to=[5, 2, 4, 1] x"),
            "to=[1, 2, 4, 5] x"
        );
        assert_eq!(
            super::sort_id_lists("voters: {3, 1, 2} } [a, b] []"),
            "voters: {1, 2, 3} } [a, b] []"
        );
        assert_eq!(super::sort_id_lists("unclosed [3, 1"), "unclosed [3, 1");
    }
}
