//! How a protocol describes itself: its consistency model, the properties it checks, its roles,
//! message kinds, node controls and settings, as plain data. The app draws every panel from
//! this and from the typed node views, so a new protocol needs no UI code of its own.

use super::node::NodeId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a protocol promises its clients; it decides which history checks are failures and
/// which are expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Consistency {
    Linearizable,
    Causal,
    Eventual,
}

impl Consistency {
    pub fn label(self) -> &'static str {
        match self {
            Consistency::Linearizable => "linearizable",
            Consistency::Causal => "causal",
            Consistency::Eventual => "eventual",
        }
    }
    /// A non-linearizable history is a failure only where linearizability is promised.
    pub fn promises_linearizability(self) -> bool {
        self == Consistency::Linearizable
    }
    /// Causal consistency holds per client session, so clients keep to one replica.
    pub fn needs_sessions(self) -> bool {
        self == Consistency::Causal
    }
}

/// A safety property a protocol's monitor checks live; a `Violation` names it by `name`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Property {
    pub name: &'static str,
    /// How the checks panel says that it holds.
    pub holds: &'static str,
    pub meaning: &'static str,
}

/// A role a node can be in. The world adds `DOWN` and `PAUSED` for stopped processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Role {
    pub name: &'static str,
    /// CSS colour of the node.
    pub colour: &'static str,
    /// Whether clients should talk to a node in this role (what "isolate the leader" isolates).
    pub leads: bool,
    /// A role held only for a moment worth watching (a Raft candidate's election): the page
    /// plays it in slow motion unless told not to.
    pub passing: bool,
}

impl Role {
    pub const DOWN: Role = Role {
        name: "down",
        colour: "#4b535c",
        leads: false,
        passing: false,
    };
    pub const PAUSED: Role = Role {
        name: "paused",
        colour: "#6b7f99",
        leads: false,
        passing: false,
    };
}

impl PartialEq<&str> for &Role {
    fn eq(&self, name: &&str) -> bool {
        self.name == *name
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    Circle,
    Square,
}

/// One kind of message: how it is drawn and what its summary's numbers mean. A protocol keeps
/// its kinds in one table, each at the position its `code` says (a test checks this).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MessageKind {
    pub code: u8,
    pub label: &'static str,
    pub colour: &'static str,
    pub shape: Shape,
    /// An answer to another message (drawn hollow).
    pub response: bool,
    /// An answer that says yes unless rejected (drawn with ✓).
    pub grants: bool,
    /// Sent on a timer whatever else happens (heartbeats, gossip rounds): a view with many
    /// messages leaves these out at first.
    pub routine: bool,
    /// What the summary's four numbers are, in order; "" where this kind leaves one unused.
    pub numbers: [&'static str; 4],
    /// Which of the four is the message's size in bytes, written beside it in flight (for a
    /// kind whose size matters, as a snapshot's does).
    pub size: Option<usize>,
}

impl MessageKind {
    /// A kind with no numbers, neither granting, routine nor sized: the rest set as needed.
    pub const fn new(
        code: u8,
        label: &'static str,
        colour: &'static str,
        shape: Shape,
        response: bool,
    ) -> MessageKind {
        MessageKind {
            code,
            label,
            colour,
            shape,
            response,
            grants: false,
            routine: false,
            numbers: ["", "", "", ""],
            size: None,
        }
    }
}

/// A command the user can give one node (the inspector shows a button for each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ControlInfo {
    /// The command's name in scenarios and share links.
    pub name: &'static str,
    pub label: &'static str,
    /// The button's `data-action` hook.
    pub hook: &'static str,
    pub tooltip: &'static str,
    /// The command names the node it is given on (as "make this node the leader" does).
    pub names_node: bool,
    /// The command names a set of nodes instead (as "these are the voters now" does).
    pub lists_nodes: bool,
    /// The page gives the command to the node that leads, naming the node it is offered on,
    /// rather than to that node (which may not know the leader yet).
    pub to_leader: bool,
    /// Names that links made by earlier versions used for this command.
    pub aliases: &'static [&'static str],
}

impl ControlInfo {
    /// This command, offered on `node`.
    pub fn on(&self, node: NodeId) -> Control {
        Control {
            name: self.name.to_string(),
            peer: self.names_node.then_some(node),
            list: Vec::new(),
        }
    }
}

/// A switch in the protocol's settings, offered when a run is started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Toggle {
    pub key: &'static str,
    pub label: &'static str,
    pub tooltip: &'static str,
}

/// What a node's state looks like to a reader: a replicated log, or a key-value store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StateView {
    Log,
    Store,
    /// Each node's membership list (`NodeView::members`): a failure detector's pool.
    Members,
}

/// Everything the app needs to show a protocol.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Description {
    /// The name in links and on the command line.
    pub name: &'static str,
    /// The name shown to people.
    pub title: &'static str,
    pub consistency: Consistency,
    /// What the number drawn on each node is ("term", "clock").
    pub headline: &'static str,
    pub roles: &'static [Role],
    pub kinds: &'static [MessageKind],
    pub properties: &'static [Property],
    pub controls: &'static [ControlInfo],
    pub toggles: &'static [Toggle],
    /// What the view of nodes' state shows, in order.
    pub state: &'static [StateView],
    /// Whether clients read and write through its nodes (a failure detector keeps no data).
    pub clients: bool,
    /// What the countdown drawn around a node (`NodeView::timer`) runs to.
    pub timer: &'static str,
    /// The heading of the lines the protocol's library logged, if it logs any.
    pub library_log: Option<&'static str>,
    /// For a protocol whose nodes can join a running cluster: the control a member is given,
    /// naming a node just added (`Action::AddNode`), to take it in. None: membership is fixed.
    pub join_control: Option<&'static str>,
    /// What the words of its views mean (a fact's label, and its meaning), said on hover.
    pub glossary: &'static [(&'static str, &'static str)],
}

/// `a` then `b`, in one array of their joint length: how a protocol made of others lists their
/// roles, kinds and controls together (in a `static`, at compile time).
pub const fn joined<T: Copy, const A: usize, const B: usize, const C: usize>(
    a: [T; A],
    b: [T; B],
) -> [T; C] {
    assert!(A + B == C && C > 0, "C is A + B");
    let mut out = [if A > 0 { a[0] } else { b[0] }; C];
    let mut i = 0;
    while i < C {
        out[i] = if i < A { a[i] } else { b[i - A] };
        i += 1;
    }
    out
}

/// Message kinds `a` then `b`, each at the position its code says.
pub const fn joined_kinds<const A: usize, const B: usize, const C: usize>(
    a: [MessageKind; A],
    b: [MessageKind; B],
) -> [MessageKind; C] {
    let mut out: [MessageKind; C] = joined(a, b);
    let mut i = 0;
    while i < C {
        out[i].code = i as u8;
        i += 1;
    }
    out
}

impl Description {
    /// The control a command names (by its name or an older alias).
    pub fn control(&self, name: &str) -> Option<&'static ControlInfo> {
        let controls: &'static [ControlInfo] = self.controls;
        controls
            .iter()
            .find(|c| c.name == name || c.aliases.contains(&name))
    }
}

/// A user's command to one node: one of the protocol's `controls`, and the node it names or
/// the nodes it lists, if any. Written in scenarios as `"Name"`, `{"Name": node}` or
/// `{"Name": [nodes]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ControlForm", into = "ControlForm")]
pub struct Control {
    pub name: String,
    pub peer: Option<NodeId>,
    pub list: Vec<NodeId>,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ControlForm {
    Plain(String),
    Naming(BTreeMap<String, NodeId>),
    Listing(BTreeMap<String, Vec<NodeId>>),
}

impl TryFrom<ControlForm> for Control {
    type Error = String;
    fn try_from(f: ControlForm) -> Result<Self, String> {
        match f {
            ControlForm::Plain(name) => Ok(Control {
                name,
                peer: None,
                list: Vec::new(),
            }),
            ControlForm::Naming(map) if map.len() == 1 => {
                let (name, peer) = map.into_iter().next().expect("one entry");
                Ok(Control {
                    name,
                    peer: Some(peer),
                    list: Vec::new(),
                })
            }
            ControlForm::Listing(map) if map.len() == 1 => {
                let (name, list) = map.into_iter().next().expect("one entry");
                Ok(Control {
                    name,
                    peer: None,
                    list,
                })
            }
            ControlForm::Naming(_) | ControlForm::Listing(_) => {
                Err("a command names one node or one list at most".into())
            }
        }
    }
}

impl From<Control> for ControlForm {
    fn from(c: Control) -> Self {
        match c.peer {
            Some(p) => ControlForm::Naming(BTreeMap::from([(c.name, p)])),
            None if !c.list.is_empty() => ControlForm::Listing(BTreeMap::from([(c.name, c.list)])),
            None => ControlForm::Plain(c.name),
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    /// Commands read and write as the enum they replaced did, so older links keep opening.
    #[test]
    fn commands_keep_their_written_form() {
        for (json, control) in [
            (
                r#""Campaign""#,
                Control {
                    name: "Campaign".into(),
                    peer: None,
                    list: vec![],
                },
            ),
            (
                r#"{"TransferLeaderTo":3}"#,
                Control {
                    name: "TransferLeaderTo".into(),
                    peer: Some(3),
                    list: vec![],
                },
            ),
            (
                r#"{"SetVoters":[0,1,5]}"#,
                Control {
                    name: "SetVoters".into(),
                    peer: None,
                    list: vec![0, 1, 5],
                },
            ),
        ] {
            assert_eq!(serde_json::from_str::<Control>(json).unwrap(), control);
            assert_eq!(serde_json::to_string(&control).unwrap(), json);
        }
        assert!(serde_json::from_str::<Control>(r#"{"A":1,"B":2}"#).is_err());
        assert!(serde_json::from_str::<Control>("7").is_err());
    }
}
