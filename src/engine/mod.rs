//! The simulation engine: knows nothing about any protocol or about the web.
//!
//! A run is a pure function of a [`Scenario`] (configuration, seed, timed user actions):
//! the same scenario gives the same trace on every platform.

mod actions;
mod arrows;
mod client;
mod describe;
mod in_flight;
mod kv;
pub mod limits;
mod marks;
mod network;
mod node;
mod packed;
mod queue;
mod scenario;
mod sim;
mod trace;
mod workload;
mod world;

pub use arrows::{Arrow, Fate};
pub use client::{ClientConfig, ClientId, History, HistoryOp, Outcome};
pub use describe::{
    joined, joined_kinds, Consistency, Control, ControlInfo, Description, MessageKind, Property,
    Role, Shape, StateView, Toggle,
};
pub use in_flight::Envelope;
pub use kv::{digest, KvOp, KvReply, KvRequest, KvStore, QueryMode};
pub use marks::{HeldSpan, Hold, Mark, MarkKind, RoleChange};
pub use network::{LinkConfig, MsgId, Network};
pub use node::{
    uniform_index, Health, LogEntry, LogState, MemberHealth, MemberKind, Membership, Monitor,
    MsgSummary, Node, NodeId, NodeView, Outbox, PeerProgress, Rng, Violation, Votes,
};
pub use scenario::{Action, Scenario, SimConfig, TimedAction, UserAction};
pub use sim::{JsonPieces, MessageView, Sim};
pub use trace::{DropReason, Trace, TraceEvent, TraceJson, TraceKind};
pub use world::{Status, World};
