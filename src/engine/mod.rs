//! The simulation engine: knows nothing about any protocol or about the web.
//!
//! A run is a pure function of a [`Scenario`] (configuration, seed, timed user actions):
//! the same scenario gives the same trace on every platform.

mod client;
mod kv;
mod network;
mod node;
mod queue;
mod scenario;
mod sim;
mod trace;
mod world;

pub use client::{ClientConfig, ClientId, History, HistoryOp, Outcome};
pub use kv::{KvOp, KvReply, KvRequest, KvStore};
pub use network::{LinkConfig, MsgId, Network};
pub use node::{
    uniform_index, Control, Monitor, MsgSummary, Node, NodeId, NodeView, Outbox, Rng, Violation,
};
pub use scenario::{Action, Scenario, SimConfig, TimedAction};
pub use sim::{MessageView, Sim};
pub use trace::{DropReason, Trace, TraceEvent, TraceKind};
pub use world::{Envelope, Status, World};
