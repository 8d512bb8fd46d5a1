//! The one interface every protocol implements: sans-IO, inputs in, outputs out.

use super::describe::{Control, Description, MessageKind, Role};
use super::kv::{KvOp, KvReply, KvRequest};
use super::marks::Hold;
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
    pub(crate) requests: Vec<KvOp>,
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
            requests: Vec::new(),
        }
    }
    /// Hand an input to one part of a node made of several protocols: the part sees an outbox
    /// of its own messages and notes, and what it produced comes out here, wrapped.
    pub fn part<M2, N2, R>(
        &mut self,
        wrap: impl Fn(M2) -> M,
        wrap_note: impl Fn(N2) -> N,
        f: impl FnOnce(&mut Outbox<'_, M2, N2>) -> R,
    ) -> R {
        let mut inner = Outbox::new(self.now, self.rng);
        let r = f(&mut inner);
        let Outbox {
            sends,
            replies,
            notes,
            requests,
            ..
        } = inner;
        self.requests.extend(requests);
        self.sends
            .extend(sends.into_iter().map(|(to, m)| (to, wrap(m))));
        self.replies.extend(replies);
        self.notes.extend(notes.into_iter().map(wrap_note));
        r
    }
    pub fn send(&mut self, to: NodeId, msg: M) {
        self.sends.push((to, msg));
    }
    /// Answer the client request with this id.
    pub fn reply(&mut self, request: u64, reply: KvReply) {
        self.replies.push((request, reply));
    }
    /// Act as a client of its own cluster (a Consul leader writing its catalog, an agent
    /// registering its service): the operation goes in the history like any client's, from a
    /// client of this node's own that sends it here first and, like any client, on to where
    /// the answer points. One at a time: while one is in progress, another is dropped (ask
    /// again later).
    pub fn request(&mut self, op: KvOp) {
        self.requests.push(op);
    }
    /// Report something the checks and the trace should know (a role change, an applied entry…).
    pub fn note(&mut self, note: N) {
        self.notes.push(note);
    }
}

/// A compact, fixed-size description of a message, cheap enough to record for every send:
/// its kind and four numbers whose meaning the kind gives (`MessageKind::numbers`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsgSummary {
    pub kind: &'static MessageKind,
    pub numbers: [u64; 4],
    /// Entries, updates or registers it carries.
    pub entries: u32,
    pub reject: bool,
}

impl MsgSummary {
    pub fn new(kind: &'static MessageKind) -> Self {
        MsgSummary {
            kind,
            numbers: [0; 4],
            entries: 0,
            reject: false,
        }
    }
    /// The numbers the kind uses, with their labels.
    pub fn labelled(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        (self.kind.numbers.iter().zip(self.numbers))
            .filter(|(label, _)| !label.is_empty())
            .map(|(label, v)| (*label, v))
    }
}

/// Written as `{"kind": label, <number label>: value…, "entries", "reject"}`.
impl Serialize for MsgSummary {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", self.kind.label)?;
        for (label, v) in self.labelled() {
            m.serialize_entry(label, &v)?;
        }
        m.serialize_entry("entries", &self.entries)?;
        m.serialize_entry("reject", &self.reject)?;
        m.end()
    }
}

/// A candidate's tally.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Votes {
    pub granted: usize,
    pub of: usize,
    /// While the configuration is joint, `granted` and `of` count the incoming voters, and
    /// this the outgoing ones: votes granted among them, and how many they are (a candidate
    /// needs a majority of both).
    pub old: Option<(usize, usize)>,
}

/// How far a leader knows a peer's log to match its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeerProgress {
    pub peer: NodeId,
    pub matched: u64,
    pub next: u64,
    /// The replication state the protocol reports ("replicate", "probe"…).
    pub state: &'static str,
}

/// Where a node's replicated log stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LogState {
    pub commit: u64,
    pub applied: u64,
    pub last: u64,
    /// Index and term of the snapshot the log was compacted to, if it was.
    pub snapshot: Option<(u64, u64)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    pub index: u64,
    pub term: u64,
    pub text: String,
}

/// What the app shows about a node, as typed data: the UI draws it without knowing the protocol.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeView {
    /// One of the protocol's roles; the world puts `Role::DOWN` or `Role::PAUSED` here for a
    /// stopped process.
    pub role: &'static Role,
    /// The number drawn on the node (`Description::headline` says what it is, unless
    /// `headline_label` does: in a protocol made of others, nodes may show different numbers).
    pub headline: u64,
    pub headline_label: Option<&'static str>,
    /// Labelled facts for the inspector, in order, ready to show.
    pub facts: Vec<(&'static str, String)>,
    pub votes: Option<Votes>,
    pub peers: Vec<PeerProgress>,
    /// For a protocol with a log: where it stands, and its newest entries.
    pub log_state: Option<LogState>,
    pub log: Vec<LogEntry>,
    /// The key-value state the node serves.
    pub kv: Vec<(String, String)>,
    /// Ticks left before this node would start an election, and the full timeout.
    pub timer: Option<(u32, u32)>,
    /// Recent lines the protocol library logged.
    pub library_log: Vec<String>,
    /// Where it stands in the membership it believes in, for a protocol whose membership can
    /// change.
    pub member: Option<Membership>,
    /// The names of the description's controls that apply to it now; None: all of them.
    pub offers: Option<Vec<&'static str>>,
    /// For a node in a failure detector's pool: its membership list, by member.
    pub members: Vec<MemberHealth>,
    /// Whether it holds the store's data (a Consul agent, only a member of the pool, does
    /// not): the state table leaves out those that do not.
    pub stores: bool,
}

/// What a member of a failure detector's pool believes of another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Alive,
    Suspect,
    Dead,
}

impl Health {
    pub fn name(self) -> &'static str {
        match self {
            Health::Alive => "alive",
            Health::Suspect => "suspect",
            Health::Dead => "dead",
        }
    }
}

/// One entry of a node's membership list: how it sees a member, and the member's
/// incarnation it knows (a higher one overrides older news).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MemberHealth {
    pub health: Health,
    pub incarnation: u64,
}

/// A node's place in a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberKind {
    Voter,
    Learner,
    None,
}

impl MemberKind {
    pub fn name(self) -> &'static str {
        match self {
            MemberKind::Voter => "voter",
            MemberKind::Learner => "learner",
            MemberKind::None => "none",
        }
    }
}

/// The configuration a node believes in: what it is in it, who votes (while a change is under
/// way, both the old and the new voters: a decision needs a majority of each), and the log
/// index the configuration came from (0: the cluster's start).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub kind: MemberKind,
    pub voters: Vec<NodeId>,
    /// The voters being left, while joint; empty otherwise.
    pub outgoing: Vec<NodeId>,
    pub learners: Vec<NodeId>,
    pub index: u64,
}

impl Membership {
    pub fn joint(&self) -> bool {
        !self.outgoing.is_empty()
    }
}

impl NodeView {
    /// A view with nothing but a role and a number, to fill in.
    pub fn new(role: &'static Role, headline: u64) -> Self {
        NodeView {
            role,
            headline,
            headline_label: None,
            facts: Vec::new(),
            votes: None,
            peers: Vec::new(),
            log_state: None,
            log: Vec::new(),
            kv: Vec::new(),
            timer: None,
            library_log: Vec::new(),
            member: None,
            offers: None,
            members: Vec::new(),
            stores: true,
        }
    }
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
    /// The cluster starts with nodes `0..nodes`, before any note.
    fn started(&mut self, _nodes: usize) {}
    /// A node's process stopped (crashed or paused) or runs again: what a failure detector's
    /// checks judge its suspicions against.
    fn status(&mut self, _t: u64, _node: NodeId, _status: super::Status) {}
    fn observe(&mut self, t: u64, node: NodeId, note: &N) -> Option<Violation>;
    /// Live figures of the run so far, labelled, ready to show (a failure detector's
    /// detection times).
    fn figures(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// A replica of some protocol. The world owns it and calls exactly one method per event.
pub trait Node: Sized {
    type Msg: Clone + Debug;
    /// Facts the node reports for the checks and the trace.
    type Note: Clone + Debug + Serialize;
    type Monitor: Monitor<Self::Note>;
    type Config: Clone + Debug + Default + PartialEq + Serialize + serde::de::DeserializeOwned;
    /// What the app shows of the protocol, and its name in links and on the command line.
    const DESCRIPTION: &'static Description;

    /// Whether a note marks a moment a reader wants to stop at ("Next" in the app).
    fn is_milestone(_note: &Self::Note) -> bool {
        false
    }

    /// If a note says its node came to lead, the node's headline number then (a mark on the
    /// timeline).
    fn elected(_note: &Self::Note) -> Option<u64> {
        None
    }

    /// If a note says its node's role changed, the role's name and the node's headline number
    /// (a mark on its lane of the space-time diagram).
    fn role_change(_note: &Self::Note) -> Option<(&'static str, u64)> {
        None
    }

    /// If a note says its node holds something back until what it depends on arrives, or lets
    /// it go (a span on its lane of the space-time diagram).
    fn holds(_note: &Self::Note) -> Option<Hold> {
        None
    }

    /// Its safety monitor for a cluster of `nodes` started under `cfg`.
    fn monitor(_cfg: &Self::Config, nodes: usize) -> Self::Monitor {
        let mut m = Self::Monitor::default();
        m.started(nodes);
        m
    }

    /// Refuse settings the protocol cannot run with, naming the setting. `new` is only ever
    /// handed settings that passed.
    fn validate(cfg: &Self::Config) -> Result<(), String>;

    fn new(id: NodeId, nodes: usize, cfg: &Self::Config, rng: &mut Rng) -> Self;
    /// A node started empty in a running cluster of `genesis` initial members, not yet one of
    /// them; None for a protocol whose membership is fixed.
    fn join(_id: NodeId, _genesis: usize, _cfg: &Self::Config, _rng: &mut Rng) -> Option<Self> {
        None
    }

    fn on_message(&mut self, from: NodeId, msg: Self::Msg, out: &mut Outbox<Self::Msg, Self::Note>);
    fn on_tick(&mut self, out: &mut Outbox<Self::Msg, Self::Note>);
    fn on_client(&mut self, req: KvRequest<'_>, out: &mut Outbox<Self::Msg, Self::Note>);
    /// One of the commands the description offers, under its own name (an alias is resolved).
    fn on_control(&mut self, cmd: &Control, out: &mut Outbox<Self::Msg, Self::Note>);
    /// Why it would not carry out this command now, if it would not (then `on_control` is not
    /// called, and the user is told why): a command that would otherwise vanish silently.
    fn refuses(&self, _cmd: &Control) -> Option<String> {
        None
    }
    /// Lose all volatile state; only what was persisted survives.
    fn crash(&mut self);
    /// Rebuild from durable state alone.
    fn restart(&mut self, out: &mut Outbox<Self::Msg, Self::Note>);
    fn view(&self) -> NodeView;
    /// Role and term alone: what `view` says, without building the whole view.
    fn role(&self) -> (&'static Role, u64);
    fn summarize(msg: &Self::Msg) -> MsgSummary;
    /// What a message holds beyond its summary, for the inspector.
    fn describe(msg: &Self::Msg) -> Vec<(String, String)>;
    /// Set one of the description's toggles in a configuration.
    fn toggle(_cfg: &mut Self::Config, _key: &str, _on: bool) {}
}
