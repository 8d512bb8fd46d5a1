//! Captures raft-rs's own log lines (slog) so they stay with the node instead of being printed.

use slog::{Drain, Key, Level, OwnedKVList, Record, KV};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

/// Lines raft-rs logged since the node last took them.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<String>>>);

impl LogBuffer {
    pub fn logger(&self) -> slog::Logger {
        slog::Logger::root(Capture(self.clone()).fuse(), slog::o!())
    }
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

struct Capture(LogBuffer);

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
        self.0
             .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line);
        Ok(())
    }
}
