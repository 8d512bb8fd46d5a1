//! The world: one run of a cluster. Owns virtual time, the event queue, the RNG, the network,
//! the nodes, the clients, the trace and the live checks.

use super::client::{Client, ClientId, History, HistoryOp, Outcome};
use super::kv::{KvOp, KvReply, KvRequest};
use super::network::{Fate, MsgId, Network};
use super::describe::{Description, Role};
use super::node::{Monitor, Node, NodeId, NodeView, Outbox, Rng, Violation};
use super::queue::{Event, Queue};
use super::scenario::{Action, Scenario, TimedAction};
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

/// A message on the bus.
#[derive(Clone, Debug)]
pub struct Envelope<M> {
    pub id: MsgId,
    pub from: NodeId,
    pub to: NodeId,
    pub sent_at: u64,
    pub deliver_at: u64,
    pub held: bool,
    pub msg: M,
}

/// Counters over the whole run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub messages_sent: u64,
    pub messages_delivered: u64,
    pub messages_dropped: u64,
    pub messages_duplicated: u64,
    pub crashes: u64,
    pub restarts: u64,
    pub pauses: u64,
    pub partitions: u64,
}

/// Input that reached a paused node, handed over when it resumes.
enum Deferred<M> {
    Msg(Envelope<M>),
    Client {
        req: u64,
        op: usize,
    },
    /// A message the user dropped while it waited: on resume it still takes its turn.
    Stale,
}

pub struct World<N: Node> {
    scenario: Scenario<N::Config>,
    /// Index of the next step-stamped scenario action to apply.
    next_action: usize,
    now: u64,
    steps: u64,
    /// Events that did something visible (what one click on "step" runs).
    visible_events: u64,
    rng: Rng,
    queue: Queue<N::Msg>,
    nodes: Vec<N>,
    status: Vec<Status>,
    /// Bumped on crash/restart/resume so that stale tick chains die out.
    epoch: Vec<u64>,
    deferred: Vec<Vec<Deferred<N::Msg>>>,
    net: Network,
    /// Messages the user holds whose delivery time has come; the rest are in the queue.
    held: Vec<Envelope<N::Msg>>,
    next_msg: MsgId,
    clients: Vec<Client>,
    history: History,
    /// Client and operation of every attempt not yet answered, by request id.
    requests: FxHashMap<u64, (ClientId, usize)>,
    next_req: u64,
    op_counter: u64,
    load_on: bool,
    /// Node that last answered a client successfully; new clients start there.
    believed_leader: NodeId,
    tracing: bool,
    trace: Trace<N::Note>,
    monitor: N::Monitor,
    violations: Vec<Violation>,
    stats: Stats,
    sends: Vec<(NodeId, N::Msg)>,
    replies: Vec<(u64, KvReply)>,
    notes: Vec<N::Note>,
}

impl<N: Node> World<N> {
    /// Build the world at time 0. Actions stamped with a time only are queued now; actions
    /// stamped with a step are applied when the run reaches that step.
    pub fn new(scenario: Scenario<N::Config>) -> Result<Self, String> {
        scenario.sim.validate()?;
        let n = scenario.sim.nodes;
        for (i, a) in scenario.actions.iter().enumerate() {
            validate_action(&a.action, n, N::DESCRIPTION)
                .map_err(|e| format!("action {} ({:?}): {e}", i + 1, a.action))?;
        }
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
            queue: Queue::default(),
            nodes,
            status: vec![Status::Up; n],
            epoch: vec![0; n],
            deferred: (0..n).map(|_| Vec::new()).collect(),
            net: Network::new(n, scenario.sim.link),
            held: Vec::new(),
            next_msg: 1,
            clients,
            history: History::default(),
            requests: FxHashMap::default(),
            next_req: 1,
            op_counter: 0,
            load_on: false,
            believed_leader: 0,
            tracing: true,
            trace: Trace::new(N::DESCRIPTION.kinds),
            monitor: N::Monitor::default(),
            violations: Vec::new(),
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
            w.queue.push(at, Event::Tick { node, epoch: 0 });
        }
        for a in &w.scenario.actions {
            if a.step.is_none() {
                w.queue
                    .push(a.t, Event::Scheduled(Box::new(a.action.clone())));
            }
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
    /// Every message in flight (due, held, or waiting for a paused node), by id.
    pub fn inflight(&self) -> Vec<&Envelope<N::Msg>> {
        let mut all: Vec<_> = self.in_flight().collect();
        all.sort_unstable_by_key(|e| e.id);
        all
    }
    pub fn message(&self, id: MsgId) -> Option<&Envelope<N::Msg>> {
        self.in_flight().find(|e| e.id == id)
    }
    /// Every message in flight, in no particular order.
    fn in_flight(&self) -> impl Iterator<Item = &Envelope<N::Msg>> {
        let deferred = self.deferred.iter().flatten().filter_map(|d| match d {
            Deferred::Msg(env) => Some(env),
            _ => None,
        });
        (self.queue.messages()).chain(&self.held).chain(deferred)
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
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    pub fn load_on(&self) -> bool {
        self.load_on
    }
    /// Time of the next queued event, if any.
    pub fn next_event_time(&self) -> Option<u64> {
        self.queue.peek_time()
    }
    pub fn set_tracing(&mut self, on: bool) {
        self.tracing = on;
    }

    // ---- running ----

    /// Run one queued event (or the next step-stamped action). Returns whether it did anything
    /// visible (stale timers and idle ticks are not).
    pub fn pop_one(&mut self) -> Option<bool> {
        self.pop_one_until(u64::MAX)
    }

    /// `pop_one`, for what is due at or before `t` only.
    fn pop_one_until(&mut self, t: u64) -> Option<bool> {
        if let Some(a) = self.scenario.actions.get(self.next_action) {
            if a.step.is_some_and(|s| s <= self.steps) {
                if a.t > t {
                    return None;
                }
                let a = a.clone();
                self.next_action += 1;
                self.now = self.now.max(a.t);
                self.apply(a.action);
                self.visible_events += 1;
                return Some(true);
            }
        }
        self.skip_unstepped_actions();
        let (at, ev) = self.queue.pop_until(t)?;
        self.steps += 1;
        self.now = self.now.max(at);
        let visible = self.handle(ev);
        self.visible_events += u64::from(visible);
        Some(visible)
    }

    fn skip_unstepped_actions(&mut self) {
        while self
            .scenario
            .actions
            .get(self.next_action)
            .is_some_and(|a| a.step.is_none())
        {
            self.next_action += 1;
        }
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

    /// Do something now, as a user. The action becomes part of the scenario; any recorded
    /// future beyond this point is discarded (acting in the past forks a new future).
    pub fn act(&mut self, action: Action) -> Result<(), String> {
        validate_action(&action, self.nodes.len(), N::DESCRIPTION)?;
        self.check_live_target(&action)?;
        // Fork: drop the recorded user actions after this point; time-stamped ones (a fault
        // schedule) are already queued and stay part of the scenario.
        let rest: Vec<TimedAction> = self
            .scenario
            .actions
            .drain(self.next_action..)
            .filter(|a| a.step.is_none())
            .collect();
        self.scenario.actions.push(TimedAction {
            t: self.now,
            step: Some(self.steps),
            action: action.clone(),
        });
        self.next_action += 1;
        self.scenario.actions.extend(rest);
        self.visible_events += 1;
        self.apply(action);
        Ok(())
    }

    fn check_live_target(&self, a: &Action) -> Result<(), String> {
        let msg = |id: &MsgId| {
            if self.message(*id).is_some() {
                Ok(())
            } else {
                Err(format!("message {id} is no longer in flight"))
            }
        };
        match a {
            Action::DropMessage { id }
            | Action::DuplicateMessage { id }
            | Action::HoldMessage { id }
            | Action::ReleaseMessage { id } => msg(id),
            _ => Ok(()),
        }
    }

    fn handle(&mut self, ev: Event<N::Msg>) -> bool {
        match ev {
            Event::Deliver(env) => self.deliver(env),
            Event::Stale => false,
            Event::Tick { node, epoch } => {
                if epoch != self.epoch[node] || self.status[node] != Status::Up {
                    return false;
                }
                self.queue.push(
                    self.now + self.scenario.sim.tick_ms,
                    Event::Tick { node, epoch },
                );
                self.call(node, |n, _, out| n.on_tick(out))
            }
            Event::ClientArrive { node, req, op } => {
                match self.status[node] {
                    Status::Up => {
                        self.call(node, |n, history, out| {
                            let op = &history.ops[op].op;
                            n.on_client(KvRequest { id: req, op }, out)
                        });
                    }
                    Status::Paused => self.deferred[node].push(Deferred::Client { req, op }),
                    // A crashed process refuses connections: the request surely did not apply.
                    Status::Down => {
                        let reply = KvReply::Failed {
                            reason: "connection refused (node down)".into(),
                            hint: None,
                        };
                        let at = self.now + self.client_latency();
                        self.queue.push(at, Event::ClientReply { node, req, reply });
                    }
                }
                true
            }
            Event::ClientReply { node, req, reply } => self.client_reply(node, req, reply),
            Event::ClientWake { client, op } => self.client_wake(client, op),
            Event::ClientDeadline { client } => self.client_deadline(client),
            Event::Scheduled(action) => {
                self.apply(*action);
                true
            }
        }
    }

    fn deliver(&mut self, env: Envelope<N::Msg>) -> bool {
        if env.held {
            self.held.push(env);
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
                self.deferred[to].push(Deferred::Msg(env));
                false
            }
            Status::Up => {
                self.stats.messages_delivered += 1;
                if self.tracing {
                    self.trace.deliver(self.now, id, from, to);
                }
                self.call(to, |n, _, out| n.on_message(from, env.msg, out));
                true
            }
        }
    }

    fn drop_msg(&mut self, env: &Envelope<N::Msg>, reason: DropReason) {
        self.stats.messages_dropped += 1;
        self.record(TraceKind::Drop {
            id: env.id,
            from: env.from,
            to: env.to,
            reason,
        });
    }

    /// Take a message out of flight wherever it is; a queued or deferred one leaves a stale
    /// event behind, so later step numbers stay as they were.
    fn take_message(&mut self, id: MsgId) -> Option<Envelope<N::Msg>> {
        if let Some(i) = self.held.iter().position(|e| e.id == id) {
            return Some(self.held.remove(i));
        }
        if let Some(env) = self.queue.take_message(id) {
            return Some(env);
        }
        let d = (self.deferred.iter_mut().flatten())
            .find(|d| matches!(d, Deferred::Msg(env) if env.id == id))?;
        match std::mem::replace(d, Deferred::Stale) {
            Deferred::Msg(env) => Some(env),
            _ => unreachable!("matched a message above"),
        }
    }

    /// Every message in flight, to change one in place.
    fn inflight_mut(&mut self) -> impl Iterator<Item = &mut Envelope<N::Msg>> {
        let deferred = self.deferred.iter_mut().flatten().filter_map(|d| match d {
            Deferred::Msg(env) => Some(env),
            _ => None,
        });
        (self.queue.messages_mut())
            .chain(&mut self.held)
            .chain(deferred)
    }

    fn record(&mut self, kind: TraceKind<N::Note>) {
        if self.tracing {
            self.trace.push(self.now, kind);
        }
    }

    /// Hand one input to a node (with the client history, whose operations requests lend) and
    /// route everything it produced. Returns whether it produced anything.
    fn call(
        &mut self,
        node: NodeId,
        f: impl FnOnce(&mut N, &History, &mut Outbox<N::Msg, N::Note>),
    ) -> bool {
        let mut out = Outbox {
            now: self.now,
            rng: &mut self.rng,
            sends: std::mem::take(&mut self.sends),
            replies: std::mem::take(&mut self.replies),
            notes: std::mem::take(&mut self.notes),
        };
        f(&mut self.nodes[node], &self.history, &mut out);
        let Outbox {
            mut sends,
            mut replies,
            mut notes,
            ..
        } = out;
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
                self.queue.push(at, Event::ClientReply { node, req, reply });
            }
        }
        if !notes.is_empty() {
            for note in notes.drain(..) {
                if let Some(v) = self.monitor.observe(self.now, node, &note) {
                    self.violations.push(v);
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
        self.queue.push(first, Event::Deliver(env));
        if let Some((msg, second)) = copy {
            self.duplicate(id, from, to, msg, second);
        }
    }

    fn duplicate(&mut self, of: MsgId, from: NodeId, to: NodeId, msg: N::Msg, deliver_at: u64) {
        let id = self.next_msg;
        self.next_msg += 1;
        self.stats.messages_duplicated += 1;
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
        self.queue.push(deliver_at, Event::Deliver(env));
    }

    fn client_latency(&mut self) -> u64 {
        let l = self.scenario.sim.clients.latency_ms;
        l + self.rng.gen_range(0..=l / 2)
    }

    // ---- clients ----

    fn set_load(&mut self, on: bool) {
        let was = self.load_on;
        self.load_on = on;
        if on && !was {
            let (lo, hi) = self.scenario.sim.clients.think_ms;
            for c in 0..self.clients.len() {
                if self.clients[c].load && self.clients[c].current.is_none() {
                    let at = self.now + self.rng.gen_range(lo..=hi);
                    self.queue.push(
                        at,
                        Event::ClientWake {
                            client: c,
                            op: usize::MAX,
                        },
                    );
                }
            }
        }
    }

    fn start_op(&mut self, client: ClientId, op: KvOp) {
        let idx = self.history.ops.len();
        self.history.ops.push(HistoryOp {
            client,
            op,
            invoke_t: self.now,
            complete_t: None,
            outcome: None,
            cas_failed: false,
            node: None,
        });
        let c = &mut self.clients[client];
        c.current = Some(idx);
        // One deadline timer per client, re-armed lazily: stale timers would crowd the queue.
        if !c.deadline_armed {
            c.deadline_armed = true;
            self.queue.push(
                self.now + self.scenario.sim.clients.timeout_ms,
                Event::ClientDeadline { client },
            );
        }
        self.send_attempt(client, idx);
    }

    fn send_attempt(&mut self, client: ClientId, op: usize) {
        let req = self.next_req;
        self.next_req += 1;
        self.requests.insert(req, (client, op));
        let c = &mut self.clients[client];
        c.attempt = Some(req);
        c.attempts += 1;
        let node = c.target;
        if self.tracing {
            let kv = self.history.ops[op].op.clone();
            self.trace.push(
                self.now,
                TraceKind::Invoke {
                    client,
                    op,
                    node,
                    kv,
                },
            );
        }
        let at = self.now + self.client_latency();
        self.queue.push(at, Event::ClientArrive { node, req, op });
    }

    fn client_wake(&mut self, client: ClientId, op: usize) -> bool {
        let c = &self.clients[client];
        if op == usize::MAX {
            if !self.load_on || c.current.is_some() {
                return false;
            }
            let kv = c.next_op(
                &self.scenario.sim.clients,
                &mut self.rng,
                &mut self.op_counter,
            );
            self.start_op(client, kv);
            return true;
        }
        if c.current != Some(op) || c.attempt.is_some() {
            return false;
        }
        self.send_attempt(client, op);
        true
    }

    fn client_reply(&mut self, node: NodeId, req: u64, reply: KvReply) -> bool {
        let Some((client, op)) = self.requests.remove(&req) else {
            return false;
        };
        let c = &self.clients[client];
        if c.current != Some(op) || c.attempt != Some(req) {
            return false; // an answer to an attempt the client gave up on
        }
        self.record(TraceKind::Reply {
            client,
            op,
            node,
            reply: reply.clone(),
        });
        let n = self.nodes.len();
        match reply {
            KvReply::Ok { value } => {
                self.believed_leader = node;
                self.clients[client].remember(&self.history.ops[op].op, value.as_deref());
                self.complete(client, op, Outcome::Ok { value }, false, Some(node));
            }
            KvReply::CasFailed => {
                self.believed_leader = node;
                self.complete(client, op, Outcome::Ok { value: None }, true, Some(node));
            }
            KvReply::NotLeader { .. } | KvReply::Failed { .. } if self.clients[client].pinned => {
                self.complete(client, op, Outcome::Fail, false, Some(node));
            }
            // Definitely not applied: retry the same operation elsewhere after a back-off.
            KvReply::NotLeader { hint } | KvReply::Failed { hint, .. } => {
                let c = &mut self.clients[client];
                c.attempt = None;
                c.target = match hint {
                    Some(h) if h < n && h != node => h,
                    _ => (node + 1) % n,
                };
                let backoff = 10 * u64::from(c.attempts.min(10));
                self.queue
                    .push(self.now + backoff, Event::ClientWake { client, op });
            }
        }
        true
    }

    fn client_deadline(&mut self, client: ClientId) -> bool {
        let c = &mut self.clients[client];
        c.deadline_armed = false;
        let Some(op) = c.current else { return false };
        let due = self.history.ops[op].invoke_t + self.scenario.sim.clients.timeout_ms;
        if due > self.now {
            c.deadline_armed = true;
            self.queue.push(due, Event::ClientDeadline { client });
            return false;
        }
        self.record(TraceKind::Timeout { client, op });
        // With an attempt still unanswered the operation may have taken effect.
        let outcome = if self.clients[client].attempt.is_some() {
            Outcome::Info
        } else {
            Outcome::Fail
        };
        self.complete(client, op, outcome, false, None);
        true
    }

    fn complete(
        &mut self,
        client: ClientId,
        op: usize,
        outcome: Outcome,
        cas_failed: bool,
        node: Option<NodeId>,
    ) {
        let h = &mut self.history.ops[op];
        h.complete_t = Some(self.now);
        h.outcome = Some(outcome);
        h.cas_failed = cas_failed;
        h.node = node;
        let c = &mut self.clients[client];
        c.current = None;
        c.attempt = None;
        c.attempts = 0;
        if c.load && self.load_on {
            let (lo, hi) = self.scenario.sim.clients.think_ms;
            let at = self.now + self.rng.gen_range(lo..=hi);
            self.queue.push(
                at,
                Event::ClientWake {
                    client,
                    op: usize::MAX,
                },
            );
        }
    }

    // ---- actions ----

    fn apply(&mut self, action: Action) {
        self.record(TraceKind::Action {
            action: action.clone(),
        });
        let tick = self.scenario.sim.tick_ms;
        match action {
            Action::Crash { node } => {
                if self.status[node] == Status::Down {
                    return;
                }
                self.status[node] = Status::Down;
                self.epoch[node] += 1;
                self.stats.crashes += 1;
                for d in std::mem::take(&mut self.deferred[node]) {
                    if let Deferred::Msg(env) = d {
                        self.drop_msg(&env, DropReason::NodeDown);
                    }
                }
                self.nodes[node].crash();
            }
            Action::Restart { node } => {
                if self.status[node] != Status::Down {
                    return;
                }
                self.status[node] = Status::Up;
                self.epoch[node] += 1;
                self.stats.restarts += 1;
                self.call(node, |n, _, out| n.restart(out));
                self.queue.push(
                    self.now + tick,
                    Event::Tick {
                        node,
                        epoch: self.epoch[node],
                    },
                );
            }
            Action::Pause { node } => {
                if self.status[node] == Status::Up {
                    self.status[node] = Status::Paused;
                    self.stats.pauses += 1;
                }
            }
            Action::Resume { node } => self.resume(node),
            Action::Partition { groups } => {
                self.net.partition(&groups);
                self.stats.partitions += 1;
            }
            Action::Cut { from, to, cut } => {
                self.net.set_cut(from, to, cut);
                if cut {
                    self.stats.partitions += 1;
                }
            }
            Action::Heal => self.net.heal(),
            Action::SetLink { from, to, link } => match (from, to) {
                (Some(a), Some(b)) => self.net.set_link(a, b, link),
                (Some(a), None) => {
                    (0..self.nodes.len()).for_each(|b| self.net.set_link(a, b, link))
                }
                (None, Some(b)) => {
                    (0..self.nodes.len()).for_each(|a| self.net.set_link(a, b, link))
                }
                (None, None) => self.net.set_all_links(link),
            },
            Action::DropMessage { id } => {
                if let Some(env) = self.take_message(id) {
                    self.drop_msg(&env, DropReason::User);
                }
            }
            Action::DuplicateMessage { id } => {
                if let Some(env) = self.message(id) {
                    let (from, to, msg) = (env.from, env.to, env.msg.clone());
                    let link = *self.net.link(from, to);
                    let at = self.now
                        + link.latency_ms as u64
                        + self.rng.gen_range(0..=link.jitter_ms) as u64;
                    self.duplicate(id, from, to, msg, at);
                }
            }
            Action::HoldMessage { id } => {
                if let Some(env) = self.inflight_mut().find(|e| e.id == id) {
                    env.held = true;
                }
            }
            Action::ReleaseMessage { id } => self.release(id),
            Action::Control { node, mut cmd } => {
                if self.status[node] == Status::Up {
                    // Validated: the protocol offers it, perhaps under an older name.
                    if let Some(c) = N::DESCRIPTION.control(&cmd.name) {
                        c.name.clone_into(&mut cmd.name);
                    }
                    self.call(node, |n, _, out| n.on_control(&cmd, out));
                }
            }
            Action::Request { node, op } => {
                let n = self.nodes.len();
                let mut c = Client::new(
                    node.unwrap_or(self.believed_leader) % n,
                    false,
                    self.scenario.sim.clients.keys,
                );
                c.pinned = node.is_some();
                self.clients.push(c);
                self.start_op(self.clients.len() - 1, op);
            }
            Action::SetLoad { on } => self.set_load(on),
            Action::HealAll => {
                self.net.heal();
                self.net.set_all_links(self.scenario.sim.link);
                for node in 0..self.nodes.len() {
                    match self.status[node] {
                        Status::Down => self.apply(Action::Restart { node }),
                        Status::Paused => self.resume(node),
                        Status::Up => {}
                    }
                }
                let held: Vec<MsgId> = (self.inflight().into_iter())
                    .filter(|e| e.held)
                    .map(|e| e.id)
                    .collect();
                held.into_iter().for_each(|id| self.release(id));
            }
        }
    }

    fn resume(&mut self, node: NodeId) {
        if self.status[node] != Status::Paused {
            return;
        }
        self.status[node] = Status::Up;
        self.epoch[node] += 1;
        self.queue.push(
            self.now + self.scenario.sim.tick_ms,
            Event::Tick {
                node,
                epoch: self.epoch[node],
            },
        );
        for d in std::mem::take(&mut self.deferred[node]) {
            match d {
                Deferred::Msg(env) => self.queue.push(self.now, Event::Deliver(env)),
                Deferred::Client { req, op } => self
                    .queue
                    .push(self.now, Event::ClientArrive { node, req, op }),
                Deferred::Stale => self.queue.push(self.now, Event::Stale),
            }
        }
    }

    fn release(&mut self, id: MsgId) {
        // One whose time has come waits in `held`: it goes out now. One still queued keeps
        // its place and simply is no longer held when its time comes.
        if let Some(i) = self.held.iter().position(|e| e.id == id) {
            let mut env = self.held.remove(i);
            env.held = false;
            self.record(TraceKind::Release { id });
            self.queue.push(self.now, Event::Deliver(env));
        } else {
            let Some(env) = self.inflight_mut().find(|e| e.id == id && e.held) else {
                return;
            };
            env.held = false;
            self.record(TraceKind::Release { id });
        }
    }
}

fn stopped_role(status: Status) -> Option<&'static Role> {
    match status {
        Status::Up => None,
        Status::Down => Some(&Role::DOWN),
        Status::Paused => Some(&Role::PAUSED),
    }
}

fn validate_action(a: &Action, n: usize, protocol: &Description) -> Result<(), String> {
    let node = |i: &NodeId| {
        if *i < n {
            Ok(())
        } else {
            Err(format!("there is no node {i} (nodes are 0..{})", n - 1))
        }
    };
    match a {
        Action::Crash { node: i }
        | Action::Restart { node: i }
        | Action::Pause { node: i }
        | Action::Resume { node: i } => node(i),
        Action::Control { node: i, cmd } => {
            node(i)?;
            cmd.peer.iter().try_for_each(node)?;
            match protocol.control(&cmd.name) {
                Some(c) if c.names_node == cmd.peer.is_some() => Ok(()),
                Some(_) => Err(format!("the command {:?} names a node in a different way", cmd.name)),
                None => Err(format!("{} offers no command {:?}", protocol.title, cmd.name)),
            }
        }
        Action::Partition { groups } => {
            let mut seen = vec![false; n];
            for i in groups.iter().flatten() {
                node(i)?;
                if std::mem::replace(&mut seen[*i], true) {
                    return Err(format!("node {i} is in two groups"));
                }
            }
            Ok(())
        }
        Action::Cut { from, to, .. } => {
            node(from)?;
            node(to)?;
            if from == to {
                Err("a node cannot be cut from itself".into())
            } else {
                Ok(())
            }
        }
        Action::SetLink { from, to, link } => {
            from.iter().chain(to.iter()).try_for_each(node)?;
            link.validate()
        }
        Action::Request { node: target, op } => {
            target.iter().try_for_each(node)?;
            if op.key().is_empty() {
                Err("the key must not be empty".into())
            } else {
                Ok(())
            }
        }
        Action::Heal
        | Action::HealAll
        | Action::SetLoad { .. }
        | Action::DropMessage { .. }
        | Action::DuplicateMessage { .. }
        | Action::HoldMessage { .. }
        | Action::ReleaseMessage { .. } => Ok(()),
    }
}
