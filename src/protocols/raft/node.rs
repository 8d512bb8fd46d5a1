//! One Raft replica: a raft-rs `RawNode` (volatile) over a `MemStorage` that plays the disk
//! (durable: survives crash), plus the key-value state machine it applies to.

use super::library_log::LogBuffer;
use crate::check::raft_safety::RaftMonitor;
use crate::engine::{
    uniform_index, Control, KvOp, KvReply, KvRequest, KvStore, MsgSummary, Node, NodeId, NodeView,
    Outbox, Rng,
};
use protobuf::Message as _;
use raft::eraftpb::{ConfChange, ConfChangeV2, Entry, EntryType, Message, MessageType, Snapshot};
use raft::prelude::ConfState;
use raft::storage::MemStorage;
use raft::{RawNode, ReadOnlyOption, StateRole, Storage};
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
    /// An entry applied to the state machine: index, term and a digest of its data, and the
    /// applying node's current term (the entry was committed in that term or before).
    Applied {
        index: u64,
        term: u64,
        digest: u64,
        node_term: u64,
    },
    /// A client was told its write at (index, term) succeeded.
    Acked { index: u64, term: u64 },
    /// A line raft-rs logged.
    Log { line: String },
}

/// Messages travel boxed: a raft-rs Message is 192 bytes, and the bus moves each one several
/// times (outbox, event queue, delivery) before raft-rs takes it back.
type Out<'a, 'b> = Outbox<'a, Box<Message>, RaftNote>;

/// How many emptied message boxes a node keeps for reuse.
const SPARE_BOXES: usize = 64;

/// How many of the latest log entries a view carries.
pub const VIEW_LOG_TAIL: u64 = 120;

pub struct RaftNode {
    id: NodeId,
    nodes: usize,
    cfg: RaftConfig,
    /// The disk: raft-rs's MemStorage, kept across crashes (the RawNode holds a handle to it).
    disk: MemStorage,
    raw: Option<RawNode<MemStorage>>,
    logs: LogBuffer,
    recent_log: VecDeque<String>,
    kv: KvStore,
    applied: u64,
    /// Writes awaiting commit: log index -> (client request, term it was proposed in).
    pending_writes: BTreeMap<u64, (u64, u64)>,
    /// Reads waiting for ReadIndex confirmation: the key, by request id.
    pending_reads: BTreeMap<u64, String>,
    /// Reads not yet handed to raft-rs: it drops ReadIndex requests until the leader has
    /// committed an entry of its own term, so they wait here until then.
    unissued_reads: Vec<u64>,
    /// Reads confirmed at a commit index, waiting for the state machine to catch up: (index,
    /// request id, key).
    ready_reads: Vec<(u64, u64, String)>,
    last_role: (u64, StateRole),
    timeout: usize,
    /// Boxes of delivered messages, each holding only an empty message, reused for outgoing
    /// ones: an allocation and a free less per message.
    #[allow(clippy::vec_box)]
    spare_boxes: Vec<Box<Message>>,
}

fn raft_id(id: NodeId) -> u64 {
    id as u64 + 1
}
fn node_id(raft_id: u64) -> Option<NodeId> {
    (raft_id > 0).then(|| raft_id as usize - 1)
}

fn role_name(r: StateRole) -> &'static str {
    match r {
        StateRole::Leader => "leader",
        StateRole::Follower => "follower",
        StateRole::Candidate => "candidate",
        StateRole::PreCandidate => "precandidate",
    }
}

/// A digest of entry data, the same on every platform: FNV-1a's steps over little-endian
/// 8-byte words rather than bytes (a persisted and an applied entry each get one). Each step
/// is a bijection of the state, so two different entries of one length never collide.
pub(crate) fn digest(data: &[u8]) -> u64 {
    let step = |h: u64, w: u64| (h ^ w).wrapping_mul(0x100_0000_01b3);
    let words = data.chunks_exact(8);
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    let h = (words.map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes"))))
        .chain([u64::from_le_bytes(last)])
        .fold(0xcbf2_9ce4_8422_2325 ^ data.len() as u64, step);
    h ^ (h >> 29)
}

impl RaftNode {
    fn start(&mut self, out: &mut Out) {
        let c = &self.cfg;
        let config = raft::Config {
            id: raft_id(self.id),
            election_tick: c.election_tick,
            heartbeat_tick: c.heartbeat_tick,
            // raft-rs draws its timeout from an unseeded RNG whenever the role changes; we
            // overwrite that draw with one from the simulator's RNG before it is ever read.
            min_election_tick: c.election_tick,
            max_election_tick: 2 * c.election_tick,
            pre_vote: c.pre_vote,
            check_quorum: c.check_quorum || c.read_mode == ReadMode::LeaseBased,
            read_only_option: match c.read_mode {
                ReadMode::Safe => ReadOnlyOption::Safe,
                ReadMode::LeaseBased => ReadOnlyOption::LeaseBased,
            },
            max_size_per_msg: 1024 * 1024,
            max_inflight_msgs: 256,
            applied: 0,
            ..Default::default()
        };
        let raw = RawNode::new(&config, self.disk.clone(), &self.logs.logger())
            .expect("a valid raft config");
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

    /// After every input: run the Ready loop, report role changes, move library log lines.
    fn after(&mut self, out: &mut Out) {
        let Some(raw) = self.raw.as_ref() else { return };
        let now_role = (raw.raft.term, raw.raft.state);
        let leader = node_id(raw.raft.leader_id);
        if now_role != self.last_role {
            self.last_role = now_role;
            out.note(RaftNote::Role {
                term: now_role.0,
                role: role_name(now_role.1),
                leader,
            });
            self.new_timeout(out);
            if now_role.1 != StateRole::Leader {
                // Pending reads can no longer be confirmed by this node: they surely had no effect.
                self.unissued_reads.clear();
                for (req, _) in std::mem::take(&mut self.pending_reads) {
                    out.reply(req, KvReply::NotLeader { hint: leader });
                }
            }
        }
        self.ready_loop(out);
        let raw = self.raw.as_mut().expect("checked above");
        if !self.unissued_reads.is_empty()
            && raw.raft.state == StateRole::Leader
            && raw.raft.commit_to_current_term()
        {
            for req in self.unissued_reads.drain(..) {
                raw.read_index(req.to_le_bytes().to_vec());
            }
            self.ready_loop(out);
        }
        for line in self.logs.take() {
            if self.recent_log.len() == 40 {
                self.recent_log.pop_front();
            }
            self.recent_log.push_back(line.clone());
            out.note(RaftNote::Log { line });
        }
    }

    fn ready_loop(&mut self, out: &mut Out) {
        while self.raw.as_ref().is_some_and(|r| r.has_ready()) {
            let raw = self.raw.as_mut().expect("checked");
            let mut rd = raw.ready();
            self.send_all(rd.take_messages(), out);
            if !rd.snapshot().is_empty() {
                self.install_snapshot(rd.snapshot().clone());
            }
            let committed = rd.take_committed_entries();
            self.apply_entries(committed, out);
            if !rd.entries().is_empty() {
                for e in rd.entries() {
                    out.note(RaftNote::Persisted {
                        index: e.index,
                        term: e.term,
                        digest: digest(&e.data),
                    });
                }
                self.disk
                    .wl()
                    .append(rd.entries())
                    .expect("append to the disk");
            }
            if let Some(hs) = rd.hs() {
                self.disk.wl().set_hardstate(hs.clone());
            }
            // Votes and append responses leave only after the disk write above.
            self.send_all(rd.take_persisted_messages(), out);
            let reads = rd.take_read_states();
            let raw = self.raw.as_mut().expect("checked");
            let mut light = raw.advance(rd);
            if let Some(commit) = light.commit_index() {
                self.disk.wl().mut_hard_state().set_commit(commit);
            }
            self.send_all(light.take_messages(), out);
            self.apply_entries(light.take_committed_entries(), out);
            self.raw.as_mut().expect("checked").advance_apply();
            for rs in reads {
                let req = u64::from_le_bytes(
                    rs.request_ctx
                        .get(..8)
                        .and_then(|b| b.try_into().ok())
                        .unwrap_or_default(),
                );
                if let Some(key) = self.pending_reads.remove(&req) {
                    self.ready_reads.push((rs.index, req, key));
                }
            }
            self.serve_reads(out);
        }
    }

    fn send_all(&mut self, mut msgs: Vec<Message>, out: &mut Out) {
        // raft-rs orders broadcasts by iterating an FxHash map, whose order differs between
        // 64-bit and wasm32; a stable sort by receiver makes runs identical on both.
        if !msgs.is_sorted_by_key(|m| m.to) {
            msgs.sort_by_key(|m| m.to);
        }
        for m in msgs {
            let Some(to) = node_id(m.to).filter(|&t| t < self.nodes) else {
                continue;
            };
            let boxed = match self.spare_boxes.pop() {
                Some(mut b) => {
                    // A spare box holds the empty message `on_message` left in it, which owns
                    // no memory: forgetting it skips its drop code (a tenth of this function).
                    std::mem::forget(std::mem::replace(&mut *b, m));
                    b
                }
                None => Box::new(m),
            };
            out.send(to, boxed);
        }
    }

    fn install_snapshot(&mut self, snap: Snapshot) {
        let index = snap.get_metadata().index;
        if let Ok(data) = serde_json::from_slice::<Vec<(String, String)>>(&snap.data) {
            self.kv.data = data.into_iter().collect();
        }
        self.applied = index;
        self.disk
            .wl()
            .apply_snapshot(snap)
            .expect("apply snapshot to the disk");
    }

    fn apply_entries(&mut self, entries: Vec<Entry>, out: &mut Out) {
        if entries.is_empty() {
            return;
        }
        for e in entries {
            if e.index <= self.applied {
                continue;
            }
            self.applied = e.index;
            let node_term = self.raw.as_ref().map_or(0, |r| r.raft.term);
            out.note(RaftNote::Applied {
                index: e.index,
                term: e.term,
                digest: digest(&e.data),
                node_term,
            });
            match e.get_entry_type() {
                EntryType::EntryNormal => {
                    let result = KvOp::decode(&e.data).map(|op| self.kv.apply(&op));
                    if let Some((req, term)) = self.pending_writes.remove(&e.index) {
                        if term != e.term {
                            out.reply(
                                req,
                                KvReply::Failed {
                                    reason: format!(
                                        "entry {} was replaced by a newer leader",
                                        e.index
                                    ),
                                    hint: None,
                                },
                            );
                        } else if let Some(reply) = result {
                            if matches!(reply, KvReply::Ok { .. })
                                && self.cfg.bug != Some(Bug::AckBeforeCommit)
                            {
                                out.note(RaftNote::Acked {
                                    index: e.index,
                                    term: e.term,
                                });
                            }
                            if self.cfg.bug != Some(Bug::AckBeforeCommit) {
                                out.reply(req, reply);
                            }
                        }
                    }
                }
                // An empty EntryConfChangeV2 (leave joint consensus) must be applied too.
                EntryType::EntryConfChange => {
                    if let Ok(cc) = ConfChange::parse_from_bytes(&e.data) {
                        self.apply_conf_change(&cc);
                    }
                }
                EntryType::EntryConfChangeV2 => {
                    if let Ok(cc) = ConfChangeV2::parse_from_bytes(&e.data) {
                        self.apply_conf_change(&cc);
                    }
                }
            }
        }
        self.serve_reads(out);
    }

    fn apply_conf_change(&mut self, cc: &impl raft_proto::ConfChangeI) {
        if let Some(raw) = self.raw.as_mut() {
            if let Ok(cs) = raw.apply_conf_change(cc) {
                self.disk.wl().set_conf_state(cs);
            }
        }
    }

    fn serve_reads(&mut self, out: &mut Out) {
        if self.ready_reads.is_empty() {
            return;
        }
        let applied = self.applied;
        let kv = &self.kv;
        self.ready_reads.retain(|(index, req, key)| {
            if *index > applied {
                return true;
            }
            out.reply(
                *req,
                KvReply::Ok {
                    value: Some(kv.get(key)),
                },
            );
            false
        });
    }

    /// The election timeout (in ticks) last drawn from the simulator's RNG.
    pub fn election_timeout(&self) -> usize {
        self.timeout
    }

    fn leader_hint(&self) -> Option<NodeId> {
        self.raw
            .as_ref()
            .and_then(|r| node_id(r.raft.leader_id))
            .filter(|&l| l != self.id)
    }
}

impl Node for RaftNode {
    type Msg = Box<Message>;
    type Note = RaftNote;
    type Monitor = RaftMonitor;
    type Config = RaftConfig;
    const NAME: &'static str = "raft";

    fn is_milestone(note: &RaftNote) -> bool {
        matches!(
            note,
            RaftNote::Role { role: "leader", .. } | RaftNote::Acked { .. }
        )
    }

    fn new(id: NodeId, nodes: usize, cfg: &RaftConfig, rng: &mut Rng) -> Self {
        let voters: Vec<u64> = (0..nodes).map(raft_id).collect();
        let disk = MemStorage::new_with_conf_state(ConfState::from((voters, vec![])));
        let mut node = RaftNode {
            id,
            nodes,
            cfg: cfg.clone(),
            disk,
            raw: None,
            logs: LogBuffer::default(),
            recent_log: VecDeque::new(),
            kv: KvStore::default(),
            applied: 0,
            pending_writes: BTreeMap::new(),
            pending_reads: BTreeMap::new(),
            unissued_reads: Vec::new(),
            ready_reads: Vec::new(),
            last_role: (0, StateRole::Follower),
            timeout: 0,
            spare_boxes: Vec::new(),
        };
        let mut out = Outbox::new(0, rng);
        node.start(&mut out);
        node
    }

    fn on_message(&mut self, _from: NodeId, mut msg: Box<Message>, out: &mut Out) {
        let Some(raw) = self.raw.as_mut() else { return };
        // A stale or unexpected message is rejected by raft-rs with an error; nothing to do.
        let _ = raw.step(std::mem::take(&mut *msg));
        if self.spare_boxes.len() < SPARE_BOXES {
            self.spare_boxes.push(msg);
        }
        self.after(out);
    }

    fn on_tick(&mut self, out: &mut Out) {
        if let Some(raw) = self.raw.as_mut() {
            raw.tick();
        }
        self.after(out);
    }

    fn on_client(&mut self, req: KvRequest<'_>, out: &mut Out) {
        let hint = self.leader_hint();
        let Some(raw) = self.raw.as_mut() else { return };
        if raw.raft.state != StateRole::Leader {
            out.reply(req.id, KvReply::NotLeader { hint });
            return;
        }
        if req.op.is_read() {
            self.unissued_reads.push(req.id);
            self.pending_reads.insert(req.id, req.op.key().to_string());
        } else {
            match raw.propose(vec![], req.op.encode()) {
                Ok(()) => {
                    let (index, term) = (raw.raft.raft_log.last_index(), raw.raft.term);
                    if self.cfg.bug == Some(Bug::AckBeforeCommit) {
                        out.note(RaftNote::Acked { index, term });
                        out.reply(req.id, KvReply::Ok { value: None });
                    }
                    self.pending_writes.insert(index, (req.id, term));
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

    fn on_control(&mut self, cmd: Control, out: &mut Out) {
        let Some(raw) = self.raw.as_mut() else { return };
        match cmd {
            Control::Campaign => {
                let _ = raw.campaign();
            }
            Control::TransferLeaderTo(to) => {
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
        }
        self.after(out);
    }

    fn crash(&mut self) {
        self.raw = None;
        self.kv = KvStore::default();
        self.applied = 0;
        self.pending_writes.clear();
        self.pending_reads.clear();
        self.unissued_reads.clear();
        self.ready_reads.clear();
        self.logs.take();
    }

    fn restart(&mut self, out: &mut Out) {
        if self.cfg.bug == Some(Bug::ForgetVoteOnRestart) {
            let mut core = self.disk.wl();
            core.mut_hard_state().vote = 0;
            core.mut_hard_state().term = 0;
        }
        self.start(out);
    }

    fn view(&self) -> NodeView {
        let mut v = NodeView {
            role: "down".into(),
            kv: self
                .kv
                .data
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            ..Default::default()
        };
        v.recent_log_lines = self.recent_log.iter().cloned().collect();
        let store = self.disk.rl();
        let hs = store.hard_state().clone();
        drop(store);
        v.term = hs.term;
        v.commit = hs.commit;
        v.applied = self.applied;
        // MemStorage::entries panics on an empty log: ask only when there is something.
        if let (Ok(first), Ok(last)) = (self.disk.first_index(), self.disk.last_index()) {
            if last >= first {
                // The tail is what a reader looks at; building the whole log every frame would not scale.
                let from = first.max((last + 1).saturating_sub(VIEW_LOG_TAIL));
                if let Ok(entries) =
                    self.disk
                        .entries(from, last + 1, None, raft::GetEntriesContext::empty(false))
                {
                    v.log = entries
                        .iter()
                        .map(|e| {
                            let text = match e.get_entry_type() {
                                EntryType::EntryNormal => KvOp::decode(&e.data)
                                    .map_or_else(|| "(no-op)".into(), |op| op.to_string()),
                                _ => "(config change)".into(),
                            };
                            (e.index, e.term, text)
                        })
                        .collect();
                }
            }
        }
        v.details.push((
            "vote".into(),
            node_id(hs.vote).map_or("none".into(), |n| format!("n{n}")),
        ));
        let Some(raw) = self.raw.as_ref() else {
            return v;
        };
        let r = &raw.raft;
        v.role = role_name(r.state).into();
        v.term = r.term;
        v.commit = r.raft_log.committed;
        v.details.push((
            "leader".into(),
            node_id(r.leader_id).map_or("unknown".into(), |n| format!("n{n}")),
        ));
        v.details
            .push(("last index".into(), r.raft_log.last_index().to_string()));
        if r.state != StateRole::Leader {
            let left = r
                .randomized_election_timeout()
                .saturating_sub(r.election_elapsed);
            v.election_timer = Some((left as u32, r.randomized_election_timeout() as u32));
        }
        if matches!(r.state, StateRole::Candidate | StateRole::PreCandidate) {
            let granted = r.prs().votes().values().filter(|&&g| g).count();
            v.details.push(("votes".into(), granted.to_string()));
        }
        if r.state == StateRole::Leader {
            let mut prs: Vec<_> = r
                .prs()
                .iter()
                .map(|(id, p)| (*id, p.matched, p.next_idx, format!("{:?}", p.state)))
                .collect();
            prs.sort();
            for (id, matched, next, state) in prs {
                if let Some(n) = node_id(id).filter(|&n| n != self.id) {
                    v.details.push((
                        format!("n{n} match/next"),
                        format!("{matched}/{next} ({})", state.to_lowercase()),
                    ));
                }
            }
        }
        v
    }

    fn role(&self) -> (&'static str, u64) {
        match self.raw.as_ref() {
            Some(raw) => (role_name(raw.raft.state), raw.raft.term),
            None => ("down", self.disk.rl().hard_state().term),
        }
    }

    fn summarize(m: &Box<Message>) -> MsgSummary {
        MsgSummary {
            kind: kind_name(m.get_msg_type()),
            term: m.term,
            index: m.index,
            log_term: m.log_term,
            commit: m.commit,
            entries: m.entries.len() as u32,
            reject: m.reject,
        }
    }

    fn describe(m: &Box<Message>) -> Vec<(String, String)> {
        let mut f = vec![
            ("type".to_string(), format!("{:?}", m.get_msg_type())),
            (
                "from".into(),
                node_id(m.from).map_or("-".into(), |n| format!("n{n}")),
            ),
            (
                "to".into(),
                node_id(m.to).map_or("-".into(), |n| format!("n{n}")),
            ),
            ("term".into(), m.term.to_string()),
            ("index".into(), m.index.to_string()),
            ("log term".into(), m.log_term.to_string()),
            ("commit".into(), m.commit.to_string()),
        ];
        if m.reject {
            f.push(("reject".into(), "true".into()));
            f.push(("reject hint".into(), m.reject_hint.to_string()));
        }
        for e in &m.entries {
            let text = KvOp::decode(&e.data).map_or_else(|| "(no-op)".into(), |op| op.to_string());
            f.push((
                format!("entry {}", e.index),
                format!("term {}: {text}", e.term),
            ));
        }
        if m.snapshot.is_some() {
            f.push((
                "snapshot index".into(),
                m.get_snapshot().get_metadata().index.to_string(),
            ));
        }
        f
    }
}

/// Short names the UI colours messages by.
pub fn kind_name(t: MessageType) -> &'static str {
    use MessageType::*;
    match t {
        MsgRequestVote => "vote",
        MsgRequestVoteResponse => "vote-resp",
        MsgRequestPreVote => "prevote",
        MsgRequestPreVoteResponse => "prevote-resp",
        MsgAppend => "append",
        MsgAppendResponse => "append-resp",
        MsgHeartbeat => "heartbeat",
        MsgHeartbeatResponse => "heartbeat-resp",
        MsgSnapshot => "snapshot",
        MsgTimeoutNow => "timeout-now",
        MsgReadIndex => "read-index",
        MsgReadIndexResp => "read-index-resp",
        MsgTransferLeader => "transfer-leader",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::digest;
    use std::collections::HashSet;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Entries that differ get different digests: every 2-byte entry, and a 13-byte one
    /// changed in any single byte (across the 8-byte word boundary).
    #[test]
    fn different_entries_have_different_digests() {
        let two: HashSet<u64> = (0..=u16::MAX).map(|v| digest(&v.to_le_bytes())).collect();
        assert_eq!(two.len(), 1 << 16);
        let base = b"\x01\x02\0\0\0k3\x02\0\0\0ab".to_vec();
        let mut seen = HashSet::from([digest(&base)]);
        for i in 0..base.len() {
            let mut e = base.clone();
            e[i] ^= 0x40;
            assert!(seen.insert(digest(&e)), "byte {i}");
        }
        assert_ne!(digest(b""), digest(b"\0"));
    }
}
