//! A session as data: configuration + seed + timed actions. Replaying it gives the same run.

use super::client::ClientConfig;
use super::kv::KvOp;
use super::network::{LinkConfig, MsgId};
use super::describe::Control;
use super::node::NodeId;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    pub nodes: usize,
    /// Virtual milliseconds between two protocol ticks of a node.
    pub tick_ms: u64,
    pub link: LinkConfig,
    pub clients: ClientConfig,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            nodes: 5,
            tick_ms: 50,
            link: LinkConfig::default(),
            clients: ClientConfig::default(),
        }
    }
}

impl SimConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=64).contains(&self.nodes) {
            return Err(format!(
                "nodes must be between 1 and 64, got {}",
                self.nodes
            ));
        }
        if !(1..=10_000).contains(&self.tick_ms) {
            return Err(format!(
                "tick_ms must be between 1 and 10000, got {}",
                self.tick_ms
            ));
        }
        self.link.validate()?;
        self.clients.validate()
    }
}

/// Everything a user (or a fault schedule) can do to a running cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case")]
pub enum Action {
    Crash {
        node: NodeId,
    },
    Restart {
        node: NodeId,
    },
    Pause {
        node: NodeId,
    },
    Resume {
        node: NodeId,
    },
    /// Cut every link between groups (nodes in no group are isolated).
    Partition {
        groups: Vec<Vec<NodeId>>,
    },
    /// Cut or restore one direction of one link.
    Cut {
        from: NodeId,
        to: NodeId,
        cut: bool,
    },
    /// Restore every link.
    Heal,
    /// Set latency, loss, duplication and ordering of one link, or of all when `from`/`to` are None.
    SetLink {
        from: Option<NodeId>,
        to: Option<NodeId>,
        link: LinkConfig,
    },
    DropMessage {
        id: MsgId,
    },
    DuplicateMessage {
        id: MsgId,
    },
    HoldMessage {
        id: MsgId,
    },
    ReleaseMessage {
        id: MsgId,
    },
    Control {
        node: NodeId,
        cmd: Control,
    },
    /// A client operation sent to a chosen node, or to whichever node the client believes leads.
    Request {
        node: Option<NodeId>,
        op: KvOp,
    },
    /// Turn the steady client load on or off.
    SetLoad {
        on: bool,
    },
    /// End every fault: heal links, restore link settings, restart and resume all nodes,
    /// release held messages.
    HealAll,
}

/// An action and when it happened. `step` (the number of events run before it) makes user
/// actions replay at exactly the same point; actions without one fire at time `t` as events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimedAction {
    pub t: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    #[serde(flatten)]
    pub action: Action,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario<C> {
    pub seed: u64,
    #[serde(default)]
    pub sim: SimConfig,
    /// The protocol's settings ("protocol" names the protocol itself in a share link).
    #[serde(rename = "settings")]
    pub protocol: C,
    #[serde(default)]
    pub actions: Vec<TimedAction>,
}

impl<C> Scenario<C> {
    pub fn new(seed: u64, sim: SimConfig, protocol: C) -> Self {
        Scenario {
            seed,
            sim,
            protocol,
            actions: Vec::new(),
        }
    }
}
