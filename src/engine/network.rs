//! The simulated network: per-link latency, loss, duplication and ordering, and which
//! directed links are cut (partitions are sets of cuts).

use super::limits::within;
use super::node::{NodeId, Rng};
use rand::Rng as _;
use serde::{Deserialize, Serialize};

/// Id of one message sent on the bus; duplicates get their own id.
pub type MsgId = u64;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkConfig {
    pub latency_ms: u32,
    /// Each message takes latency + uniform(0..=jitter) ms.
    pub jitter_ms: u32,
    /// Probability that a message is lost.
    pub loss: f64,
    /// Probability that a message is delivered twice.
    pub duplicate: f64,
    /// When false the link is FIFO, like TCP: a message never overtakes an earlier one.
    pub reorder: bool,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            latency_ms: 10,
            jitter_ms: 10,
            loss: 0.0,
            duplicate: 0.0,
            reorder: false,
        }
    }
}

impl LinkConfig {
    pub fn validate(&self) -> Result<(), String> {
        within("loss", self.loss, 0.0, 1.0)?;
        within("duplicate", self.duplicate, 0.0, 1.0)?;
        within("latency_ms", self.latency_ms, 0, 60_000)?;
        within("jitter_ms", self.jitter_ms, 0, 60_000)
    }
}

/// When a sent message arrives, and when its duplicate does if the link made one.
pub(crate) struct Fate {
    pub first: u64,
    pub copy: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Network {
    n: usize,
    links: Vec<LinkConfig>,
    cut: Vec<bool>,
    /// Latest delivery time scheduled per link, to keep FIFO links in order.
    last_delivery: Vec<u64>,
}

impl Network {
    pub fn new(n: usize, default: LinkConfig) -> Self {
        Network {
            n,
            links: vec![default; n * n],
            cut: vec![false; n * n],
            last_delivery: vec![0; n * n],
        }
    }
    /// One more node, its links set to `link` and open; every other link as it was.
    pub fn add_node(&mut self, link: LinkConfig) {
        let (old, n) = (self.n, self.n + 1);
        let mut grown = Network::new(n, link);
        for a in 0..old {
            for b in 0..old {
                let (from, to) = (a * old + b, a * n + b);
                grown.links[to] = self.links[from];
                grown.cut[to] = self.cut[from];
                grown.last_delivery[to] = self.last_delivery[from];
            }
        }
        *self = grown;
    }
    fn ix(&self, from: NodeId, to: NodeId) -> usize {
        from * self.n + to
    }
    pub fn link(&self, from: NodeId, to: NodeId) -> &LinkConfig {
        &self.links[self.ix(from, to)]
    }
    pub fn set_link(&mut self, from: NodeId, to: NodeId, cfg: LinkConfig) {
        let i = self.ix(from, to);
        self.links[i] = cfg;
    }
    pub fn set_all_links(&mut self, cfg: LinkConfig) {
        self.links.iter_mut().for_each(|l| *l = cfg);
    }
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.cut[self.ix(from, to)]
    }
    pub fn set_cut(&mut self, from: NodeId, to: NodeId, cut: bool) {
        let i = self.ix(from, to);
        self.cut[i] = cut;
    }
    /// Cut every link between different groups; nodes in no group are isolated.
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        let mut group_of = vec![usize::MAX; self.n];
        for (g, members) in groups.iter().enumerate() {
            for &m in members {
                group_of[m] = g;
            }
        }
        for a in 0..self.n {
            for b in 0..self.n {
                let same = a == b || (group_of[a] != usize::MAX && group_of[a] == group_of[b]);
                self.set_cut(a, b, !same);
            }
        }
    }
    pub fn heal(&mut self) {
        self.cut.iter_mut().for_each(|c| *c = false);
    }
    /// Groups of nodes that can reach each other both ways (for display).
    pub fn groups(&self) -> Vec<Vec<NodeId>> {
        let mut seen = vec![false; self.n];
        let mut groups = Vec::new();
        for a in 0..self.n {
            if seen[a] {
                continue;
            }
            let g: Vec<NodeId> = (a..self.n)
                .filter(|&b| !seen[b] && !self.is_cut(a, b) && !self.is_cut(b, a))
                .collect();
            g.iter().for_each(|&b| seen[b] = true);
            groups.push(g);
        }
        groups
    }

    /// None when the link loses the message.
    #[inline]
    pub(crate) fn fate(
        &mut self,
        from: NodeId,
        to: NodeId,
        now: u64,
        rng: &mut Rng,
    ) -> Option<Fate> {
        let i = self.ix(from, to);
        let link = &self.links[i];
        if link.loss == 0.0 && link.duplicate == 0.0 && link.jitter_ms == 0 {
            // Nothing to draw: the message arrives after the fixed latency.
            let at = now + link.latency_ms as u64;
            return Some(Fate {
                first: self.schedule(i, at),
                copy: None,
            });
        }
        self.random_fate(i, now, rng)
    }

    #[inline(never)]
    fn random_fate(&mut self, i: usize, now: u64, rng: &mut Rng) -> Option<Fate> {
        let link = self.links[i];
        if link.loss > 0.0 && rng.gen_bool(link.loss) {
            return None;
        }
        let twice = link.duplicate > 0.0 && rng.gen_bool(link.duplicate);
        let first = self.arrive(i, now, rng);
        let copy = twice.then(|| self.arrive(i, now, rng));
        Some(Fate { first, copy })
    }

    /// When a copy of a message, made now, arrives: the link treats it as a message sent now
    /// (its latency and jitter, and after everything already on its way if it keeps order).
    pub(crate) fn arrival(&mut self, from: NodeId, to: NodeId, now: u64, rng: &mut Rng) -> u64 {
        let i = self.ix(from, to);
        self.arrive(i, now, rng)
    }

    fn arrive(&mut self, i: usize, now: u64, rng: &mut Rng) -> u64 {
        let link = self.links[i];
        let jitter = if link.jitter_ms > 0 {
            rng.gen_range(0..=link.jitter_ms)
        } else {
            0
        };
        self.schedule(i, now + link.latency_ms as u64 + jitter as u64)
    }

    /// The delivery time of a message on link `i` that would arrive at `at`: no earlier than
    /// the link's last one, unless the link may reorder.
    #[inline]
    fn schedule(&mut self, i: usize, at: u64) -> u64 {
        let last = &mut self.last_delivery[i];
        let at = if self.links[i].reorder {
            at
        } else {
            at.max(*last)
        };
        *last = (*last).max(at);
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn partition_cuts_only_between_groups_and_heal_restores() {
        let mut net = Network::new(5, LinkConfig::default());
        net.partition(&[vec![0, 1], vec![2, 3, 4]]);
        assert!(!net.is_cut(0, 1) && !net.is_cut(3, 4));
        assert!(net.is_cut(1, 2) && net.is_cut(4, 0));
        assert_eq!(net.groups(), vec![vec![0, 1], vec![2, 3, 4]]);
        net.heal();
        assert!((0..5).all(|a| (0..5).all(|b| !net.is_cut(a, b))));
    }

    #[test]
    fn fifo_links_never_reorder_and_loss_one_loses_everything() {
        let mut rng = Rng::seed_from_u64(1);
        let mut net = Network::new(
            2,
            LinkConfig {
                latency_ms: 5,
                jitter_ms: 50,
                ..Default::default()
            },
        );
        let mut last = 0;
        for t in 0..200 {
            let at = net.fate(0, 1, t, &mut rng).unwrap().first;
            assert!(at >= last);
            last = at;
        }
        net.set_link(
            0,
            1,
            LinkConfig {
                loss: 1.0,
                ..Default::default()
            },
        );
        assert!(net.fate(0, 1, 0, &mut rng).is_none());
        net.set_link(
            0,
            1,
            LinkConfig {
                duplicate: 1.0,
                ..Default::default()
            },
        );
        assert!(net.fate(0, 1, 0, &mut rng).unwrap().copy.is_some());
        // A fixed-latency link draws nothing and delivers exactly one latency later.
        let fixed = LinkConfig {
            latency_ms: 3,
            jitter_ms: 0,
            ..Default::default()
        };
        let mut net = Network::new(2, fixed);
        let before = rng.clone();
        for t in [10, 11, 50] {
            let f = net.fate(1, 0, t, &mut rng).unwrap();
            assert_eq!((f.first, f.copy), (t + 3, None));
        }
        assert_eq!(rng, before);
    }
}
