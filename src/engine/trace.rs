//! The trace: every send, delivery, drop, fault and node report, stamped with virtual time.

use super::kv::{KvOp, KvReply};
use super::network::MsgId;
use super::node::{MsgSummary, NodeId};
use super::scenario::Action;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
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
    Hold {
        id: MsgId,
    },
    Release {
        id: MsgId,
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
