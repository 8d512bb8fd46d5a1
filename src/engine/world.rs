//! The world: one run of a cluster. Owns virtual time, the RNG, the nodes, the network and
//! what is on its way over it, the clients, the trace and the live checks. This file is the
//! event loop and the routing of what nodes produce; `workload.rs` drives the clients and
//! `actions.rs` carries out (and checks) what users and fault schedules do.

use super::client::{Client, ClientId, History};
use super::describe::Role;
use super::in_flight::{Envelope, InFlight};
use super::kv::{KvReply, KvRequest};
use super::limits::{clip, within, MAX_ACTIONS, MAX_TIME_MS, NODES};
use super::marks::{HeldSpan, Hold, Mark, MarkKind, RoleChange};
use super::network::{Fate, MsgId, Network};
use super::node::{Monitor, Node, NodeId, NodeView, Outbox, Rng, Violation};
use super::queue::Event;
use super::scenario::{Action, Scenario};
use super::trace::{DropReason, Trace, TraceKind};
use rand::{Rng as _, SeedableRng};
use rustc_hash::FxHashMap;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Up,
    Down,
    /// Frozen process: no ticks, inbox held until resumed.
    Paused,
}

/// Counters over the whole run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub messages_sent: u64,
    pub messages_delivered: u64,
    pub messages_dropped: u64,
    pub crashes: u64,
    pub partitions: u64,
}

pub struct World<N: Node> {
    pub(super) scenario: Scenario<N::Config>,
    /// Index of the next user action to apply.
    pub(super) next_action: usize,
    pub(super) now: u64,
    pub(super) steps: u64,
    /// Events that did something visible (what one click on "step" runs).
    pub(super) visible_events: u64,
    pub(super) rng: Rng,
    /// The event queue, and every message on its way.
    pub(super) bus: InFlight<N::Msg>,
    pub(super) nodes: Vec<N>,
    pub(super) status: Vec<Status>,
    /// Bumped on crash/restart/resume so that stale tick chains die out.
    pub(super) epoch: Vec<u64>,
    pub(super) net: Network,
    next_msg: MsgId,
    pub(super) clients: Vec<Client>,
    /// Each node's own client, once it has acted as a client of its cluster.
    pub(super) own_clients: Vec<Option<ClientId>>,
    pub(super) history: History,
    /// Client and operation of every attempt not yet answered, by request id.
    pub(super) requests: FxHashMap<u64, (ClientId, usize)>,
    pub(super) next_req: u64,
    pub(super) op_counter: u64,
    pub(super) load_on: bool,
    /// Node that last answered a client successfully; new clients start there.
    pub(super) believed_leader: NodeId,
    pub(super) tracing: bool,
    pub(super) trace: Trace<N::Note>,
    pub(super) monitor: N::Monitor,
    violations: Vec<Violation>,
    pub(super) marks: Vec<Mark>,
    /// Role changes the nodes reported, in time order (each differs from the node's last).
    roles: Vec<RoleChange>,
    /// What nodes held back and when, and where each span still open is.
    held: Vec<HeldSpan>,
    holding: FxHashMap<(NodeId, (NodeId, u64)), usize>,
    pub(super) stats: Stats,
    sends: Vec<(NodeId, N::Msg)>,
    replies: Vec<(u64, KvReply)>,
    notes: Vec<N::Note>,
}

impl<N: Node> World<N> {
    /// Build the world at time 0. The fault schedule is queued now; user actions are applied
    /// when the run reaches the step they are stamped with.
    pub fn new(scenario: Scenario<N::Config>) -> Result<Self, String> {
        Self::validate(&scenario)?;
        let n = scenario.sim.nodes;
        let mut rng = Rng::seed_from_u64(scenario.seed);
        let nodes = (0..n)
            .map(|i| N::new(i, n, &scenario.protocol, &mut rng))
            .collect();
        let c = &scenario.sim.clients;
        let clients = (0..c.count)
            .map(|i| Client {
                pinned: c.sticky,
                ..Client::new(i % n, true, c.keys)
            })
            .collect();
        let mut w = World {
            next_action: 0,
            now: 0,
            steps: 0,
            visible_events: 0,
            rng,
            bus: InFlight::new(n),
            nodes,
            status: vec![Status::Up; n],
            epoch: vec![0; n],
            net: Network::new(n, scenario.sim.link),
            next_msg: 1,
            clients,
            own_clients: vec![None; n],
            history: History::default(),
            requests: FxHashMap::default(),
            next_req: 1,
            op_counter: 0,
            load_on: false,
            believed_leader: 0,
            tracing: true,
            trace: Trace::new(N::DESCRIPTION.kinds),
            monitor: N::monitor(&scenario.protocol, n),
            violations: Vec::new(),
            marks: Vec::new(),
            roles: Vec::new(),
            held: Vec::new(),
            holding: FxHashMap::default(),
            stats: Stats::default(),
            sends: Vec::new(),
            replies: Vec::new(),
            notes: Vec::new(),
            scenario,
        };
        let tick = w.scenario.sim.tick_ms;
        for node in 0..n {
            // Spread the nodes' tick phases so they do not all fire at once.
            let at = w.rng.gen_range(1..=tick);
            w.bus.push(at, Event::Tick { node, epoch: 0 });
        }
        for a in &w.scenario.schedule {
            (w.bus).push(a.t, Event::Scheduled(Box::new(a.action.clone())));
        }
        if w.scenario.sim.clients.load {
            w.set_load(true);
        }
        Ok(w)
    }

    // ---- reading ----
    pub fn now(&self) -> u64 {
        self.now
    }
    pub fn steps(&self) -> u64 {
        self.steps
    }
    pub fn visible_events(&self) -> u64 {
        self.visible_events
    }
    pub fn scenario(&self) -> &Scenario<N::Config> {
        &self.scenario
    }
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
    pub fn node(&self, id: NodeId) -> &N {
        &self.nodes[id]
    }
    pub fn status(&self, id: NodeId) -> Status {
        self.status[id]
    }
    pub fn view(&self, id: NodeId) -> NodeView {
        let mut v = self.nodes[id].view();
        if let Some(stopped) = stopped_role(self.status[id]) {
            v.role = stopped;
            // A stopped process counts down no timer.
            v.timer = None;
        }
        v
    }
    /// Role (`Role::DOWN` or `Role::PAUSED` for a stopped process) and headline number.
    pub fn role(&self, id: NodeId) -> (&'static Role, u64) {
        let (role, n) = self.nodes[id].role();
        (stopped_role(self.status[id]).unwrap_or(role), n)
    }
    pub fn network(&self) -> &Network {
        &self.net
    }
    /// Every message on its way (queued, held, or waiting for a paused node), by id.
    pub fn in_flight(&self) -> Vec<&Envelope<N::Msg>> {
        self.bus.sorted()
    }
    pub fn message(&self, id: MsgId) -> Option<&Envelope<N::Msg>> {
        self.bus.get(id)
    }
    pub fn trace(&self) -> &Trace<N::Note> {
        &self.trace
    }
    pub fn history(&self) -> &History {
        &self.history
    }
    pub fn monitor(&self) -> &N::Monitor {
        &self.monitor
    }
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }
    /// Every moment worth finding again, in time order.
    pub fn role_changes(&self) -> &[RoleChange] {
        &self.roles
    }
    pub fn held(&self) -> &[HeldSpan] {
        &self.held
    }
    /// What a node holds back now, oldest first.
    pub fn holding(&self, node: NodeId) -> Vec<&HeldSpan> {
        let mut open: Vec<&HeldSpan> = (self.holding.iter())
            .filter(|((n, _), _)| *n == node)
            .map(|(_, &i)| &self.held[i])
            .collect();
        open.sort_by_key(|h| h.from);
        open
    }
    /// A node started empty, when the protocol lets one join (validated before).
    pub(super) fn add_node(&mut self) {
        let id = self.nodes.len();
        let genesis = self.scenario.sim.nodes;
        let Some(node) = N::join(id, genesis, &self.scenario.protocol, &mut self.rng) else {
            return;
        };
        self.nodes.push(node);
        self.own_clients.push(None);
        self.status.push(Status::Up);
        self.epoch.push(0);
        self.net.add_node(self.scenario.sim.link);
        self.bus.add_node();
        let tick = Event::Tick { node: id, epoch: 0 };
        self.bus.push(self.now + self.scenario.sim.tick_ms, tick);
    }

    /// A crashed node's volatile state is gone, and what it held back with it.
    pub(super) fn release_all(&mut self, node: NodeId) {
        let now = self.now;
        let (held, holding) = (&mut self.held, &mut self.holding);
        holding.retain(|&(n, _), &mut i| {
            if n == node {
                held[i].until = Some(now);
            }
            n != node
        });
    }
    pub fn marks(&self) -> &[Mark] {
        &self.marks
    }
    pub(super) fn mark(&mut self, kind: MarkKind, node: Option<NodeId>, number: u64) {
        self.marks.push(Mark {
            t: self.now,
            kind,
            node,
            number,
        });
    }
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    pub fn load_on(&self) -> bool {
        self.load_on
    }
    pub fn set_tracing(&mut self, on: bool) {
        self.tracing = on;
    }
    /// Keep only about the latest `bytes` of the trace (see `Trace::set_window`).
    pub fn set_trace_window(&mut self, bytes: Option<usize>) {
        self.trace.set_window(bytes);
    }
    /// See `Sim::forget_history_before`.
    pub fn forget_history_before(&mut self, op: usize) {
        let in_progress = self.clients.iter().filter_map(|c| c.current).min();
        self.history
            .forget_before(in_progress.map_or(op, |p| p.min(op)));
    }
    /// Whether this protocol can run a scenario: every setting in range, every action one
    /// that can be carried out, no more of them than `MAX_ACTIONS`, no time past `MAX_TIME_MS`.
    pub fn validate(scenario: &Scenario<N::Config>) -> Result<(), String> {
        scenario.sim.validate()?;
        N::validate(&scenario.protocol)?;
        let count = scenario.actions.len() + scenario.schedule.len();
        if count > MAX_ACTIONS {
            return Err(format!(
                "a scenario holds at most {MAX_ACTIONS} actions, this one {count}"
            ));
        }
        let user = scenario.actions.iter().map(|a| (a.t, &a.action));
        let schedule = scenario.schedule.iter().map(|a| (a.t, &a.action));
        // Nodes added later may be named anywhere: the count is that of the end of the run.
        let added = (user.clone().chain(schedule.clone()))
            .filter(|(_, a)| matches!(a, Action::AddNode))
            .count();
        let n = scenario.sim.nodes + added;
        if added > 0 && N::DESCRIPTION.join_control.is_some() && n > NODES.1 {
            return Err(format!(
                "a run has at most {} nodes, this one adds up to {n}",
                NODES.1
            ));
        }
        for (i, (t, a)) in user.chain(schedule).enumerate() {
            let before = if matches!(a, Action::AddNode) {
                n - 1
            } else {
                n
            };
            within("an action's time (ms)", t, 0, MAX_TIME_MS)
                .and_then(|()| super::actions::validate(a, before, N::DESCRIPTION))
                .map_err(|e| format!("action {} ({}): {e}", i + 1, clip(&format!("{a:?}"), 80)))?;
        }
        Ok(())
    }

    // ---- running ----

    /// Run one queued event (or the next user action). Returns whether it did anything
    /// visible (stale timers and idle ticks are not).
    pub fn pop_one(&mut self) -> Option<bool> {
        self.pop_one_until(u64::MAX)
    }

    /// `pop_one`, for what is due at or before `t` only.
    fn pop_one_until(&mut self, t: u64) -> Option<bool> {
        if let Some(a) = self.scenario.actions.get(self.next_action) {
            if a.step <= self.steps {
                if a.t > t {
                    return None;
                }
                let a = a.clone();
                self.next_action += 1;
                self.now = self.now.max(a.t);
                // A command refused is refused again, as it was when it was made (and said).
                let _ = self.apply(a.action);
                self.visible_events += 1;
                return Some(true);
            }
        }
        let (at, ev) = self.bus.pop_until(t)?;
        self.steps += 1;
        self.now = self.now.max(at);
        let visible = self.handle(ev);
        self.visible_events += u64::from(visible);
        Some(visible)
    }

    /// Run events until one does something visible. Returns false when nothing is left.
    pub fn step(&mut self) -> bool {
        loop {
            match self.pop_one() {
                None => return false,
                Some(true) => return true,
                Some(false) => {}
            }
        }
    }

    /// Run every event due at or before `t`, then set the clock to `t`.
    pub fn run_until(&mut self, t: u64) {
        while self.pop_one_until(t).is_some() {}
        self.now = self.now.max(t);
    }

    /// `run_until`, for at most `budget` events: whether it got to `t` (if not, the clock is
    /// at the last event run, and the rest follows on the next call exactly as it would have).
    pub fn run_toward(&mut self, t: u64, budget: u64) -> bool {
        for _ in 0..budget {
            if self.pop_one_until(t).is_none() {
                self.now = self.now.max(t);
                return true;
            }
        }
        false
    }

    fn handle(&mut self, ev: Event<N::Msg>) -> bool {
        match ev {
            Event::Deliver(env) => self.deliver(env),
            Event::Placeholder => false,
            Event::Tick { node, epoch } => {
                if epoch != self.epoch[node] || self.status[node] != Status::Up {
                    return false;
                }
                self.bus.push(
                    self.now + self.scenario.sim.tick_ms,
                    Event::Tick { node, epoch },
                );
                self.call(node, |n, out| n.on_tick(out))
            }
            Event::ClientArrive { node, req, op } => {
                match self.status[node] {
                    Status::Up => {
                        self.call(node, |n, out| {
                            n.on_client(KvRequest { id: req, op: &op }, out)
                        });
                    }
                    Status::Paused => self.bus.defer_client(node, req, op),
                    // A crashed process refuses connections: the request surely did not apply.
                    Status::Down => {
                        let reply = KvReply::Failed {
                            reason: "connection refused (node down)".into(),
                            hint: None,
                        };
                        let at = self.now + self.client_latency();
                        self.bus.push(at, Event::ClientReply { node, req, reply });
                    }
                }
                true
            }
            Event::ClientReply { node, req, reply } => self.client_reply(node, req, reply),
            Event::ClientThink { client } => self.client_think(client),
            Event::ClientRetry { client, op } => self.client_retry(client, op),
            Event::ClientDeadline { client } => self.client_deadline(client),
            Event::Scheduled(action) => {
                let _ = self.apply(*action);
                true
            }
        }
    }

    fn deliver(&mut self, env: Envelope<N::Msg>) -> bool {
        if env.held {
            self.bus.park(env);
            return false;
        }
        let (id, from, to) = (env.id, env.from, env.to);
        if self.net.is_cut(from, to) {
            self.drop_msg(&env, DropReason::Partition);
            return true;
        }
        match self.status[to] {
            Status::Down => {
                self.drop_msg(&env, DropReason::NodeDown);
                true
            }
            Status::Paused => {
                self.bus.defer(to, env);
                false
            }
            Status::Up => {
                self.stats.messages_delivered += 1;
                if self.tracing {
                    self.trace.deliver(self.now, id, from, to);
                }
                self.call(to, |n, out| n.on_message(from, env.msg, out));
                true
            }
        }
    }

    pub(super) fn drop_msg(&mut self, env: &Envelope<N::Msg>, reason: DropReason) {
        self.stats.messages_dropped += 1;
        self.record(TraceKind::Drop {
            id: env.id,
            from: env.from,
            to: env.to,
            reason,
        });
    }

    pub(super) fn record(&mut self, kind: TraceKind<N::Note>) {
        if self.tracing {
            self.trace.push(self.now, kind);
        }
    }

    /// Hand one input to a node and route everything it produced. Returns whether it produced
    /// anything.
    pub(super) fn call(
        &mut self,
        node: NodeId,
        f: impl FnOnce(&mut N, &mut Outbox<N::Msg, N::Note>),
    ) -> bool {
        let mut out = Outbox {
            now: self.now,
            rng: &mut self.rng,
            sends: std::mem::take(&mut self.sends),
            replies: std::mem::take(&mut self.replies),
            notes: std::mem::take(&mut self.notes),
            requests: Vec::new(),
        };
        f(&mut self.nodes[node], &mut out);
        let Outbox {
            mut sends,
            mut replies,
            mut notes,
            requests,
            ..
        } = out;
        for op in requests {
            self.node_request(node, op);
        }
        let visible = !(sends.is_empty() && replies.is_empty() && notes.is_empty());
        if !visible {
            (self.sends, self.replies, self.notes) = (sends, replies, notes);
            return false;
        }
        // Most calls only send, or only note: skip the setup of empty drains.
        if !sends.is_empty() {
            for (to, msg) in sends.drain(..) {
                self.send(node, to, msg);
            }
        }
        if !replies.is_empty() {
            for (req, reply) in replies.drain(..) {
                let at = self.now + self.client_latency();
                self.bus.push(at, Event::ClientReply { node, req, reply });
            }
        }
        if !notes.is_empty() {
            for note in notes.drain(..) {
                if let Some(v) = self.monitor.observe(self.now, node, &note) {
                    self.violations.push(v);
                    self.mark(MarkKind::Violation, Some(node), 0);
                }
                if let Some(number) = N::elected(&note) {
                    self.mark(MarkKind::Election, Some(node), number);
                }
                match N::holds(&note) {
                    Some(Hold::Begins { id, what }) => {
                        let from = self.now;
                        self.holding.insert((node, id), self.held.len());
                        (self.held).push(HeldSpan {
                            node,
                            from,
                            until: None,
                            what,
                        });
                    }
                    Some(Hold::Ends { id }) => {
                        if let Some(i) = self.holding.remove(&(node, id)) {
                            self.held[i].until = Some(self.now);
                        }
                    }
                    None => {}
                }
                if let Some((role, number)) = N::role_change(&note) {
                    let last = self.roles.iter().rev().find(|r| r.node == node);
                    if last.is_none_or(|r| (r.role, r.number) != (role, number)) {
                        let t = self.now;
                        self.roles.push(RoleChange {
                            t,
                            node,
                            role,
                            number,
                        });
                    }
                }
                if self.tracing {
                    self.trace.note(self.now, node, note);
                }
            }
        }
        (self.sends, self.replies, self.notes) = (sends, replies, notes);
        true
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: N::Msg) {
        if to >= self.nodes.len() {
            return;
        }
        let id = self.next_msg;
        self.next_msg += 1;
        self.stats.messages_sent += 1;
        let fate = if self.net.is_cut(from, to) {
            Err(DropReason::Partition)
        } else {
            (self.net.fate(from, to, self.now, &mut self.rng)).ok_or(DropReason::Loss)
        };
        if self.tracing {
            // A message lost on sending is recorded as sent now and dropped.
            let deliver_at = fate.as_ref().map_or(self.now, |f| f.first);
            self.trace
                .send(self.now, id, from, to, &N::summarize(&msg), deliver_at);
        }
        let Fate {
            first,
            copy: second,
        } = match fate {
            Ok(fate) => fate,
            Err(reason) => {
                self.stats.messages_dropped += 1;
                self.record(TraceKind::Drop {
                    id,
                    from,
                    to,
                    reason,
                });
                return;
            }
        };
        let copy = second.map(|second| (msg.clone(), second));
        let env = Envelope {
            id,
            from,
            to,
            sent_at: self.now,
            deliver_at: first,
            held: false,
            msg,
        };
        self.bus.push(first, Event::Deliver(env));
        if let Some((msg, second)) = copy {
            self.duplicate(id, from, to, msg, second);
        }
    }

    /// Put a second copy of message `of` on its way, arriving at `deliver_at`.
    pub(super) fn duplicate(
        &mut self,
        of: MsgId,
        from: NodeId,
        to: NodeId,
        msg: N::Msg,
        deliver_at: u64,
    ) {
        let id = self.next_msg;
        self.next_msg += 1;
        self.record(TraceKind::Duplicate { id, of, deliver_at });
        let env = Envelope {
            id,
            from,
            to,
            sent_at: self.now,
            deliver_at,
            held: false,
            msg,
        };
        self.bus.push(deliver_at, Event::Deliver(env));
    }

    pub(super) fn client_latency(&mut self) -> u64 {
        let l = self.scenario.sim.clients.latency_ms;
        l + self.rng.gen_range(0..=l / 2)
    }
}

pub(super) fn stopped_role(status: Status) -> Option<&'static Role> {
    match status {
        Status::Up => None,
        Status::Down => Some(&Role::DOWN),
        Status::Paused => Some(&Role::PAUSED),
    }
}
