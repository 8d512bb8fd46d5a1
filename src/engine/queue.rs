//! The event queue: ordered by virtual time, then by insertion, so ties replay identically.

use super::client::ClientId;
use super::kv::{KvReply, KvRequest};
use super::network::MsgId;
use super::node::NodeId;
use super::scenario::Action;
use std::collections::{BTreeMap, VecDeque};

#[derive(Debug)]
pub(crate) enum Event {
    Deliver(MsgId),
    Tick {
        node: NodeId,
        epoch: u64,
    },
    ClientArrive {
        node: NodeId,
        req: Box<KvRequest>,
    },
    ClientReply {
        node: NodeId,
        req: u64,
        reply: Box<KvReply>,
    },
    /// A client's think time or retry back-off is over.
    ClientWake {
        client: ClientId,
        op: usize,
    },
    /// A client's operation may have run out of time.
    ClientDeadline {
        client: ClientId,
    },
    /// A scenario action stamped with a time only (a fault schedule).
    Scheduled(Box<Action>),
}

/// Events by due time; events due at the same time stay in the order they were pushed. Most
/// events fall due within a few milliseconds, so there are few distinct times and the tree
/// stays shallow; emptied deques are kept for reuse instead of being freed.
#[derive(Default)]
pub(crate) struct Queue {
    by_time: BTreeMap<u64, VecDeque<Event>>,
    spare: Vec<VecDeque<Event>>,
}

impl Queue {
    pub fn push(&mut self, at: u64, event: Event) {
        let spare = &mut self.spare;
        self.by_time
            .entry(at)
            .or_insert_with(|| spare.pop().unwrap_or_default())
            .push_back(event);
    }
    pub fn peek_time(&self) -> Option<u64> {
        self.by_time.first_key_value().map(|(&at, _)| at)
    }
    pub fn pop(&mut self) -> Option<(u64, Event)> {
        let mut first = self.by_time.first_entry()?;
        let at = *first.key();
        let event = first.get_mut().pop_front().expect("no empty deque is kept");
        if first.get().is_empty() {
            self.spare.push(first.remove());
        }
        Some((at, event))
    }
}
