//! Simulated clients and the history they record, Jepsen-style: invoke, then ok / fail / info.

use super::kv::{KvOp, QueryMode};
use super::limits::{within, MAX_DELAY_MS};
use super::node::{NodeId, Rng};
use rand::Rng as _;
use serde::{Deserialize, Serialize};

pub type ClientId = usize;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientConfig {
    /// Clients of the steady load (each runs one operation at a time).
    pub count: usize,
    pub keys: usize,
    /// Whether the steady load starts on.
    pub load: bool,
    /// Pause between a client's operations: uniform in [min, max] ms.
    pub think_ms: (u64, u64),
    /// An operation without an answer by then is recorded as indeterminate.
    pub timeout_ms: u64,
    /// One-way client-to-node latency in ms (plus up to half of it as jitter).
    pub latency_ms: u64,
    /// Percentages of reads and compare-and-sets; the rest are puts.
    pub read_pct: u32,
    pub cas_pct: u32,
    /// Load clients stay with their home node (a session) instead of following redirects or
    /// failing over: an answer other than success ends the operation as failed.
    pub sticky: bool,
    /// The steady load's reads each ask for a query mode at random (consistent, default or
    /// stale), as Consul's clients may; otherwise every read is consistent.
    pub query_modes: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            count: 3,
            keys: 3,
            load: false,
            think_ms: (200, 600),
            timeout_ms: 2_000,
            latency_ms: 4,
            read_pct: 40,
            cas_pct: 20,
            sticky: false,
            query_modes: false,
        }
    }
}

impl ClientConfig {
    pub fn validate(&self) -> Result<(), String> {
        within("count", self.count, 0, 64)?;
        within("keys", self.keys, 1, 1000)?;
        within("think_ms (max)", self.think_ms.1, 0, MAX_DELAY_MS)?;
        within("think_ms (min)", self.think_ms.0, 0, self.think_ms.1)?;
        within("timeout_ms", self.timeout_ms, 1, MAX_DELAY_MS)?;
        within("latency_ms", self.latency_ms, 0, 60_000)?;
        within("read_pct", self.read_pct, 0, 100)?;
        within(
            "cas_pct (read_pct + cas_pct is at most 100)",
            self.cas_pct,
            0,
            100 - self.read_pct,
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Outcome {
    /// Took effect; a read carries the value it saw.
    Ok { value: Option<String> },
    /// Definitely did not take effect (a cas whose compare failed is `Ok`-like: see `cas_failed`).
    Fail,
    /// Unknown: may or may not have taken effect (timed out).
    Info,
}

/// One operation of the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryOp {
    pub client: ClientId,
    pub op: KvOp,
    pub invoke_t: u64,
    /// None while pending.
    pub complete_t: Option<u64>,
    pub outcome: Option<Outcome>,
    /// A compare-and-set that ran but did not match.
    #[serde(default)]
    pub cas_failed: bool,
    /// The node that finally answered.
    pub node: Option<NodeId>,
}

/// The operations of a run in call order. An operation's index is its number in the whole
/// run; a long session may forget a prefix that every check has settled (see
/// `forget_before`), and then `ops` holds only the rest, from index `forgotten` on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub ops: Vec<HistoryOp>,
    /// How many of the first operations are no longer held.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub forgotten: usize,
    /// The clients that are nodes' own (`Outbox::request`), with their node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub own: Vec<(ClientId, super::NodeId)>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl History {
    pub fn new(ops: Vec<HistoryOp>) -> Self {
        History {
            ops,
            ..History::default()
        }
    }

    /// The node whose own client this is, if it is one.
    pub fn owner(&self, client: ClientId) -> Option<super::NodeId> {
        (self.own.iter()).find_map(|&(c, n)| (c == client).then_some(n))
    }

    /// Operations made over the whole run, forgotten ones included.
    pub fn len(&self) -> usize {
        self.forgotten + self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The operation of index `i`, unless it was forgotten (or is yet to come).
    pub fn get(&self, i: usize) -> Option<&HistoryOp> {
        self.ops.get(i.checked_sub(self.forgotten)?)
    }

    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut HistoryOp> {
        self.ops.get_mut(i.checked_sub(self.forgotten)?)
    }

    /// The operations held, with their indices.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (usize, &HistoryOp)> {
        self.ops
            .iter()
            .enumerate()
            .map(|(i, o)| (self.forgotten + i, o))
    }

    /// Let go of the operations before index `i` (those already forgotten stay so).
    pub fn forget_before(&mut self, i: usize) {
        let drop = i.saturating_sub(self.forgotten).min(self.ops.len());
        self.ops.drain(..drop);
        self.forgotten += drop;
    }

    pub fn count(&self, f: impl Fn(&HistoryOp) -> bool) -> usize {
        self.ops.iter().filter(|o| f(o)).count()
    }
}

/// Indexing by an operation's number in the run: it must still be held.
impl std::ops::Index<usize> for History {
    type Output = HistoryOp;
    fn index(&self, i: usize) -> &HistoryOp {
        self.get(i)
            .expect("an operation of the history that is still held")
    }
}

/// A client's progress on its current operation.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    /// Node it believes leads.
    pub target: NodeId,
    /// Index into the history of the op in progress.
    pub current: Option<usize>,
    /// The request id of the attempt awaiting an answer, if any.
    pub attempt: Option<u64>,
    pub attempts: u32,
    /// Part of the steady load (picks its next op itself) or a one-off manual request.
    pub load: bool,
    /// Fixed target chosen by the user.
    pub pinned: bool,
    pub last_seen: Vec<String>,
    /// Whether a deadline event for this client is queued.
    pub deadline_armed: bool,
}

impl Client {
    pub fn new(target: NodeId, load: bool, keys: usize) -> Self {
        Client {
            target,
            current: None,
            attempt: None,
            attempts: 0,
            load,
            pinned: false,
            last_seen: vec![String::new(); keys],
            deadline_armed: false,
        }
    }

    /// The next operation of the steady load. Written values are unique (counter), which keeps
    /// the linearizability search narrow and makes every read attributable to one write.
    pub fn next_op(&self, cfg: &ClientConfig, rng: &mut Rng, counter: &mut u64) -> KvOp {
        let k = super::node::uniform_index(rng, 0, cfg.keys);
        let key = decimal("k", k as u64);
        let roll = rng.gen_range(0..100);
        *counter += 1;
        if roll < cfg.read_pct {
            // Only drawn when asked for, so that runs without modes replay as they did.
            let mode = if cfg.query_modes {
                QueryMode::ALL[super::node::uniform_index(rng, 0, QueryMode::ALL.len())]
            } else {
                QueryMode::Consistent
            };
            KvOp::Get { key, mode }
        } else if roll < cfg.read_pct + cfg.cas_pct {
            KvOp::Cas {
                key,
                from: self.last_seen[k].clone(),
                to: decimal("", *counter),
            }
        } else {
            KvOp::Put {
                key,
                value: decimal("", *counter),
            }
        }
    }

    /// Note what a successful `op` showed about its key (a read's `value`, or what it wrote),
    /// for the next compare-and-set to compare against.
    pub fn remember(&mut self, op: &KvOp, value: Option<&str>) {
        let Some(k) = op
            .key()
            .strip_prefix('k')
            .and_then(|k| k.parse::<usize>().ok())
        else {
            return;
        };
        let Some(slot) = self.last_seen.get_mut(k) else {
            return;
        };
        match (op, value) {
            (KvOp::Get { .. }, Some(v)) => v.clone_into(slot),
            (KvOp::Put { value, .. }, _) => value.clone_into(slot),
            (KvOp::Cas { to, .. }, _) => to.clone_into(slot),
            _ => {}
        }
    }
}

/// `prefix` followed by `n` in decimal: what `format!` gives, in one small allocation and
/// without the formatting machinery (the load generator makes a few of these per operation).
fn decimal(prefix: &str, n: u64) -> String {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(n);
    let mut s = String::with_capacity(prefix.len() + digits.len());
    s.push_str(prefix);
    s.push_str(digits);
    s
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn decimal_matches_format() {
        for n in [0, 7, 10, 99, 1000, 123_456_789, u64::MAX] {
            assert_eq!(super::decimal("k", n), format!("k{n}"));
            assert_eq!(super::decimal("", n), n.to_string());
        }
    }
}
