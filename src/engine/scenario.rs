//! A session as data: configuration + seed + timed actions. Replaying it gives the same run.

use super::client::ClientConfig;
use super::describe::Control;
use super::kv::KvOp;
use super::limits::{within, NODES};
use super::network::{LinkConfig, MsgId};
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
        within("nodes", self.nodes, NODES.0, NODES.1)?;
        within("tick_ms", self.tick_ms, 1, 10_000)?;
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
    /// Start a new, empty node (the next id), for a protocol whose nodes can join a running
    /// cluster; it takes part once the members take it in (a protocol's control).
    AddNode,
}

/// Something a user did, stamped with the virtual time and the number of events run before
/// it: a replay applies it at exactly that point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserAction {
    pub t: u64,
    pub step: u64,
    #[serde(flatten)]
    pub action: Action,
}

/// An action of a fault schedule: it fires at time `t`, as an event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimedAction {
    pub t: u64,
    #[serde(flatten)]
    pub action: Action,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "ScenarioForm<C>")]
#[serde(bound(deserialize = "C: Deserialize<'de>"))]
pub struct Scenario<C> {
    pub seed: u64,
    pub sim: SimConfig,
    /// The protocol's settings ("protocol" names the protocol itself in a share link).
    #[serde(rename = "settings")]
    pub protocol: C,
    /// What the user did, in order.
    pub actions: Vec<UserAction>,
    /// A fault schedule, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<TimedAction>,
}

impl<C> Scenario<C> {
    pub fn new(seed: u64, sim: SimConfig, protocol: C) -> Self {
        Scenario {
            seed,
            sim,
            protocol,
            actions: Vec::new(),
            schedule: Vec::new(),
        }
    }
}

/// A scenario as written. Earlier versions kept a fault schedule's actions among the user's,
/// told apart by their lack of a step: those are read into the schedule.
#[derive(Deserialize)]
struct ScenarioForm<C> {
    seed: u64,
    #[serde(default)]
    sim: SimConfig,
    settings: C,
    #[serde(default)]
    actions: Vec<WrittenAction>,
    #[serde(default)]
    schedule: Vec<TimedAction>,
}

#[derive(Deserialize)]
struct WrittenAction {
    t: u64,
    #[serde(default)]
    step: Option<u64>,
    #[serde(flatten)]
    action: Action,
}

impl<C> From<ScenarioForm<C>> for Scenario<C> {
    fn from(f: ScenarioForm<C>) -> Self {
        let mut s = Scenario::new(f.seed, f.sim, f.settings);
        for WrittenAction { t, step, action } in f.actions {
            match step {
                Some(step) => s.actions.push(UserAction { t, step, action }),
                None => s.schedule.push(TimedAction { t, action }),
            }
        }
        s.schedule.extend(f.schedule);
        s
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    /// User actions and a schedule are written apart; an older scenario that mixed them (the
    /// schedule's actions without a step) reads into the same two lists.
    #[test]
    fn user_actions_and_the_schedule_are_kept_apart() {
        let old = r#"{"seed":1,"settings":null,"actions":[
            {"do":"crash","node":1,"t":5},
            {"do":"heal","step":9,"t":7},
            {"do":"restart","node":1,"t":20}]}"#;
        let s: Scenario<()> = serde_json::from_str(old).unwrap();
        assert_eq!(s.actions.len(), 1);
        assert_eq!(s.actions[0].step, 9);
        assert_eq!(s.schedule.iter().map(|a| a.t).collect::<Vec<_>>(), [5, 20]);
        let again: Scenario<()> =
            serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(again, s);
        let plain = Scenario::new(1, SimConfig::default(), ());
        let json = serde_json::to_string(&plain).unwrap();
        assert!(
            !json.contains("schedule"),
            "an empty schedule is not written: {json}"
        );
    }
}
