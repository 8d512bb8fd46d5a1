//! Causal consistency: causal broadcast with vector clocks. A node applies its clients' writes
//! at once and broadcasts them; a receiver buffers an update until everything it depends on
//! (its vector clock) has been applied, so no one ever sees an effect before its cause.
//! Concurrent writes to one key are ordered by (sum of the clock, origin), so replicas converge.
//! Lost broadcasts are repaired by a periodic `sync`: a node sends its clock to a random peer,
//! which answers with the updates it lacks.

use super::gossip::{NoMonitor, REPLICA, SYNC_NOW};
use crate::engine::limits::within;
use crate::engine::{
    uniform_index, Consistency, Control, Description, Hold, KvRequest, MessageKind, MsgSummary,
    Node, NodeId, NodeView, Outbox, Rng, Role, Shape, StateView,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CausalBug {
    /// Applies updates as they arrive, without waiting for their dependencies.
    NoDependencyWait,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CausalConfig {
    /// Ticks between two syncs started by a node.
    pub sync_ticks: u32,
    pub bug: Option<CausalBug>,
}

impl Default for CausalConfig {
    fn default() -> Self {
        CausalConfig {
            sync_ticks: 6,
            bug: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Update {
    pub origin: NodeId,
    /// The origin's clock after the write: its causal past.
    pub clock: Vec<u64>,
    pub key: String,
    pub value: String,
}

#[derive(Clone, Debug)]
pub enum CausalMsg {
    Update(Update),
    /// "This is what I have applied": the receiver answers with what the sender lacks.
    Sync {
        clock: Vec<u64>,
    },
    Updates(Vec<Update>),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "note", rename_all = "kebab-case")]
pub enum CausalNote {
    Applied {
        origin: NodeId,
        seq: u64,
        key: String,
    },
    /// An update arrived before what it depends on and is held back: for each origin whose
    /// updates it lacks, the last of them it needs.
    Buffered {
        origin: NodeId,
        seq: u64,
        waits_for: Vec<(NodeId, u64)>,
    },
}

type Out<'a> = Outbox<'a, CausalMsg, CausalNote>;

/// Causal broadcast's message kinds, in the order of `KINDS`.
#[derive(Clone, Copy)]
enum Kind {
    Update,
    Sync,
    Updates,
}

const fn kind(
    code: Kind,
    label: &'static str,
    colour: &'static str,
    number: &'static str,
) -> MessageKind {
    MessageKind {
        routine: matches!(code, Kind::Sync),
        numbers: [number, "", "", ""],
        ..MessageKind::new(
            code as u8,
            label,
            colour,
            Shape::Circle,
            matches!(code, Kind::Updates),
        )
    }
}

static KINDS: [MessageKind; 3] = [
    kind(Kind::Update, "update", "#e58be0", "sequence"),
    kind(Kind::Sync, "sync", "#b28cf0", "updates applied"),
    kind(Kind::Updates, "updates", "#b28cf0", ""),
];

static DESCRIPTION: Description = Description {
    name: "causal",
    title: "causal broadcast",
    consistency: Consistency::Causal,
    headline: "clock",
    roles: &[REPLICA],
    kinds: &KINDS,
    properties: &[],
    controls: &[SYNC_NOW],
    toggles: &[],
    state: &[StateView::Store],
    clients: true,
    timer: "",
    library_log: None,
    join_control: None,
    glossary: &[
        ("vector clock", "how many updates of each replica it has applied"),
        ("updates applied", "updates it has applied, its own and others', in causal order"),
        ("waiting for dependencies", "updates held back (n1#4 x: n1's 4th update, to key x) until those they depend on arrive"),
    ],
};

pub struct CausalNode {
    id: NodeId,
    nodes: usize,
    cfg: CausalConfig,
    /// Durable: clock, store and the log of applied updates (what syncs resend).
    clock: Vec<u64>,
    store: BTreeMap<String, (String, Vec<u64>, NodeId)>,
    log: Vec<Update>,
    /// Volatile: updates waiting for their dependencies.
    buffer: Vec<Update>,
    until_sync: u32,
}

/// Which of two concurrent (or ordered) writes to a key wins: the causally later one, else the
/// larger (clock sum, origin), the same on every replica.
fn wins(new: (&[u64], NodeId), old: (&[u64], NodeId)) -> bool {
    let dominates = new.0.iter().zip(old.0).all(|(a, b)| a >= b);
    let dominated = new.0.iter().zip(old.0).all(|(a, b)| a <= b);
    match (dominates, dominated) {
        (true, false) => true,
        (false, true) => false,
        _ => (new.0.iter().sum::<u64>(), new.1) > (old.0.iter().sum::<u64>(), old.1),
    }
}

impl CausalNode {
    fn ready(&self, u: &Update) -> bool {
        u.clock[u.origin] == self.clock[u.origin] + 1
            && (0..self.nodes).all(|k| k == u.origin || u.clock[k] <= self.clock[k])
    }

    fn apply(&mut self, u: Update, out: &mut Out) {
        if self.cfg.bug == Some(CausalBug::NoDependencyWait) {
            for (c, v) in self.clock.iter_mut().zip(&u.clock) {
                *c = (*c).max(*v);
            }
        } else {
            self.clock[u.origin] = u.clock[u.origin];
        }
        out.note(CausalNote::Applied {
            origin: u.origin,
            seq: u.clock[u.origin],
            key: u.key.clone(),
        });
        let newer = self
            .store
            .get(&u.key)
            .is_none_or(|(_, c, o)| wins((&u.clock, u.origin), (c, *o)));
        if newer {
            self.store
                .insert(u.key.clone(), (u.value.clone(), u.clock.clone(), u.origin));
        }
        self.log.push(u);
    }

    fn receive(&mut self, u: Update, out: &mut Out) {
        let have = |s: &Self, u: &Update| {
            s.log
                .iter()
                .any(|l| l.origin == u.origin && l.clock[u.origin] == u.clock[u.origin])
                || s.buffer.contains(u)
        };
        if have(self, &u) || (self.cfg.bug.is_none() && u.clock[u.origin] <= self.clock[u.origin]) {
            return;
        }
        if self.cfg.bug == Some(CausalBug::NoDependencyWait) {
            return self.apply(u, out);
        }
        let (origin, seq) = (u.origin, u.clock[u.origin]);
        self.buffer.push(u);
        // Deliver everything that became ready, in causal order.
        while let Some(i) = self.buffer.iter().position(|b| self.ready(b)) {
            let next = self.buffer.remove(i);
            self.apply(next, out);
        }
        if let Some(held) =
            (self.buffer.iter()).find(|b| b.origin == origin && b.clock[origin] == seq)
        {
            let waits_for = (0..self.nodes)
                .map(|k| (k, if k == origin { seq - 1 } else { held.clock[k] }))
                .filter(|&(k, need)| need > self.clock[k])
                .collect();
            out.note(CausalNote::Buffered {
                origin,
                seq,
                waits_for,
            });
        }
        // Anything already applied can leave the buffer.
        let clock = self.clock.clone();
        self.buffer.retain(|b| b.clock[b.origin] > clock[b.origin]);
    }

    fn write(&mut self, key: String, value: String, out: &mut Out) {
        self.clock[self.id] += 1;
        let u = Update {
            origin: self.id,
            clock: self.clock.clone(),
            key,
            value,
        };
        for p in (0..self.nodes).filter(|&p| p != self.id) {
            out.send(p, CausalMsg::Update(u.clone()));
        }
        self.clock[self.id] -= 1;
        self.apply(u, out);
    }

    fn get(&self, key: &str) -> String {
        self.store
            .get(key)
            .map(|(v, ..)| v.clone())
            .unwrap_or_default()
    }
}

impl Node for CausalNode {
    type Msg = CausalMsg;
    type Note = CausalNote;
    type Monitor = NoMonitor;
    type Config = CausalConfig;
    const DESCRIPTION: &'static Description = &DESCRIPTION;

    fn is_milestone(note: &CausalNote) -> bool {
        matches!(
            note,
            CausalNote::Applied { .. } | CausalNote::Buffered { .. }
        )
    }

    fn holds(note: &CausalNote) -> Option<Hold> {
        let name = |o: &NodeId, s: &u64| format!("n{o}#{s}");
        match note {
            CausalNote::Buffered {
                origin,
                seq,
                waits_for,
            } => Some(Hold::Begins {
                id: (*origin, *seq),
                what: format!(
                    "{} waits for {}",
                    name(origin, seq),
                    (waits_for.iter().map(|(o, s)| name(o, s)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
            CausalNote::Applied { origin, seq, .. } => Some(Hold::Ends {
                id: (*origin, *seq),
            }),
        }
    }

    fn validate(cfg: &CausalConfig) -> Result<(), String> {
        within("sync_ticks", cfg.sync_ticks, 1, 1000)
    }

    fn new(id: NodeId, nodes: usize, cfg: &CausalConfig, rng: &mut Rng) -> Self {
        let every = cfg.sync_ticks;
        let until_sync = uniform_index(rng, 1, every as usize + 1) as u32;
        CausalNode {
            id,
            nodes,
            cfg: cfg.clone(),
            clock: vec![0; nodes],
            store: BTreeMap::new(),
            log: Vec::new(),
            buffer: Vec::new(),
            until_sync,
        }
    }

    fn on_message(&mut self, from: NodeId, msg: CausalMsg, out: &mut Out) {
        match msg {
            CausalMsg::Update(u) => self.receive(u, out),
            CausalMsg::Updates(us) => us.into_iter().for_each(|u| self.receive(u, out)),
            CausalMsg::Sync { clock } => {
                // At most 64 at a time: the next sync brings the rest.
                let missing: Vec<Update> = self
                    .log
                    .iter()
                    .filter(|u| u.clock[u.origin] > clock[u.origin])
                    .take(64)
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    out.send(from, CausalMsg::Updates(missing));
                }
            }
        }
    }

    fn on_tick(&mut self, out: &mut Out) {
        self.until_sync = self.until_sync.saturating_sub(1);
        if self.until_sync > 0 || self.nodes < 2 {
            return;
        }
        self.until_sync = self.cfg.sync_ticks;
        let p = (self.id + uniform_index(out.rng, 1, self.nodes)) % self.nodes;
        out.send(
            p,
            CausalMsg::Sync {
                clock: self.clock.clone(),
            },
        );
    }

    fn on_client(&mut self, req: KvRequest<'_>, out: &mut Out) {
        // Served by this replica alone: a compare-and-set is not atomic across the cluster.
        let (reply, new) = req.op.effect(&self.get(req.op.key()));
        if let Some(v) = new {
            let key = req.op.key().to_string();
            self.write(key, v, out);
        }
        out.reply(req.id, reply);
    }

    fn on_control(&mut self, cmd: &Control, out: &mut Out) {
        if cmd.name == SYNC_NOW.name {
            self.until_sync = 1;
            self.on_tick(out);
        }
    }

    fn crash(&mut self) {
        self.buffer.clear();
    }

    fn restart(&mut self, _out: &mut Out) {}

    fn view(&self) -> NodeView {
        NodeView {
            kv: self
                .store
                .iter()
                .map(|(k, (v, ..))| (k.clone(), v.clone()))
                .collect(),
            facts: vec![
                ("vector clock", format!("{:?}", self.clock)),
                ("updates applied", self.log.len().to_string()),
                (
                    "waiting for dependencies",
                    self.buffer
                        .iter()
                        .map(|u| format!("n{}#{} {}", u.origin, u.clock[u.origin], u.key))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ],
            ..NodeView::new(&REPLICA, self.clock.iter().sum())
        }
    }

    fn role(&self) -> (&'static Role, u64) {
        (&REPLICA, self.clock.iter().sum())
    }

    fn summarize(m: &CausalMsg) -> MsgSummary {
        match m {
            CausalMsg::Update(u) => MsgSummary {
                numbers: [u.clock[u.origin], 0, 0, 0],
                entries: 1,
                ..MsgSummary::new(&KINDS[Kind::Update as usize])
            },
            CausalMsg::Sync { clock } => MsgSummary {
                numbers: [clock.iter().sum(), 0, 0, 0],
                ..MsgSummary::new(&KINDS[Kind::Sync as usize])
            },
            CausalMsg::Updates(us) => MsgSummary {
                entries: us.len() as u32,
                ..MsgSummary::new(&KINDS[Kind::Updates as usize])
            },
        }
    }

    fn describe(m: &CausalMsg) -> Vec<(String, String)> {
        let update = |u: &Update| {
            (
                format!("n{}#{}", u.origin, u.clock[u.origin]),
                format!("{}={:?} after {:?}", u.key, u.value, u.clock),
            )
        };
        match m {
            CausalMsg::Update(u) => vec![update(u)],
            CausalMsg::Sync { clock } => vec![("clock".into(), format!("{clock:?}"))],
            CausalMsg::Updates(us) => us.iter().map(update).collect(),
        }
    }
}
