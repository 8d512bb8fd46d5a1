//! The event queue: ordered by virtual time, then by insertion, so ties replay identically.

use super::client::ClientId;
use super::in_flight::Envelope;
use super::kv::{KvOp, KvReply};
use super::network::MsgId;
use super::node::NodeId;
use super::scenario::Action;
use std::collections::{BTreeMap, VecDeque};

/// A message in flight travels inside its delivery event: the queue is the one place that
/// holds it until it is due, so sending and delivering touch no other table.
#[derive(Debug)]
pub(crate) enum Event<M> {
    Deliver(Envelope<M>),
    /// What is left of a delivery the user dropped: it still takes its turn, so the run's
    /// step count (which user actions are stamped with) does not change.
    Placeholder,
    Tick {
        node: NodeId,
        epoch: u64,
    },
    ClientArrive {
        node: NodeId,
        /// The request id, and the operation itself: by the time it arrives the client may
        /// have given up on it, and a long session forgotten it.
        req: u64,
        op: Box<KvOp>,
    },
    ClientReply {
        node: NodeId,
        req: u64,
        reply: KvReply,
    },
    /// A load client's think time is over.
    ClientThink {
        client: ClientId,
    },
    /// A client's back-off before retrying operation `op` is over.
    ClientRetry {
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

/// Events by due time; events due at the same time stay in the order they were pushed.
///
/// A calendar: almost every event falls due within a few hundred milliseconds, so those sit
/// in a ring of per-millisecond slots (pushing and popping is indexing, not a tree search);
/// the few due later wait in a tree and move into the ring as their time comes near, before
/// anything else can be pushed to their slot, so ties keep their order. A slot the cursor
/// leaves hands its buffer on to the next slot that needs one, so the few buffers in use
/// stay in the cache instead of one per slot going cold.
pub(crate) struct Queue<M> {
    /// Slot `t % RING` holds the events due at `t`, for `cursor <= t < cursor + RING`.
    ring: Vec<VecDeque<Event<M>>>,
    /// No event is due before this time.
    cursor: u64,
    /// Events in the ring.
    near: usize,
    /// Events due at `cursor + RING` or later.
    far: BTreeMap<u64, VecDeque<Event<M>>>,
    spare: Vec<VecDeque<Event<M>>>,
}

const RING: u64 = 512;

impl<M> Default for Queue<M> {
    fn default() -> Self {
        Queue {
            ring: (0..RING).map(|_| VecDeque::new()).collect(),
            cursor: 0,
            near: 0,
            far: BTreeMap::new(),
            spare: Vec::new(),
        }
    }
}

impl<M> Queue<M> {
    /// Events are never pushed into the past: `at` is at least the time last popped.
    #[inline]
    pub fn push(&mut self, at: u64, event: Event<M>) {
        debug_assert!(at >= self.cursor, "an event pushed into the past");
        if at < self.cursor + RING {
            let slot = &mut self.ring[(at % RING) as usize];
            if slot.capacity() == 0 {
                // A recently emptied buffer is still in the cache.
                *slot = self.spare.pop().unwrap_or_default();
            }
            slot.push_back(event);
            self.near += 1;
        } else {
            self.push_far(at, event);
        }
    }
    #[inline(never)]
    fn push_far(&mut self, at: u64, event: Event<M>) {
        let spare = &mut self.spare;
        (self.far.entry(at))
            .or_insert_with(|| spare.pop().unwrap_or_default())
            .push_back(event);
    }
    pub fn peek_time(&self) -> Option<u64> {
        if self.near == 0 {
            return self.far.first_key_value().map(|(&at, _)| at);
        }
        (self.cursor..).find(|&t| !self.ring[(t % RING) as usize].is_empty())
    }
    /// The next event if it is due at or before `t`.
    #[inline]
    pub fn pop_until(&mut self, t: u64) -> Option<(u64, Event<M>)> {
        // The slot at the cursor holds only events due at the cursor.
        if self.cursor <= t {
            if let Some(event) = self.ring[(self.cursor % RING) as usize].pop_front() {
                self.near -= 1;
                return Some((self.cursor, event));
            }
        }
        self.pop_later(t)
    }
    /// Move the cursor to the next time anything is due, if that is by `t`, and pop there.
    #[inline(never)]
    fn pop_later(&mut self, t: u64) -> Option<(u64, Event<M>)> {
        let at = self.peek_time().filter(|&at| at <= t)?;
        // The slot left behind is empty: its buffer goes to the next slot that needs one.
        let left = std::mem::take(&mut self.ring[(self.cursor % RING) as usize]);
        self.recycle(left);
        self.cursor = at;
        self.bring_near();
        self.pop_until(t)
    }
    /// Move the far events that are now within the ring's reach into it.
    fn bring_near(&mut self) {
        while let Some(entry) = self.far.first_entry() {
            let at = *entry.key();
            if at >= self.cursor + RING {
                break;
            }
            let events = entry.remove();
            self.near += events.len();
            let slot = &mut self.ring[(at % RING) as usize];
            debug_assert!(slot.is_empty(), "nothing is pushed to a slot beyond reach");
            let emptied = std::mem::replace(slot, events);
            self.recycle(emptied);
        }
    }
    /// Keep an emptied buffer for the next slot that needs one (a never-used one holds nothing).
    fn recycle(&mut self, emptied: VecDeque<Event<M>>) {
        if emptied.capacity() > 0 {
            self.spare.push(emptied);
        }
    }
    fn all_mut(&mut self) -> impl Iterator<Item = &mut Event<M>> {
        self.ring.iter_mut().chain(self.far.values_mut()).flatten()
    }
    /// Messages waiting for their delivery time.
    pub fn messages(&self) -> impl Iterator<Item = &Envelope<M>> {
        (self.ring.iter().chain(self.far.values()).flatten()).filter_map(|e| match e {
            Event::Deliver(env) => Some(env),
            _ => None,
        })
    }
    pub fn messages_mut(&mut self) -> impl Iterator<Item = &mut Envelope<M>> {
        self.all_mut().filter_map(|e| match e {
            Event::Deliver(env) => Some(env),
            _ => None,
        })
    }
    /// Take the message out of its delivery event, leaving a stale event in its place.
    pub fn take_message(&mut self, id: MsgId) -> Option<Envelope<M>> {
        let ev = (self.all_mut()).find(|e| matches!(e, Event::Deliver(env) if env.id == id))?;
        match std::mem::replace(ev, Event::Placeholder) {
            Event::Deliver(env) => Some(env),
            _ => unreachable!("matched a delivery above"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Rng;
    use rand::{Rng as _, SeedableRng};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Most events are deliveries, so a delivery's envelope sets the size of every event; a
    /// client reply travels unboxed because its fields fit in that size.
    #[test]
    fn a_client_reply_fits_in_a_delivery() {
        use std::mem::size_of;
        assert!(size_of::<(NodeId, u64, KvReply)>() <= size_of::<Envelope<Box<u8>>>());
    }

    /// Against a plain ordered map of (time, push order): pushes near and far (beyond the
    /// ring), ties, and pops interleaved, the calendar pops exactly the same sequence.
    #[test]
    fn pops_in_time_then_push_order_like_an_ordered_map() {
        let mut rng = Rng::seed_from_u64(5);
        let mut q: Queue<()> = Queue::default();
        let mut model = BTreeMap::new();
        let mut now = 0;
        for seq in 0..20_000u64 {
            if rng.gen_bool(0.55) {
                let at = now
                    + match rng.gen_range(0..10) {
                        0 => 0,
                        1 => RING - 1 + rng.gen_range(0..3),
                        2 => rng.gen_range(RING..10 * RING),
                        _ => rng.gen_range(0..20),
                    };
                q.push(
                    at,
                    Event::Tick {
                        node: 0,
                        epoch: seq,
                    },
                );
                model.insert((at, seq), ());
            } else {
                let due = model.first_key_value().map(|(&(at, _), ())| at);
                assert_eq!(q.peek_time(), due);
                // Popping only what is due by a bound pops nothing before that time comes.
                let by = if rng.gen_bool(0.2) {
                    now + rng.gen_range(0..5)
                } else {
                    u64::MAX
                };
                let expected = match due {
                    Some(at) if at <= by => model.pop_first().map(|((at, seq), ())| (at, seq)),
                    _ => None,
                };
                let got = q.pop_until(by).map(|(at, ev)| match ev {
                    Event::Tick { epoch, .. } => (at, epoch),
                    _ => unreachable!(),
                });
                assert_eq!(got, expected);
                now = got.map_or(now, |g| g.0);
            }
        }
    }
}
