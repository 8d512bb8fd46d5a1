//! Eventual consistency: a replicated key-value store where every node accepts reads and writes
//! locally and replicas converge by push-pull anti-entropy, as in Dynamo-style stores and
//! Consul's membership layer.
//!
//! Each key is a register with a causal context (a version vector): a write at node n gets the
//! dot (n, k) and replaces the values it has seen; values written concurrently survive a merge
//! side by side (siblings). In last-writer-wins mode (the default) only the sibling with the
//! highest (Lamport clock, node id) is kept, so a concurrent write silently disappears; in
//! multi-value mode all are kept and a read returns them joined by "|", as Dynamo and Riak do.
//!
//! A round: every `interval_ticks` a node sends a `digest` (key → version vector) to `fanout`
//! random peers; a peer answers with a `delta` holding the keys where it knows something the
//! digest does not, and asks for the keys where the digest knows more; the first node answers
//! those with a second `delta`. Each phase is a message the user can drop, delay or hold.

use crate::engine::limits::within;
use crate::engine::{
    uniform_index, Consistency, Control, ControlInfo, Description, KvRequest, MessageKind, Monitor,
    MsgSummary, Node, NodeId, NodeView, Outbox, Rng, Role, Shape, StateView, Toggle, Violation,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GossipConfig {
    /// Ticks between two anti-entropy rounds started by a node.
    pub interval_ticks: u32,
    /// Peers contacted per round.
    pub fanout: usize,
    /// Keep concurrent writes as siblings instead of last-writer-wins.
    pub multi_value: bool,
}

impl Default for GossipConfig {
    fn default() -> Self {
        GossipConfig {
            interval_ticks: 4,
            fanout: 1,
            multi_value: false,
        }
    }
}

/// One value of a register and the write that made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sibling {
    pub value: String,
    /// (writer, its k-th write): identifies the write.
    pub dot: (usize, u64),
    /// Lamport clock of the write: orders concurrent writes for last-writer-wins.
    pub lamport: u64,
}

/// A register: its current values and the writes it has seen (a version vector).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub siblings: Vec<Sibling>,
    pub context: Vec<u64>,
}

impl Entry {
    fn covers(&self, dot: (usize, u64)) -> bool {
        self.context.get(dot.0).is_some_and(|&c| c >= dot.1)
    }
    /// What a read returns: the value, or the siblings in a stable order joined by "|".
    pub fn value(&self) -> String {
        let mut v: Vec<&str> = self.siblings.iter().map(|s| s.value.as_str()).collect();
        v.sort_unstable();
        v.join("|")
    }
    /// Whether this register knows a write the other does not.
    fn ahead_of(&self, other: &[u64]) -> bool {
        self.context
            .iter()
            .enumerate()
            .any(|(i, &c)| c > other.get(i).copied().unwrap_or(0))
    }
}

#[derive(Clone, Debug)]
pub enum GossipMsg {
    Digest {
        contexts: Vec<(String, Vec<u64>)>,
    },
    /// Registers the receiver lacks writes of, and the keys the sender wants back.
    Delta {
        entries: Vec<(String, Entry)>,
        want: Vec<String>,
    },
}

/// What a gossip node reports: a write it accepted, or a register it merged from a peer.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "note", rename_all = "kebab-case")]
pub enum GossipNote {
    Wrote {
        key: String,
        value: String,
        dot: (usize, u64),
    },
    /// After merging, the register reads `value` (siblings joined by "|"); `dropped` concurrent
    /// values were discarded by last-writer-wins.
    Merged {
        key: String,
        value: String,
        dropped: usize,
    },
}

/// Gossip promises no safety property the engine could check live; convergence and stale
/// reads are judged over the whole run (see `check::eventual`).
#[derive(Default)]
pub struct NoMonitor;

impl<N> Monitor<N> for NoMonitor {
    fn observe(&mut self, _: u64, _: NodeId, _: &N) -> Option<Violation> {
        None
    }
}

type Out<'a> = Outbox<'a, GossipMsg, GossipNote>;

/// The one role of a replica of a leaderless store (causal broadcast uses it too).
pub(crate) const REPLICA: Role = Role {
    name: "replica",
    colour: "#3fa37d",
    leads: false,
    passing: false,
};

/// Start an exchange with a peer now (causal broadcast offers it too).
pub(crate) const SYNC_NOW: ControlInfo = ControlInfo {
    name: "SyncNow",
    label: "Sync now",
    hook: "sync",
    tooltip: "Start an anti-entropy round now",
    names_node: false,
    lists_nodes: false,
    to_leader: false,
    // Links made before protocols described their own commands called it so.
    aliases: &["Campaign"],
};

/// Gossip's message kinds, in the order of `KINDS`.
#[derive(Clone, Copy)]
enum Kind {
    Digest,
    Delta,
}

const NO_NUMBERS: [&str; 4] = ["", "", "", ""];

static KINDS: [MessageKind; 2] = [
    MessageKind {
        code: Kind::Digest as u8,
        label: "digest",
        colour: "#3fa37d",
        shape: Shape::Circle,
        response: false,
        grants: false,
        routine: true,
        numbers: NO_NUMBERS,
        size: None,
    },
    MessageKind {
        code: Kind::Delta as u8,
        label: "delta",
        colour: "#7ddfb3",
        shape: Shape::Circle,
        response: true,
        grants: false,
        routine: false,
        numbers: ["keys wanted", "", "", ""],
        size: None,
    },
];

static DESCRIPTION: Description = Description {
    name: "gossip",
    title: "gossip",
    consistency: Consistency::Eventual,
    headline: "clock",
    roles: &[REPLICA],
    kinds: &KINDS,
    properties: &[],
    controls: &[SYNC_NOW],
    toggles: &[Toggle {
        key: "siblings",
        label: "siblings",
        tooltip: "Gossip: keep concurrent writes as siblings (multi-value registers) instead of last writer wins",
    }],
    state: &[StateView::Store],
    clients: true,
    timer: "",
    library_log: None,
    join_control: None,
    glossary: &[
        ("version vector", "how many writes of each replica it has seen: a replica ahead of another in some place has something to send it"),
        ("lamport clock", "a counter that orders writes: the higher one wins under last-writer-wins"),
        ("mode", "last writer wins keeps one value per key; multi-value keeps concurrent writes side by side as siblings, for a client to resolve"),
        ("rounds started", "anti-entropy rounds: it sends a digest of what it has to a random peer, which answers with what it lacks"),
    ],
};

pub struct GossipNode {
    id: NodeId,
    nodes: usize,
    cfg: GossipConfig,
    /// Durable: the store and the clocks survive a crash (a store writes to disk).
    store: BTreeMap<String, Entry>,
    lamport: u64,
    writes: u64,
    /// Volatile: ticks until the next round.
    until_round: u32,
    rounds: u64,
}

impl GossipNode {
    fn digest(&self) -> Vec<(String, Vec<u64>)> {
        self.store
            .iter()
            .map(|(k, e)| (k.clone(), e.context.clone()))
            .collect()
    }

    /// Keep what each side has that the other has not seen; in last-writer-wins mode, then
    /// only the newest of the concurrent values.
    fn merge(&mut self, entries: Vec<(String, Entry)>, out: &mut Out) {
        for (key, theirs) in entries {
            let nodes = self.nodes;
            let mine = self.store.entry(key.clone()).or_insert_with(|| Entry {
                siblings: Vec::new(),
                context: vec![0; nodes],
            });
            if !theirs.ahead_of(&mine.context) {
                continue;
            }
            let mut siblings: Vec<Sibling> = mine
                .siblings
                .iter()
                .filter(|s| !theirs.covers(s.dot) || theirs.siblings.contains(s))
                .cloned()
                .collect();
            let new: Vec<Sibling> = theirs
                .siblings
                .iter()
                .filter(|s| !mine.covers(s.dot) && !siblings.contains(s))
                .cloned()
                .collect();
            siblings.extend(new);
            for (c, t) in mine.context.iter_mut().zip(&theirs.context) {
                *c = (*c).max(*t);
            }
            self.lamport = self
                .lamport
                .max(siblings.iter().map(|s| s.lamport).max().unwrap_or(0));
            let before = siblings.len();
            if !self.cfg.multi_value {
                siblings.sort_by_key(|s| (s.lamport, s.dot.0));
                siblings.drain(..siblings.len().saturating_sub(1));
            }
            mine.siblings = siblings;
            out.note(GossipNote::Merged {
                key,
                value: mine.value(),
                dropped: before - mine.siblings.len(),
            });
        }
    }

    /// A local write replaces every value this replica has seen for the key.
    fn write(&mut self, key: &str, value: String, out: &mut Out) {
        self.lamport += 1;
        self.writes += 1;
        let dot = (self.id, self.writes);
        let nodes = self.nodes;
        let entry = self.store.entry(key.to_string()).or_insert_with(|| Entry {
            siblings: Vec::new(),
            context: vec![0; nodes],
        });
        entry.context[self.id] = self.writes;
        entry.siblings = vec![Sibling {
            value: value.clone(),
            dot,
            lamport: self.lamport,
        }];
        out.note(GossipNote::Wrote {
            key: key.to_string(),
            value,
            dot,
        });
    }

    fn get(&self, key: &str) -> String {
        self.store.get(key).map(Entry::value).unwrap_or_default()
    }

    /// Everything this replica has seen, over all keys.
    fn version_vector(&self) -> Vec<u64> {
        let mut vv = vec![0; self.nodes];
        for e in self.store.values() {
            vv.iter_mut()
                .zip(&e.context)
                .for_each(|(a, b)| *a = (*a).max(*b));
        }
        vv
    }
}

impl Node for GossipNode {
    type Msg = GossipMsg;
    type Note = GossipNote;
    type Monitor = NoMonitor;
    type Config = GossipConfig;
    const DESCRIPTION: &'static Description = &DESCRIPTION;

    fn is_milestone(note: &GossipNote) -> bool {
        matches!(note, GossipNote::Merged { .. })
    }

    fn validate(cfg: &GossipConfig) -> Result<(), String> {
        within("interval_ticks", cfg.interval_ticks, 1, 1000)?;
        within("fanout", cfg.fanout, 1, 63)
    }

    fn new(id: NodeId, nodes: usize, cfg: &GossipConfig, rng: &mut Rng) -> Self {
        let interval = cfg.interval_ticks;
        // Spread the first rounds so that nodes do not gossip in lockstep.
        let until_round = uniform_index(rng, 1, interval as usize + 1) as u32;
        GossipNode {
            id,
            nodes,
            cfg: cfg.clone(),
            store: BTreeMap::new(),
            lamport: 0,
            writes: 0,
            until_round,
            rounds: 0,
        }
    }

    fn on_message(&mut self, from: NodeId, msg: GossipMsg, out: &mut Out) {
        match msg {
            GossipMsg::Digest { contexts } => {
                let theirs: BTreeMap<String, Vec<u64>> = contexts.into_iter().collect();
                let none = vec![0; self.nodes];
                let entries = self
                    .store
                    .iter()
                    .filter(|(k, e)| e.ahead_of(theirs.get(*k).unwrap_or(&none)))
                    .map(|(k, e)| (k.clone(), e.clone()))
                    .collect();
                let want = theirs
                    .iter()
                    .filter(|(k, ctx)| {
                        self.store
                            .get(*k)
                            .is_none_or(|e| ctx.iter().enumerate().any(|(i, &c)| c > e.context[i]))
                    })
                    .map(|(k, _)| k.clone())
                    .collect();
                out.send(from, GossipMsg::Delta { entries, want });
            }
            GossipMsg::Delta { entries, want } => {
                self.merge(entries, out);
                if !want.is_empty() {
                    let entries = want
                        .into_iter()
                        .filter_map(|k| self.store.get(&k).map(|e| (k, e.clone())))
                        .collect();
                    out.send(
                        from,
                        GossipMsg::Delta {
                            entries,
                            want: Vec::new(),
                        },
                    );
                }
            }
        }
    }

    fn on_tick(&mut self, out: &mut Out) {
        self.until_round = self.until_round.saturating_sub(1);
        if self.until_round > 0 || self.nodes < 2 {
            return;
        }
        self.until_round = self.cfg.interval_ticks;
        self.rounds += 1;
        let mut peers: Vec<NodeId> = (0..self.nodes).filter(|&p| p != self.id).collect();
        for _ in 0..self.cfg.fanout.min(peers.len()) {
            let p = peers.swap_remove(uniform_index(out.rng, 0, peers.len()));
            out.send(
                p,
                GossipMsg::Digest {
                    contexts: self.digest(),
                },
            );
        }
    }

    fn on_client(&mut self, req: KvRequest<'_>, out: &mut Out) {
        // Served by this replica alone: a compare-and-set is not atomic across the cluster.
        let (reply, new) = req.op.effect(&self.get(req.op.key()));
        if let Some(v) = new {
            let key = req.op.key().to_string();
            self.write(&key, v, out);
        }
        out.reply(req.id, reply);
    }

    fn on_control(&mut self, cmd: &Control, out: &mut Out) {
        if cmd.name == SYNC_NOW.name {
            self.until_round = 1;
            self.on_tick(out);
        }
    }

    fn crash(&mut self) {
        self.until_round = self.cfg.interval_ticks;
    }

    fn restart(&mut self, _out: &mut Out) {}

    fn toggle(cfg: &mut GossipConfig, key: &str, on: bool) {
        if key == "siblings" {
            cfg.multi_value = on;
        }
    }

    fn view(&self) -> NodeView {
        let vv = self.version_vector();
        NodeView {
            kv: self
                .store
                .iter()
                .map(|(k, e)| (k.clone(), e.value()))
                .collect(),
            facts: vec![
                ("version vector", format!("{vv:?}")),
                ("lamport clock", self.lamport.to_string()),
                (
                    "mode",
                    if self.cfg.multi_value {
                        "multi-value (siblings kept)"
                    } else {
                        "last writer wins"
                    }
                    .into(),
                ),
                ("rounds started", self.rounds.to_string()),
                (
                    "registers",
                    self.store
                        .iter()
                        .map(|(k, e)| format!("{k}={} {:?}", e.value(), e.context))
                        .collect::<Vec<_>>()
                        .join("  "),
                ),
            ],
            ..NodeView::new(&REPLICA, self.lamport)
        }
    }

    fn role(&self) -> (&'static Role, u64) {
        (&REPLICA, self.lamport)
    }

    fn summarize(m: &GossipMsg) -> MsgSummary {
        match m {
            GossipMsg::Digest { contexts } => MsgSummary {
                entries: contexts.len() as u32,
                ..MsgSummary::new(&KINDS[Kind::Digest as usize])
            },
            GossipMsg::Delta { entries, want } => MsgSummary {
                entries: entries.len() as u32,
                numbers: [want.len() as u64, 0, 0, 0],
                ..MsgSummary::new(&KINDS[Kind::Delta as usize])
            },
        }
    }

    fn describe(m: &GossipMsg) -> Vec<(String, String)> {
        match m {
            GossipMsg::Digest { contexts } => (contexts.iter())
                .map(|(k, c)| (format!("has {k}"), format!("seen {c:?}")))
                .collect(),
            GossipMsg::Delta { entries, want } => {
                let mut f: Vec<_> = (entries.iter())
                    .map(|(k, e)| {
                        (
                            format!("sends {k}"),
                            format!("{:?} seen {:?}", e.value(), e.context),
                        )
                    })
                    .collect();
                if !want.is_empty() {
                    f.push(("asks for".into(), want.join(", ")));
                }
                f
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use rand::SeedableRng;

    fn pair(multi_value: bool) -> (GossipNode, GossipNode, Rng) {
        let mut rng = Rng::seed_from_u64(1);
        let cfg = GossipConfig {
            multi_value,
            ..GossipConfig::default()
        };
        (
            GossipNode::new(0, 2, &cfg, &mut rng),
            GossipNode::new(1, 2, &cfg, &mut rng),
            rng,
        )
    }

    fn exchange(a: &mut GossipNode, b: &mut GossipNode, rng: &mut Rng) {
        let mut out = Outbox::new(0, rng);
        a.merge(b.store.clone().into_iter().collect(), &mut out);
        b.merge(a.store.clone().into_iter().collect(), &mut out);
    }

    fn put(n: &mut GossipNode, v: &str, rng: &mut Rng) {
        let mut out = Outbox::new(0, rng);
        n.write("x", v.into(), &mut out);
    }

    #[test]
    fn concurrent_writes_become_siblings_in_multi_value_mode_and_one_wins_otherwise() {
        let (mut a, mut b, mut rng) = pair(true);
        put(&mut a, "left", &mut rng);
        put(&mut b, "right", &mut rng);
        exchange(&mut a, &mut b, &mut rng);
        assert_eq!(a.get("x"), "left|right");
        assert_eq!(b.get("x"), "left|right");
        // A write that has seen both siblings replaces them.
        put(&mut a, "merged", &mut rng);
        exchange(&mut a, &mut b, &mut rng);
        assert_eq!((a.get("x"), b.get("x")), ("merged".into(), "merged".into()));

        let (mut a, mut b, mut rng) = pair(false);
        put(&mut a, "left", &mut rng);
        put(&mut b, "right", &mut rng);
        exchange(&mut a, &mut b, &mut rng);
        assert_eq!(a.get("x"), b.get("x"));
        assert!(
            ["left", "right"].contains(&a.get("x").as_str()),
            "one of them, silently"
        );
    }

    #[test]
    fn a_causally_later_write_replaces_the_earlier_one() {
        let (mut a, mut b, mut rng) = pair(true);
        put(&mut a, "1", &mut rng);
        exchange(&mut a, &mut b, &mut rng);
        put(&mut b, "2", &mut rng);
        exchange(&mut a, &mut b, &mut rng);
        assert_eq!((a.get("x"), b.get("x")), ("2".into(), "2".into()));
    }
}
