//! Moments worth finding again on a run's timeline: leaders elected, crashes and restarts,
//! pauses, partitions and heals, broken properties. A run keeps all of them (a few per fault or
//! election), unlike the trace, whose window a long run outgrows.

use super::node::NodeId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MarkKind {
    /// A node came to lead; the mark's number is its headline number (Raft's term).
    Election,
    Crash,
    Restart,
    /// A node stopped taking steps (its state kept, its messages held).
    Pause,
    Resume,
    /// Links were cut (a partition, or one direction of a link).
    Partition,
    /// Links were restored.
    Heal,
    /// A property the protocol's monitor checks was broken.
    Violation,
}

impl MarkKind {
    /// The name the page's markers carry (`data-marker`).
    pub fn name(self) -> &'static str {
        match self {
            MarkKind::Election => "election",
            MarkKind::Crash => "crash",
            MarkKind::Restart => "restart",
            MarkKind::Pause => "pause",
            MarkKind::Resume => "resume",
            MarkKind::Partition => "partition",
            MarkKind::Heal => "heal",
            MarkKind::Violation => "violation",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    pub t: u64,
    pub kind: MarkKind,
    /// The node it happened to, if one.
    pub node: Option<NodeId>,
    /// The elected node's headline number; 0 for other kinds.
    pub number: u64,
}

/// A node's role as it reported it changing: drawn on its lane of the space-time diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleChange {
    pub t: u64,
    pub node: NodeId,
    /// One of the protocol's role names.
    pub role: &'static str,
    /// The node's headline number then (Raft's term).
    pub number: u64,
}

/// What a note says of something its node holds back until what it depends on arrives (a
/// causal update waiting for its causes), by an id of the protocol's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hold {
    Begins { id: (NodeId, u64), what: String },
    Ends { id: (NodeId, u64) },
}

/// A span of time a node held something back: drawn on its lane of the space-time diagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldSpan {
    pub node: NodeId,
    pub from: u64,
    /// None while it is still held.
    pub until: Option<u64>,
    /// What was held, and what for.
    pub what: String,
}
