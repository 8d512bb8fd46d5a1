//! The key-value operations clients issue, and the state machine every protocol applies them to.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How fresh a read must be, in Consul's words (etcd's linearizable and serializable reads are
/// the first and the last).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryMode {
    /// Linearizable: the leader confirms with a quorum that it still leads before answering.
    #[default]
    Consistent,
    /// The leader answers from its own state at once: stale while a deposed leader has not
    /// noticed yet.
    Default,
    /// Any replica answers from its own state, leading or not: arbitrarily stale, and
    /// available without a leader.
    Stale,
}

impl QueryMode {
    pub const ALL: [QueryMode; 3] = [QueryMode::Consistent, QueryMode::Default, QueryMode::Stale];

    pub fn name(self) -> &'static str {
        match self {
            QueryMode::Consistent => "consistent",
            QueryMode::Default => "default",
            QueryMode::Stale => "stale",
        }
    }

    /// What it promises, in a line.
    pub fn meaning(self) -> &'static str {
        match self {
            QueryMode::Consistent => "consistent: the leader confirms with a quorum that it still leads before answering (linearizable; no answer without a quorum)",
            QueryMode::Default => "default: the leader answers from its own state at once (stale while a deposed leader has not noticed)",
            QueryMode::Stale => "stale: the node asked answers from its own state, leader or not (available without a leader, arbitrarily stale)",
        }
    }

    /// Its place in `ALL`.
    pub fn index(self) -> usize {
        self as usize
    }

    fn is_consistent(&self) -> bool {
        *self == QueryMode::Consistent
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "lowercase")]
pub enum KvOp {
    Get {
        key: String,
        /// Left out of links when consistent, so older links read the same.
        #[serde(default, skip_serializing_if = "QueryMode::is_consistent")]
        mode: QueryMode,
    },
    Put {
        key: String,
        value: String,
    },
    /// Compare-and-set: set `to` if the current value equals `from`.
    Cas {
        key: String,
        from: String,
        to: String,
    },
    Append {
        key: String,
        value: String,
    },
}

impl KvOp {
    /// A consistent read.
    pub fn get(key: impl Into<String>) -> Self {
        KvOp::Get {
            key: key.into(),
            mode: QueryMode::Consistent,
        }
    }

    /// How fresh the answer must be: a read's mode; a write always goes through the leader.
    pub fn mode(&self) -> QueryMode {
        match self {
            KvOp::Get { mode, .. } => *mode,
            _ => QueryMode::Consistent,
        }
    }

    pub fn key(&self) -> &str {
        match self {
            KvOp::Get { key, .. }
            | KvOp::Put { key, .. }
            | KvOp::Cas { key, .. }
            | KvOp::Append { key, .. } => key,
        }
    }
    /// What this operation answers, and the key's new value if it writes one, given the key's
    /// current value ("" when absent). Every store applies operations through this.
    pub fn effect(&self, current: &str) -> (KvReply, Option<String>) {
        let ok = KvReply::Ok { value: None };
        match self {
            KvOp::Get { .. } => (
                KvReply::Ok {
                    value: Some(current.to_string()),
                },
                None,
            ),
            KvOp::Put { value, .. } => (ok, Some(value.clone())),
            KvOp::Cas { from, to, .. } if current == from => (ok, Some(to.clone())),
            KvOp::Cas { .. } => (KvReply::CasFailed, None),
            KvOp::Append { value, .. } => (ok, Some(format!("{current}{value}"))),
        }
    }
    /// The values it carries (what it writes, or compares and sets).
    pub fn values(&self) -> impl Iterator<Item = &str> {
        let (a, b) = match self {
            KvOp::Get { .. } => (None, None),
            KvOp::Put { value, .. } | KvOp::Append { value, .. } => (Some(value), None),
            KvOp::Cas { from, to, .. } => (Some(from), Some(to)),
        };
        a.into_iter().chain(b).map(String::as_str)
    }
    pub fn is_read(&self) -> bool {
        matches!(self, KvOp::Get { .. })
    }
    /// Compact binary form, used as a replicated log entry's data.
    pub fn encode(&self) -> Vec<u8> {
        let (tag, parts): (u8, Vec<&str>) = match self {
            KvOp::Get { key, mode } => (
                match mode {
                    QueryMode::Consistent => 0,
                    QueryMode::Default => 4,
                    QueryMode::Stale => 5,
                },
                vec![key],
            ),
            KvOp::Put { key, value } => (1, vec![key, value]),
            KvOp::Cas { key, from, to } => (2, vec![key, from, to]),
            KvOp::Append { key, value } => (3, vec![key, value]),
        };
        let mut out = vec![tag];
        for p in parts {
            out.extend_from_slice(&(p.len() as u32).to_le_bytes());
            out.extend_from_slice(p.as_bytes());
        }
        out
    }
    pub fn decode(data: &[u8]) -> Option<KvOp> {
        let (&tag, mut rest) = data.split_first()?;
        let mut next = || -> Option<String> {
            let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
            let s = String::from_utf8(rest.get(4..4 + len)?.to_vec()).ok()?;
            rest = &rest[4 + len..];
            Some(s)
        };
        Some(match tag {
            0 => KvOp::get(next()?),
            4 | 5 => KvOp::Get {
                key: next()?,
                mode: if tag == 4 {
                    QueryMode::Default
                } else {
                    QueryMode::Stale
                },
            },
            1 => KvOp::Put {
                key: next()?,
                value: next()?,
            },
            2 => KvOp::Cas {
                key: next()?,
                from: next()?,
                to: next()?,
            },
            3 => KvOp::Append {
                key: next()?,
                value: next()?,
            },
            _ => return None,
        })
    }
}

impl std::fmt::Display for KvOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KvOp::Get {
                key,
                mode: QueryMode::Consistent,
            } => write!(f, "get {key}"),
            KvOp::Get { key, mode } => write!(f, "get {key} ({})", mode.name()),
            KvOp::Put { key, value } => write!(f, "put {key}={value}"),
            KvOp::Cas { key, from, to } => write!(f, "cas {key} {from}→{to}"),
            KvOp::Append { key, value } => write!(f, "append {key}+={value}"),
        }
    }
}

/// A client request as a node receives it. The operation is lent from the request: a node keeps
/// what it needs of it (the encoded entry, a read's key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KvRequest<'a> {
    pub id: u64,
    pub op: &'a KvOp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "r", rename_all = "kebab-case")]
pub enum KvReply {
    /// Done; a get carries the value read ("" for an absent key).
    Ok { value: Option<String> },
    /// The compare of a compare-and-set did not match: definitely not applied.
    CasFailed,
    /// This node cannot serve the request; try the hinted leader.
    NotLeader { hint: Option<usize> },
    /// Definitely not applied (for example, the entry was overwritten by a new leader).
    Failed { reason: String, hint: Option<usize> },
}

/// A digest of bytes, the same on every platform: FNV-1a's steps over little-endian 8-byte
/// words rather than bytes. Each step is a bijection of the state, so two different inputs of
/// one length never collide.
pub fn digest(data: &[u8]) -> u64 {
    let step = |h: u64, w: u64| (h ^ w).wrapping_mul(0x100_0000_01b3);
    let words = data.chunks_exact(8);
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    let h = (words.map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes"))))
        .chain([u64::from_le_bytes(last)])
        .fold(0xcbf2_9ce4_8422_2325 ^ data.len() as u64, step);
    h ^ (h >> 29)
}

/// The state machine: a plain ordered map, so views are deterministic, and a digest of it kept
/// as it changes (the sum of one digest per key and value), so that replicas can be compared at
/// every applied entry for the cost of the entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KvStore {
    data: BTreeMap<String, String>,
    #[serde(skip)]
    sum: u64,
}

fn pair_digest(k: &str, v: &str) -> u64 {
    digest(k.as_bytes()).rotate_left(23) ^ digest(v.as_bytes())
}

impl KvStore {
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let data: BTreeMap<String, String> = pairs.into_iter().collect();
        let sum = (data.iter()).fold(0u64, |s, (k, v)| s.wrapping_add(pair_digest(k, v)));
        KvStore { data, sum }
    }
    pub fn apply(&mut self, op: &KvOp) -> KvReply {
        let (reply, new) = op.effect(&self.get(op.key()));
        if let Some(v) = new {
            let add = pair_digest(op.key(), &v);
            if let Some(old) = self.data.insert(op.key().to_string(), v) {
                self.sum = self.sum.wrapping_sub(pair_digest(op.key(), &old));
            }
            self.sum = self.sum.wrapping_add(add);
        }
        reply
    }
    pub fn get(&self, key: &str) -> String {
        self.data.get(key).cloned().unwrap_or_default()
    }
    pub fn data(&self) -> &BTreeMap<String, String> {
        &self.data
    }
    /// Equal for equal contents, whatever order they were written in.
    pub fn digest(&self) -> u64 {
        self.sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    #[test]
    fn ops_round_trip_through_their_encoding() {
        let ops = [
            KvOp::get("k"),
            KvOp::Get {
                key: "k".into(),
                mode: QueryMode::Stale,
            },
            KvOp::Put {
                key: "k1".into(),
                value: "v é".into(),
            },
            KvOp::Cas {
                key: "x".into(),
                from: "".into(),
                to: "3".into(),
            },
            KvOp::Append {
                key: "a".into(),
                value: "b".into(),
            },
        ];
        for op in ops {
            assert_eq!(KvOp::decode(&op.encode()), Some(op));
        }
        assert_eq!(KvOp::decode(&[9]), None);
        assert_eq!(KvOp::decode(&[1, 200, 0, 0, 0]), None);
    }
    #[test]
    fn cas_compares_against_absent_as_empty() {
        let mut s = KvStore::default();
        assert_eq!(
            s.apply(&KvOp::Cas {
                key: "k".into(),
                from: "1".into(),
                to: "2".into()
            }),
            KvReply::CasFailed
        );
        assert_eq!(
            s.apply(&KvOp::Cas {
                key: "k".into(),
                from: "".into(),
                to: "2".into()
            }),
            KvReply::Ok { value: None }
        );
        assert_eq!(s.get("k"), "2");
    }

    /// Inputs that differ get different digests: every 2-byte input, and a 13-byte one changed
    /// in any single byte (across the 8-byte word boundary).
    #[test]
    fn different_inputs_have_different_digests() {
        use std::collections::HashSet;
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

    /// The digest kept as writes come equals the digest of the same contents built at once,
    /// and differs once the contents do.
    #[test]
    fn the_running_digest_is_the_digest_of_the_contents() {
        let mut s = KvStore::default();
        let mut x = 7u64;
        for i in 0..300 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = format!("k{}", (x >> 40) % 5);
            let op = match i % 3 {
                0 => KvOp::Put {
                    key,
                    value: format!("{}", x >> 50),
                },
                1 => KvOp::Append {
                    key,
                    value: "a".into(),
                },
                _ => KvOp::Cas {
                    key,
                    from: "".into(),
                    to: "c".into(),
                },
            };
            s.apply(&op);
            let rebuilt = KvStore::from_pairs(s.data().clone());
            assert_eq!(s.digest(), rebuilt.digest(), "after op {i}");
        }
        let mut other = KvStore::from_pairs(s.data().clone());
        other.apply(&KvOp::Append {
            key: "k0".into(),
            value: "z".into(),
        });
        assert_ne!(other.digest(), s.digest());
    }
}
