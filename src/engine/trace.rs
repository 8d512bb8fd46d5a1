//! The trace: every send, delivery, drop, fault and node report, stamped with virtual time.
//!
//! A busy run records hundreds of thousands of events, most of them sends and deliveries, so
//! the trace packs those as variable-length integers (about 23 bytes a delivered message
//! instead of two 104-byte enum values) and keeps only notes and rare events as values.
//! Reading it gives back the same `TraceEvent`s that were recorded.

use super::kv::{KvOp, KvReply};
use super::network::MsgId;
use super::describe::MessageKind;
use super::node::{MsgSummary, NodeId};
use super::scenario::Action;
use serde::{Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[repr(u8)]
pub enum DropReason {
    /// Lost by the link's loss probability.
    Loss,
    /// The link was cut when the message was sent or due.
    Partition,
    /// The receiver was down.
    NodeDown,
    /// The user dropped it.
    User,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum TraceKind<N> {
    Send {
        id: MsgId,
        from: NodeId,
        to: NodeId,
        msg: MsgSummary,
        deliver_at: u64,
    },
    Deliver {
        id: MsgId,
        from: NodeId,
        to: NodeId,
    },
    Drop {
        id: MsgId,
        from: NodeId,
        to: NodeId,
        reason: DropReason,
    },
    Duplicate {
        id: MsgId,
        of: MsgId,
        deliver_at: u64,
    },
    /// A user action or scheduled fault.
    Action {
        action: Action,
    },
    /// Something a node reported (role change, entry applied, library log line…).
    Note {
        node: NodeId,
        note: N,
    },
    Invoke {
        client: usize,
        op: usize,
        node: NodeId,
        kv: KvOp,
    },
    Reply {
        client: usize,
        op: usize,
        node: NodeId,
        reply: KvReply,
    },
    Timeout {
        client: usize,
        op: usize,
    },
}

#[derive(Clone, Debug, Serialize)]
pub struct TraceEvent<N> {
    pub t: u64,
    #[serde(flatten)]
    pub kind: TraceKind<N>,
}

/// A list stored in fixed-size chunks: growing it never copies what it holds (a trace of a
/// long run is many megabytes) and indexing stays a shift and a mask.
struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

/// Values a list chunk holds: chunks stay small enough (tens of KB) for the allocator to
/// recycle from its heap instead of mapping fresh pages for each.
const LIST_CHUNK_BITS: u32 = 10;
const LIST_CHUNK: usize = 1 << LIST_CHUNK_BITS;
/// Bytes in a chunk of packed events.
const CHUNK: usize = 1 << 14;

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    fn push(&mut self, v: T) {
        if self.len.is_multiple_of(LIST_CHUNK) {
            // The first chunk grows as needed, so a short trace stays small (a rewind builds
            // a fresh world; the page holds one or two); later ones are allocated whole.
            let room = if self.chunks.is_empty() {
                0
            } else {
                LIST_CHUNK
            };
            self.chunks.push(Vec::with_capacity(room));
        }
        self.chunks.last_mut().expect("a chunk with room").push(v);
        self.len += 1;
    }
    fn len(&self) -> usize {
        self.len
    }
}

impl<T> std::ops::Index<usize> for Chunked<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.chunks[i >> LIST_CHUNK_BITS][i & (LIST_CHUNK - 1)]
    }
}

/// Tags of the packed events. Notes and rare events have their payload in a side list.
const SEND: u8 = 0;
const DELIVER: u8 = 1;
const DROP: u8 = 2;
const DUPLICATE: u8 = 3;
const NOTE: u8 = 4;
const OTHER: u8 = 5;
/// The usual send and delivery, whose fields all fit fixed small widths, in a fixed layout:
/// written with a few stores instead of a loop per field.
const SEND_SMALL: u8 = 6;
const DELIVER_SMALL: u8 = 7;
const REASONS: [DropReason; 4] = [
    DropReason::Loss,
    DropReason::Partition,
    DropReason::NodeDown,
    DropReason::User,
];

/// The recorded events of a run, in order.
pub struct Trace<N> {
    /// Packed events in chunks of CHUNK bytes; an event never straddles two. The chunk being
    /// written is apart from the full ones, so writing reaches it without an index.
    full: Vec<(Box<[u8]>, usize)>,
    current: Box<[u8]>,
    used: usize,
    notes: Chunked<N>,
    others: Chunked<TraceKind<N>>,
    /// The protocol's message kinds: a packed send holds its kind's code, a position here.
    kinds: &'static [MessageKind],
    len: usize,
    /// Time of the last event and highest message id so far: later ones are packed as
    /// differences from them, which are small.
    last_t: u64,
    top_id: MsgId,
}

impl<N> Trace<N> {
    /// An empty trace of a protocol with these message kinds.
    pub fn new(kinds: &'static [MessageKind]) -> Self {
        Trace {
            full: Vec::new(),
            current: Box::default(),
            used: 0,
            notes: Chunked::default(),
            others: Chunked::default(),
            kinds,
            len: 0,
            last_t: 0,
            top_id: 0,
        }
    }
}

/// The longest packed event: a send, eleven integers of at most ten bytes each and a flag.
const MAX_EVENT: usize = 112;

/// Writes one event into a chunk that has room for it. The position is counted in a local
/// and added to the chunk's use when the packer is dropped: counting through the reference
/// directly cost a load and a store per byte.
struct Packer<'a> {
    buf: &'a mut [u8; MAX_EVENT],
    len: usize,
    used: &'a mut usize,
    top_id: &'a mut MsgId,
}

impl Packer<'_> {
    #[inline(always)]
    fn byte(&mut self, b: u8) {
        self.buf[self.len] = b;
        self.len += 1;
    }
    /// Message ids relative to the highest so far: zigzag, so that both a new (higher) id
    /// and an older one (a delivery) stay small.
    #[inline(always)]
    fn id(&mut self, id: MsgId) {
        let d = id_delta(self.top_id, id);
        self.put(d);
    }
    #[inline(always)]
    fn fixed<const K: usize>(&mut self, bytes: [u8; K]) {
        self.buf[self.len..self.len + K].copy_from_slice(&bytes);
        self.len += K;
    }
    /// LEB128: seven bits a byte, high bit set on all but the last.
    #[inline(always)]
    fn put(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.byte(v as u8 | 0x80);
            v >>= 7;
        }
        self.byte(v as u8);
    }
}

impl Drop for Packer<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        *self.used += self.len;
    }
}

fn zigzag(d: i64) -> u64 {
    ((d << 1) ^ (d >> 63)) as u64
}

/// The packed form of message id `id`, given the highest so far (which it updates).
#[inline(always)]
fn id_delta(top_id: &mut MsgId, id: MsgId) -> u64 {
    let d = zigzag(id.wrapping_sub(*top_id) as i64);
    *top_id = (*top_id).max(id);
    d
}

impl<N> Trace<N> {
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Every note nodes reported, in order.
    pub fn note_count(&self) -> usize {
        self.notes.len()
    }
    /// The notes from the `from`-th on.
    pub fn notes_from(&self, from: usize) -> impl Iterator<Item = &N> {
        (from..self.notes.len()).map(|i| &self.notes[i])
    }

    /// Start packing an event at time `t`; times never go backwards.
    #[inline(always)]
    fn start(&mut self, t: u64, tag: u8) -> Packer<'_> {
        debug_assert!(t >= self.last_t, "trace times never go backwards");
        self.len += 1;
        if self.current.len() - self.used < MAX_EVENT {
            self.next_chunk();
        }
        let dt = t - self.last_t;
        self.last_t = t;
        let room = &mut self.current[self.used..self.used + MAX_EVENT];
        let mut p = Packer {
            buf: room.try_into().expect("a chunk keeps room for one event"),
            len: 0,
            used: &mut self.used,
            top_id: &mut self.top_id,
        };
        p.byte(tag);
        p.put(dt);
        p
    }

    #[inline(never)]
    fn next_chunk(&mut self) {
        let full = std::mem::replace(&mut self.current, vec![0; CHUNK].into_boxed_slice());
        if !full.is_empty() {
            self.full.push((full, self.used));
        }
        self.used = 0;
    }

    /// The used part of chunk `i`.
    fn chunk(&self, i: usize) -> Option<&[u8]> {
        match self.full.get(i) {
            Some((bytes, used)) => Some(&bytes[..*used]),
            None => (i == self.full.len()).then(|| &self.current[..self.used]),
        }
    }

    /// Record a send (the commonest event, so it has its own entry point).
    pub fn send(
        &mut self,
        t: u64,
        id: MsgId,
        from: NodeId,
        to: NodeId,
        msg: &MsgSummary,
        deliver_at: u64,
    ) {
        debug_assert!(
            std::ptr::eq(&self.kinds[msg.kind.code as usize], msg.kind),
            "a message kind from the protocol's own table"
        );
        let kind = msg.kind.code;
        let after = deliver_at.wrapping_sub(t);
        let id = id_delta(&mut self.top_id, id);
        let [n0, n1, n2, n3] = msg.numbers;
        let small = (id as usize | from | to | msg.entries as usize) <= 0xff
            && after <= 0xffff
            && n0 | n1 | n2 | n3 <= 0xffff_ffff;
        let mut p = self.start(t, if small { SEND_SMALL } else { SEND });
        if small {
            let [a0, a1, ..] = (after as u16).to_le_bytes();
            let [b0, b1, b2, b3, ..] = (n0 as u32).to_le_bytes();
            let [c0, c1, c2, c3, ..] = (n1 as u32).to_le_bytes();
            let [d0, d1, d2, d3, ..] = (n2 as u32).to_le_bytes();
            let [e0, e1, e2, e3, ..] = (n3 as u32).to_le_bytes();
            p.fixed([
                id as u8,
                from as u8,
                to as u8,
                kind,
                msg.entries as u8,
                msg.reject as u8,
                a0,
                a1,
                b0,
                b1,
                b2,
                b3,
                c0,
                c1,
                c2,
                c3,
                d0,
                d1,
                d2,
                d3,
                e0,
                e1,
                e2,
                e3,
            ]);
            return;
        }
        p.put(id);
        p.put(from as u64);
        p.put(to as u64);
        p.put(kind as u64);
        for v in msg.numbers {
            p.put(v);
        }
        p.put(msg.entries as u64);
        p.byte(msg.reject as u8);
        p.put(after);
    }

    /// Record a delivery.
    pub fn deliver(&mut self, t: u64, id: MsgId, from: NodeId, to: NodeId) {
        let id = id_delta(&mut self.top_id, id);
        let small = from | to <= 0xff && id <= 0xffff;
        let mut p = self.start(t, if small { DELIVER_SMALL } else { DELIVER });
        if small {
            let [i0, i1, ..] = (id as u16).to_le_bytes();
            p.fixed([i0, i1, from as u8, to as u8]);
            return;
        }
        p.put(id);
        p.put(from as u64);
        p.put(to as u64);
    }

    /// Record a node's note.
    pub fn note(&mut self, t: u64, node: NodeId, note: N) {
        self.start(t, NOTE).put(node as u64);
        self.notes.push(note);
    }

    /// Record any event.
    pub fn push(&mut self, t: u64, kind: TraceKind<N>) {
        match kind {
            TraceKind::Send {
                id,
                from,
                to,
                msg,
                deliver_at,
            } => self.send(t, id, from, to, &msg, deliver_at),
            TraceKind::Deliver { id, from, to } => self.deliver(t, id, from, to),
            TraceKind::Drop {
                id,
                from,
                to,
                reason,
            } => {
                let mut p = self.start(t, DROP);
                p.id(id);
                p.put(from as u64);
                p.put(to as u64);
                p.byte(reason as u8);
            }
            TraceKind::Duplicate { id, of, deliver_at } => {
                let mut p = self.start(t, DUPLICATE);
                p.id(id);
                p.id(of);
                p.put(deliver_at.wrapping_sub(t));
            }
            TraceKind::Note { node, note } => self.note(t, node, note),
            other => {
                self.start(t, OTHER);
                self.others.push(other);
            }
        }
    }

    pub fn iter(&self) -> TraceIter<'_, N> {
        TraceIter {
            trace: self,
            chunk: 0,
            bytes: self.chunk(0).unwrap_or_default(),
            at: 0,
            notes: 0,
            others: 0,
            t: 0,
            top_id: 0,
        }
    }
}

/// Reads the trace back, event by event.
pub struct TraceIter<'a, N> {
    trace: &'a Trace<N>,
    /// Position: chunk, its used bytes, and the byte within it.
    chunk: usize,
    bytes: &'a [u8],
    at: usize,
    notes: usize,
    others: usize,
    t: u64,
    top_id: MsgId,
}

impl<N> TraceIter<'_, N> {
    fn get(&mut self) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = self.byte();
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    }
    fn node(&mut self) -> NodeId {
        self.get() as NodeId
    }
    fn id(&mut self) -> MsgId {
        let z = self.get();
        self.id_from(z)
    }
    fn id_from(&mut self, z: u64) -> MsgId {
        let d = ((z >> 1) as i64) ^ -((z & 1) as i64);
        let id = self.top_id.wrapping_add(d as u64);
        self.top_id = self.top_id.max(id);
        id
    }
    fn byte(&mut self) -> u8 {
        self.at += 1;
        self.bytes[self.at - 1]
    }
    /// A send, in its small fixed layout or as variable-length integers.
    fn send(&mut self, small: bool, t: u64) -> TraceKind<N> {
        let (id, from, to, after, mut msg);
        if small {
            let z = self.fixed(1);
            id = self.id_from(z);
            (from, to) = (self.fixed(1) as NodeId, self.fixed(1) as NodeId);
            msg = MsgSummary::new(&self.trace.kinds[self.fixed(1) as usize]);
            (msg.entries, msg.reject) = (self.fixed(1) as u32, self.fixed(1) != 0);
            after = self.fixed(2);
            msg.numbers = [self.fixed(4), self.fixed(4), self.fixed(4), self.fixed(4)];
        } else {
            (id, from, to) = (self.id(), self.node(), self.node());
            msg = MsgSummary::new(&self.trace.kinds[self.get() as usize]);
            msg.numbers = [self.get(), self.get(), self.get(), self.get()];
            (msg.entries, msg.reject) = (self.get() as u32, self.byte() != 0);
            after = self.get();
        }
        TraceKind::Send {
            id,
            from,
            to,
            msg,
            deliver_at: t.wrapping_add(after),
        }
    }
    /// A little-endian integer of `k` bytes.
    fn fixed(&mut self, k: usize) -> u64 {
        (0..k).fold(0, |v, i| v | u64::from(self.byte()) << (8 * i))
    }
}

impl<N: Clone> Iterator for TraceIter<'_, N> {
    type Item = TraceEvent<N>;

    fn next(&mut self) -> Option<TraceEvent<N>> {
        if self.at == self.bytes.len() {
            self.chunk += 1;
            self.at = 0;
            self.bytes = self.trace.chunk(self.chunk)?;
            if self.bytes.is_empty() {
                return None;
            }
        }
        let tag = self.byte();
        self.t += self.get();
        let t = self.t;
        let kind = match tag {
            SEND | SEND_SMALL => self.send(tag == SEND_SMALL, t),
            DELIVER_SMALL => {
                let id = self.fixed(2);
                TraceKind::Deliver {
                    id: self.id_from(id),
                    from: self.fixed(1) as NodeId,
                    to: self.fixed(1) as NodeId,
                }
            }
            DELIVER => TraceKind::Deliver {
                id: self.id(),
                from: self.node(),
                to: self.node(),
            },
            DROP => TraceKind::Drop {
                id: self.id(),
                from: self.node(),
                to: self.node(),
                reason: REASONS[self.byte() as usize],
            },
            DUPLICATE => TraceKind::Duplicate {
                id: self.id(),
                of: self.id(),
                deliver_at: t.wrapping_add(self.get()),
            },
            NOTE => {
                self.notes += 1;
                TraceKind::Note {
                    node: self.node(),
                    note: self.trace.notes[self.notes - 1].clone(),
                }
            }
            _ => {
                self.others += 1;
                self.trace.others[self.others - 1].clone()
            }
        };
        Some(TraceEvent { t, kind })
    }
}

impl<'a, N: Clone> IntoIterator for &'a Trace<N> {
    type Item = TraceEvent<N>;
    type IntoIter = TraceIter<'a, N>;
    fn into_iter(self) -> TraceIter<'a, N> {
        self.iter()
    }
}

/// Serializes as the list of events it holds.
impl<N: Clone + Serialize> Serialize for Trace<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::engine::Shape;

    /// Two kinds whose numbers are all labelled, so that the JSON shows every one.
    const KINDS: [MessageKind; 2] = [kind(0, "append"), kind(1, "vote")];
    const APPEND: &MessageKind = &KINDS[0];
    const VOTE: &MessageKind = &KINDS[1];

    const fn kind(code: u8, label: &'static str) -> MessageKind {
        MessageKind {
            code,
            label,
            colour: "",
            shape: Shape::Circle,
            response: false,
            grants: false,
            numbers: ["a", "b", "c", "d"],
        }
    }

    fn summary(kind: &'static MessageKind, big: u64) -> MsgSummary {
        MsgSummary {
            kind,
            numbers: [big, 3, u64::MAX, 0],
            entries: u32::MAX,
            reject: true,
        }
    }

    /// Every kind of event, ids going up and back down, extreme values: reading the trace
    /// gives back exactly what was recorded.
    #[test]
    fn reads_back_every_event_as_recorded() {
        let events: Vec<TraceEvent<String>> = [
            (
                0,
                TraceKind::Send {
                    id: 1,
                    from: 0,
                    to: 300,
                    msg: summary(APPEND, 7),
                    deliver_at: 5,
                },
            ),
            (
                0,
                TraceKind::Send {
                    id: 2,
                    from: 300,
                    to: 0,
                    msg: summary(VOTE, u64::MAX),
                    deliver_at: 0,
                },
            ),
            (
                3,
                TraceKind::Duplicate {
                    id: 3,
                    of: 1,
                    deliver_at: 9,
                },
            ),
            (
                4,
                TraceKind::Deliver {
                    id: 1,
                    from: 0,
                    to: 300,
                },
            ),
            (
                4,
                TraceKind::Note {
                    node: 2,
                    note: "leader".to_string(),
                },
            ),
            (
                4,
                TraceKind::Action {
                    action: Action::Heal,
                },
            ),
            (
                u64::MAX / 2,
                TraceKind::Drop {
                    id: 3,
                    from: 0,
                    to: 300,
                    reason: DropReason::User,
                },
            ),
            (
                u64::MAX / 2,
                TraceKind::Drop {
                    id: 2,
                    from: 300,
                    to: 0,
                    reason: DropReason::NodeDown,
                },
            ),
            (
                u64::MAX,
                TraceKind::Send {
                    id: u64::MAX,
                    from: 1,
                    to: 2,
                    msg: summary(APPEND, 1),
                    deliver_at: u64::MAX,
                },
            ),
            (u64::MAX, TraceKind::Timeout { client: 4, op: 9 }),
            // The fixed small forms, at the edges of what they hold and just past them.
            (
                u64::MAX,
                TraceKind::Send {
                    id: u64::MAX,
                    from: 255,
                    to: 0,
                    msg: MsgSummary {
                        kind: VOTE,
                        numbers: [0xffff_ffff, 0xffff_fffe, 0, 0xffff_ffff],
                        entries: 255,
                        reject: true,
                    },
                    deliver_at: u64::MAX,
                },
            ),
            (
                u64::MAX,
                TraceKind::Send {
                    id: u64::MAX,
                    from: 1,
                    to: 255,
                    msg: MsgSummary {
                        kind: APPEND,
                        numbers: [1, 0, 0x1_0000_0000, 7],
                        entries: 256,
                        reject: false,
                    },
                    deliver_at: u64::MAX,
                },
            ),
            (
                u64::MAX,
                TraceKind::Deliver {
                    id: u64::MAX - 30_000,
                    from: 255,
                    to: 3,
                },
            ),
            (
                u64::MAX,
                TraceKind::Deliver {
                    id: u64::MAX - 40_000,
                    from: 255,
                    to: 3,
                },
            ),
            (
                u64::MAX,
                TraceKind::Deliver {
                    id: u64::MAX - 20,
                    from: 256,
                    to: 3,
                },
            ),
            (
                u64::MAX,
                TraceKind::Deliver {
                    id: 1,
                    from: 2,
                    to: 3,
                },
            ),
            (
                u64::MAX,
                TraceKind::Note {
                    node: 0,
                    note: "follower".to_string(),
                },
            ),
        ]
        .into_iter()
        .map(|(t, kind)| TraceEvent { t, kind })
        .collect();
        let mut trace = Trace::new(&KINDS);
        for e in events.clone() {
            trace.push(e.t, e.kind);
        }
        assert_eq!(trace.len(), events.len());
        assert!(trace.notes_from(1).eq(["follower"].iter()));
        assert_eq!(
            serde_json::to_string(&trace).unwrap(),
            serde_json::to_string(&events).unwrap()
        );
    }
}
