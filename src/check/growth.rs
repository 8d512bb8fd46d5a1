//! What a growing history gained since it was last looked at: the checks that follow a
//! session (stale reads, causal order) take in only that.

use crate::engine::History;
use std::ops::Range;

/// How much of a history has been seen, and which operations seen were still pending.
#[derive(Default)]
pub struct Growth {
    observed: usize,
    pending: Vec<usize>,
}

/// What a history gained: operations seen pending before that have an outcome now, and the
/// operations appended (those of them still pending are remembered for next time).
pub struct News {
    pub settled: Vec<usize>,
    pub appended: Range<usize>,
}

impl Growth {
    /// Operations seen that have an outcome.
    pub fn settled(&self) -> usize {
        self.observed - self.pending.len()
    }

    /// The news since the last call, or `None` if `h` is not that history grown (shorter):
    /// then nothing is taken in.
    pub fn take(&mut self, h: &History) -> Option<News> {
        if h.len() < self.observed {
            return None;
        }
        let mut settled = Vec::new();
        self.pending.retain(|&i| {
            let done = h[i].outcome.is_some();
            if done {
                settled.push(i);
            }
            !done
        });
        let appended = self.observed.max(h.forgotten)..h.len();
        self.pending
            .extend(appended.clone().filter(|&i| h[i].outcome.is_none()));
        self.observed = h.len();
        Some(News { settled, appended })
    }

    /// The first operation a later call may still look at: the earliest pending, or the
    /// first not seen yet.
    pub fn needed_from(&self) -> usize {
        self.pending.iter().copied().min().unwrap_or(self.observed)
    }

    /// Operations seen still pending.
    pub fn pending(&self) -> &[usize] {
        &self.pending
    }

    /// Operations still pending (taken out: the caller settles them itself).
    pub fn take_pending(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.pending)
    }
}
