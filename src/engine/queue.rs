//! The event queue: ordered by virtual time, then by insertion, so ties replay identically.

use super::client::ClientId;
use super::kv::{KvReply, KvRequest};
use super::network::MsgId;
use super::node::NodeId;
use super::scenario::Action;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

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

struct Entry {
    at: u64,
    seq: u64,
    event: Event,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    // Reversed: BinaryHeap is a max-heap and we want the earliest first.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}

#[derive(Default)]
pub(crate) struct Queue {
    heap: BinaryHeap<Entry>,
    seq: u64,
}

impl Queue {
    pub fn push(&mut self, at: u64, event: Event) {
        self.seq += 1;
        self.heap.push(Entry {
            at,
            seq: self.seq,
            event,
        });
    }
    pub fn peek_time(&self) -> Option<u64> {
        self.heap.peek().map(|e| e.at)
    }
    pub fn pop(&mut self) -> Option<(u64, Event)> {
        self.heap.pop().map(|e| (e.at, e.event))
    }
}
