//! Eventual consistency: a replicated key-value store where every node accepts reads and writes
//! locally and replicas converge by push-pull anti-entropy, as in Dynamo-style stores and
//! Consul's membership layer. Each key is a last-writer-wins register ordered by
//! (Lamport clock, node id).
//!
//! A round: every `interval_ticks` a node sends a `digest` (key → version) to `fanout` random
//! peers; a peer answers with a `delta` holding the entries it has newer, and asks for the keys
//! where the digest was newer; the first node answers those with a second `delta`. Each phase
//! is a message the user can drop, delay or hold.

use crate::engine::{
    uniform_index, Control, KvOp, KvReply, KvRequest, Monitor, MsgSummary, Node, NodeId, NodeView,
    Outbox, Rng, Violation,
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
}

impl Default for GossipConfig {
    fn default() -> Self {
        GossipConfig {
            interval_ticks: 4,
            fanout: 1,
        }
    }
}

/// A register's version: the Lamport clock of its write, then the writer's id to break ties.
pub type Version = (u64, u32);

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub value: String,
    pub version: Version,
}

#[derive(Clone, Debug)]
pub enum GossipMsg {
    Digest {
        versions: Vec<(String, Version)>,
    },
    /// Entries the receiver lacks, and the keys the sender wants back.
    Delta {
        entries: Vec<(String, Entry)>,
        want: Vec<String>,
    },
}

/// What a gossip node reports: a write it accepted, or an entry it took from a peer.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "note", rename_all = "kebab-case")]
pub enum GossipNote {
    Wrote {
        key: String,
        value: String,
        version: Version,
    },
    /// A newer entry replaced `replaced` (None: the key was new here).
    Merged {
        key: String,
        value: String,
        version: Version,
        replaced: Option<Version>,
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

pub struct GossipNode {
    id: NodeId,
    nodes: usize,
    cfg: GossipConfig,
    /// Durable: the store and the clock survive a crash (a store writes to disk).
    store: BTreeMap<String, Entry>,
    clock: u64,
    /// Volatile: ticks until the next round.
    until_round: u32,
    rounds: u64,
}

impl GossipNode {
    fn digest(&self) -> Vec<(String, Version)> {
        self.store
            .iter()
            .map(|(k, e)| (k.clone(), e.version))
            .collect()
    }

    fn merge(&mut self, entries: Vec<(String, Entry)>, out: &mut Out) {
        for (key, entry) in entries {
            self.clock = self.clock.max(entry.version.0);
            let replaced = self.store.get(&key).map(|e| e.version);
            if replaced.is_none_or(|v| v < entry.version) {
                out.note(GossipNote::Merged {
                    key: key.clone(),
                    value: entry.value.clone(),
                    version: entry.version,
                    replaced,
                });
                self.store.insert(key, entry);
            }
        }
    }

    fn write(&mut self, key: &str, value: String, out: &mut Out) {
        self.clock += 1;
        let version = (self.clock, self.id as u32);
        out.note(GossipNote::Wrote {
            key: key.to_string(),
            value: value.clone(),
            version,
        });
        self.store.insert(key.to_string(), Entry { value, version });
    }

    fn get(&self, key: &str) -> String {
        self.store
            .get(key)
            .map(|e| e.value.clone())
            .unwrap_or_default()
    }
}

impl Node for GossipNode {
    type Msg = GossipMsg;
    type Note = GossipNote;
    type Monitor = NoMonitor;
    type Config = GossipConfig;
    const NAME: &'static str = "gossip";

    fn is_milestone(note: &GossipNote) -> bool {
        matches!(note, GossipNote::Merged { .. })
    }

    fn new(id: NodeId, nodes: usize, cfg: &GossipConfig, rng: &mut Rng) -> Self {
        let interval = cfg.interval_ticks.max(1);
        // Spread the first rounds so that nodes do not gossip in lockstep.
        let until_round = uniform_index(rng, 1, interval as usize + 1) as u32;
        GossipNode {
            id,
            nodes,
            cfg: cfg.clone(),
            store: BTreeMap::new(),
            clock: 0,
            until_round,
            rounds: 0,
        }
    }

    fn on_message(&mut self, from: NodeId, msg: GossipMsg, out: &mut Out) {
        match msg {
            GossipMsg::Digest { versions } => {
                let theirs: BTreeMap<String, Version> = versions.into_iter().collect();
                let entries = self
                    .store
                    .iter()
                    .filter(|(k, e)| theirs.get(*k).is_none_or(|v| *v < e.version))
                    .map(|(k, e)| (k.clone(), e.clone()))
                    .collect();
                let want = theirs
                    .iter()
                    .filter(|(k, v)| self.store.get(*k).is_none_or(|e| e.version < **v))
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
        self.until_round = self.cfg.interval_ticks.max(1);
        self.rounds += 1;
        let mut peers: Vec<NodeId> = (0..self.nodes).filter(|&p| p != self.id).collect();
        for _ in 0..self.cfg.fanout.clamp(1, peers.len()) {
            let p = peers.swap_remove(uniform_index(out.rng, 0, peers.len()));
            out.send(
                p,
                GossipMsg::Digest {
                    versions: self.digest(),
                },
            );
        }
    }

    fn on_client(&mut self, req: KvRequest, out: &mut Out) {
        let reply = match req.op {
            KvOp::Get { key } => KvReply::Ok {
                value: Some(self.get(&key)),
            },
            KvOp::Put { key, value } => {
                self.write(&key, value, out);
                KvReply::Ok { value: None }
            }
            KvOp::Append { key, value } => {
                let v = self.get(&key) + &value;
                self.write(&key, v, out);
                KvReply::Ok { value: None }
            }
            // Compared against this replica only: not atomic across the cluster.
            KvOp::Cas { key, from, to } => {
                if self.get(&key) == from {
                    self.write(&key, to, out);
                    KvReply::Ok { value: None }
                } else {
                    KvReply::CasFailed
                }
            }
        };
        out.reply(req.id, reply);
    }

    fn on_control(&mut self, cmd: Control, out: &mut Out) {
        // "Campaign" means "gossip now" here; there is no leader to transfer.
        if cmd == Control::Campaign {
            self.until_round = 1;
            self.on_tick(out);
        }
    }

    fn crash(&mut self) {
        self.until_round = self.cfg.interval_ticks.max(1);
    }

    fn restart(&mut self, _out: &mut Out) {}

    fn view(&self) -> NodeView {
        NodeView {
            role: "replica".into(),
            term: self.clock,
            kv: self
                .store
                .iter()
                .map(|(k, e)| (k.clone(), e.value.clone()))
                .collect(),
            details: vec![
                ("lamport clock".into(), self.clock.to_string()),
                ("rounds started".into(), self.rounds.to_string()),
                (
                    "versions".into(),
                    self.store
                        .iter()
                        .map(|(k, e)| format!("{k}@{}.{}", e.version.0, e.version.1))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            ],
            ..NodeView::default()
        }
    }

    fn role(&self) -> (&'static str, u64) {
        ("replica", self.clock)
    }

    fn summarize(m: &GossipMsg) -> MsgSummary {
        match m {
            GossipMsg::Digest { versions } => MsgSummary {
                kind: "digest",
                entries: versions.len() as u32,
                ..Default::default()
            },
            GossipMsg::Delta { entries, want } => MsgSummary {
                kind: "delta",
                entries: entries.len() as u32,
                index: want.len() as u64,
                ..Default::default()
            },
        }
    }

    fn describe(m: &GossipMsg) -> Vec<(String, String)> {
        match m {
            GossipMsg::Digest { versions } => {
                let mut f = vec![("type".to_string(), "digest".to_string())];
                f.extend(
                    versions
                        .iter()
                        .map(|(k, v)| (format!("has {k}"), format!("version {}.{}", v.0, v.1))),
                );
                f
            }
            GossipMsg::Delta { entries, want } => {
                let mut f = vec![("type".to_string(), "delta".to_string())];
                f.extend(entries.iter().map(|(k, e)| {
                    (
                        format!("sends {k}"),
                        format!("{:?} (version {}.{})", e.value, e.version.0, e.version.1),
                    )
                }));
                if !want.is_empty() {
                    f.push(("asks for".into(), want.join(", ")));
                }
                f
            }
        }
    }
}
