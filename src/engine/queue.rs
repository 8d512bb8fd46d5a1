//! The event queue: ordered by virtual time, then by insertion, so ties replay identically.

use super::client::ClientId;
use super::kv::{KvReply, KvRequest};
use super::network::MsgId;
use super::node::NodeId;
use super::scenario::Action;
use super::world::Envelope;
use std::collections::{BTreeMap, VecDeque};

/// A message in flight travels inside its delivery event: the queue is the one place that
/// holds it until it is due, so sending and delivering touch no other table.
#[derive(Debug)]
pub(crate) enum Event<M> {
    Deliver(Envelope<M>),
    /// What is left of a delivery the user dropped: it still takes its turn, so the run's
    /// step count (which user actions are stamped with) does not change.
    Stale,
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
pub(crate) struct Queue<M> {
    by_time: BTreeMap<u64, VecDeque<Event<M>>>,
    spare: Vec<VecDeque<Event<M>>>,
}

impl<M> Default for Queue<M> {
    fn default() -> Self {
        Queue {
            by_time: BTreeMap::new(),
            spare: Vec::new(),
        }
    }
}

impl<M> Queue<M> {
    pub fn push(&mut self, at: u64, event: Event<M>) {
        let spare = &mut self.spare;
        self.by_time
            .entry(at)
            .or_insert_with(|| spare.pop().unwrap_or_default())
            .push_back(event);
    }
    pub fn peek_time(&self) -> Option<u64> {
        self.by_time.first_key_value().map(|(&at, _)| at)
    }
    pub fn pop(&mut self) -> Option<(u64, Event<M>)> {
        let mut first = self.by_time.first_entry()?;
        let at = *first.key();
        let event = first.get_mut().pop_front().expect("no empty deque is kept");
        if first.get().is_empty() {
            self.spare.push(first.remove());
        }
        Some((at, event))
    }
    /// Messages waiting for their delivery time, in queue order.
    pub fn messages(&self) -> impl Iterator<Item = &Envelope<M>> {
        self.by_time.values().flatten().filter_map(|e| match e {
            Event::Deliver(env) => Some(env),
            _ => None,
        })
    }
    pub fn messages_mut(&mut self) -> impl Iterator<Item = &mut Envelope<M>> {
        self.by_time.values_mut().flatten().filter_map(|e| match e {
            Event::Deliver(env) => Some(env),
            _ => None,
        })
    }
    /// Take the message out of its delivery event, leaving a stale event in its place.
    pub fn take_message(&mut self, id: MsgId) -> Option<Envelope<M>> {
        let ev = (self.by_time.values_mut().flatten())
            .find(|e| matches!(e, Event::Deliver(env) if env.id == id))?;
        match std::mem::replace(ev, Event::Stale) {
            Event::Deliver(env) => Some(env),
            _ => unreachable!("matched a delivery above"),
        }
    }
}
