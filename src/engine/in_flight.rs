//! Every message on its way, wherever it waits, behind one set of operations: queued in its
//! delivery event until due, held by the user past its time, or waiting for a paused receiver.
//! It owns the run's event queue, which carries the queued messages inside their deliveries.
//!
//! Taking a message out (a user's drop) leaves a placeholder where it waited, which still takes
//! its turn: the number of events run, which user actions are stamped with, does not change.

use super::kv::KvOp;
use super::network::MsgId;
use super::node::NodeId;
use super::queue::{Event, Queue};

/// A message on the bus.
#[derive(Clone, Debug)]
pub struct Envelope<M> {
    pub id: MsgId,
    pub from: NodeId,
    pub to: NodeId,
    pub sent_at: u64,
    pub deliver_at: u64,
    pub held: bool,
    pub msg: M,
}

/// Input that reached a paused node, handed over when it resumes.
enum Waiting<M> {
    Msg(Envelope<M>),
    Client {
        req: u64,
        op: Box<KvOp>,
    },
    /// A message the user dropped while it waited.
    Placeholder,
}

pub(crate) struct InFlight<M> {
    queue: Queue<M>,
    /// Held messages whose delivery time has come.
    held: Vec<Envelope<M>>,
    /// Per node, what reached it while it was paused, in arrival order.
    paused: Vec<Vec<Waiting<M>>>,
}

impl<M> InFlight<M> {
    pub fn new(nodes: usize) -> Self {
        InFlight {
            queue: Queue::default(),
            held: Vec::new(),
            paused: (0..nodes).map(|_| Vec::new()).collect(),
        }
    }

    // ---- the event queue ----
    #[inline]
    pub fn push(&mut self, at: u64, event: Event<M>) {
        self.queue.push(at, event);
    }
    /// The next event due at or before `t`.
    #[inline]
    pub fn pop_until(&mut self, t: u64) -> Option<(u64, Event<M>)> {
        self.queue.pop_until(t)
    }

    // ---- where a due message goes when it cannot be delivered now ----
    /// A held message came due: it waits here until released.
    pub fn park(&mut self, env: Envelope<M>) {
        debug_assert!(env.held);
        self.held.push(env);
    }
    pub fn defer(&mut self, node: NodeId, env: Envelope<M>) {
        self.paused[node].push(Waiting::Msg(env));
    }
    pub fn defer_client(&mut self, node: NodeId, req: u64, op: Box<KvOp>) {
        self.paused[node].push(Waiting::Client { req, op });
    }
    /// The node resumed: what waited for it is due now, in the order it came.
    pub fn resume(&mut self, node: NodeId, now: u64) {
        for w in std::mem::take(&mut self.paused[node]) {
            let event = match w {
                Waiting::Msg(env) => Event::Deliver(env),
                Waiting::Client { req, op } => Event::ClientArrive { node, req, op },
                Waiting::Placeholder => Event::Placeholder,
            };
            self.queue.push(now, event);
        }
    }
    /// One more node, with nothing waiting for it.
    pub fn add_node(&mut self) {
        self.paused.push(Vec::new());
    }

    /// The paused node crashed: the messages that waited for it are lost (returned), and so
    /// are the client requests (their clients time out).
    pub fn crash(&mut self, node: NodeId) -> Vec<Envelope<M>> {
        (std::mem::take(&mut self.paused[node]).into_iter())
            .filter_map(|w| match w {
                Waiting::Msg(env) => Some(env),
                _ => None,
            })
            .collect()
    }

    // ---- messages, wherever they are ----
    /// Every message on its way, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Envelope<M>> {
        let paused = self.paused.iter().flatten().filter_map(|w| match w {
            Waiting::Msg(env) => Some(env),
            _ => None,
        });
        self.queue.messages().chain(&self.held).chain(paused)
    }
    fn iter_mut(&mut self) -> impl Iterator<Item = &mut Envelope<M>> {
        let paused = self.paused.iter_mut().flatten().filter_map(|w| match w {
            Waiting::Msg(env) => Some(env),
            _ => None,
        });
        (self.queue.messages_mut())
            .chain(&mut self.held)
            .chain(paused)
    }
    /// Every message on its way, by id.
    pub fn sorted(&self) -> Vec<&Envelope<M>> {
        let mut all: Vec<_> = self.iter().collect();
        all.sort_unstable_by_key(|e| e.id);
        all
    }
    pub fn get(&self, id: MsgId) -> Option<&Envelope<M>> {
        self.iter().find(|e| e.id == id)
    }
    /// Take a message off the bus, leaving a placeholder where it waited.
    pub fn take(&mut self, id: MsgId) -> Option<Envelope<M>> {
        if let Some(i) = self.held.iter().position(|e| e.id == id) {
            return Some(self.held.remove(i));
        }
        if let Some(env) = self.queue.take_message(id) {
            return Some(env);
        }
        let w = (self.paused.iter_mut().flatten())
            .find(|w| matches!(w, Waiting::Msg(env) if env.id == id))?;
        match std::mem::replace(w, Waiting::Placeholder) {
            Waiting::Msg(env) => Some(env),
            _ => unreachable!("matched a message above"),
        }
    }
    /// Keep a message from being delivered until released. Returns whether it was on its way.
    pub fn hold(&mut self, id: MsgId) -> bool {
        self.iter_mut()
            .find(|e| e.id == id)
            .map(|e| e.held = true)
            .is_some()
    }
    /// Let a held message go on: one whose time has come is due now; one still queued keeps its
    /// place.
    pub fn release(&mut self, id: MsgId, now: u64) {
        if let Some(i) = self.held.iter().position(|e| e.id == id) {
            let mut env = self.held.remove(i);
            env.held = false;
            self.queue.push(now, Event::Deliver(env));
        } else if let Some(e) = self.iter_mut().find(|e| e.id == id && e.held) {
            e.held = false;
        }
    }
    /// The ids of every held message, in order.
    pub fn held_ids(&self) -> Vec<MsgId> {
        self.sorted()
            .into_iter()
            .filter(|e| e.held)
            .map(|e| e.id)
            .collect()
    }
}
