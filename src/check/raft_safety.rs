//! Raft's safety properties (Raft paper, figure 3), checked live from the nodes' reports:
//! election safety, log matching, leader completeness, state-machine safety, and that no
//! acknowledged write is lost.

use crate::engine::{Monitor, NodeId, Property, Violation};
use crate::protocols::raft::RaftNote;
use std::collections::BTreeMap;

const fn property(name: &'static str, holds: &'static str, meaning: &'static str) -> Property {
    Property {
        name,
        holds,
        meaning,
    }
}

/// The properties this monitor checks, named as its violations name them.
pub const PROPERTIES: [Property; 5] = [
    property(
        "election safety",
        "election safety",
        "at most one leader per term",
    ),
    property(
        "log matching",
        "log matching",
        "two logs with an entry of the same index and term are identical up to it",
    ),
    property(
        "leader completeness",
        "leader completeness",
        "a leader holds every entry committed before its term",
    ),
    property(
        "state-machine safety",
        "state-machine safety",
        "no two nodes apply different entries at one index",
    ),
    property(
        "acknowledged write lost",
        "no acknowledged write lost",
        "a write a client was told succeeded stays committed",
    ),
];
const ELECTION_SAFETY: usize = 0;
const LOG_MATCHING: usize = 1;
const LEADER_COMPLETENESS: usize = 2;
const STATE_MACHINE_SAFETY: usize = 3;
const ACK_LOST: usize = 4;

/// One node's log as the monitor saw it persisted: term and a hash of the whole prefix, per index.
#[derive(Default)]
struct LogShadow {
    terms: Vec<u64>,
    prefix_hash: Vec<u64>,
}

#[derive(Default)]
pub struct RaftMonitor {
    leader_of_term: BTreeMap<u64, NodeId>,
    /// Entries known committed (some node applied them), at position index - 1: (term,
    /// digest, a term in or after which the entry was committed: the lowest term of a node
    /// applying it); term 0 where none is known yet (real entries have terms from 1).
    committed: Vec<(u64, u64, u64)>,
    /// Term of the write a client was told succeeded, at position index - 1; 0 for none.
    acked: Vec<u64>,
    logs: Vec<LogShadow>,
    pub elections: u64,
    pub leader_changes: u64,
    last_leader: Option<NodeId>,
    /// A digest of the state machine at each index a snapshot was taken or installed at, and
    /// the first node that reported it.
    snapshots: BTreeMap<u64, (u64, NodeId)>,
    /// The log indexes of configuration changes some node applied (each once).
    pub conf_changes: std::collections::BTreeSet<u64>,
    pub snapshots_sent: u64,
    pub snapshots_installed: u64,
    /// Nodes that stood at once because the leader handed over to them.
    pub leader_transfers: u64,
}

/// The slot of a log index (from 1) in a list indexed by position, grown as needed.
fn at<T: Default>(v: &mut Vec<T>, index: u64) -> &mut T {
    let i = index as usize - 1;
    if v.len() <= i {
        v.resize_with(i + 1, T::default);
    }
    &mut v[i]
}

fn mix(h: u64, term: u64, digest: u64) -> u64 {
    let mut x = h ^ term.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ digest.rotate_left(17);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^ (x >> 29)
}

impl RaftMonitor {
    fn log(&mut self, node: NodeId) -> &mut LogShadow {
        if self.logs.len() <= node {
            self.logs.resize_with(node + 1, Default::default);
        }
        &mut self.logs[node]
    }

    fn violation(t: u64, property: usize, detail: String) -> Option<Violation> {
        Some(Violation {
            t,
            property: PROPERTIES[property].name.into(),
            detail,
        })
    }

    fn became_leader(&mut self, t: u64, node: NodeId, term: u64) -> Option<Violation> {
        self.elections += 1;
        if self.last_leader != Some(node) {
            self.leader_changes += 1;
            self.last_leader = Some(node);
        }
        if let Some(&other) = self.leader_of_term.get(&term) {
            if other != node {
                return Self::violation(
                    t,
                    ELECTION_SAFETY,
                    format!("n{other} and n{node} both became leader in term {term}"),
                );
            }
        }
        self.leader_of_term.insert(term, node);
        let log = self.log(node);
        let terms = log.terms.clone();
        // Only entries committed in an earlier term bind this leader (a node that was paused
        // may legitimately win an old term late).
        for (i, &(entry_term, _, committed_by)) in self.committed.iter().enumerate() {
            let index = i + 1;
            if entry_term > 0 && committed_by < term && terms.get(i) != Some(&entry_term) {
                return Self::violation(
                    t,
                    LEADER_COMPLETENESS,
                    format!("n{node} became leader of term {term} without committed entry {index} (term {entry_term})"),
                );
            }
        }
        None
    }

    /// A node installed a snapshot: its log is now the committed log up to `index`.
    fn installed(&mut self, node: NodeId, index: u64) {
        let mut shadow = LogShadow::default();
        let mut h = 0;
        for &(term, digest, _) in self.committed.iter().take(index as usize) {
            h = mix(h, term, digest);
            shadow.terms.push(term);
            shadow.prefix_hash.push(h);
        }
        *self.log(node) = shadow;
    }

    fn persisted(
        &mut self,
        t: u64,
        node: NodeId,
        index: u64,
        term: u64,
        digest: u64,
    ) -> Option<Violation> {
        let log = self.log(node);
        let keep = (index as usize).saturating_sub(1).min(log.terms.len());
        log.terms.truncate(keep);
        log.prefix_hash.truncate(keep);
        let h = mix(log.prefix_hash.last().copied().unwrap_or(0), term, digest);
        log.terms.push(term);
        log.prefix_hash.push(h);
        let (mine, i) = (&self.logs[node], keep);
        for (other, theirs) in self.logs.iter().enumerate() {
            if other != node
                && theirs.terms.get(i) == Some(&mine.terms[i])
                && theirs.prefix_hash[i] != mine.prefix_hash[i]
            {
                return Self::violation(
                    t,
                    LOG_MATCHING,
                    format!("n{node} and n{other} both hold an entry of term {} at index {} but differ before it", mine.terms[i], i + 1),
                );
            }
        }
        None
    }

    fn applied(
        &mut self,
        t: u64,
        node: NodeId,
        index: u64,
        term: u64,
        digest: u64,
        node_term: u64,
    ) -> Option<Violation> {
        let entry = at(&mut self.committed, index);
        match entry {
            (0, _, _) => *entry = (term, digest, node_term),
            (t0, d0, _) if (*t0, *d0) != (term, digest) => {
                let t0 = *t0;
                return Self::violation(t, STATE_MACHINE_SAFETY, format!("n{node} applied a different entry at index {index} (term {term}, another node applied term {t0})"));
            }
            (_, _, by) => *by = (*by).min(node_term),
        }
        self.check_ack(t, index)
    }

    fn check_ack(&self, t: u64, index: u64) -> Option<Violation> {
        let i = index as usize - 1;
        match (self.acked.get(i), self.committed.get(i)) {
            (Some(&acked), Some(&(term, _, _))) if acked != 0 && term != 0 && acked != term => Self::violation(
                t,
                ACK_LOST,
                format!("a client was told its write at index {index} (term {acked}) succeeded, but index {index} committed with term {term}"),
            ),
            _ => None,
        }
    }
}

impl Monitor<RaftNote> for RaftMonitor {
    fn observe(&mut self, t: u64, node: NodeId, note: &RaftNote) -> Option<Violation> {
        match note {
            RaftNote::Role {
                term,
                role: "leader",
                ..
            } => self.became_leader(t, node, *term),
            RaftNote::Persisted {
                index,
                term,
                digest,
            } => self.persisted(t, node, *index, *term, *digest),
            RaftNote::Applied {
                index,
                term,
                digest,
                node_term,
            } => self.applied(t, node, *index, *term, *digest, *node_term),
            RaftNote::Acked { index, term } => {
                *at(&mut self.acked, *index) = *term;
                self.check_ack(t, *index)
            }
            RaftNote::Snapshot {
                index,
                digest,
                installed,
                ..
            } => {
                if *installed {
                    self.snapshots_installed += 1;
                    self.installed(node, *index);
                }
                // A snapshot taken by replaying the log and one installed from the leader's
                // must hold the same state for the same index.
                let (first, by) = *self.snapshots.entry(*index).or_insert((*digest, node));
                if first == *digest {
                    return None;
                }
                Self::violation(t, STATE_MACHINE_SAFETY, format!("n{node}'s state machine at index {index} differs from n{by}'s snapshot of it"))
            }
            RaftNote::Configured { index, .. } => {
                self.conf_changes.insert(*index);
                None
            }
            RaftNote::SnapshotSent { .. } => {
                self.snapshots_sent += 1;
                None
            }
            RaftNote::TakingOver { .. } => {
                self.leader_transfers += 1;
                None
            }
            RaftNote::Role { .. } | RaftNote::Log { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn feed(m: &mut RaftMonitor, node: NodeId, note: RaftNote) -> Option<Violation> {
        m.observe(0, node, &note)
    }

    /// Entries (term, digest) written from index `first` on, as a node reports them: the
    /// first violation found, if any.
    fn persist(
        m: &mut RaftMonitor,
        node: NodeId,
        first: u64,
        entries: &[(u64, u64)],
    ) -> Option<Violation> {
        (first..).zip(entries).find_map(|(index, &(term, digest))| {
            feed(
                m,
                node,
                RaftNote::Persisted {
                    index,
                    term,
                    digest,
                },
            )
        })
    }

    #[test]
    fn two_leaders_in_one_term_are_caught() {
        let mut m = RaftMonitor::default();
        assert!(feed(
            &mut m,
            0,
            RaftNote::Role {
                term: 2,
                role: "leader",
                leader: Some(0)
            }
        )
        .is_none());
        let v = feed(
            &mut m,
            1,
            RaftNote::Role {
                term: 2,
                role: "leader",
                leader: Some(1),
            },
        )
        .unwrap();
        assert_eq!(v.property, "election safety");
    }

    #[test]
    fn diverging_prefixes_are_caught() {
        let mut m = RaftMonitor::default();
        persist(&mut m, 0, 1, &[(1, 10), (2, 20)]);
        let v = persist(&mut m, 1, 1, &[(1, 11), (2, 20)]).unwrap();
        assert_eq!(v.property, "log matching");
        // Overwriting the suffix with the same entries is fine.
        let mut m = RaftMonitor::default();
        persist(&mut m, 0, 1, &[(1, 10), (2, 20)]);
        persist(&mut m, 1, 1, &[(1, 10), (1, 99)]);
        assert!(persist(&mut m, 1, 2, &[(2, 20)]).is_none());
    }

    #[test]
    fn different_entries_applied_at_one_index_and_lost_acks_are_caught() {
        let mut m = RaftMonitor::default();
        feed(
            &mut m,
            0,
            RaftNote::Applied {
                index: 1,
                term: 1,
                digest: 5,
                node_term: 1,
            },
        );
        let v = feed(
            &mut m,
            1,
            RaftNote::Applied {
                index: 1,
                term: 2,
                digest: 6,
                node_term: 2,
            },
        )
        .unwrap();
        assert_eq!(v.property, "state-machine safety");

        let mut m = RaftMonitor::default();
        feed(&mut m, 0, RaftNote::Acked { index: 3, term: 1 });
        let v = feed(
            &mut m,
            1,
            RaftNote::Applied {
                index: 3,
                term: 2,
                digest: 1,
                node_term: 2,
            },
        )
        .unwrap();
        assert_eq!(v.property, "acknowledged write lost");
    }

    #[test]
    fn a_leader_missing_a_committed_entry_is_caught() {
        let mut m = RaftMonitor::default();
        persist(&mut m, 0, 1, &[(1, 1)]);
        feed(
            &mut m,
            0,
            RaftNote::Applied {
                index: 1,
                term: 1,
                digest: 1,
                node_term: 2,
            },
        );
        // A leader of an older term than the commit is not bound by it.
        assert!(feed(
            &mut m,
            1,
            RaftNote::Role {
                term: 2,
                role: "leader",
                leader: Some(1)
            }
        )
        .is_none());
        let v = feed(
            &mut m,
            2,
            RaftNote::Role {
                term: 3,
                role: "leader",
                leader: Some(2),
            },
        )
        .unwrap();
        assert_eq!(v.property, "leader completeness");
    }
}
