//! Failure detection and membership by SWIM (Das, Gupta and Motivala, DSN 2002), as
//! HashiCorp's memberlist runs it under Consul's gossip pool.
//!
//! Every protocol period a member pings the next member of a shuffled round-robin list. If no
//! ack comes within the probe timeout it asks `indirect` other members to ping the target for
//! it (ping-req) and to pass any ack back. If the period ends without an ack the target is
//! suspected; a suspicion not refuted within the suspicion timeout becomes a death. A member
//! told it is suspected refutes it by raising its incarnation number, which overrides the
//! suspicion everywhere. Membership updates travel piggybacked on pings and acks, each sent a
//! bounded number of times (infection-style dissemination). With `lifeguard` on, a member's
//! local health (memberlist's awareness, from the Lifeguard paper) stretches its own probe
//! timeout and period while it misses acks or has to refute suspicions of itself: a slow member
//! then suspects others less readily.

use crate::engine::limits::within;
pub use crate::engine::Health;
use crate::engine::{
    uniform_index, Consistency, Control, ControlInfo, Description, KvReply, KvRequest,
    MemberHealth, MessageKind, Monitor, MsgSummary, Node, NodeId, NodeView, Outbox, Property, Rng,
    Role, Shape, StateView, Status, Toggle, Violation,
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SwimConfig {
    /// Ticks in a protocol period: one probe started per period.
    pub period_ticks: u32,
    /// Ticks to wait for a direct ack before asking others to probe.
    pub timeout_ticks: u32,
    /// Members asked to probe indirectly (the paper's k).
    pub indirect: usize,
    /// A suspicion becomes a death after this many periods times log10(members), at least once.
    pub suspicion_mult: u32,
    /// An update is piggybacked this many times times log10(members + 1), rounded up.
    pub retransmit_mult: u32,
    /// Lifeguard's local health: a member that misses acks slows its own probing down.
    pub lifeguard: bool,
    /// Every this many periods (unstretched by local health) a member swaps its whole view with
    /// a random member (memberlist's push-pull): how a member declared dead while alive hears
    /// of it once the news has stopped travelling, and refutes it. 0: never.
    pub sync_periods: u32,
    /// Probe a member picked at random each period, as the paper's basic protocol and its
    /// analysis do, instead of memberlist's shuffled round-robin.
    pub random_targets: bool,
}

impl Default for SwimConfig {
    /// memberlist's LAN settings at 50 ms ticks: a 1 s period, a 500 ms probe timeout, three
    /// indirect probes, suspicion multiplier 4, retransmit multiplier 4; push-pull every 5 s
    /// (memberlist: 30 s).
    fn default() -> Self {
        SwimConfig {
            period_ticks: 20,
            timeout_ticks: 10,
            indirect: 3,
            suspicion_mult: 4,
            retransmit_mult: 4,
            lifeguard: true,
            sync_periods: 5,
            random_targets: false,
        }
    }
}

/// A membership update: `member` is `health` at incarnation `inc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Update {
    pub member: NodeId,
    pub health: Health,
    pub inc: u64,
}

impl Update {
    /// Whether this update overrides what is believed now (SWIM's precedence rules: a higher
    /// incarnation wins; at one incarnation suspect beats alive; dead beats both).
    fn overrides(&self, now: (Health, u64)) -> bool {
        match (self.health, now.0) {
            (Health::Alive, _) => self.inc > now.1,
            (Health::Suspect, Health::Alive) => self.inc >= now.1,
            (Health::Suspect, Health::Suspect) => self.inc > now.1,
            (Health::Suspect, Health::Dead) | (Health::Dead, Health::Dead) => false,
            (Health::Dead, _) => self.inc >= now.1,
        }
    }
}

#[derive(Clone, Debug)]
pub enum SwimMsg {
    Ping {
        seq: u64,
        updates: Vec<Update>,
    },
    /// Ping `target` for me and pass its ack back under `seq`.
    PingReq {
        seq: u64,
        target: NodeId,
        updates: Vec<Update>,
    },
    Ack {
        seq: u64,
        updates: Vec<Update>,
    },
    /// A whole view, every member as the sender believes it; answered with the receiver's.
    Sync {
        view: Vec<Update>,
        reply: bool,
    },
}

impl SwimMsg {
    fn updates(&self) -> &[Update] {
        match self {
            SwimMsg::Ping { updates, .. }
            | SwimMsg::PingReq { updates, .. }
            | SwimMsg::Ack { updates, .. }
            | SwimMsg::Sync { view: updates, .. } => updates,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "note", rename_all = "kebab-case")]
pub enum SwimNote {
    /// This member now believes `member` is `health` at incarnation `inc`.
    Saw {
        member: NodeId,
        health: Health,
        inc: u64,
    },
    /// Told it was suspected or dead, it raised its incarnation to `inc`.
    Refuted { inc: u64 },
    /// Restarted, it came back at incarnation `inc`.
    Rejoined { inc: u64 },
}

/// One member's view of another.
#[derive(Clone, Copy, Debug)]
struct Member {
    health: Health,
    inc: u64,
    /// The tick its suspicion started, while suspect.
    since: u64,
}

/// The probe of the current period.
#[derive(Clone, Copy, Debug)]
struct Probe {
    target: NodeId,
    seq: u64,
    age: u32,
    indirect: bool,
    acked: bool,
}

/// A ping sent for another member's ping-req: its ack is passed back under their sequence.
#[derive(Clone, Copy, Debug)]
struct Relay {
    seq: u64,
    to: NodeId,
    their_seq: u64,
    sent: u64,
}

/// Local health (Lifeguard's awareness) is capped here: timeouts stretch at most ninefold.
const MAX_HEALTH: u32 = 8;
/// Updates piggybacked on one message at most.
const MAX_PIGGYBACK: usize = 8;

pub struct SwimNode {
    id: NodeId,
    cfg: SwimConfig,
    /// Durable: a restarted member comes back with a higher incarnation.
    incarnation: u64,
    /// Volatile from here on.
    members: Vec<Member>,
    now: u64,
    order: Vec<NodeId>,
    until_probe: u32,
    probe: Option<Probe>,
    relays: Vec<Relay>,
    seq: u64,
    /// Updates to piggyback, with how many more times each goes out.
    queue: Vec<(Update, u32)>,
    health: u32,
    probes: u64,
    until_sync: u32,
}

/// The one role: a member of the pool.
const MEMBER: Role = Role {
    name: "member",
    colour: "#7aa6d8",
    leads: false,
    passing: false,
};

#[derive(Clone, Copy)]
enum Kind {
    Ping,
    PingReq,
    Ack,
    Sync,
}

const fn kind(
    code: Kind,
    label: &'static str,
    colour: &'static str,
    response: bool,
) -> MessageKind {
    MessageKind {
        numbers: ["probe", "target", "", ""],
        ..MessageKind::new(code as u8, label, colour, Shape::Circle, response)
    }
}

static KINDS: [MessageKind; 4] = KIND_LIST;

/// Also listed by protocols built on SWIM.
pub(crate) const KIND_LIST: [MessageKind; 4] = [
    kind(Kind::Ping, "ping", "#7aa6d8", false),
    kind(Kind::PingReq, "ping-req", "#d8a25e", false),
    kind(Kind::Ack, "ack", "#7aa6d8", true),
    MessageKind {
        routine: true,
        numbers: ["members", "", "", ""],
        ..kind(Kind::Sync, "sync", "#9b8fd8", false)
    },
];

/// What the runs of SWIM are judged by: figures, not safety properties (SWIM promises to
/// detect every crash, eventually, and only bounds how often it suspects a live member).
pub const PROPERTIES: [Property; 0] = [];

pub(crate) const PROBE_NOW: ControlInfo = ControlInfo {
    name: "ProbeNow",
    label: "Probe now",
    hook: "probe",
    tooltip: "End this protocol period now and probe the next member",
    names_node: false,
    lists_nodes: false,
    to_leader: false,
    aliases: &[],
};

static DESCRIPTION: Description = Description {
    name: "swim",
    title: "SWIM failure detection",
    consistency: Consistency::Eventual,
    headline: "incarnation",
    roles: &[MEMBER],
    kinds: &KINDS,
    properties: &PROPERTIES,
    controls: &[PROBE_NOW],
    toggles: &[LIFEGUARD],
    state: &[StateView::Members],
    clients: false,
    timer: "next probe",
    library_log: None,
    join_control: None,
    glossary: &GLOSSARY,
};

pub(crate) const LIFEGUARD: Toggle = Toggle {
    key: "lifeguard",
    label: "lifeguard",
    tooltip: "SWIM: a member that misses acks stretches its own probe timeout (Lifeguard's local health, as memberlist does)",
};

pub(crate) const GLOSSARY: [(&str, &str); 5] = [
    ("incarnation", "raised by a member to refute a suspicion of itself: a higher incarnation overrides older news"),
    ("probing", "the member this one pinged this protocol period, and how long ago"),
    ("next probe", "ticks until this member starts its next protocol period (stretched by its local health)"),
    ("local health", "Lifeguard: 0 is healthy; each missed ack adds one and stretches this member's timeouts"),
    ("updates to send", "membership news waiting to be piggybacked on pings and acks"),
];

type Out<'a> = Outbox<'a, SwimMsg, SwimNote>;

fn log10_ceil(n: usize) -> u32 {
    let mut k = 0;
    let mut x = 1;
    while x < n {
        x *= 10;
        k += 1;
    }
    k.max(1)
}

impl SwimNode {
    /// What it believes of member `m` now.
    pub fn health(&self, m: NodeId) -> Health {
        self.members.get(m).map_or(Health::Dead, |s| s.health)
    }

    fn scale(&self, ticks: u32) -> u32 {
        ticks * (self.health + 1)
    }

    fn suspicion_ticks(&self) -> u64 {
        let n = self.members.len();
        self.cfg.suspicion_mult as u64 * log10_ceil(n) as u64 * self.cfg.period_ticks as u64
    }

    fn alive_others(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.members.len())
            .filter(move |&m| m != self.id && self.members[m].health != Health::Dead)
    }

    /// Queue an update for dissemination, replacing older news of the same member.
    fn spread(&mut self, u: Update) {
        let times = self.cfg.retransmit_mult * log10_ceil(self.members.len() + 1);
        self.queue.retain(|(q, _)| q.member != u.member);
        self.queue.push((u, times));
    }

    /// The updates that go out on the next message: the least sent first.
    fn piggyback(&mut self) -> Vec<Update> {
        self.queue
            .sort_by_key(|&(u, left)| (std::cmp::Reverse(left), u.member));
        let take = self.queue.len().min(MAX_PIGGYBACK);
        let out: Vec<Update> = self.queue[..take].iter().map(|(u, _)| *u).collect();
        for (_, left) in &mut self.queue[..take] {
            *left -= 1;
        }
        self.queue.retain(|&(_, left)| left > 0);
        out
    }

    fn send(&mut self, to: NodeId, make: impl FnOnce(Vec<Update>) -> SwimMsg, out: &mut Out) {
        let updates = self.piggyback();
        out.send(to, make(updates));
    }

    /// Take in news of a member, by SWIM's precedence rules; news that this member itself is
    /// suspected or dead is refuted.
    fn learn(&mut self, u: Update, out: &mut Out) {
        if u.member >= self.members.len() {
            return;
        }
        if u.member == self.id {
            if u.health != Health::Alive && u.inc >= self.incarnation {
                self.incarnation = u.inc + 1;
                self.members[self.id].inc = self.incarnation;
                self.spread(Update {
                    member: self.id,
                    health: Health::Alive,
                    inc: self.incarnation,
                });
                self.worse();
                out.note(SwimNote::Refuted {
                    inc: self.incarnation,
                });
            }
            return;
        }
        let m = &mut self.members[u.member];
        if !u.overrides((m.health, m.inc)) {
            return;
        }
        *m = Member {
            health: u.health,
            inc: u.inc,
            since: self.now,
        };
        self.spread(u);
        out.note(SwimNote::Saw {
            member: u.member,
            health: u.health,
            inc: u.inc,
        });
    }

    fn worse(&mut self) {
        if self.cfg.lifeguard {
            self.health = (self.health + 1).min(MAX_HEALTH);
        }
    }

    fn better(&mut self) {
        self.health = self.health.saturating_sub(1);
    }

    /// End the period: an unanswered probe makes its target a suspect. Then probe the next
    /// member of the round-robin list (reshuffled after each pass, as memberlist does), or one
    /// picked at random.
    fn next_period(&mut self, out: &mut Out) {
        if let Some(p) = self.probe.take() {
            if p.acked {
                self.better();
            } else {
                self.worse();
                let m = self.members[p.target];
                if m.health == Health::Alive {
                    let suspect = Update {
                        member: p.target,
                        health: Health::Suspect,
                        inc: m.inc,
                    };
                    self.learn(suspect, out);
                }
            }
        }
        self.until_probe = self.scale(self.cfg.period_ticks);
        self.order
            .retain(|&m| self.members[m].health != Health::Dead);
        let target = if self.cfg.random_targets {
            let others: Vec<NodeId> = self.alive_others().collect();
            if others.is_empty() {
                return;
            }
            others[uniform_index(out.rng, 0, others.len())]
        } else {
            if self.order.is_empty() {
                self.order = self.alive_others().collect();
                // Fisher-Yates with the simulator's RNG: the same on every platform.
                for i in (1..self.order.len()).rev() {
                    let j = uniform_index(out.rng, 0, i + 1);
                    self.order.swap(i, j);
                }
            }
            let Some(target) = self.order.pop() else {
                return;
            };
            target
        };
        self.seq += 1;
        self.probes += 1;
        let seq = self.seq;
        self.probe = Some(Probe {
            target,
            seq,
            age: 0,
            indirect: false,
            acked: false,
        });
        self.send(target, |updates| SwimMsg::Ping { seq, updates }, out);
    }

    /// No direct ack in time: ask up to `indirect` others to probe the target.
    fn ask_others(&mut self, p: Probe, out: &mut Out) {
        let mut helpers: Vec<NodeId> = self.alive_others().filter(|&m| m != p.target).collect();
        for _ in 0..self.cfg.indirect.min(helpers.len()) {
            let h = helpers.swap_remove(uniform_index(out.rng, 0, helpers.len()));
            let (seq, target) = (p.seq, p.target);
            self.send(
                h,
                |updates| SwimMsg::PingReq {
                    seq,
                    target,
                    updates,
                },
                out,
            );
        }
    }

    /// Swap whole views with another member: any member, the dead too (memberlist gossips to
    /// the dead for a while), so that one declared dead while running learns it from the
    /// answer and refutes it.
    fn sync(&mut self, out: &mut Out) {
        let n = self.members.len();
        if n < 2 {
            return;
        }
        let to = (self.id + 1 + uniform_index(out.rng, 0, n - 1)) % n;
        let view = self.whole_view();
        out.send(to, SwimMsg::Sync { view, reply: true });
    }

    /// Every member as this one believes it.
    fn whole_view(&self) -> Vec<Update> {
        (self.members.iter().enumerate())
            .map(|(member, m)| Update {
                member,
                health: m.health,
                inc: m.inc,
            })
            .collect()
    }

    fn fresh_view(n: usize, id: NodeId, incarnation: u64) -> Vec<Member> {
        let mut members = vec![
            Member {
                health: Health::Alive,
                inc: 0,
                since: 0,
            };
            n
        ];
        members[id].inc = incarnation;
        members
    }
}

impl Node for SwimNode {
    type Msg = SwimMsg;
    type Note = SwimNote;
    type Monitor = SwimMonitor;
    type Config = SwimConfig;
    const DESCRIPTION: &'static Description = &DESCRIPTION;

    fn is_milestone(note: &SwimNote) -> bool {
        !matches!(
            note,
            SwimNote::Saw {
                health: Health::Alive,
                ..
            }
        )
    }

    fn validate(cfg: &SwimConfig) -> Result<(), String> {
        within("period_ticks", cfg.period_ticks, 2, 1000)?;
        within("timeout_ticks", cfg.timeout_ticks, 1, cfg.period_ticks - 1)?;
        within("indirect", cfg.indirect, 0, 16)?;
        within("suspicion_mult", cfg.suspicion_mult, 1, 20)?;
        within("retransmit_mult", cfg.retransmit_mult, 1, 20)?;
        within("sync_periods", cfg.sync_periods, 0, 1000)
    }

    fn new(id: NodeId, nodes: usize, cfg: &SwimConfig, rng: &mut Rng) -> Self {
        // Spread the first probes so that members do not probe in lockstep.
        let until_probe = uniform_index(rng, 1, cfg.period_ticks as usize + 1) as u32;
        let sync_ticks = (cfg.sync_periods * cfg.period_ticks) as usize;
        let until_sync = uniform_index(rng, 1, sync_ticks + 2) as u32;
        SwimNode {
            id,
            cfg: cfg.clone(),
            incarnation: 0,
            members: Self::fresh_view(nodes, id, 0),
            now: 0,
            order: Vec::new(),
            until_probe,
            probe: None,
            relays: Vec::new(),
            seq: 0,
            queue: Vec::new(),
            health: 0,
            probes: 0,
            until_sync,
        }
    }

    fn on_message(&mut self, from: NodeId, msg: SwimMsg, out: &mut Out) {
        for &u in msg.updates() {
            self.learn(u, out);
        }
        match msg {
            SwimMsg::Ping { seq, .. } => {
                self.send(from, |updates| SwimMsg::Ack { seq, updates }, out);
            }
            SwimMsg::PingReq { seq, target, .. } => {
                self.seq += 1;
                let mine = self.seq;
                self.relays.push(Relay {
                    seq: mine,
                    to: from,
                    their_seq: seq,
                    sent: self.now,
                });
                self.send(target, |updates| SwimMsg::Ping { seq: mine, updates }, out);
            }
            SwimMsg::Sync { reply, .. } => {
                if reply {
                    let view = self.whole_view();
                    out.send(from, SwimMsg::Sync { view, reply: false });
                }
            }
            SwimMsg::Ack { seq, .. } => {
                if let Some(p) = self.probe.as_mut().filter(|p| p.seq == seq) {
                    p.acked = true;
                } else if let Some(i) = self.relays.iter().position(|r| r.seq == seq) {
                    let r = self.relays.swap_remove(i);
                    let their_seq = r.their_seq;
                    self.send(
                        r.to,
                        |updates| SwimMsg::Ack {
                            seq: their_seq,
                            updates,
                        },
                        out,
                    );
                }
            }
        }
    }

    fn on_tick(&mut self, out: &mut Out) {
        self.now += 1;
        let (now, period) = (self.now, self.cfg.period_ticks as u64);
        self.relays.retain(|r| now - r.sent <= period);
        let timeout = self.scale(self.cfg.timeout_ticks);
        if let Some(p) = self.probe.as_mut() {
            p.age += 1;
            if !p.acked && !p.indirect && p.age >= timeout {
                p.indirect = true;
                let p = *p;
                self.ask_others(p, out);
            }
        }
        let limit = self.suspicion_ticks();
        let expired: Vec<Update> = (self.members.iter().enumerate())
            .filter(|(_, m)| m.health == Health::Suspect && now - m.since >= limit)
            .map(|(member, m)| Update {
                member,
                health: Health::Dead,
                inc: m.inc,
            })
            .collect();
        for u in expired {
            self.learn(u, out);
        }
        self.until_probe = self.until_probe.saturating_sub(1);
        if self.until_probe == 0 {
            self.next_period(out);
        }
        // On its own clock, not stretched by local health (as memberlist's push-pull timer).
        if self.cfg.sync_periods > 0 {
            self.until_sync = self.until_sync.saturating_sub(1);
            if self.until_sync == 0 {
                self.until_sync = self.cfg.sync_periods * self.cfg.period_ticks;
                self.sync(out);
            }
        }
    }

    fn on_client(&mut self, req: KvRequest<'_>, out: &mut Out) {
        let reason = "a SWIM member keeps no data: it only detects failures".to_string();
        out.reply(req.id, KvReply::Failed { reason, hint: None });
    }

    fn on_control(&mut self, cmd: &Control, out: &mut Out) {
        if cmd.name == PROBE_NOW.name {
            self.next_period(out);
        }
    }

    fn crash(&mut self) {
        let n = self.members.len();
        self.members = Self::fresh_view(n, self.id, self.incarnation);
        self.order.clear();
        self.probe = None;
        self.relays.clear();
        self.queue.clear();
        self.health = 0;
        self.until_probe = self.cfg.period_ticks;
    }

    /// Back with a higher incarnation, announced on its first messages: news of its death,
    /// at its old incarnation, no longer holds.
    fn restart(&mut self, out: &mut Out) {
        self.incarnation += 1;
        self.members[self.id].inc = self.incarnation;
        self.spread(Update {
            member: self.id,
            health: Health::Alive,
            inc: self.incarnation,
        });
        out.note(SwimNote::Rejoined {
            inc: self.incarnation,
        });
    }

    fn toggle(cfg: &mut SwimConfig, key: &str, on: bool) {
        if key == "lifeguard" {
            cfg.lifeguard = on;
        }
    }

    fn view(&self) -> NodeView {
        let probing = self.probe.map_or("nobody yet".into(), |p| {
            let state = match (p.acked, p.indirect) {
                (true, _) => "acked",
                (false, true) => "asked others",
                (false, false) => "waiting",
            };
            format!("n{} ({state})", p.target)
        });
        NodeView {
            members: (self.members.iter())
                .map(|s| MemberHealth {
                    health: s.health,
                    incarnation: s.inc,
                })
                .collect(),
            facts: vec![
                ("probing", probing),
                ("local health", self.health.to_string()),
                ("updates to send", self.queue.len().to_string()),
                ("probes sent", self.probes.to_string()),
            ],
            timer: Some((self.until_probe, self.scale(self.cfg.period_ticks))),
            ..NodeView::new(&MEMBER, self.incarnation)
        }
    }

    fn role(&self) -> (&'static Role, u64) {
        (&MEMBER, self.incarnation)
    }

    fn summarize(m: &SwimMsg) -> MsgSummary {
        let (kind, seq, target) = match m {
            SwimMsg::Ping { seq, .. } => (Kind::Ping, *seq, 0),
            SwimMsg::PingReq { seq, target, .. } => (Kind::PingReq, *seq, *target as u64),
            SwimMsg::Ack { seq, .. } => (Kind::Ack, *seq, 0),
            SwimMsg::Sync { view, .. } => (Kind::Sync, view.len() as u64, 0),
        };
        MsgSummary {
            entries: m.updates().len() as u32,
            numbers: [seq, target, 0, 0],
            ..MsgSummary::new(&KINDS[kind as usize])
        }
    }

    fn describe(m: &SwimMsg) -> Vec<(String, String)> {
        let mut f = Vec::new();
        if let SwimMsg::PingReq { target, .. } = m {
            f.push(("probe for".into(), format!("n{target}")));
        }
        f.extend(m.updates().iter().map(|u| {
            (
                format!("n{} is", u.member),
                format!("{} (incarnation {})", u.health.name(), u.inc),
            )
        }));
        f
    }
}

/// What a run of SWIM is measured by. The world tells the monitor which members really are
/// stopped, and members report their incarnations, so it can tell a false suspicion (of a
/// member running at its current incarnation) from late news of an earlier life, and time
/// each crash until some member declares it dead.
#[derive(Default)]
pub struct SwimMonitor {
    /// When each member stopped (crashed or paused), while it is stopped.
    stopped: Vec<Option<u64>>,
    /// Each member's incarnation, as it reported raising it.
    inc: Vec<u64>,
    /// Whether the current stop of each member was suspected, and declared dead, already.
    suspected: Vec<bool>,
    detected: Vec<bool>,
    /// Per stopped member, which members have declared it dead during this stop, and whether
    /// all running members have.
    dead_by: Vec<Vec<bool>>,
    known: Vec<bool>,
    /// Suspicions and deaths already counted: (member, incarnation, dead).
    counted: std::collections::BTreeSet<(NodeId, u64, bool)>,
    /// Stops first suspected by some member while they lasted (the SWIM paper's first
    /// detection): how long after the stop, in ms.
    pub suspicion_ms: Vec<u64>,
    /// Stops declared dead by some member while they lasted: how long after the stop, in ms.
    pub detection_ms: Vec<u64>,
    /// Stops declared dead by every running member while they lasted: how long after, in ms.
    pub everyone_ms: Vec<u64>,
    /// Distinct suspicions (member and incarnation) of a member running at that incarnation.
    pub false_suspicions: u64,
    /// Distinct deaths declared of a member running at that incarnation.
    pub false_deaths: u64,
}

impl SwimMonitor {
    fn grow(&mut self, node: NodeId) {
        if self.stopped.len() <= node {
            self.stopped.resize(node + 1, None);
            self.inc.resize(node + 1, 0);
            self.suspected.resize(node + 1, false);
            self.detected.resize(node + 1, false);
            self.known.resize(node + 1, false);
            self.dead_by.resize(node + 1, Vec::new());
            for d in &mut self.dead_by {
                d.resize(node + 1, false);
            }
        }
    }

    /// `by` declared the stopped `member` dead: once every running member has, the stop is
    /// known to all.
    fn declared_dead(&mut self, t: u64, member: NodeId, by: NodeId, since: u64) {
        self.dead_by[member][by] = true;
        let running = |m: &NodeId| *m != member && self.stopped[*m].is_none();
        let all = (0..self.stopped.len())
            .filter(running)
            .all(|m| self.dead_by[member][m]);
        if all && !self.known[member] {
            self.known[member] = true;
            self.everyone_ms.push(t - since);
        }
    }

    fn mean_max(ms: &[u64]) -> String {
        match ms.iter().max() {
            None => "none yet".into(),
            Some(max) => {
                let mean = ms.iter().sum::<u64>() / ms.len() as u64;
                format!("{} (mean {mean} ms, longest {max} ms)", ms.len())
            }
        }
    }
}

impl Monitor<SwimNote> for SwimMonitor {
    fn started(&mut self, nodes: usize) {
        self.grow(nodes.saturating_sub(1));
    }

    fn figures(&self) -> Vec<(&'static str, String)> {
        vec![
            ("stops suspected", Self::mean_max(&self.suspicion_ms)),
            (
                "stops declared dead by every member",
                Self::mean_max(&self.everyone_ms),
            ),
            ("false suspicions", self.false_suspicions.to_string()),
            ("false deaths", self.false_deaths.to_string()),
        ]
    }

    fn status(&mut self, t: u64, node: NodeId, status: Status) {
        self.grow(node);
        match status {
            Status::Up => self.stopped[node] = None,
            _ if self.stopped[node].is_none() => {
                self.stopped[node] = Some(t);
                self.suspected[node] = false;
                self.detected[node] = false;
                self.known[node] = false;
                self.dead_by[node].fill(false);
            }
            _ => {}
        }
    }

    fn observe(&mut self, t: u64, node: NodeId, note: &SwimNote) -> Option<Violation> {
        self.grow(node);
        match *note {
            SwimNote::Refuted { inc } | SwimNote::Rejoined { inc } => self.inc[node] = inc,
            SwimNote::Saw {
                member,
                health,
                inc,
            } if health != Health::Alive && member < self.inc.len() => {
                let dead = health == Health::Dead;
                match self.stopped[member] {
                    Some(since) => {
                        // A death comes after a suspicion (by this member or another).
                        if !self.suspected[member] {
                            self.suspected[member] = true;
                            self.suspicion_ms.push(t - since);
                        }
                        if dead && !self.detected[member] {
                            self.detected[member] = true;
                            self.detection_ms.push(t - since);
                        }
                        if dead {
                            self.declared_dead(t, member, node, since);
                        }
                    }
                    None if inc >= self.inc[member] && self.counted.insert((member, inc, dead)) => {
                        if dead {
                            self.false_deaths += 1;
                        } else {
                            self.false_suspicions += 1;
                        }
                    }
                    _ => {}
                }
            }
            SwimNote::Saw { .. } => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use rand::SeedableRng;

    #[test]
    fn news_overrides_by_incarnation_then_suspect_over_alive_then_dead_over_all() {
        use Health::*;
        let u = |health, inc| Update {
            member: 1,
            health,
            inc,
        };
        let cases = [
            (u(Alive, 2), (Alive, 1), true),
            (u(Alive, 1), (Alive, 1), false),
            (u(Alive, 2), (Suspect, 1), true),
            (u(Alive, 1), (Suspect, 1), false),
            (u(Alive, 2), (Dead, 1), true),
            (u(Suspect, 1), (Alive, 1), true),
            (u(Suspect, 0), (Alive, 1), false),
            (u(Suspect, 1), (Suspect, 1), false),
            (u(Suspect, 2), (Suspect, 1), true),
            (u(Suspect, 5), (Dead, 1), false),
            (u(Dead, 1), (Suspect, 1), true),
            (u(Dead, 0), (Alive, 1), false),
            (u(Dead, 3), (Dead, 1), false),
        ];
        for (news, now, wins) in cases {
            assert_eq!(news.overrides(now), wins, "{news:?} over {now:?}");
        }
    }

    #[test]
    fn a_member_told_it_is_suspected_refutes_with_a_higher_incarnation() {
        let mut rng = Rng::seed_from_u64(1);
        let mut n = SwimNode::new(2, 4, &SwimConfig::default(), &mut rng);
        let mut out = Outbox::new(0, &mut rng);
        let news = Update {
            member: 2,
            health: Health::Suspect,
            inc: 0,
        };
        n.learn(news, &mut out);
        assert_eq!(n.incarnation, 1);
        assert_eq!(n.health, 1, "refuting counts against its local health");
        let sent = n.piggyback();
        assert!(sent.contains(&Update {
            member: 2,
            health: Health::Alive,
            inc: 1
        }));
        // Old news of itself is ignored.
        n.learn(news, &mut out);
        assert_eq!(n.incarnation, 1);
    }
}
