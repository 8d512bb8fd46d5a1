//! One Raft replica: a raft-rs `RawNode` (volatile) over a `MemStorage` that plays the disk
//! (durable: survives crash), plus the key-value state machine it applies to.

use super::disk::Disk;
use super::library_log::LogBuffer;
use super::ready::{conf_state, handle_ready, ReadyApp};
use super::requests::Requests;
use super::view;
use crate::check::raft_safety::RaftMonitor;
use crate::engine::limits::within;
use crate::engine::{
    digest, uniform_index, Control, Description, KvOp, KvReply, KvRequest, KvStore, MsgSummary,
    Node, NodeId, NodeView, Outbox, QueryMode, Rng, Role,
};
use raft::eraftpb::{
    ConfChangeSingle, ConfChangeType, ConfChangeV2, Entry, EntryType, Message, MessageType,
    Snapshot,
};
use raft::prelude::ConfState;
use raft::{RawNode, ReadOnlyOption, ReadState, StateRole};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMode {
    /// ReadIndex: the leader confirms with a quorum before answering (linearizable).
    #[default]
    Safe,
    /// Leader lease: no round trip; relies on bounded clock drift (needs check-quorum).
    LeaseBased,
}

/// Deliberate protocol bugs, to show what the checks catch (and to prove that they can).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bug {
    /// Does not persist its term and vote: after a restart it may vote twice in one term.
    ForgetVoteOnRestart,
    /// Answers a write as soon as it is proposed, before it commits.
    AckBeforeCommit,
    /// Changes several voters at once without joint consensus: the new configuration's quorum
    /// alone decides while others still count the old one.
    JointQuorum,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RaftConfig {
    /// Ticks without hearing from a leader before an election; the actual timeout is drawn
    /// from [election_tick, 2 * election_tick) by the simulator's RNG.
    pub election_tick: usize,
    pub heartbeat_tick: usize,
    pub pre_vote: bool,
    pub check_quorum: bool,
    pub read_mode: ReadMode,
    pub bug: Option<Bug>,
    /// raft-rs's `max_size_per_msg`: the most bytes of entries a leader puts in one append
    /// (one entry always goes). Left out of links at its default, so older links read the same.
    #[serde(skip_serializing_if = "is_default_append_bytes")]
    pub max_append_bytes: u64,
    /// Compact the log each time this many more entries are applied (0: never).
    #[serde(skip_serializing_if = "is_zero")]
    pub compact_after: u64,
}

/// What the page's "compact logs" switch sets `compact_after` to.
pub const COMPACT_EVERY: u64 = 20;

fn is_zero(n: &u64) -> bool {
    *n == 0
}

const DEFAULT_APPEND_BYTES: u64 = 1024 * 1024;

fn is_default_append_bytes(b: &u64) -> bool {
    *b == DEFAULT_APPEND_BYTES
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            election_tick: 10,
            heartbeat_tick: 2,
            pre_vote: false,
            check_quorum: false,
            read_mode: ReadMode::Safe,
            bug: None,
            max_append_bytes: DEFAULT_APPEND_BYTES,
            compact_after: 0,
        }
    }
}

impl RaftConfig {
    /// raft-rs's configuration of node `id` (from 0) under these settings.
    pub fn raft_config(&self, id: NodeId) -> raft::Config {
        raft::Config {
            id: raft_id(id),
            election_tick: self.election_tick,
            heartbeat_tick: self.heartbeat_tick,
            // raft-rs draws its timeout from an unseeded RNG whenever the role changes; the
            // node overwrites that draw with one from the simulator's RNG before it is read.
            min_election_tick: self.election_tick,
            max_election_tick: 2 * self.election_tick,
            pre_vote: self.pre_vote,
            check_quorum: self.check_quorum || self.read_mode == ReadMode::LeaseBased,
            read_only_option: match self.read_mode {
                ReadMode::Safe => ReadOnlyOption::Safe,
                ReadMode::LeaseBased => ReadOnlyOption::LeaseBased,
            },
            max_size_per_msg: self.max_append_bytes,
            max_inflight_msgs: 256,
            applied: 0,
            ..Default::default()
        }
    }
}

/// What a Raft node reports to the checks and the trace.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "note", rename_all = "kebab-case")]
pub enum RaftNote {
    /// Role or term changed.
    Role {
        term: u64,
        role: &'static str,
        leader: Option<NodeId>,
    },
    /// An entry written to the disk at `index` (anything after it is truncated): its term and
    /// a digest of its data.
    Persisted { index: u64, term: u64, digest: u64 },
    /// An entry applied to the state machine: index, term and a digest of its data, the
    /// applying node's current term (the entry was committed in that term or before), and a
    /// digest of the state machine after it.
    Applied {
        index: u64,
        term: u64,
        digest: u64,
        node_term: u64,
        state: u64,
    },
    /// A client was told its write at (index, term) succeeded.
    Acked { index: u64, term: u64 },
    /// A configuration change at `index` applied: the voters (and, while joint, the old ones)
    /// and learners now.
    Configured {
        index: u64,
        voters: Vec<NodeId>,
        outgoing: Vec<NodeId>,
        learners: Vec<NodeId>,
    },
    /// The leader sent `to` its snapshot as of `index`.
    SnapshotSent { to: NodeId, index: u64 },
    /// Told by the leader to stand at once (a leadership transfer), it did.
    TakingOver { term: u64 },
    /// The state machine as of (index, term) and a digest of it (as `Applied::state`), taken to
    /// compact the log or installed from a snapshot the leader sent.
    Snapshot {
        index: u64,
        term: u64,
        digest: u64,
        installed: bool,
    },
    /// A line raft-rs logged.
    Log { line: String },
}

/// Messages travel boxed: a raft-rs Message is 192 bytes, and the bus moves each one several
/// times (outbox, event queue, delivery) before raft-rs takes it back.
type Out<'a> = Outbox<'a, Box<Message>, RaftNote>;

/// How many emptied message boxes a node keeps for reuse.
const SPARE_BOXES: usize = 64;

pub struct RaftNode {
    pub(super) id: NodeId,
    cfg: RaftConfig,
    /// The disk, kept across crashes (the RawNode holds a handle to it).
    pub(super) disk: Disk,
    pub(super) raw: Option<RawNode<Disk>>,
    logs: LogBuffer,
    pub(super) recent_log: VecDeque<String>,
    /// The state machine, volatile: rebuilt from the log after a restart.
    pub(super) kv: KvStore,
    pub(super) applied: u64,
    /// The log index of the configuration change applied last (0: the cluster's start).
    pub(super) conf_index: u64,
    /// Was a voter or learner at some point (a node added is not, until it is taken in).
    once_member: bool,
    /// `conf_index` when membership was last looked at: it changes only with the
    /// configuration (None: look again, as after a start).
    membership_seen: Option<u64>,
    /// Was a member and its configuration no longer has it: it leads no one and serves no
    /// client, and takes part again if a configuration takes it back in.
    pub(super) removed: bool,
    requests: Requests,
    /// As leader: for how many ticks each peer has waited for the snapshot sent to it.
    snapshot_wait: BTreeMap<u64, usize>,
    last_role: (u64, StateRole),
    timeout: usize,
    /// Boxes of delivered messages, reused for outgoing ones: an allocation and a free less
    /// per message.
    #[allow(clippy::vec_box)]
    spare_boxes: Vec<Box<Message>>,
}

pub(super) fn raft_id(id: NodeId) -> u64 {
    id as u64 + 1
}
pub(super) fn node_id(raft_id: u64) -> Option<NodeId> {
    (raft_id > 0).then(|| raft_id as usize - 1)
}

impl RaftNode {
    /// A node of a cluster whose first configuration has voters n0 to n(voters - 1), started.
    fn started(id: NodeId, voters: usize, cfg: &RaftConfig, rng: &mut Rng) -> Self {
        let voters: Vec<u64> = (0..voters).map(raft_id).collect();
        let disk = Disk::new(ConfState::from((voters, vec![])));
        let mut node = RaftNode {
            id,
            cfg: cfg.clone(),
            disk,
            raw: None,
            logs: LogBuffer::default(),
            recent_log: VecDeque::new(),
            kv: KvStore::default(),
            applied: 0,
            conf_index: 0,
            once_member: false,
            membership_seen: None,
            removed: false,
            requests: Requests::default(),
            snapshot_wait: BTreeMap::new(),
            last_role: (0, StateRole::Follower),
            timeout: 0,
            spare_boxes: Vec::new(),
        };
        let mut out = Outbox::new(0, rng);
        node.start(&mut out);
        node
    }

    fn start(&mut self, out: &mut Out) {
        // The state machine starts from the disk's snapshot; raft-rs hands over what follows.
        let snapshot = self.disk.snapshot();
        let state = SnapshotData::of(&snapshot);
        self.kv = KvStore::from_pairs(state.kv);
        self.conf_index = state.conf_index;
        self.applied = snapshot.get_metadata().index;
        let mut config = self.cfg.raft_config(self.id);
        config.applied = self.applied;
        let raw = RawNode::new(&config, self.disk.clone(), &self.logs.logger())
            .expect("a valid raft config");
        self.once_member |= is_member(&raw);
        self.membership_seen = None;
        self.raw = Some(raw);
        self.last_role = (0, StateRole::Follower);
        self.new_timeout(out);
        self.after(out);
    }

    fn new_timeout(&mut self, out: &mut Out) {
        let e = self.cfg.election_tick;
        self.timeout = uniform_index(out.rng, e, 2 * e);
        if let Some(raw) = self.raw.as_mut() {
            raw.raft.set_randomized_election_timeout(self.timeout);
        }
    }

    /// After every input: report role changes, run the Ready loop, move library log lines.
    fn after(&mut self, out: &mut Out) {
        let Some(raw) = self.raw.as_ref() else { return };
        let now_role = (raw.raft.term, raw.raft.state);
        let leader = node_id(raw.raft.leader_id);
        if now_role != self.last_role {
            self.last_role = now_role;
            let role = if self.removed {
                view::REMOVED
            } else {
                view::role(now_role.1)
            };
            out.note(RaftNote::Role {
                term: now_role.0,
                role: role.name,
                leader,
            });
            self.new_timeout(out);
            if now_role.1 != StateRole::Leader {
                self.requests.lost_leadership(leader, out);
            }
        }
        self.ready(out);
        let raw = self.raw.as_mut().expect("checked above");
        if self.requests.issue(raw) {
            self.ready(out);
        }
        // Every so many entries; and, once the log was compacted, after every configuration
        // change, so that the snapshot a new member is sent has it in its configuration.
        let since = self.disk.snapshot_at().0;
        if (self.cfg.compact_after > 0 && self.applied >= since + self.cfg.compact_after)
            || (since > 0 && self.conf_index > since)
        {
            self.compact(out);
        }
        self.follow_membership(out);
        for line in self.logs.take() {
            if self.recent_log.len() == 40 {
                self.recent_log.pop_front();
            }
            self.recent_log.push_back(line.clone());
            out.note(RaftNote::Log { line });
        }
    }

    /// Say so when the configuration leaves the node out (a leader stepped down as it applied
    /// that: `ready`), or takes it back in.
    fn follow_membership(&mut self, out: &mut Out) {
        let Some(raw) = self.raw.as_mut() else { return };
        if self.membership_seen == Some(self.conf_index) {
            return;
        }
        self.membership_seen = Some(self.conf_index);
        let member = is_member(raw);
        let removed = self.once_member && !member;
        self.once_member |= member;
        if removed == self.removed {
            return;
        }
        self.removed = removed;
        let (term, state) = (raw.raft.term, raw.raft.state);
        self.last_role = (term, state);
        let role = if removed {
            view::REMOVED
        } else {
            view::role(state)
        };
        out.note(RaftNote::Role {
            term,
            role: role.name,
            leader: None,
        });
        self.requests.lost_leadership(None, out);
    }

    /// raft-rs waits for a snapshot it sent until told how it went, and a snapshot lost on the
    /// way is never answered; a transport would report the failure. Here a snapshot unanswered
    /// for two election timeouts counts as failed, and raft-rs sends another.
    fn retry_snapshots(&mut self) {
        let Some(raw) = self.raw.as_mut() else { return };
        if raw.raft.state != StateRole::Leader {
            self.snapshot_wait.clear();
            return;
        }
        let waiting: Vec<u64> = (raw.raft.prs().iter())
            .filter(|(_, p)| p.state == raft::ProgressState::Snapshot)
            .map(|(&id, _)| id)
            .collect();
        self.snapshot_wait.retain(|id, _| waiting.contains(id));
        for id in waiting {
            let ticks = self.snapshot_wait.entry(id).or_insert(0);
            *ticks += 1;
            if *ticks > 2 * self.cfg.election_tick {
                *ticks = 0;
                raw.report_snapshot(id, raft::SnapshotStatus::Failure);
            }
        }
    }

    fn ready(&mut self, out: &mut Out) {
        let Some(raw) = self.raw.as_mut() else { return };
        let mut app = Applier {
            bug: self.cfg.bug,
            kv: &mut self.kv,
            applied: &mut self.applied,
            conf_index: &mut self.conf_index,
            requests: &mut self.requests,
            spare_boxes: &mut self.spare_boxes,
            out,
        };
        handle_ready(raw, &self.disk, &mut app);
    }

    /// Snapshot the state machine at the index applied last and drop the log before it.
    fn compact(&mut self, out: &mut Out) {
        let Some(raw) = self.raw.as_ref() else { return };
        let index = self.applied;
        if index <= self.disk.snapshot_at().0 {
            return;
        }
        let Ok(term) = raw.raft.raft_log.term(index) else {
            return;
        };
        let mut snapshot = Snapshot::default();
        let meta = snapshot.mut_metadata();
        (meta.index, meta.term) = (index, term);
        meta.set_conf_state(conf_state(&raw.raft));
        let state = SnapshotData {
            kv: (self.kv.data().iter())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            conf_index: self.conf_index,
        };
        snapshot.data = serde_json::to_vec(&state)
            .expect("strings serialize")
            .into();
        out.note(RaftNote::Snapshot {
            index,
            term,
            digest: self.kv.digest(),
            installed: false,
        });
        self.disk.compact(snapshot);
    }

    /// The election timeout (in ticks) last drawn from the simulator's RNG.
    pub fn election_timeout(&self) -> usize {
        self.timeout
    }

    /// Whether it leads now (and has not been removed).
    pub fn leads(&self) -> bool {
        !self.removed && (self.raw.as_ref()).is_some_and(|r| r.raft.state == StateRole::Leader)
    }

    /// The state machine as applied so far, and the index it was applied to.
    pub fn store(&self) -> &KvStore {
        &self.kv
    }
    pub fn applied(&self) -> u64 {
        self.applied
    }

    /// The node it believes leads, if not itself.
    pub fn leader_hint(&self) -> Option<NodeId> {
        self.raw
            .as_ref()
            .and_then(|r| node_id(r.raft.leader_id))
            .filter(|&l| l != self.id)
    }
}

/// What a snapshot's data holds: the state machine and where its configuration came from.
#[derive(Default, Serialize, Deserialize)]
struct SnapshotData {
    kv: Vec<(String, String)>,
    conf_index: u64,
}

impl SnapshotData {
    /// What a snapshot holds (none taken yet: the empty state machine of the start).
    fn of(snap: &Snapshot) -> Self {
        serde_json::from_slice(&snap.data).unwrap_or_default()
    }
}

/// Whether the node is a voter or a learner of the configuration it holds.
fn is_member(raw: &RawNode<Disk>) -> bool {
    let conf = raw.raft.prs().conf();
    let me = raw.raft.id;
    conf.voters().contains(me) || conf.learners().contains(&me)
}

/// Propose one configuration change of these steps (raft-rs forwards it to the leader from a
/// follower that knows one, and refuses it while another change is under way).
fn propose_change(raw: &mut RawNode<Disk>, steps: &[(ConfChangeType, NodeId)]) {
    let mut cc = ConfChangeV2::default();
    cc.set_changes(
        (steps.iter())
            .map(|&(t, n)| {
                let mut c = ConfChangeSingle::default();
                c.set_change_type(t);
                c.node_id = raft_id(n);
                c
            })
            .collect(),
    );
    let _ = raw.propose_conf_change(vec![], cc);
}

/// The node's side of the Ready contract: its state machine, its clients and its outbox.
struct Applier<'n, 'o, 'r> {
    bug: Option<Bug>,
    kv: &'n mut KvStore,
    applied: &'n mut u64,
    conf_index: &'n mut u64,
    requests: &'n mut Requests,
    #[allow(clippy::vec_box)]
    spare_boxes: &'n mut Vec<Box<Message>>,
    out: &'o mut Out<'r>,
}

impl ReadyApp for Applier<'_, '_, '_> {
    fn send(&mut self, mut msgs: Vec<Message>) {
        // raft-rs orders broadcasts by iterating an FxHash map, whose order differs between
        // 64-bit and wasm32; a stable sort by receiver makes runs identical on both.
        if !msgs.is_sorted_by_key(|m| m.to) {
            msgs.sort_by_key(|m| m.to);
        }
        for m in msgs {
            let Some(to) = node_id(m.to) else { continue };
            if m.get_msg_type() == MessageType::MsgSnapshot {
                let index = m.get_snapshot().get_metadata().index;
                self.out.note(RaftNote::SnapshotSent { to, index });
            }
            let boxed = match self.spare_boxes.pop() {
                Some(mut b) => {
                    *b = m;
                    b
                }
                None => Box::new(m),
            };
            self.out.send(to, boxed);
        }
    }

    fn persisting(&mut self, entries: &[Entry]) {
        for e in entries {
            self.out.note(RaftNote::Persisted {
                index: e.index,
                term: e.term,
                digest: digest(&e.data),
            });
        }
    }

    /// The state machine as the leader's snapshot holds it.
    fn restore(&mut self, snap: &Snapshot) {
        let state = SnapshotData::of(snap);
        *self.kv = KvStore::from_pairs(state.kv);
        *self.conf_index = state.conf_index;
        *self.applied = snap.get_metadata().index;
        self.out.note(RaftNote::Snapshot {
            index: *self.applied,
            term: snap.get_metadata().term,
            digest: self.kv.digest(),
            installed: true,
        });
    }

    fn apply(&mut self, entries: Vec<Entry>, node_term: u64) {
        let out = &mut *self.out;
        for e in entries {
            if e.index <= *self.applied {
                continue;
            }
            *self.applied = e.index;
            let result = (e.get_entry_type() == EntryType::EntryNormal)
                .then(|| KvOp::decode(&e.data).map(|op| self.kv.apply(&op)));
            out.note(RaftNote::Applied {
                index: e.index,
                term: e.term,
                digest: digest(&e.data),
                node_term,
                state: self.kv.digest(),
            });
            let Some(result) = result else { continue };
            let Some((req, term)) = self.requests.committed(e.index) else {
                continue;
            };
            if term != e.term {
                let reason = format!("entry {} was replaced by a newer leader", e.index);
                out.reply(req, KvReply::Failed { reason, hint: None });
            } else if let Some(reply) = result {
                // The broken node answered when it proposed.
                if self.bug != Some(Bug::AckBeforeCommit) {
                    if matches!(reply, KvReply::Ok { .. }) {
                        out.note(RaftNote::Acked {
                            index: e.index,
                            term: e.term,
                        });
                    }
                    out.reply(req, reply);
                }
            }
        }
        self.requests.serve(*self.applied, self.kv, out);
    }

    fn skips_joint(&self) -> bool {
        self.bug == Some(Bug::JointQuorum)
    }

    fn configured(&mut self, index: u64, conf: &ConfState) {
        *self.conf_index = index;
        let nodes = |ids: &[u64]| ids.iter().filter_map(|&i| node_id(i)).collect();
        let learners = [conf.learners.as_slice(), &conf.learners_next].concat();
        self.out.note(RaftNote::Configured {
            index,
            voters: nodes(&conf.voters),
            outgoing: nodes(&conf.voters_outgoing),
            learners: nodes(&learners),
        });
    }

    fn read_confirmed(&mut self, reads: Vec<ReadState>) {
        self.requests.confirmed(reads);
        self.requests.serve(*self.applied, self.kv, self.out);
    }
}

impl Node for RaftNode {
    type Msg = Box<Message>;
    type Note = RaftNote;
    type Monitor = RaftMonitor;
    type Config = RaftConfig;
    const DESCRIPTION: &'static Description = &view::DESCRIPTION;

    fn is_milestone(note: &RaftNote) -> bool {
        matches!(
            note,
            RaftNote::Role { role: "leader", .. } | RaftNote::Acked { .. }
        )
    }

    fn elected(note: &RaftNote) -> Option<u64> {
        match note {
            RaftNote::Role {
                role: "leader",
                term,
                ..
            } => Some(*term),
            _ => None,
        }
    }

    fn role_change(note: &RaftNote) -> Option<(&'static str, u64)> {
        match note {
            RaftNote::Role { role, term, .. } => Some((role, *term)),
            _ => None,
        }
    }

    fn validate(cfg: &RaftConfig) -> Result<(), String> {
        within("heartbeat_tick", cfg.heartbeat_tick, 1, 100)?;
        // raft-rs requires an election timeout longer than the heartbeat interval.
        within(
            "election_tick",
            cfg.election_tick,
            cfg.heartbeat_tick + 1,
            1000,
        )
    }

    fn new(id: NodeId, nodes: usize, cfg: &RaftConfig, rng: &mut Rng) -> Self {
        RaftNode::started(id, nodes, cfg, rng)
    }

    /// A node added to a running cluster starts from the cluster's first configuration, of
    /// which it is not a member: it takes part once a member adds it as a learner.
    fn join(id: NodeId, genesis: usize, cfg: &RaftConfig, rng: &mut Rng) -> Option<Self> {
        Some(RaftNode::started(id, genesis, cfg, rng))
    }

    fn on_message(&mut self, _from: NodeId, mut msg: Box<Message>, out: &mut Out) {
        let Some(raw) = self.raw.as_mut() else { return };
        let takes_over = msg.get_msg_type() == MessageType::MsgTimeoutNow;
        // A stale or unexpected message is rejected by raft-rs with an error; nothing to do.
        let _ = raw.step(std::mem::take(&mut *msg));
        if takes_over && raw.raft.state == StateRole::Candidate {
            out.note(RaftNote::TakingOver {
                term: raw.raft.term,
            });
        }
        if self.spare_boxes.len() < SPARE_BOXES {
            self.spare_boxes.push(msg);
        }
        self.after(out);
    }

    fn on_tick(&mut self, out: &mut Out) {
        if let Some(raw) = self.raw.as_mut() {
            raw.tick();
            self.retry_snapshots();
        }
        self.after(out);
    }

    fn on_client(&mut self, req: KvRequest<'_>, out: &mut Out) {
        // A removed node serves no one; it points the client at a voter of the configuration
        // that left it out (the next after it), which knows more than it does.
        if self.removed {
            let voters = (self.raw.as_ref())
                .map(|r| conf_state(&r.raft).voters)
                .unwrap_or_default();
            let ids: Vec<NodeId> = voters.iter().filter_map(|&v| node_id(v)).collect();
            let hint = (ids.iter().find(|&&v| v > self.id))
                .or(ids.first())
                .copied();
            out.reply(req.id, KvReply::NotLeader { hint });
            return;
        }
        let hint = self.leader_hint();
        let Some(raw) = self.raw.as_mut() else { return };
        let mode = req.op.mode();
        let leads = raw.raft.state == StateRole::Leader;
        // A stale read is answered by any node from its own state; a default one by the leader
        // from its own, without asking a quorum whether it still leads.
        let local = mode == QueryMode::Stale || (leads && mode == QueryMode::Default);
        if req.op.is_read() && local {
            let value = Some(self.kv.get(req.op.key()));
            out.reply(req.id, KvReply::Ok { value });
            return;
        }
        if !leads {
            out.reply(req.id, KvReply::NotLeader { hint });
            return;
        }
        if req.op.is_read() {
            self.requests.read(req.id, req.op.key());
        } else {
            match raw.propose(vec![], req.op.encode()) {
                Ok(()) => {
                    let (index, term) = (raw.raft.raft_log.last_index(), raw.raft.term);
                    if self.cfg.bug == Some(Bug::AckBeforeCommit) {
                        out.note(RaftNote::Acked { index, term });
                        out.reply(req.id, KvReply::Ok { value: None });
                    }
                    self.requests.proposed(index, req.id, term);
                }
                Err(e) => out.reply(
                    req.id,
                    KvReply::Failed {
                        reason: e.to_string(),
                        hint,
                    },
                ),
            }
        }
        self.after(out);
    }

    fn on_control(&mut self, cmd: &Control, out: &mut Out) {
        let Some(raw) = self.raw.as_mut() else { return };
        match (cmd.name.as_str(), cmd.peer) {
            ("Campaign", _) => {
                let _ = raw.campaign();
            }
            ("Compact", None) => {
                self.compact(out);
                return;
            }
            ("AddLearner", Some(p)) => propose_change(raw, &[(ConfChangeType::AddLearnerNode, p)]),
            ("Promote", Some(p)) => propose_change(raw, &[(ConfChangeType::AddNode, p)]),
            ("Demote", Some(p)) => propose_change(raw, &[(ConfChangeType::AddLearnerNode, p)]),
            ("Remove", Some(p)) => propose_change(raw, &[(ConfChangeType::RemoveNode, p)]),
            ("SetVoters", None) => {
                // The listed nodes vote, the other voters leave: more than one voter changing
                // goes through joint consensus (raft-rs leaves it on its own).
                let voters = conf_state(&raw.raft).voters;
                let wanted: Vec<u64> = cmd.list.iter().map(|&n| raft_id(n)).collect();
                let changes: Vec<(ConfChangeType, NodeId)> = (wanted.iter())
                    .filter(|id| !voters.contains(id))
                    .map(|&id| (ConfChangeType::AddNode, id))
                    .chain(
                        (voters.iter())
                            .filter(|id| !wanted.contains(id))
                            .map(|&id| (ConfChangeType::RemoveNode, id)),
                    )
                    .filter_map(|(t, id)| Some((t, node_id(id)?)))
                    .collect();
                if !changes.is_empty() {
                    propose_change(raw, &changes);
                }
            }
            ("TransferLeaderTo", Some(to)) => {
                // Only the leader can hand over; otherwise ask the leader we know of.
                if raw.raft.state == StateRole::Leader {
                    raw.transfer_leader(raft_id(to));
                } else if let Some(leader) = node_id(raw.raft.leader_id) {
                    let mut m = Message::default();
                    m.set_msg_type(MessageType::MsgTransferLeader);
                    m.from = raft_id(to);
                    m.to = raft_id(leader);
                    m.term = raw.raft.term;
                    out.send(leader, Box::new(m));
                }
            }
            _ => {}
        }
        self.after(out);
    }

    /// A leader refuses a membership change that raft-rs would drop without a word: one while
    /// another is not applied yet, one while the joint configuration has not been left, and
    /// one that leaves no voter. (A follower hands the change on; the leader decides.)
    fn refuses(&self, cmd: &Control) -> Option<String> {
        let r = &self.raw.as_ref()?.raft;
        let changes = ["AddLearner", "Promote", "Demote", "Remove", "SetVoters"];
        if r.state != StateRole::Leader || !changes.contains(&cmd.name.as_str()) {
            return None;
        }
        if r.has_pending_conf() {
            return Some(format!(
                "raft-rs takes one configuration change at a time, and takes the next once index {} is applied (a change may be pending until then)",
                r.pending_conf_index
            ));
        }
        let conf = conf_state(r);
        if !conf.voters_outgoing.is_empty() {
            return Some("the cluster is still leaving its joint configuration".into());
        }
        let mut voters = conf.voters;
        let peer = cmd.peer.map(raft_id);
        match cmd.name.as_str() {
            "Demote" | "Remove" => voters.retain(|&v| Some(v) != peer),
            "SetVoters" => voters = cmd.list.iter().map(|&n| raft_id(n)).collect(),
            _ => {}
        }
        voters
            .is_empty()
            .then(|| "that would leave the cluster without a voter".into())
    }

    fn crash(&mut self) {
        self.raw = None;
        self.snapshot_wait.clear();
        self.kv = KvStore::default();
        self.applied = 0;
        self.requests.clear();
        self.logs.take();
    }

    fn restart(&mut self, out: &mut Out) {
        if self.cfg.bug == Some(Bug::ForgetVoteOnRestart) {
            let mut core = self.disk.log().wl();
            core.mut_hard_state().vote = 0;
            core.mut_hard_state().term = 0;
        }
        self.start(out);
    }

    fn view(&self) -> NodeView {
        self.build_view()
    }

    fn role(&self) -> (&'static Role, u64) {
        match self.raw.as_ref() {
            Some(raw) if self.removed => (view::REMOVED, raw.raft.term),
            Some(raw) => (view::role(raw.raft.state), raw.raft.term),
            None => (&Role::DOWN, self.disk.log().rl().hard_state().term),
        }
    }

    fn summarize(m: &Box<Message>) -> MsgSummary {
        view::summarize(m)
    }

    fn describe(m: &Box<Message>) -> Vec<(String, String)> {
        view::describe(m)
    }

    fn toggle(cfg: &mut RaftConfig, key: &str, on: bool) {
        match key {
            "pre-vote" => {
                cfg.pre_vote = on;
                cfg.check_quorum = on;
            }
            "compact" => cfg.compact_after = if on { COMPACT_EVERY } else { 0 },
            "ack-before-commit" if on => cfg.bug = Some(Bug::AckBeforeCommit),
            "ack-before-commit" if cfg.bug == Some(Bug::AckBeforeCommit) => cfg.bug = None,
            _ => {}
        }
    }
}
