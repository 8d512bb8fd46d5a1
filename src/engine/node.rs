//! The one interface every protocol implements: sans-IO, inputs in, outputs out.

use super::kv::{KvReply, KvRequest};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::fmt::Debug;

/// Index of a node in the cluster, 0-based.
pub type NodeId = usize;

/// The one RNG of a run. ChaCha8 gives the same stream on every platform.
pub type Rng = ChaCha8Rng;

/// A uniform index in lo..hi. Always draw indices through this: `usize` is 32 bits on wasm32,
/// and sampling a `usize` directly consumes the stream differently there than natively.
pub fn uniform_index(rng: &mut Rng, lo: usize, hi: usize) -> usize {
    use rand::Rng as _;
    rng.gen_range(lo as u64..hi as u64) as usize
}

/// What a node produces while handling one input. The world drains it after every call.
pub struct Outbox<'a, M, N> {
    pub now: u64,
    /// Draw every random choice from here, so that a run replays exactly.
    pub rng: &'a mut Rng,
    pub(crate) sends: Vec<(NodeId, M)>,
    pub(crate) replies: Vec<(u64, KvReply)>,
    pub(crate) notes: Vec<N>,
}

impl<'a, M, N> Outbox<'a, M, N> {
    /// An empty outbox, for handing a node an input outside the world (start-up, tests).
    pub fn new(now: u64, rng: &'a mut Rng) -> Self {
        Outbox {
            now,
            rng,
            sends: Vec::new(),
            replies: Vec::new(),
            notes: Vec::new(),
        }
    }
    pub fn send(&mut self, to: NodeId, msg: M) {
        self.sends.push((to, msg));
    }
    /// Answer the client request with this id.
    pub fn reply(&mut self, request: u64, reply: KvReply) {
        self.replies.push((request, reply));
    }
    /// Report something the checks and the trace should know (a role change, an applied entry…).
    pub fn note(&mut self, note: N) {
        self.notes.push(note);
    }
}

/// A user's direct command to a node (besides crash/restart/pause, which the world handles).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Control {
    /// Start an election now.
    Campaign,
    /// Ask the current leader to hand leadership to this node.
    TransferLeaderTo(NodeId),
}

/// A compact, fixed-size description of a message, cheap enough to record for every send.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MsgSummary {
    /// Protocol-specific type name, e.g. "append" or "vote-resp".
    pub kind: &'static str,
    pub term: u64,
    pub index: u64,
    pub log_term: u64,
    pub commit: u64,
    pub entries: u32,
    pub reject: bool,
}

/// What the UI shows about a node; protocol-neutral, with protocol details as labelled fields.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NodeView {
    /// "leader", "follower", "candidate", "precandidate", "replica"…; the world overrides it
    /// with "down" or "paused".
    pub role: String,
    pub term: u64,
    pub commit: u64,
    pub applied: u64,
    /// (index, term, short text) of every log entry the node holds.
    pub log: Vec<(u64, u64, String)>,
    pub kv: Vec<(String, String)>,
    /// Ticks left before this node would start an election, and the full timeout, if relevant.
    pub election_timer: Option<(u32, u32)>,
    pub details: Vec<(String, String)>,
    /// Recent lines the protocol library logged.
    pub recent_log_lines: Vec<String>,
}

/// A broken safety property, found while the run was going.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub t: u64,
    pub property: String,
    pub detail: String,
}

/// A safety check fed with every note nodes report, as they report it.
pub trait Monitor<N>: Default {
    fn observe(&mut self, t: u64, node: NodeId, note: &N) -> Option<Violation>;
}

/// A replica of some protocol. The world owns it and calls exactly one method per event.
pub trait Node: Sized {
    type Msg: Clone + Debug;
    /// Facts the node reports for the checks and the trace.
    type Note: Clone + Debug + Serialize;
    type Monitor: Monitor<Self::Note>;
    type Config: Clone + Debug + Default + PartialEq + Serialize + serde::de::DeserializeOwned;
    /// The protocol's name in links and on the command line.
    const NAME: &'static str;

    /// Whether a note marks a moment a reader wants to stop at ("Next" in the app).
    fn is_milestone(_note: &Self::Note) -> bool {
        false
    }

    fn new(id: NodeId, nodes: usize, cfg: &Self::Config, rng: &mut Rng) -> Self;

    fn on_message(&mut self, from: NodeId, msg: Self::Msg, out: &mut Outbox<Self::Msg, Self::Note>);
    fn on_tick(&mut self, out: &mut Outbox<Self::Msg, Self::Note>);
    fn on_client(&mut self, req: KvRequest<'_>, out: &mut Outbox<Self::Msg, Self::Note>);
    fn on_control(&mut self, cmd: Control, out: &mut Outbox<Self::Msg, Self::Note>);
    /// Lose all volatile state; only what was persisted survives.
    fn crash(&mut self);
    /// Rebuild from durable state alone.
    fn restart(&mut self, out: &mut Outbox<Self::Msg, Self::Note>);
    fn view(&self) -> NodeView;
    /// Role and term alone: what `view` says, without building the whole view.
    fn role(&self) -> (&'static str, u64);
    fn summarize(msg: &Self::Msg) -> MsgSummary;
    /// Every field of a message, for the inspector.
    fn describe(msg: &Self::Msg) -> Vec<(String, String)>;
}
