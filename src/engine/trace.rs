//! The trace: every send, delivery, drop, fault and node report, stamped with virtual time.
//!
//! A busy run records hundreds of thousands of events, most of them sends and deliveries, so
//! the trace packs those in the layouts below (about 32 bytes a delivered message instead of
//! two 104-byte enum values) and keeps only notes and rare events as values. Reading it gives
//! back the same `TraceEvent`s that were recorded.

use super::describe::MessageKind;
use super::kv::{KvOp, KvReply};
use super::network::MsgId;
use super::node::{MsgSummary, NodeId};
use super::packed::{put_var, Layout, Reader, Width};
use super::scenario::Action;
use serde::{Serialize, Serializer};
use std::collections::VecDeque;

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
/// long run is many megabytes) and indexing stays a shift and a mask. Its oldest chunks can be
/// forgotten; positions stay those of the whole list.
#[derive(Clone)]
struct Chunked<T> {
    chunks: VecDeque<Vec<T>>,
    /// Chunks forgotten from the front.
    forgotten: usize,
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
            chunks: VecDeque::new(),
            forgotten: 0,
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    fn push(&mut self, v: T) {
        if self.len.is_multiple_of(LIST_CHUNK) {
            // The first chunk grows as needed, so a short trace stays small (a rewind builds
            // a fresh world; the page holds one or two); later ones are allocated whole.
            let room = if self.len == 0 { 0 } else { LIST_CHUNK };
            self.chunks.push_back(Vec::with_capacity(room));
        }
        self.chunks.back_mut().expect("a chunk with room").push(v);
        self.len += 1;
    }
    fn len(&self) -> usize {
        self.len
    }
    /// The first position still held.
    fn first(&self) -> usize {
        self.forgotten << LIST_CHUNK_BITS
    }
    /// Forget the chunks that hold only positions before `n`.
    fn forget_before(&mut self, n: usize) {
        while !self.chunks.is_empty() && (self.forgotten + 1) << LIST_CHUNK_BITS <= n {
            self.chunks.pop_front();
            self.forgotten += 1;
        }
    }
}

impl<T> std::ops::Index<usize> for Chunked<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.chunks[(i >> LIST_CHUNK_BITS) - self.forgotten][i & (LIST_CHUNK - 1)]
    }
}

use Width::{Bytes, Var};

/// The packed records, each defined once. A send is `[id, from, to, kind, entries, reject,
/// after, n0, n1, n2, n3]` (ids relative to the highest so far, `after` the time until it is
/// due); the usual one, whose fields all fit small widths, in fixed widths written with a few
/// stores. Notes and rare events keep their payload in a side list.
const SEND: Layout<11> = Layout {
    tag: 0,
    fields: [Var, Var, Var, Var, Var, Bytes(1), Var, Var, Var, Var, Var],
};
const SEND_SMALL: Layout<11> = Layout {
    tag: 1,
    fields: [
        Bytes(1),
        Bytes(1),
        Bytes(1),
        Bytes(1),
        Bytes(1),
        Bytes(1),
        Bytes(2),
        Bytes(4),
        Bytes(4),
        Bytes(4),
        Bytes(4),
    ],
};
/// `[id, from, to]`.
const DELIVER: Layout<3> = Layout {
    tag: 2,
    fields: [Var, Var, Var],
};
const DELIVER_SMALL: Layout<3> = Layout {
    tag: 3,
    fields: [Bytes(2), Bytes(1), Bytes(1)],
};
/// `[id, from, to, reason]`.
const DROP: Layout<4> = Layout {
    tag: 4,
    fields: [Var, Var, Var, Bytes(1)],
};
/// `[id, of, after]`.
const DUPLICATE: Layout<3> = Layout {
    tag: 5,
    fields: [Var, Var, Var],
};
/// `[node]`; the note itself is in the side list.
const NOTE: Layout<1> = Layout {
    tag: 6,
    fields: [Var],
};
/// The event itself is in the side list.
const OTHER: Layout<0> = Layout { tag: 7, fields: [] };

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// The longest packed record.
const MAX_EVENT: usize = max(
    max(
        max(SEND.max_len(), SEND_SMALL.max_len()),
        max(DELIVER.max_len(), DELIVER_SMALL.max_len()),
    ),
    max(
        max(DROP.max_len(), DUPLICATE.max_len()),
        max(NOTE.max_len(), OTHER.max_len()),
    ),
);

const REASONS: [DropReason; 4] = [
    DropReason::Loss,
    DropReason::Partition,
    DropReason::NodeDown,
    DropReason::User,
];

/// What reading from the start of a chunk needs to know of the events before it.
#[derive(Clone, Copy, Default)]
struct Start {
    t: u64,
    top_id: MsgId,
    notes: usize,
    others: usize,
}

/// The recorded events of a run, in order; if it has a window, only the latest of them.
#[derive(Clone)]
pub struct Trace<N> {
    /// Packed events in chunks of CHUNK bytes (with the used length and where the chunk
    /// starts); an event never straddles two. The chunk being written is apart from the full
    /// ones, so writing reaches it without an index.
    full: VecDeque<(Box<[u8]>, usize, Start)>,
    current: Box<[u8]>,
    current_start: Start,
    used: usize,
    /// At most this many full chunks are kept, the oldest forgotten first (with the notes and
    /// rare events recorded only before them).
    window: Option<usize>,
    /// The time from which events are kept, once older ones were forgotten.
    kept_from: Option<u64>,
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
            full: VecDeque::new(),
            current: Box::default(),
            current_start: Start::default(),
            used: 0,
            window: None,
            kept_from: None,
            notes: Chunked::default(),
            others: Chunked::default(),
            kinds,
            len: 0,
            last_t: 0,
            top_id: 0,
        }
    }
}

fn zigzag(d: i64) -> u64 {
    ((d << 1) ^ (d >> 63)) as u64
}

/// The packed form of message id `id`: zigzag of its difference from the highest so far
/// (which it updates), so that both a new (higher) id and an older one (a delivery) stay small.
#[inline(always)]
fn id_delta(top_id: &mut MsgId, id: MsgId) -> u64 {
    let d = zigzag(id.wrapping_sub(*top_id) as i64);
    *top_id = (*top_id).max(id);
    d
}

/// The id a packed id stands for, given the highest so far (which it updates).
fn id_from(top_id: &mut MsgId, z: u64) -> MsgId {
    let d = ((z >> 1) as i64) ^ -((z & 1) as i64);
    let id = top_id.wrapping_add(d as u64);
    *top_id = (*top_id).max(id);
    id
}

impl<N> Trace<N> {
    /// Keep only the latest events, about `bytes` of them in packed form (sends, deliveries and
    /// the like; the notes and rare events among them come on top), so that a long run's trace
    /// stays bounded. `None` keeps everything.
    pub fn set_window(&mut self, bytes: Option<usize>) {
        self.window = bytes.map(|b| (b / CHUNK).max(1));
    }
    pub fn window(&self) -> Option<usize> {
        self.window.map(|chunks| chunks * CHUNK)
    }
    /// Since when events are kept, if older ones were forgotten.
    pub fn kept_from(&self) -> Option<u64> {
        self.kept_from
    }
    /// Events recorded, including any forgotten since.
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Notes nodes reported, including any forgotten since.
    pub fn note_count(&self) -> usize {
        self.notes.len()
    }
    /// The notes from the `from`-th on (those still kept).
    pub fn notes_from(&self, from: usize) -> impl Iterator<Item = &N> {
        (from.max(self.notes.first())..self.notes.len()).map(|i| &self.notes[i])
    }

    /// Pack one record at time `t` (times never go backwards).
    #[inline(always)]
    fn write<const K: usize>(&mut self, t: u64, layout: &Layout<K>, values: &[u64; K]) {
        debug_assert!(t >= self.last_t, "trace times never go backwards");
        self.len += 1;
        debug_assert!(self.current.len() - self.used >= MAX_EVENT, "room was made");
        let dt = t - self.last_t;
        self.last_t = t;
        // Counted in a local and stored once: counting through the field cost a load and a
        // store per byte.
        let room = &mut self.current[self.used..self.used + MAX_EVENT];
        room[0] = layout.tag;
        let mut at = 1 + put_var(&mut room[1..], dt);
        at += layout.write(&mut room[at..], values);
        self.used += at;
    }

    /// Make room for one more record. Called before a record's id is packed: a chunk's start
    /// holds the highest id before its first record.
    #[inline(always)]
    fn reserve(&mut self) {
        if self.current.len() - self.used < MAX_EVENT {
            self.next_chunk();
        }
    }

    #[inline(never)]
    fn next_chunk(&mut self) {
        let start = Start {
            t: self.last_t,
            top_id: self.top_id,
            notes: self.notes.len(),
            others: self.others.len(),
        };
        let full = std::mem::take(&mut self.current);
        if !full.is_empty() {
            self.full.push_back((full, self.used, self.current_start));
        }
        self.current_start = start;
        self.used = 0;
        let spare = match self.window {
            Some(w) if self.full.len() > w => self.forget_oldest(),
            _ => None,
        };
        self.current = spare.unwrap_or_else(|| vec![0; CHUNK].into_boxed_slice());
    }

    /// Forget the oldest chunk and what only it refers to; its bytes, to reuse.
    fn forget_oldest(&mut self) -> Option<Box<[u8]>> {
        let (bytes, _, _) = self.full.pop_front()?;
        let from = self.first_start();
        self.notes.forget_before(from.notes);
        self.others.forget_before(from.others);
        self.kept_from = Some(from.t);
        Some(bytes)
    }

    /// Where the oldest chunk kept starts.
    fn first_start(&self) -> Start {
        self.full.front().map_or(self.current_start, |c| c.2)
    }

    /// The used part of chunk `i`.
    fn chunk(&self, i: usize) -> Option<&[u8]> {
        match self.full.get(i) {
            Some((bytes, used, _)) => Some(&bytes[..*used]),
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
        self.reserve();
        let id = id_delta(&mut self.top_id, id);
        let [n0, n1, n2, n3] = msg.numbers;
        let v = [
            id,
            from as u64,
            to as u64,
            msg.kind.code as u64,
            msg.entries as u64,
            msg.reject as u64,
            deliver_at.wrapping_sub(t),
            n0,
            n1,
            n2,
            n3,
        ];
        if SEND_SMALL.fits(&v) {
            self.write(t, &SEND_SMALL, &v);
        } else {
            self.write(t, &SEND, &v);
        }
    }

    /// Record a delivery.
    pub fn deliver(&mut self, t: u64, id: MsgId, from: NodeId, to: NodeId) {
        self.reserve();
        let v = [id_delta(&mut self.top_id, id), from as u64, to as u64];
        if DELIVER_SMALL.fits(&v) {
            self.write(t, &DELIVER_SMALL, &v);
        } else {
            self.write(t, &DELIVER, &v);
        }
    }

    /// Record a node's note.
    pub fn note(&mut self, t: u64, node: NodeId, note: N) {
        self.reserve();
        self.write(t, &NOTE, &[node as u64]);
        self.notes.push(note);
    }

    /// Record any event.
    pub fn push(&mut self, t: u64, kind: TraceKind<N>) {
        self.reserve();
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
                let id = id_delta(&mut self.top_id, id);
                self.write(t, &DROP, &[id, from as u64, to as u64, reason as u64]);
            }
            TraceKind::Duplicate { id, of, deliver_at } => {
                let id = id_delta(&mut self.top_id, id);
                let of = id_delta(&mut self.top_id, of);
                self.write(t, &DUPLICATE, &[id, of, deliver_at.wrapping_sub(t)]);
            }
            TraceKind::Note { node, note } => self.note(t, node, note),
            other => {
                self.write(t, &OTHER, &[]);
                self.others.push(other);
            }
        }
    }

    /// The events kept, oldest first.
    pub fn iter(&self) -> TraceIter<'_, N> {
        self.iter_chunk(0)
    }

    /// The events kept from about time `t` on: every one at `t` or later, and the few before
    /// it in the same chunk. A view of a stretch of a long run reads only that stretch.
    pub fn iter_from(&self, t: u64) -> TraceIter<'_, N> {
        // A chunk's events come at or after its start (the time of the event before its
        // first), and at or before the next chunk's start: the chunks before the first whose
        // successor starts at `t` or later hold nothing from `t` on.
        let full = self.full.len();
        let before = self.full.partition_point(|c| c.2.t < t);
        let skip = before.saturating_sub(1)
            + usize::from(before == full && full > 0 && self.current_start.t < t);
        self.iter_chunk(skip)
    }

    /// The events of one chunk (the one being written is the last).
    fn chunk_events(&self, chunk: usize) -> impl Iterator<Item = TraceEvent<N>> + '_
    where
        N: Clone,
    {
        let mut it = self.iter_chunk(chunk);
        // Reading past the chunk's end would go on to the next.
        std::iter::from_fn(move || (it.reader.at < it.reader.bytes.len()).then(|| it.next())?)
    }

    fn iter_chunk(&self, chunk: usize) -> TraceIter<'_, N> {
        let from = match self.full.get(chunk) {
            Some(c) => c.2,
            None => self.current_start,
        };
        TraceIter {
            trace: self,
            chunk,
            reader: Reader {
                bytes: self.chunk(chunk).unwrap_or_default(),
                at: 0,
            },
            notes: from.notes,
            others: from.others,
            t: from.t,
            top_id: from.top_id,
        }
    }
}

/// Reads the trace back, event by event.
pub struct TraceIter<'a, N> {
    trace: &'a Trace<N>,
    /// Position: the chunk, and the reader within it.
    chunk: usize,
    reader: Reader<'a>,
    notes: usize,
    others: usize,
    t: u64,
    top_id: MsgId,
}

impl<N: Clone> Iterator for TraceIter<'_, N> {
    type Item = TraceEvent<N>;

    fn next(&mut self) -> Option<TraceEvent<N>> {
        if self.reader.at == self.reader.bytes.len() {
            self.chunk += 1;
            self.reader = Reader {
                bytes: self.trace.chunk(self.chunk)?,
                at: 0,
            };
            if self.reader.bytes.is_empty() {
                return None;
            }
        }
        let r = &mut self.reader;
        let tag = r.byte();
        self.t += r.var();
        let t = self.t;
        let top = &mut self.top_id;
        let kind = match tag {
            _ if tag == SEND.tag || tag == SEND_SMALL.tag => {
                let layout = if tag == SEND.tag { &SEND } else { &SEND_SMALL };
                let [id, from, to, kind, entries, reject, after, n0, n1, n2, n3] = layout.read(r);
                TraceKind::Send {
                    id: id_from(top, id),
                    from: from as NodeId,
                    to: to as NodeId,
                    msg: MsgSummary {
                        kind: &self.trace.kinds[kind as usize],
                        numbers: [n0, n1, n2, n3],
                        entries: entries as u32,
                        reject: reject != 0,
                    },
                    deliver_at: t.wrapping_add(after),
                }
            }
            _ if tag == DELIVER.tag || tag == DELIVER_SMALL.tag => {
                let layout = if tag == DELIVER.tag {
                    &DELIVER
                } else {
                    &DELIVER_SMALL
                };
                let [id, from, to] = layout.read(r);
                TraceKind::Deliver {
                    id: id_from(top, id),
                    from: from as NodeId,
                    to: to as NodeId,
                }
            }
            _ if tag == DROP.tag => {
                let [id, from, to, reason] = DROP.read(r);
                TraceKind::Drop {
                    id: id_from(top, id),
                    from: from as NodeId,
                    to: to as NodeId,
                    reason: REASONS[reason as usize],
                }
            }
            _ if tag == DUPLICATE.tag => {
                let [id, of, after] = DUPLICATE.read(r);
                TraceKind::Duplicate {
                    id: id_from(top, id),
                    of: id_from(top, of),
                    deliver_at: t.wrapping_add(after),
                }
            }
            _ if tag == NOTE.tag => {
                let [node] = NOTE.read(r);
                self.notes += 1;
                TraceKind::Note {
                    node: node as NodeId,
                    note: self.trace.notes[self.notes - 1].clone(),
                }
            }
            _ => {
                debug_assert_eq!(tag, OTHER.tag);
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

/// A trace written as JSON a piece at a time, a chunk of its events each, so that the page
/// can spread a long trace's export over frames. The pieces joined are the trace serialized.
pub struct TraceJson<N> {
    trace: Trace<N>,
    /// The next chunk to write; past the last, done.
    chunk: usize,
    wrote_any: bool,
}

impl<N> TraceJson<N> {
    pub fn new(trace: Trace<N>) -> Self {
        TraceJson {
            trace,
            chunk: 0,
            wrote_any: false,
        }
    }

    /// Pieces written and in all.
    pub fn progress(&self) -> (usize, usize) {
        (self.chunk, self.trace.full.len() + 1)
    }
}

impl<N: Clone + Serialize> Iterator for TraceJson<N> {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        let last = self.trace.full.len();
        if self.chunk > last {
            return None;
        }
        let mut out = Vec::new();
        if self.chunk == 0 {
            out.push(b'[');
        }
        for e in self.trace.chunk_events(self.chunk) {
            if self.wrote_any {
                out.push(b',');
            }
            self.wrote_any = true;
            serde_json::to_writer(&mut out, &e).expect("trace events serialize");
        }
        if self.chunk == last {
            out.push(b']');
        }
        self.chunk += 1;
        Some(String::from_utf8(out).expect("JSON is UTF-8"))
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
            routine: false,
            numbers: ["a", "b", "c", "d"],
            size: None,
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

    /// Reading from a time gives every event from that time on, as reading it all does, over
    /// many chunks, with and without older chunks forgotten.
    #[test]
    fn reading_from_a_time_matches_reading_it_all() {
        for window in [None, Some(4 * CHUNK)] {
            let mut trace: Trace<String> = Trace::new(&KINDS);
            trace.set_window(window);
            let mut t = 0;
            for id in 0..40_000u64 {
                t += id % 3;
                trace.send(t, id, 1, 2, &summary(APPEND, id), t + 5);
                if id % 7 == 0 {
                    trace.deliver(t, id, 1, 2);
                }
                if id % 1000 == 0 {
                    trace.note(t, 3, format!("n{id}"));
                }
            }
            let all: Vec<String> = trace.iter().map(|e| format!("{e:?}")).collect();
            let start = trace.iter().next().map_or(0, |e| e.t);
            for from in [0, start, start + 1, t / 3, t / 2, t - 1, t, t + 1] {
                let want: Vec<&String> = (trace.iter().zip(&all))
                    .filter(|(e, _)| e.t >= from)
                    .map(|(_, s)| s)
                    .collect();
                let got: Vec<String> = (trace.iter_from(from))
                    .filter(|e| e.t >= from)
                    .map(|e| format!("{e:?}"))
                    .collect();
                assert_eq!(got.len(), want.len(), "from {from}, window {window:?}");
                let want_len = |g: &Vec<String>| g.len();
                assert!(got.iter().zip(want).all(|(a, b)| a == b));
                // It reads the stretch asked for, not the whole trace.
                let read = trace.iter_from(from).count();
                assert!(
                    read <= want_len(&got) + CHUNK / 2,
                    "from {from}: read {read}"
                );
            }
        }
    }

    /// The JSON written a chunk at a time, joined, is the trace serialized in one go: over
    /// many chunks, with and without older ones forgotten, and for an empty trace.
    #[test]
    fn json_in_pieces_is_the_whole_json() {
        for (window, events) in [(None, 30_000u64), (Some(4 * CHUNK), 30_000), (None, 0)] {
            let mut trace: Trace<String> = Trace::new(&KINDS);
            trace.set_window(window);
            for id in 0..events {
                trace.send(id, id, 1, 2, &summary(APPEND, id), id + 5);
                if id % 3 == 0 {
                    trace.deliver(id, id, 1, 2);
                }
                if id % 500 == 0 {
                    trace.note(id, 3, format!("n{id}"));
                }
            }
            let whole = serde_json::to_string(&trace).unwrap();
            let mut json = TraceJson::new(trace.clone());
            let pieces: Vec<String> = json.by_ref().collect();
            assert_eq!(pieces.concat(), whole, "window {window:?}");
            assert_eq!(json.progress().0, json.progress().1, "all written");
            assert_eq!(pieces.len(), trace.full.len() + 1);
            assert!(events == 0 || pieces.len() > 4, "{} pieces", pieces.len());
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

    /// A trace with a window keeps a bounded tail of the run and reads it back exactly as the
    /// whole trace reads it: the same events, the same notes after the same positions.
    #[test]
    fn a_window_keeps_exactly_the_latest_events() {
        let mut whole = Trace::new(&KINDS);
        let mut tail = Trace::new(&KINDS);
        tail.set_window(Some(4 * CHUNK));
        let (mut id, mut x) = (0, 1u64);
        for t in 0..200_000u64 {
            // Kinds in an irregular order, so that chunks begin with every kind of record.
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let kind = match (x >> 33) % 7 {
                0 => TraceKind::Note {
                    node: 1,
                    note: format!("n{t}"),
                },
                1 => TraceKind::Action {
                    action: Action::Heal,
                },
                2 | 3 => {
                    id += 1;
                    TraceKind::Send {
                        id,
                        from: 0,
                        to: 1,
                        msg: summary(APPEND, t),
                        deliver_at: t + 3,
                    }
                }
                _ => TraceKind::Deliver {
                    id: id.saturating_sub(t % 5),
                    from: 1,
                    to: 0,
                },
            };
            whole.push(t / 3, kind.clone());
            tail.push(t / 3, kind);
            assert!(tail.full.len() <= 4, "at most the window's chunks are kept");
        }
        assert_eq!(tail.len(), whole.len());
        assert_eq!(whole.kept_from(), None);
        let from = tail.kept_from().expect("older events were forgotten");
        let kept: Vec<String> = tail
            .iter()
            .map(|e| serde_json::to_string(&e).unwrap())
            .collect();
        let all: Vec<String> = whole
            .iter()
            .map(|e| serde_json::to_string(&e).unwrap())
            .collect();
        assert!(kept.len() < all.len() / 4, "only a tail is kept");
        assert!(
            all.ends_with(&kept),
            "the kept events are the whole trace's last ones"
        );
        assert!(tail.iter().next().unwrap().t >= from);
        let notes = |tr: &Trace<String>| tr.notes_from(0).cloned().collect::<Vec<_>>();
        assert!(notes(&whole).ends_with(&notes(&tail)) && !notes(&tail).is_empty());
        assert!(tail
            .notes_from(whole.note_count() - 3)
            .eq(whole.notes_from(whole.note_count() - 3)));
    }
}
