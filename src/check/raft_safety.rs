//! Raft's safety properties (Raft paper, figure 3), checked live from the nodes' reports:
//! election safety, log matching, leader completeness, state-machine safety, and that no
//! acknowledged write is lost.

use super::log_tail::LogTail;
use crate::engine::{Monitor, NodeId, Property, Violation};
use crate::protocols::raft::RaftNote;
use std::collections::{BTreeMap, BTreeSet};

const fn property(name: &'static str, holds: &'static str, meaning: &'static str) -> Property {
    Property {
        name,
        holds,
        meaning,
    }
}

/// The properties this monitor checks, named as its violations name them.
pub const PROPERTIES: [Property; 6] = [
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
    property(
        "unsafe configuration change",
        "safe configuration changes",
        "each change adds or removes one voter, or goes through joint consensus; nodes agree on each configuration",
    ),
];
const ELECTION_SAFETY: usize = 0;
const LOG_MATCHING: usize = 1;
const LEADER_COMPLETENESS: usize = 2;
const STATE_MACHINE_SAFETY: usize = 3;
const ACK_LOST: usize = 4;
const CONFIGURATION: usize = 5;

/// A configuration as nodes report applying it: voters, and while joint the outgoing voters.
#[derive(Clone, Debug, PartialEq)]
struct Voters {
    incoming: BTreeSet<NodeId>,
    outgoing: BTreeSet<NodeId>,
}

impl Voters {
    /// Whether `next` may follow `self` without two disjoint majorities ever deciding: one
    /// voter in or out, entering joint consensus with the old voters as the outgoing set,
    /// or leaving it for the incoming set.
    fn may_become(&self, next: &Voters) -> bool {
        match (self.outgoing.is_empty(), next.outgoing.is_empty()) {
            (true, true) => self.incoming.symmetric_difference(&next.incoming).count() <= 1,
            (true, false) => next.outgoing == self.incoming,
            (false, true) => next.incoming == self.incoming,
            (false, false) => next == self,
        }
    }
}

/// An entry some node applied: term 0 where none is known yet (real entries have terms from 1).
#[derive(Clone, Copy, Default)]
struct Committed {
    term: u64,
    digest: u64,
    /// A term in or after which the entry was committed: the lowest term of a node applying it.
    by: u64,
    /// The state machine's digest after it, as the first node to apply it had it.
    state: u64,
    /// A hash of the committed log up to it; None where an entry before it is not known.
    prefix: Option<u64>,
}

/// One node's log as the monitor saw it persisted: per index its term and a hash of the
/// whole prefix (None if the prefix came with a snapshot whose log the monitor had not seen
/// whole). What the node compacted is dropped: it is committed, and snapshots are checked
/// against the replayed state instead.
struct LogShadow {
    entries: LogTail<(u64, Option<u64>)>,
    /// The prefix hash at the base.
    base_hash: Option<u64>,
}

impl Default for LogShadow {
    /// An empty log: its prefix, nothing, hashes to 0.
    fn default() -> Self {
        LogShadow {
            entries: LogTail::default(),
            base_hash: Some(0),
        }
    }
}

impl LogShadow {
    /// Whether this log holds entry `index` of `term` (or compacted it away).
    fn holds(&self, index: u64, term: u64) -> bool {
        index <= self.entries.base() || self.entries.get(index).map(|e| e.0) == Some(term)
    }

    /// Forget the entries up to `index`, keeping the prefix hash there.
    fn compact(&mut self, index: u64) {
        if index <= self.entries.base() {
            return;
        }
        self.base_hash = self.entries.get(index).and_then(|e| e.1);
        self.entries.drop_through(index);
    }
}

#[derive(Default)]
pub struct RaftMonitor {
    leader_of_term: BTreeMap<u64, NodeId>,
    /// Entries known committed (some node applied them), from the highest index every node
    /// has compacted away.
    committed: LogTail<Committed>,
    /// The committed log's prefix hash at `committed`'s base, once something was forgotten.
    base_prefix: Option<u64>,
    /// Term of the write a client was told succeeded, per index; 0 for none.
    acked: LogTail<u64>,
    logs: Vec<LogShadow>,
    pub elections: u64,
    pub leader_changes: u64,
    last_leader: Option<NodeId>,
    /// The voters in force from each log index on where some node applied a configuration
    /// change; index 0 holds the cluster as it started.
    configs: BTreeMap<u64, Voters>,
    pub snapshots_sent: u64,
    pub snapshots_installed: u64,
    /// Nodes that stood at once because the leader handed over to them.
    pub leader_transfers: u64,
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
        self.log(node);
        let log = &self.logs[node];
        // Only entries committed in an earlier term bind this leader (a node that was paused
        // may legitimately win an old term late).
        for (index, c) in self.committed.iter() {
            let entry_term = c.term;
            if entry_term > 0 && c.by < term && !log.holds(index, entry_term) {
                return Self::violation(
                    t,
                    LEADER_COMPLETENESS,
                    format!("n{node} became leader of term {term} without committed entry {index} (term {entry_term})"),
                );
            }
        }
        None
    }

    /// A node installed a snapshot: its log is now the committed log up to `index`, compacted.
    fn installed(&mut self, node: NodeId, index: u64) {
        let prefix = self.committed.get(index).and_then(|c| c.prefix);
        let log = self.log(node);
        log.entries.truncate_from(1);
        log.entries.drop_through(index);
        log.base_hash = prefix;
        self.forget_compacted();
    }

    /// Drop what every node has compacted away: no check needs it any more.
    fn forget_compacted(&mut self) {
        let all = (self.logs.iter())
            .map(|l| l.entries.base())
            .min()
            .unwrap_or(0);
        if all > self.committed.base() {
            // The next entry to be applied chains its prefix hash onto this one.
            self.base_prefix = self.committed.get(all).and_then(|c| c.prefix);
        }
        self.committed.drop_through(all);
        self.acked.drop_through(all);
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
        // Below its snapshot: committed there already (and checked by its state).
        if index <= log.entries.base() {
            return None;
        }
        log.entries.truncate_from(index);
        let before = log.entries.last().map_or(log.base_hash, |e| e.1);
        log.entries
            .push((term, before.map(|h| mix(h, term, digest))));
        let i = log.entries.last_index();
        let mine = *log.entries.last().expect("just pushed");
        for (other, theirs) in self.logs.iter().enumerate() {
            let Some(&(their_term, their_hash)) = theirs.entries.get(i) else {
                continue;
            };
            if other != node
                && their_term == mine.0
                && their_hash.zip(mine.1).is_some_and(|(a, b)| a != b)
            {
                return Self::violation(
                    t,
                    LOG_MATCHING,
                    format!("n{node} and n{other} both hold an entry of term {} at index {i} but differ before it", mine.0),
                );
            }
        }
        None
    }

    /// A node applied entry `index`: `e` as it had it (`by`: its term then).
    fn applied(&mut self, t: u64, node: NodeId, index: u64, e: Committed) -> Option<Violation> {
        let before = match index.checked_sub(1) {
            Some(0) | None => Some(0),
            Some(i) if i == self.committed.base() => self.base_prefix,
            Some(i) => self.committed.get(i).and_then(|c| c.prefix),
        };
        let Some(c) = self.committed.slot(index) else {
            // Compacted away by every node: applied everywhere before.
            return None;
        };
        if c.term == 0 {
            *c = Committed {
                prefix: before.map(|h| mix(h, e.term, e.digest)),
                ..e
            };
        } else if (c.term, c.digest) != (e.term, e.digest) {
            let (term, t0) = (e.term, c.term);
            return Self::violation(t, STATE_MACHINE_SAFETY, format!("n{node} applied a different entry at index {index} (term {term}, another node applied term {t0})"));
        } else if c.state != e.state {
            return Self::violation(t, STATE_MACHINE_SAFETY, format!("n{node}'s state machine after index {index} differs from the state other nodes had after applying the same entries"));
        } else {
            c.by = c.by.min(e.by);
        }
        self.check_ack(t, index)
    }

    /// Configuration changes committed so far (each counted once, however many nodes apply it).
    pub fn conf_changes(&self) -> usize {
        self.configs.range(1..).count()
    }

    fn configured(&mut self, t: u64, node: NodeId, index: u64, v: Voters) -> Option<Violation> {
        if let Some(known) = self.configs.get(&index) {
            if *known == v {
                return None;
            }
            return Self::violation(t, CONFIGURATION, format!("n{node} applied another configuration at index {index} than other nodes did ({} instead of {})", show(&v), show(known)));
        }
        let before = self.configs.range(..index).next_back().map(|(_, c)| c);
        let after = self.configs.range(index + 1..).next().map(|(_, c)| c);
        let bad = match (before, after) {
            (Some(b), _) if !b.may_become(&v) => Some((b, &v)),
            (_, Some(a)) if !v.may_become(a) => Some((&v, a)),
            _ => None,
        };
        if let Some((from, to)) = bad {
            return Self::violation(t, CONFIGURATION, format!("n{node} went from {} to {} at index {index}: two majorities that share no voter could each decide", show(from), show(to)));
        }
        self.configs.insert(index, v);
        None
    }

    fn check_ack(&self, t: u64, index: u64) -> Option<Violation> {
        match (self.acked.get(index), self.committed.get(index)) {
            (Some(&acked), Some(&Committed { term, .. })) if acked != 0 && term != 0 && acked != term => Self::violation(
                t,
                ACK_LOST,
                format!("a client was told its write at index {index} (term {acked}) succeeded, but index {index} committed with term {term}"),
            ),
            _ => None,
        }
    }
}

impl Monitor<RaftNote> for RaftMonitor {
    fn started(&mut self, nodes: usize) {
        // Every node's log counts from the start: nothing is forgotten until all compacted it.
        // (A node added later counts from its first report.)
        if nodes > 0 {
            self.log(nodes - 1);
        }
        let incoming = (0..nodes).collect();
        let outgoing = BTreeSet::new();
        self.configs.insert(0, Voters { incoming, outgoing });
    }

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
                state,
            } => {
                let (term, digest, by, state) = (*term, *digest, *node_term, *state);
                let e = Committed {
                    term,
                    digest,
                    by,
                    state,
                    prefix: None,
                };
                self.applied(t, node, *index, e)
            }
            RaftNote::Acked { index, term } => {
                if let Some(a) = self.acked.slot(*index) {
                    *a = *term;
                }
                self.check_ack(t, *index)
            }
            RaftNote::Snapshot {
                index,
                digest,
                installed,
                ..
            } => {
                // A snapshot, taken or installed, holds the state of replaying the log up to
                // its index (as the first node to apply that index had it).
                let known = self.committed.get(*index).filter(|c| c.term != 0);
                let wrong = known.is_some_and(|c| c.state != *digest);
                if *installed {
                    self.snapshots_installed += 1;
                    self.installed(node, *index);
                } else {
                    self.log(node).compact(*index);
                    self.forget_compacted();
                }
                if !wrong {
                    return None;
                }
                let how = if *installed { "installed" } else { "taken" };
                Self::violation(t, STATE_MACHINE_SAFETY, format!("the snapshot n{node} {how} at index {index} differs from the state of replaying the log up to it"))
            }
            RaftNote::Configured {
                index,
                voters,
                outgoing,
                ..
            } => {
                let v = Voters {
                    incoming: voters.iter().copied().collect(),
                    outgoing: outgoing.iter().copied().collect(),
                };
                self.configured(t, node, *index, v)
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

/// "voters n0 n1 n2", or while joint "voters n0 n1 n2 → n0 n1 n3".
fn show(v: &Voters) -> String {
    let list = |s: &BTreeSet<NodeId>| s.iter().map(|n| format!(" n{n}")).collect::<String>();
    match v.outgoing.is_empty() {
        true => format!("voters{}", list(&v.incoming)),
        false => format!("voters{} →{}", list(&v.outgoing), list(&v.incoming)),
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
                state: 10,
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
                state: 20,
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
                state: 20,
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
                state: 20,
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

    fn configured(
        m: &mut RaftMonitor,
        node: NodeId,
        index: u64,
        voters: &[NodeId],
        outgoing: &[NodeId],
    ) -> Option<Violation> {
        let (voters, outgoing, learners) = (voters.to_vec(), outgoing.to_vec(), vec![]);
        feed(
            m,
            node,
            RaftNote::Configured {
                index,
                voters,
                outgoing,
                learners,
            },
        )
    }

    #[test]
    fn switching_two_voters_at_once_without_joint_consensus_is_caught() {
        let mut m = RaftMonitor::default();
        m.started(3);
        // One voter at a time, and a swap through joint consensus, are safe.
        assert!(configured(&mut m, 0, 3, &[0, 1, 2, 3], &[]).is_none());
        assert!(configured(&mut m, 1, 3, &[0, 1, 2, 3], &[]).is_none());
        assert!(configured(&mut m, 0, 5, &[0, 1, 2], &[]).is_none());
        assert!(configured(&mut m, 0, 7, &[0, 4, 5], &[0, 1, 2]).is_none());
        assert!(configured(&mut m, 0, 8, &[0, 4, 5], &[]).is_none());
        assert_eq!(m.conf_changes(), 4);
        // Straight from three voters to two others: two disjoint majorities.
        let v = configured(&mut m, 0, 12, &[0, 6, 7], &[]).unwrap();
        assert_eq!(v.property, "unsafe configuration change");
        assert!(
            v.detail.contains("voters n0 n4 n5 to voters n0 n6 n7"),
            "{}",
            v.detail
        );
        // Nodes that apply one index must agree on what it made.
        let v = configured(&mut m, 2, 7, &[0, 4, 5], &[]).unwrap();
        assert_eq!(v.property, "unsafe configuration change");
        // A node reporting an index between two known ones is checked against both.
        let v = configured(&mut m, 2, 6, &[0, 1, 2, 9], &[]).unwrap();
        assert_eq!(v.property, "unsafe configuration change");
    }

    fn applied(m: &mut RaftMonitor, node: NodeId, index: u64, state: u64) -> Option<Violation> {
        let (term, digest, node_term) = (1, index, 1);
        feed(
            m,
            node,
            RaftNote::Applied {
                index,
                term,
                digest,
                node_term,
                state,
            },
        )
    }

    fn snapshot(
        m: &mut RaftMonitor,
        node: NodeId,
        index: u64,
        digest: u64,
        installed: bool,
    ) -> Option<Violation> {
        feed(
            m,
            node,
            RaftNote::Snapshot {
                index,
                term: 1,
                digest,
                installed,
            },
        )
    }

    #[test]
    fn a_state_machine_or_snapshot_unlike_the_replayed_log_is_caught() {
        let mut m = RaftMonitor::default();
        m.started(3);
        assert!(applied(&mut m, 0, 1, 11).is_none());
        assert!(applied(&mut m, 0, 2, 12).is_none());
        assert!(snapshot(&mut m, 0, 2, 12, false).is_none());
        assert!(snapshot(&mut m, 1, 2, 12, true).is_none());
        assert!(applied(&mut m, 1, 3, 13).is_none());
        let v = snapshot(&mut m, 2, 2, 99, true).unwrap();
        assert_eq!(v.property, "state-machine safety");
        assert!(v.detail.contains("n2 installed at index 2"), "{}", v.detail);
        let v = applied(&mut m, 2, 3, 14).unwrap();
        assert!(
            v.detail.contains("n2's state machine after index 3"),
            "{}",
            v.detail
        );
        // A snapshot of an index no node was seen applying is not judged.
        assert!(snapshot(&mut m, 2, 9, 5, true).is_none());
    }

    /// Three nodes hold and apply entries 1 to 10 of term 1; all compact at 8, so the monitor
    /// forgets 1 to 8. A leader holding 9 and 10 is fine; one lacking 10 is caught; a node that
    /// installed the snapshot at 8 and then took a different 9 is caught by log matching.
    #[test]
    fn what_every_node_compacted_is_forgotten_and_the_rest_still_checked() {
        // A node holds and applies entries 1 to 10 of term 1 (digest and state: the index).
        let replicate = |m: &mut RaftMonitor, node| {
            let entries: Vec<(u64, u64)> = (1..=10).map(|i| (1, i)).collect();
            assert!(persist(m, node, 1, &entries).is_none());
            assert!((1..=10).all(|i| applied(m, node, i, i).is_none()));
        };
        let mut m = RaftMonitor::default();
        m.started(3);
        for node in 0..3 {
            replicate(&mut m, node);
        }
        for node in 0..2 {
            assert!(snapshot(&mut m, node, 8, 8, false).is_none());
        }
        assert_eq!(m.committed.base(), 0, "n2 has not compacted yet");
        assert!(snapshot(&mut m, 2, 8, 8, false).is_none());
        assert_eq!((m.committed.base(), m.committed.last_index()), (8, 10));
        let leader = |node, term| RaftNote::Role {
            term,
            role: "leader",
            leader: Some(node),
        };
        assert!(feed(&mut m, 0, leader(0, 2)).is_none());
        // n1 loses index 10 (a new leader's term-2 entry overwrites it), then wins term 3.
        assert!(persist(&mut m, 1, 10, &[(2, 7)]).is_none());
        let v = feed(&mut m, 1, leader(1, 3)).unwrap();
        assert_eq!(v.property, "leader completeness");
        assert!(v.detail.contains("entry 10"), "{}", v.detail);
        // A node that installed the snapshot at 8 holds the committed prefix: its 9 must match.
        let mut m2 = RaftMonitor::default();
        m2.started(3);
        for node in 0..2 {
            replicate(&mut m2, node);
        }
        assert!(snapshot(&mut m2, 2, 8, 8, true).is_none());
        assert!(
            persist(&mut m2, 2, 9, &[(1, 9)]).is_none(),
            "the same entry 9 matches"
        );
        let v =
            persist(&mut m2, 2, 10, &[(1, 999)]).expect("a different entry 10 of the same term");
        assert_eq!(v.property, "log matching");
        // Everything applied is compacted everywhere; the next entry's prefix still chains on,
        // so a snapshot installed at it still lets log matching judge what follows.
        let mut m3 = RaftMonitor::default();
        m3.started(3);
        for node in 0..3 {
            replicate(&mut m3, node);
            assert!(snapshot(&mut m3, node, 10, 10, false).is_none());
        }
        assert_eq!((m3.committed.base(), m3.committed.last_index()), (10, 10));
        for node in 0..2 {
            assert!(persist(&mut m3, node, 11, &[(1, 11)]).is_none());
            assert!(applied(&mut m3, node, 11, 11).is_none());
        }
        assert!(snapshot(&mut m3, 2, 11, 11, true).is_none());
        assert!(persist(&mut m3, 0, 12, &[(1, 12)]).is_none());
        let v = persist(&mut m3, 2, 12, &[(1, 99)]).expect("a different entry 12 of the same term");
        assert_eq!(v.property, "log matching");
    }
}
