//! Consul, as its servers and agents divide the work: the first `servers` nodes run raft-rs
//! and replicate the store (the key-value data clients use, and the service catalog); every
//! node, server or agent, is a member of one SWIM gossip pool (Serf, on memberlist). An agent
//! registers its own service, as Consul's agent does by anti-entropy: on start, and again every
//! sync period, it asks to have its service listed if the catalog does not list it (a
//! compare-and-set from absent). The leader reconciles the catalog with the pool, as Consul's
//! leader does: the service of a member the pool declares dead is deregistered. Both write
//! through Raft as a client of the cluster would (`Outbox::request`), so that the writes are in
//! the history and reads of the catalog are checked against them like any other. Clients read
//! in Consul's three query modes (see `QueryMode`); an agent sends them on to a
//! server, as an agent forwards an RPC.
//!
//! The node is the two protocols side by side, each handed its own messages and notes
//! (`Outbox::part`); the description lists both protocols' roles, kinds and controls.

use super::raft::{RaftConfig, RaftNode, RaftNote};
use super::swim::{Health, SwimConfig, SwimMonitor, SwimMsg, SwimNode, SwimNote};
use crate::check::raft_safety::{RaftMonitor, PROPERTIES};
use crate::engine::limits::within;
use crate::engine::{
    joined, joined_kinds, Consistency, Control, ControlInfo, Description, KvOp, KvReply, KvRequest,
    MessageKind, Monitor, MsgSummary, Node, NodeId, NodeView, Outbox, Rng, Role, StateView, Status,
    Toggle, Violation,
};
use raft::eraftpb::Message;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsulConfig {
    /// How many of the nodes (the first ones) are servers; the rest are client agents.
    pub servers: usize,
    pub raft: RaftConfig,
    pub swim: SwimConfig,
    /// How often the leader reconciles the catalog with the pool, in ticks.
    pub reconcile_ticks: u32,
    /// How often an agent makes sure the catalog lists its service (anti-entropy), in ticks.
    pub sync_ticks: u32,
}

impl Default for ConsulConfig {
    /// Three servers running Raft with pre-vote and check-quorum (as Consul's does: a leader
    /// that loses its quorum steps down); memberlist's LAN settings; a reconcile every 500 ms;
    /// an agent's sync every 5 s (Consul's is at least a minute, scaled with the cluster).
    fn default() -> Self {
        ConsulConfig {
            servers: 3,
            raft: RaftConfig {
                pre_vote: true,
                check_quorum: true,
                ..RaftConfig::default()
            },
            swim: SwimConfig::default(),
            reconcile_ticks: 10,
            sync_ticks: 100,
        }
    }
}

/// The service every agent runs, as the catalog lists it.
pub const SERVICE: &str = "web";

/// The catalog's key for member `m`'s service.
pub fn service_key(m: NodeId) -> String {
    format!("svc/n{m}")
}

#[derive(Clone, Debug)]
pub enum ConsulMsg {
    Raft(Box<Message>),
    Swim(SwimMsg),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ConsulNote {
    Raft(RaftNote),
    Swim(SwimNote),
    /// This server's catalog now lists `member`'s service, or no longer does.
    Listed {
        member: NodeId,
        listed: bool,
    },
}

pub struct ConsulNode {
    id: NodeId,
    servers: usize,
    raft: Option<RaftNode>,
    swim: SwimNode,
    reconcile_ticks: u32,
    until_reconcile: u32,
    sync_ticks: u32,
    /// An agent's next sync of its own registration.
    until_sync: u32,
    /// A server's catalog as last reported, by member, and the index its state machine had
    /// applied then (the catalog changes only as entries apply).
    listed: Vec<bool>,
    scanned: Option<u64>,
}

/// A client agent: a member of the pool that holds no data.
const AGENT: Role = Role {
    name: "agent",
    colour: "#7aa6d8",
    leads: false,
    passing: false,
};

const RAFT_KINDS: usize = super::raft::KIND_LIST.len();

static ROLES: [Role; 6] = joined(super::raft::ROLE_LIST, [AGENT]);
static KINDS: [MessageKind; 18] = joined_kinds(super::raft::KIND_LIST, super::swim::KIND_LIST);
/// Raft's commands but those that change its membership (the servers are fixed here), and
/// SWIM's.
static CONTROLS: [ControlInfo; 4] = {
    let raft = super::raft::CONTROLS;
    joined([raft[0], raft[1], raft[2]], [super::swim::PROBE_NOW])
};
static TOGGLES: [Toggle; 4] = joined(super::raft::TOGGLES, [super::swim::LIFEGUARD]);
static GLOSSARY: [(&str, &str); 8] = joined(
    super::raft::GLOSSARY,
    joined::<_, 5, 1, 6>(
        super::swim::GLOSSARY,
        [(
            "catalog",
            "the services the servers list, by member: each agent registers its own, and the leader deregisters that of a member the gossip pool declares dead",
        )],
    ),
);

static DESCRIPTION: Description = Description {
    name: "consul",
    title: "Consul (Raft servers, SWIM agents)",
    consistency: Consistency::Linearizable,
    headline: "term (servers), incarnation (agents)",
    roles: &ROLES,
    kinds: &KINDS,
    properties: &PROPERTIES,
    controls: &CONTROLS,
    toggles: &TOGGLES,
    state: &[StateView::Log, StateView::Store, StateView::Members],
    clients: true,
    timer: "election timeout (servers), next probe (agents)",
    library_log: Some(super::raft::LIBRARY_LOG),
    join_control: None,
    glossary: &GLOSSARY,
};

type Out<'a> = Outbox<'a, ConsulMsg, ConsulNote>;

/// An agent's first sync after it starts, in ticks: after a second or two, once servers have
/// had time to elect a leader, spread by member so that the agents do not all ask at once.
fn first_sync(id: NodeId) -> u32 {
    20 + (id as u32 * 7) % 20
}

impl ConsulNode {
    fn server(&self) -> bool {
        self.raft.is_some()
    }

    fn raft_part(
        &mut self,
        out: &mut Out,
        f: impl FnOnce(&mut RaftNode, &mut Outbox<Box<Message>, RaftNote>),
    ) {
        if let Some(raft) = self.raft.as_mut() {
            out.part(ConsulMsg::Raft, ConsulNote::Raft, |o| f(raft, o));
        }
    }

    fn swim_part(
        &mut self,
        out: &mut Out,
        f: impl FnOnce(&mut SwimNode, &mut Outbox<SwimMsg, SwimNote>),
    ) {
        out.part(ConsulMsg::Swim, ConsulNote::Swim, |o| f(&mut self.swim, o));
    }

    /// As leader: deregister the service of a member the pool holds dead (a suspect keeps its
    /// listing until it is declared dead). One write a round, made as a client of the cluster
    /// would make it, so that it goes in the history and reads of the catalog are checked
    /// against it. Runs after `report_catalog`, whose listing it goes by.
    fn reconcile(&mut self, out: &mut Out) {
        if !self.raft.as_ref().is_some_and(|r| r.leads()) {
            return;
        }
        let dead = (self.servers..self.listed.len())
            .find(|&m| self.listed[m] && self.swim.health(m) == Health::Dead);
        if let Some(m) = dead {
            out.request(KvOp::Put {
                key: service_key(m),
                value: String::new(),
            });
        }
    }

    /// As an agent: have the catalog list this agent's service if it does not (set from
    /// absent: a listing already there is left as it is). The request goes to this agent,
    /// which sends it on to a server, and from there to the leader.
    fn sync(&mut self, out: &mut Out) {
        if self.server() {
            return;
        }
        self.until_sync -= 1;
        if self.until_sync == 0 {
            self.until_sync = self.sync_ticks;
            out.request(KvOp::Cas {
                key: service_key(self.id),
                from: String::new(),
                to: SERVICE.into(),
            });
        }
    }

    /// A server reports each change of its catalog's listings (looked at again only once
    /// more entries have applied: this runs after every input).
    fn report_catalog(&mut self, out: &mut Out) {
        let Some(raft) = self.raft.as_ref() else {
            return;
        };
        if self.scanned == Some(raft.applied()) {
            return;
        }
        self.scanned = Some(raft.applied());
        for m in self.servers..self.listed.len() {
            let listed = raft.store().get(&service_key(m)) == SERVICE;
            if listed != self.listed[m] {
                self.listed[m] = listed;
                out.note(ConsulNote::Listed { member: m, listed });
            }
        }
    }
}

impl Node for ConsulNode {
    type Msg = ConsulMsg;
    type Note = ConsulNote;
    type Monitor = ConsulMonitor;
    type Config = ConsulConfig;
    const DESCRIPTION: &'static Description = &DESCRIPTION;

    fn is_milestone(note: &ConsulNote) -> bool {
        match note {
            ConsulNote::Raft(n) => RaftNode::is_milestone(n),
            ConsulNote::Swim(n) => SwimNode::is_milestone(n),
            ConsulNote::Listed { .. } => true,
        }
    }

    fn elected(note: &ConsulNote) -> Option<u64> {
        match note {
            ConsulNote::Raft(n) => RaftNode::elected(n),
            _ => None,
        }
    }

    fn role_change(note: &ConsulNote) -> Option<(&'static str, u64)> {
        match note {
            ConsulNote::Raft(n) => RaftNode::role_change(n),
            _ => None,
        }
    }

    fn monitor(cfg: &ConsulConfig, nodes: usize) -> ConsulMonitor {
        let mut m = ConsulMonitor::default();
        m.raft.started(cfg.servers.min(nodes));
        m.swim.started(nodes);
        m.stopped = vec![None; nodes];
        m.unlisted = vec![false; nodes];
        m
    }

    fn validate(cfg: &ConsulConfig) -> Result<(), String> {
        within("servers", cfg.servers, 1, 7)?;
        within("reconcile_ticks", cfg.reconcile_ticks, 1, 1000)?;
        within("sync_ticks", cfg.sync_ticks, 1, 10_000)?;
        RaftNode::validate(&cfg.raft)?;
        SwimNode::validate(&cfg.swim)
    }

    fn new(id: NodeId, nodes: usize, cfg: &ConsulConfig, rng: &mut Rng) -> Self {
        let servers = cfg.servers.min(nodes);
        let raft = (id < servers).then(|| RaftNode::new(id, servers, &cfg.raft, rng));
        let swim = SwimNode::new(id, nodes, &cfg.swim, rng);
        ConsulNode {
            id,
            servers,
            raft,
            swim,
            reconcile_ticks: cfg.reconcile_ticks,
            until_reconcile: cfg.reconcile_ticks,
            sync_ticks: cfg.sync_ticks,
            until_sync: first_sync(id),
            listed: vec![false; nodes],
            scanned: None,
        }
    }

    fn on_message(&mut self, from: NodeId, msg: ConsulMsg, out: &mut Out) {
        match msg {
            ConsulMsg::Raft(m) => self.raft_part(out, |r, o| r.on_message(from, m, o)),
            ConsulMsg::Swim(m) => self.swim_part(out, |s, o| s.on_message(from, m, o)),
        }
        self.report_catalog(out);
    }

    fn on_tick(&mut self, out: &mut Out) {
        self.raft_part(out, |r, o| r.on_tick(o));
        self.swim_part(out, |s, o| s.on_tick(o));
        self.report_catalog(out);
        self.until_reconcile -= 1;
        if self.until_reconcile == 0 {
            self.until_reconcile = self.reconcile_ticks;
            self.reconcile(out);
        }
        self.sync(out);
    }

    fn on_client(&mut self, req: KvRequest<'_>, out: &mut Out) {
        if self.server() {
            self.raft_part(out, |r, o| r.on_client(req, o));
            self.report_catalog(out);
            return;
        }
        // An agent holds no data: it sends the client to a server the pool holds alive
        // (Consul's agent forwards the RPC itself), starting from one of its own.
        let alive = (0..self.servers)
            .map(|k| (self.id + k) % self.servers)
            .find(|&s| self.swim.health(s) == Health::Alive);
        out.reply(req.id, KvReply::NotLeader { hint: alive });
    }

    fn on_control(&mut self, cmd: &Control, out: &mut Out) {
        if cmd.name == super::swim::PROBE_NOW.name {
            self.swim_part(out, |s, o| s.on_control(cmd, o));
        } else {
            self.raft_part(out, |r, o| r.on_control(cmd, o));
        }
        self.report_catalog(out);
    }

    fn refuses(&self, cmd: &Control) -> Option<String> {
        self.raft.as_ref()?.refuses(cmd)
    }

    fn crash(&mut self) {
        if let Some(r) = self.raft.as_mut() {
            r.crash();
        }
        self.swim.crash();
        // Its state machine is rebuilt on restart: look at the catalog afresh then.
        self.scanned = None;
    }

    fn restart(&mut self, out: &mut Out) {
        self.raft_part(out, |r, o| r.restart(o));
        self.swim_part(out, |s, o| s.restart(o));
        self.until_reconcile = self.reconcile_ticks;
        self.until_sync = first_sync(self.id);
        self.report_catalog(out);
    }

    fn view(&self) -> NodeView {
        let swim = self.swim.view();
        match &self.raft {
            Some(raft) => {
                let mut v = raft.view();
                v.headline_label = Some("term");
                v.members = swim.members;
                v.facts.extend(swim.facts);
                v
            }
            None => NodeView {
                role: &AGENT,
                headline_label: Some("incarnation"),
                offers: Some(vec![super::swim::PROBE_NOW.name]),
                stores: false,
                ..swim
            },
        }
    }

    fn role(&self) -> (&'static Role, u64) {
        match &self.raft {
            Some(raft) => raft.role(),
            None => (&AGENT, self.swim.role().1),
        }
    }

    fn summarize(m: &ConsulMsg) -> MsgSummary {
        let (mut s, offset) = match m {
            ConsulMsg::Raft(m) => (RaftNode::summarize(m), 0),
            ConsulMsg::Swim(m) => (SwimNode::summarize(m), RAFT_KINDS),
        };
        s.kind = &KINDS[offset + s.kind.code as usize];
        s
    }

    fn describe(m: &ConsulMsg) -> Vec<(String, String)> {
        match m {
            ConsulMsg::Raft(m) => RaftNode::describe(m),
            ConsulMsg::Swim(m) => SwimNode::describe(m),
        }
    }

    fn toggle(cfg: &mut ConsulConfig, key: &str, on: bool) {
        RaftNode::toggle(&mut cfg.raft, key, on);
        SwimNode::toggle(&mut cfg.swim, key, on);
    }
}

/// Raft's safety properties over the servers, SWIM's figures over the pool, and how long a
/// stopped member's service stays listed.
#[derive(Default)]
pub struct ConsulMonitor {
    pub raft: RaftMonitor,
    pub swim: SwimMonitor,
    /// When each member stopped, while it is stopped; and whether its listing is gone since.
    stopped: Vec<Option<u64>>,
    unlisted: Vec<bool>,
    /// Stops whose service some server's catalog dropped while they lasted: how long after
    /// the stop, in ms.
    pub deregistration_ms: Vec<u64>,
}

impl Monitor<ConsulNote> for ConsulMonitor {
    fn status(&mut self, t: u64, node: NodeId, status: Status) {
        self.swim.status(t, node, status);
        let Some(stopped) = self.stopped.get_mut(node) else {
            return;
        };
        match status {
            Status::Up => *stopped = None,
            _ if stopped.is_none() => {
                *stopped = Some(t);
                self.unlisted[node] = false;
            }
            _ => {}
        }
    }

    fn observe(&mut self, t: u64, node: NodeId, note: &ConsulNote) -> Option<Violation> {
        match note {
            ConsulNote::Raft(n) => self.raft.observe(t, node, n),
            ConsulNote::Swim(n) => self.swim.observe(t, node, n),
            &ConsulNote::Listed {
                member,
                listed: false,
            } => {
                if let Some(since) = self.stopped.get(member).copied().flatten() {
                    if !self.unlisted[member] {
                        self.unlisted[member] = true;
                        self.deregistration_ms.push(t - since);
                    }
                }
                None
            }
            ConsulNote::Listed { .. } => None,
        }
    }

    fn figures(&self) -> Vec<(&'static str, String)> {
        let mut f = self.swim.figures();
        let longest = self.deregistration_ms.iter().max();
        f.push((
            "stops deregistered from the catalog",
            match longest {
                None => "none yet".into(),
                Some(ms) => format!(
                    "{} (longest {ms} ms after the stop)",
                    self.deregistration_ms.len()
                ),
            },
        ));
        f
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    /// Both protocols' kinds sit at their codes in the joint table, and a message keeps its
    /// kind's label through the composition.
    #[test]
    fn the_joint_description_lists_both_protocols() {
        for (i, k) in KINDS.iter().enumerate() {
            assert_eq!(k.code as usize, i, "{}", k.label);
        }
        let ping = SwimMsg::Ping {
            seq: 1,
            updates: Vec::new(),
        };
        let s = ConsulNode::summarize(&ConsulMsg::Swim(ping.clone()));
        assert_eq!(s.kind.label, SwimNode::summarize(&ping).kind.label);
        assert_eq!(s.kind.code as usize, RAFT_KINDS);
        let raft = Box::new(Message::default());
        let r = ConsulNode::summarize(&ConsulMsg::Raft(raft.clone()));
        assert_eq!(r.kind.label, RaftNode::summarize(&raft).kind.label);
        assert_eq!(ROLES.last().map(|r| r.name), Some("agent"));
        assert!(CONTROLS.iter().any(|c| c.name == "ProbeNow"));
        assert!(
            !CONTROLS.iter().any(|c| c.lists_nodes || c.to_leader),
            "no Raft membership change: the servers are fixed"
        );
    }
}
