//! Causal consistency as each client saw it, checked as the history grows.
//!
//! A write's causal past is everything its client had observed (written, or read, with their
//! pasts) when it invoked the write. A read must not return a value causally older than a
//! write to the same key that its client had already observed.
//!
//! What a client has observed only grows, so it is kept as the order in which the client
//! learned of writes (`Knowledge::log`), and a write's past is a prefix of its writer's log:
//! its length when the write was invoked. Learning a write merges the rest of that prefix,
//! and each client remembers how much of each other client's log it has merged, so every write
//! joins every client's knowledge at most once: the cost of a session grows with its length
//! times its clients, where sets of every write for every write grew with its square.
//!
//! Events are judged in time order (calls before returns at equal times), once nothing can
//! come before them: every earlier operation has settled and no later one can be invoked
//! before them.

use super::eventual::{read_value, written, CausalViolation};
use super::growth::Growth;
use crate::engine::{ClientId, History, Outcome};
use rustc_hash::FxHashMap;

#[derive(Default)]
pub struct CausalCheck {
    seen: Growth,
    /// Events of settled operations not judged yet: (time, is a return, history index).
    queue: Vec<(u64, bool, usize)>,
    /// The latest time of any event seen: an operation invoked later may still share it.
    latest: u64,
    writes: Vec<Write>,
    /// The latest write of each (key, value), and the write of each writing operation.
    id_of: FxHashMap<(String, String), u32>,
    write_of: FxHashMap<usize, u32>,
    clients: Vec<Knowledge>,
    violations: Vec<CausalViolation>,
}

struct Write {
    client: ClientId,
    key: String,
    value: String,
    /// How much of its writer's log was its past.
    past: u32,
}

/// What one client has observed.
#[derive(Default)]
struct Knowledge {
    /// Writes in the order the client learned of them, and each one's place there.
    log: Vec<u32>,
    place: FxHashMap<u32, u32>,
    /// How much of each other client's log has been merged in.
    merged: FxHashMap<ClientId, u32>,
    /// Per key, per writer: the write known with the longest past (enough to tell whether a
    /// value read is older than something known: pasts of one writer only grow).
    known: FxHashMap<String, Vec<u32>>,
}

impl CausalCheck {
    /// Violations found so far.
    pub fn violations(&self) -> &[CausalViolation] {
        &self.violations
    }

    /// The first operation of the history a later call may still look at.
    pub fn needed_from(&self) -> usize {
        (self.queue.iter().map(|e| e.2))
            .min()
            .map_or(self.seen.needed_from(), |q| q.min(self.seen.needed_from()))
    }

    /// Take in what the history gained since the last call and judge what can be judged; a
    /// history that is not this one grown is checked afresh.
    pub fn observe(&mut self, h: &History) {
        let Some(news) = self.seen.take(h) else {
            *self = CausalCheck::default();
            return self.observe(h);
        };
        let came_settled = news.appended.filter(|&i| h[i].outcome.is_some());
        for i in news.settled.into_iter().chain(came_settled) {
            self.enqueue(h, i);
        }
        let before = (self.seen.pending().iter())
            .map(|&i| h[i].invoke_t)
            .min()
            .unwrap_or(u64::MAX)
            .min(self.latest);
        self.judge(h, before);
    }

    /// Judge everything left, taking operations still pending as writes that may have taken
    /// effect: the verdict on a history that is over.
    pub fn finish(&mut self, h: &History) {
        self.observe(h);
        for i in self.seen.take_pending() {
            self.enqueue(h, i);
        }
        self.judge(h, u64::MAX);
    }

    fn enqueue(&mut self, h: &History, i: usize) {
        let op = &h[i];
        self.queue.push((op.invoke_t, false, i));
        self.latest = self.latest.max(op.invoke_t);
        if let Some(t) = op.complete_t {
            self.queue.push((t, true, i));
            self.latest = self.latest.max(t);
        }
    }

    /// Judge the queued events before time `before`, in time order.
    fn judge(&mut self, h: &History, before: u64) {
        self.queue.sort_unstable();
        let ready = self.queue.partition_point(|e| e.0 < before);
        let events: Vec<_> = self.queue.drain(..ready).collect();
        for (_, returned, i) in events {
            let op = &h[i];
            if self.clients.len() <= op.client {
                self.clients.resize_with(op.client + 1, Knowledge::default);
            }
            if let Some((key, value)) = written(op) {
                if !returned {
                    let w = self.writes.len() as u32;
                    self.writes.push(Write {
                        client: op.client,
                        key: key.to_string(),
                        value: value.to_string(),
                        past: self.clients[op.client].log.len() as u32,
                    });
                    self.id_of.insert((key.to_string(), value.to_string()), w);
                    self.write_of.insert(i, w);
                } else if matches!(op.outcome, Some(Outcome::Ok { .. })) {
                    // Only an acknowledged write joins what its client knows (its past is
                    // already there).
                    self.learn(op.client, self.write_of[&i]);
                }
            } else if let (true, Some((key, value))) = (returned, read_value(op)) {
                let source = self
                    .id_of
                    .get(&(key.to_string(), value.to_string()))
                    .copied();
                if let Some(w) = self.overwritten(op.client, key, source) {
                    self.violations.push(CausalViolation {
                        client: op.client,
                        read: i,
                        detail: format!("client {} had seen {key}={:?} but then read {value:?}, which that write overwrote", op.client, self.writes[w as usize].value),
                    });
                }
                if let Some(s) = source {
                    self.learn(op.client, s);
                    let (writer, past) =
                        (self.writes[s as usize].client, self.writes[s as usize].past);
                    self.merge(op.client, writer, past);
                }
            }
        }
    }

    /// A write to `key` that `client` knows of and that overwrote `source` (the value read;
    /// `None`: the initial value, older than any write).
    fn overwritten(&self, client: ClientId, key: &str, source: Option<u32>) -> Option<u32> {
        let known = self.clients[client].known.get(key)?;
        known.iter().copied().find(|&w| match source {
            None => true,
            Some(s) => {
                let w = &self.writes[w as usize];
                self.clients[w.client]
                    .place
                    .get(&s)
                    .is_some_and(|&p| p < w.past)
            }
        })
    }

    /// `client` learns of write `w` (not of its past).
    fn learn(&mut self, client: ClientId, w: u32) {
        let k = &mut self.clients[client];
        if k.place.contains_key(&w) {
            return;
        }
        k.place.insert(w, k.log.len() as u32);
        k.log.push(w);
        let write = &self.writes[w as usize];
        let by_writer = k.known.entry(write.key.clone()).or_default();
        match (by_writer.iter_mut()).find(|x| self.writes[**x as usize].client == write.client) {
            Some(x) if self.writes[*x as usize].past < write.past => *x = w,
            Some(_) => {}
            None => by_writer.push(w),
        }
    }

    /// `client` learns the first `upto` writes `writer` learned of.
    fn merge(&mut self, client: ClientId, writer: ClientId, upto: u32) {
        let from = self.clients[client]
            .merged
            .get(&writer)
            .copied()
            .unwrap_or(0);
        if client == writer || upto <= from {
            return;
        }
        let news = self.clients[writer].log[from as usize..upto as usize].to_vec();
        for w in news {
            self.learn(client, w);
        }
        self.clients[client].merged.insert(writer, upto);
    }
}
