//! Reads counted by query mode as a history grows: how many each mode asked and how each
//! ended (answered, refused, no answer in time). Side by side with the stale answers of each
//! mode (`StaleReads::count_in`), this is what the modes trade: freshness for availability.

use super::growth::Growth;
use crate::engine::{History, KvOp, Outcome, QueryMode};

/// How the reads of one mode ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModeReads {
    /// Reads with an outcome.
    pub reads: usize,
    pub answered: usize,
    /// The node said it could not answer (no leader, no quorum).
    pub refused: usize,
    /// No answer within the client's timeout.
    pub timed_out: usize,
}

#[derive(Default)]
pub struct ReadModes {
    seen: Growth,
    by_mode: [ModeReads; 3],
}

impl ReadModes {
    pub fn get(&self, mode: QueryMode) -> ModeReads {
        self.by_mode[mode.index()]
    }

    /// Whether any read asked for a mode weaker than consistent.
    pub fn any_weaker(&self) -> bool {
        self.by_mode[1..].iter().any(|m| m.reads > 0)
    }

    /// Take in what the history gained since the last call; a history that is not this one
    /// grown is counted afresh.
    pub fn observe(&mut self, h: &History) {
        let Some(news) = self.seen.take(h) else {
            *self = ReadModes::default();
            return self.observe(h);
        };
        let settled = news.appended.filter(|&i| h[i].outcome.is_some());
        for i in news.settled.into_iter().chain(settled) {
            let op = &h[i];
            let (KvOp::Get { mode, .. }, Some(outcome)) = (&op.op, &op.outcome) else {
                continue;
            };
            let m = &mut self.by_mode[mode.index()];
            m.reads += 1;
            match outcome {
                Outcome::Ok { .. } => m.answered += 1,
                Outcome::Fail => m.refused += 1,
                Outcome::Info => m.timed_out += 1,
            }
        }
    }

    /// The first operation a later call may still look at.
    pub fn needed_from(&self) -> usize {
        self.seen.needed_from()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::test_ops::*;
    use crate::engine::HistoryOp;

    fn read(mode: QueryMode, call: u64, value: Option<&str>) -> HistoryOp {
        let get = KvOp::Get {
            key: "x".into(),
            mode,
        };
        op(0, get, call, call + 5, value)
    }

    #[test]
    fn each_mode_counts_its_own_reads_as_they_settle() {
        let mut h = History::default();
        h.ops.push(read(QueryMode::Stale, 0, Some("1")));
        let mut refused = read(QueryMode::Consistent, 0, None);
        refused.outcome = Some(Outcome::Fail);
        h.ops.push(refused);
        h.ops.push(op(1, put("x", "2"), 1, 3, None));
        let mut pending = read(QueryMode::Default, 6, Some("2"));
        pending.outcome = None;
        h.ops.push(pending);
        let mut modes = ReadModes::default();
        modes.observe(&h);
        assert_eq!(modes.get(QueryMode::Stale).answered, 1);
        assert_eq!(modes.get(QueryMode::Consistent).refused, 1);
        assert_eq!(
            modes.get(QueryMode::Default).reads,
            0,
            "pending: not counted yet"
        );
        assert!(modes.any_weaker());
        h.ops[3].outcome = Some(Outcome::Info);
        modes.observe(&h);
        assert_eq!(modes.get(QueryMode::Default).timed_out, 1);
        assert_eq!(modes.get(QueryMode::Default).reads, 1);
        // Forgetting what was counted changes nothing; a read counted once stays once.
        h.forget_before(3);
        modes.observe(&h);
        assert_eq!(modes.get(QueryMode::Stale).reads, 1);
        assert_eq!(modes.get(QueryMode::Default).reads, 1);
        assert_eq!(modes.get(QueryMode::Consistent).reads, 1);
    }
}
