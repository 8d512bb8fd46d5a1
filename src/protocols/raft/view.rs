//! What a reader sees of Raft: the protocol's description (roles, message kinds, properties,
//! controls), a node's view, and each message's summary and fields.

use super::node::{node_id, raft_id, RaftNode};
use crate::check::raft_safety::PROPERTIES;
use crate::engine::{
    Consistency, ControlInfo, Description, KvOp, LogEntry, LogState, MemberKind, Membership,
    MessageKind, MsgSummary, NodeId, NodeView, PeerProgress, Role, Shape, StateView, Toggle, Votes,
};
use raft::eraftpb::{EntryType, Message, MessageType};
use raft::{StateRole, Storage};

/// How many of the latest log entries a view carries.
const VIEW_LOG_TAIL: u64 = 120;

/// Also listed by protocols built on Raft.
pub(crate) const ROLE_LIST: [Role; 5] = [
    Role {
        name: "leader",
        colour: "#f2b134",
        leads: true,
        passing: false,
    },
    Role {
        name: "follower",
        colour: "#4a90d9",
        leads: false,
        passing: false,
    },
    Role {
        name: "candidate",
        colour: "#e0603a",
        leads: false,
        passing: true,
    },
    Role {
        name: "precandidate",
        colour: "#d98ad9",
        leads: false,
        passing: true,
    },
    Role {
        name: "removed",
        colour: "#5d6673",
        leads: false,
        passing: false,
    },
];

static ROLES: [Role; 5] = ROLE_LIST;

/// A node that applied a configuration without it: it leads no one and serves no client.
pub(super) static REMOVED: &Role = &ROLES[4];

pub(super) fn role(r: StateRole) -> &'static Role {
    &ROLES[match r {
        StateRole::Leader => 0,
        StateRole::Follower => 1,
        StateRole::Candidate => 2,
        StateRole::PreCandidate => 3,
    }]
}

/// Raft's message kinds, in the order of `KINDS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Vote,
    VoteResp,
    PreVote,
    PreVoteResp,
    Append,
    AppendResp,
    Heartbeat,
    HeartbeatResp,
    Snapshot,
    TimeoutNow,
    ReadIndex,
    ReadIndexResp,
    TransferLeader,
    Other,
}

impl Kind {
    fn of(t: MessageType) -> Kind {
        use MessageType::*;
        match t {
            MsgRequestVote => Kind::Vote,
            MsgRequestVoteResponse => Kind::VoteResp,
            MsgRequestPreVote => Kind::PreVote,
            MsgRequestPreVoteResponse => Kind::PreVoteResp,
            MsgAppend => Kind::Append,
            MsgAppendResponse => Kind::AppendResp,
            MsgHeartbeat => Kind::Heartbeat,
            MsgHeartbeatResponse => Kind::HeartbeatResp,
            MsgSnapshot => Kind::Snapshot,
            MsgTimeoutNow => Kind::TimeoutNow,
            MsgReadIndex => Kind::ReadIndex,
            MsgReadIndexResp => Kind::ReadIndexResp,
            MsgTransferLeader => Kind::TransferLeader,
            _ => Kind::Other,
        }
    }
    fn info(self) -> &'static MessageKind {
        &KINDS[self as usize]
    }
}

const NUMBERS: [&str; 4] = ["term", "index", "log_term", "commit"];

const fn kind(
    code: Kind,
    label: &'static str,
    colour: &'static str,
    shape: Shape,
    response: bool,
) -> MessageKind {
    MessageKind {
        grants: matches!(code, Kind::VoteResp | Kind::PreVoteResp),
        routine: matches!(code, Kind::Heartbeat | Kind::HeartbeatResp),
        numbers: NUMBERS,
        ..MessageKind::new(code as u8, label, colour, shape, response)
    }
}

const CANDIDATE: &str = "#e0603a";
const PRECANDIDATE: &str = "#d98ad9";
const LEADER: &str = "#f2b134";
const HEARTBEAT: &str = "#9fb4c8";
const RARE: &str = "#b28cf0";
const SNAPSHOT: &str = "#5ccfb0";

static KINDS: [MessageKind; 14] = KIND_LIST;

/// Also listed by protocols built on Raft.
pub(crate) const KIND_LIST: [MessageKind; 14] = {
    use Shape::{Circle, Square};
    [
        kind(Kind::Vote, "vote", CANDIDATE, Square, false),
        kind(Kind::VoteResp, "vote-resp", CANDIDATE, Square, true),
        kind(Kind::PreVote, "prevote", PRECANDIDATE, Square, false),
        kind(
            Kind::PreVoteResp,
            "prevote-resp",
            PRECANDIDATE,
            Square,
            true,
        ),
        kind(Kind::Append, "append", LEADER, Circle, false),
        kind(Kind::AppendResp, "append-resp", LEADER, Circle, true),
        kind(Kind::Heartbeat, "heartbeat", HEARTBEAT, Circle, false),
        kind(
            Kind::HeartbeatResp,
            "heartbeat-resp",
            HEARTBEAT,
            Circle,
            true,
        ),
        MessageKind {
            colour: SNAPSHOT,
            numbers: ["term", "snapshot index", "snapshot term", "bytes"],
            size: Some(3),
            ..kind(Kind::Snapshot, "snapshot", RARE, Circle, false)
        },
        kind(Kind::TimeoutNow, "timeout-now", RARE, Circle, false),
        kind(Kind::ReadIndex, "read-index", RARE, Circle, false),
        kind(Kind::ReadIndexResp, "read-index-resp", RARE, Circle, true),
        kind(Kind::TransferLeader, "transfer-leader", RARE, Circle, false),
        kind(Kind::Other, "other", RARE, Circle, false),
    ]
};

const fn membership_control(
    name: &'static str,
    label: &'static str,
    hook: &'static str,
    tooltip: &'static str,
) -> ControlInfo {
    ControlInfo {
        name,
        label,
        hook,
        tooltip,
        names_node: true,
        lists_nodes: false,
        to_leader: true,
        aliases: &[],
    }
}

pub(super) static DESCRIPTION: Description = Description {
    name: "raft",
    title: "Raft",
    consistency: Consistency::Linearizable,
    headline: "term",
    roles: &ROLES,
    kinds: &KINDS,
    properties: &PROPERTIES,
    controls: &CONTROLS,
    toggles: &TOGGLES,
    state: &[StateView::Log],
    clients: true,
    timer: "election timeout",
    library_log: Some(LIBRARY_LOG),
    join_control: Some("AddLearner"),
    glossary: &GLOSSARY,
};

pub(crate) const LIBRARY_LOG: &str =
    "raft-rs log lines (raft-rs counts nodes from 1: its id 5 is n4)";

/// Also offered by protocols built on Raft.
pub(crate) const CONTROLS: [ControlInfo; 8] = [
        ControlInfo {
            name: "Campaign",
            label: "Campaign",
            hook: "campaign",
            tooltip: "Start an election now",
            names_node: false,
        lists_nodes: false,
        to_leader: false,
            aliases: &[],
        },
        ControlInfo {
            name: "TransferLeaderTo",
            label: "Make leader",
            hook: "transfer-leader",
            tooltip: "Ask the leader to hand leadership over to this node",
            names_node: true,
            lists_nodes: false,
            to_leader: false,
            aliases: &[],
        },
        ControlInfo {
            name: "Compact",
            label: "Compact",
            hook: "compact",
            tooltip: "Snapshot its state machine now and drop the log before it",
            names_node: false,
            lists_nodes: false,
            to_leader: false,
            aliases: &[],
        },
        membership_control("AddLearner", "Add as learner", "add-learner", "Ask the leader to take this node in as a learner: it gets the log but does not vote"),
        membership_control("Promote", "Promote", "promote", "Ask the leader to make this learner a voter"),
        membership_control("Demote", "Demote", "demote", "Ask the leader to make this voter a learner"),
        membership_control("Remove", "Remove", "remove-node", "Ask the leader to take this node out of the cluster (a leader may remove itself)"),
        ControlInfo {
            name: "SetVoters",
            label: "Set voters",
            hook: "set-voters",
            tooltip: "Make exactly these nodes the voters, in one change: more than one voter changing goes through joint consensus",
            names_node: false,
            lists_nodes: true,
            to_leader: true,
            aliases: &[],
        },
    ];

pub(crate) const TOGGLES: [Toggle; 3] = [
        Toggle {
            key: "pre-vote",
            label: "pre-vote + check-quorum",
            tooltip: "Raft: pre-vote and check-quorum, as etcd and TiKV run it",
        },
        Toggle {
            key: "compact",
            label: "compact logs",
            tooltip: "Raft: each node snapshots its state machine every 20 applied entries and drops the log before it; a follower too far behind is sent the snapshot",
        },
        Toggle {
            key: "ack-before-commit",
            label: "bug: ack early",
            tooltip: "Raft with a deliberate bug: a leader answers a write as soon as it is proposed, before it commits. A crash or partition then loses acknowledged writes, and the live checks catch it",
        },
    ];

pub(crate) const GLOSSARY: [(&str, &str); 2] = [
    (
        "vote",
        "the node it voted for in its current term (one vote per term)",
    ),
    ("leader", "the node it believes leads its current term"),
];

fn entry_text(entry_type: EntryType, data: &[u8]) -> String {
    match entry_type {
        EntryType::EntryNormal => {
            KvOp::decode(data).map_or_else(|| "(no-op)".into(), |op| op.to_string())
        }
        _ => "(config change)".into(),
    }
}

fn name(n: Option<usize>, none: &str) -> String {
    n.map_or(none.into(), |n| format!("n{n}"))
}

impl RaftNode {
    pub(super) fn build_view(&self) -> NodeView {
        let store = self.disk.log().rl();
        let hs = store.hard_state().clone();
        drop(store);
        let mut v = NodeView::new(&Role::DOWN, hs.term);
        v.kv = (self.kv.data().iter())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        v.library_log = self.recent_log.iter().cloned().collect();
        let mut state = LogState {
            commit: hs.commit,
            applied: self.applied,
            last: 0,
            snapshot: Some(self.disk.snapshot_at()).filter(|s| s.0 > 0),
        };
        // MemStorage::entries panics on an empty log: ask only when there is something.
        if let (Ok(first), Ok(last)) = (self.disk.first_index(), self.disk.last_index()) {
            state.last = last;
            if last >= first {
                // The tail is what a reader looks at; building the whole log every frame would not scale.
                let from = first.max((last + 1).saturating_sub(VIEW_LOG_TAIL));
                let ctx = raft::GetEntriesContext::empty(false);
                if let Ok(entries) = self.disk.entries(from, last + 1, None, ctx) {
                    v.log = (entries.iter())
                        .map(|e| LogEntry {
                            index: e.index,
                            term: e.term,
                            text: entry_text(e.get_entry_type(), &e.data),
                        })
                        .collect();
                }
            }
        }
        v.facts.push(("vote", name(node_id(hs.vote), "none")));
        let Some(raw) = self.raw.as_ref() else {
            v.log_state = Some(state);
            return v;
        };
        let r = &raw.raft;
        v.role = if self.removed { REMOVED } else { role(r.state) };
        v.headline = r.term;
        state.commit = r.raft_log.committed;
        state.last = r.raft_log.last_index();
        v.log_state = Some(state);
        v.facts
            .push(("leader", name(node_id(r.leader_id), "unknown")));
        // A removed node is no candidate: its timer and votes mean nothing.
        let active = !self.removed;
        if active && r.state != StateRole::Leader {
            let timeout = r.randomized_election_timeout();
            let left = timeout.saturating_sub(r.election_elapsed);
            v.timer = Some((left as u32, timeout as u32));
        }
        let conf = super::ready::conf_state(r);
        if active && matches!(r.state, StateRole::Candidate | StateRole::PreCandidate) {
            let granted = |set: &[u64]| {
                let votes = r.prs().votes();
                set.iter().filter(|id| votes.get(id) == Some(&true)).count()
            };
            let old = &conf.voters_outgoing;
            v.votes = Some(Votes {
                granted: granted(&conf.voters),
                of: conf.voters.len(),
                old: (!old.is_empty()).then(|| (granted(old), old.len())),
            });
        }
        let nodes = |ids: &[u64]| -> Vec<NodeId> {
            let mut n: Vec<NodeId> = ids.iter().filter_map(|&i| node_id(i)).collect();
            n.sort_unstable();
            n
        };
        let me = raft_id(self.id);
        let kind = if conf.voters.contains(&me) || conf.voters_outgoing.contains(&me) {
            MemberKind::Voter
        } else if conf.learners.contains(&me) || conf.learners_next.contains(&me) {
            MemberKind::Learner
        } else {
            MemberKind::None
        };
        let member = Membership {
            kind,
            voters: nodes(&conf.voters),
            outgoing: nodes(&conf.voters_outgoing),
            learners: nodes(&[conf.learners.as_slice(), conf.learners_next.as_slice()].concat()),
            index: self.conf_index,
        };
        v.facts.push(("configuration", configuration_text(&member)));
        v.offers = Some(match kind {
            _ if self.removed => vec!["AddLearner"],
            MemberKind::Voter => vec![
                "Campaign",
                "TransferLeaderTo",
                "Compact",
                "Demote",
                "Remove",
            ],
            MemberKind::Learner => vec!["Compact", "Promote", "Remove"],
            MemberKind::None => vec!["AddLearner"],
        });
        v.member = Some(member);
        if active && r.state == StateRole::Leader {
            v.peers = (r.prs().iter())
                .filter_map(|(id, p)| {
                    let peer = node_id(*id).filter(|&n| n != self.id)?;
                    Some(PeerProgress {
                        peer,
                        matched: p.matched,
                        next: p.next_idx,
                        state: match p.state {
                            raft::ProgressState::Probe => "probe",
                            raft::ProgressState::Replicate => "replicate",
                            raft::ProgressState::Snapshot => "snapshot",
                        },
                    })
                })
                .collect();
            v.peers.sort_by_key(|p| p.peer);
        }
        v
    }
}

/// "voters n0 n1 n2, learners n5 (from index 7)"; while joint, "voters n0 n1 n2 → n0 n1 n5".
fn configuration_text(m: &Membership) -> String {
    let list = |ns: &[NodeId]| {
        ns.iter()
            .map(|n| format!("n{n}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut t = if m.joint() {
        format!("voters {} → {}", list(&m.outgoing), list(&m.voters))
    } else {
        format!("voters {}", list(&m.voters))
    };
    if !m.learners.is_empty() {
        t += &format!(", learners {}", list(&m.learners));
    }
    if m.index > 0 {
        t += &format!(" (from index {})", m.index);
    }
    t
}

pub(super) fn summarize(m: &Message) -> MsgSummary {
    let t = m.get_msg_type();
    let numbers = match m.snapshot.as_ref() {
        Some(snap) if t == MessageType::MsgSnapshot => {
            let meta = snap.get_metadata();
            [m.term, meta.index, meta.term, snap.data.len() as u64]
        }
        _ => [m.term, m.index, m.log_term, m.commit],
    };
    MsgSummary {
        kind: Kind::of(t).info(),
        numbers,
        entries: m.entries.len() as u32,
        reject: m.reject,
    }
}

/// raft-rs's own name for the message and what its summary leaves out.
pub(super) fn describe(m: &Message) -> Vec<(String, String)> {
    let mut f = vec![(
        "raft-rs type".to_string(),
        format!("{:?}", m.get_msg_type()),
    )];
    if m.reject {
        f.push(("reject hint".into(), m.reject_hint.to_string()));
    }
    for e in &m.entries {
        let text = entry_text(e.get_entry_type(), &e.data);
        f.push((
            format!("entry {}", e.index),
            format!("term {}: {text}", e.term),
        ));
    }
    if m.snapshot.is_some() {
        let index = m.get_snapshot().get_metadata().index;
        f.push(("snapshot index".into(), index.to_string()));
    }
    f
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn raft_message_types_map_to_their_kinds() {
        assert_eq!(Kind::of(MessageType::MsgAppend).info().label, "append");
        assert!(Kind::of(MessageType::MsgRequestVoteResponse).info().grants);
    }
}
