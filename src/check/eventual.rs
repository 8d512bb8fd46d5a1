//! Checks for the weaker models, over a client history whose writes carry unique values (the
//! load generator's are): stale reads, and causal consistency as clients observed it.

use super::growth::{Growth, News};
use crate::engine::{History, HistoryOp, KvOp, Outcome, QueryMode};
use rustc_hash::FxHashMap;

/// A write that took effect or may have (timed out): its key and value.
pub(super) fn written(op: &HistoryOp) -> Option<(&str, &str)> {
    let took_effect = match op.outcome {
        Some(Outcome::Ok { .. }) => !op.cas_failed,
        Some(Outcome::Info) | None => true,
        Some(Outcome::Fail) => false,
    };
    match &op.op {
        KvOp::Put { key, value } if took_effect => Some((key, value)),
        KvOp::Cas { key, to, .. } if took_effect => Some((key, to)),
        _ => None,
    }
}

pub(super) fn read_value(op: &HistoryOp) -> Option<(&str, &str)> {
    match (&op.op, &op.outcome) {
        (KvOp::Get { key, .. }, Some(Outcome::Ok { value: Some(v) })) => Some((key, v)),
        _ => None,
    }
}

/// Reads that returned a value already known to be overwritten: some write to the key had
/// completed before the read began, and the value read was written by a write that completed
/// before that one began (or was the initial empty value).
pub fn stale_reads(h: &History) -> usize {
    let mut s = StaleReads::default();
    s.observe(h);
    s.count()
}

/// The stale-read count of a growing history, kept up to date at the cost of what changed: a
/// read is judged once, when it returns, against the writes acknowledged before it began
/// (all known by then).
///
/// It holds on to no more than what reads yet to be judged can need: once every such read
/// began after a write that started after a value's write was acknowledged, any read of
/// that value is stale, and the value is let go (a read of a value not held is stale if its
/// key let any go). So a long session keeps what its latest moments wrote, and the history's
/// settled prefix can be forgotten (see `needed_from`).
#[derive(Default)]
pub struct StaleReads {
    seen: Growth,
    keys: FxHashMap<String, KeyWrites>,
    /// Stale reads found, and of them each one still in the history held (a history index),
    /// with the acknowledged write it missed.
    count: usize,
    stale: Vec<(usize, usize)>,
    /// `count` by the stale reads' query modes (`QueryMode::index`).
    by_mode: [usize; 3],
}

/// One key's writes: the first write of each value with when it was acknowledged, and the
/// acknowledged ones by completion time with the latest start among those completed so far
/// and that write (so that a read needs one binary search, where comparing every read with
/// every write grew with the square of a session).
#[derive(Default)]
struct KeyWrites {
    first: FxHashMap<String, (usize, Option<u64>)>,
    acked: Vec<(u64, u64, usize)>,
    /// Values were let go: every read of them is stale.
    let_go: bool,
}

impl StaleReads {
    pub fn count(&self) -> usize {
        self.count
    }

    /// Stale reads found that asked for `mode`.
    pub fn count_in(&self, mode: QueryMode) -> usize {
        self.by_mode[mode.index()]
    }

    /// Each stale read (a history index) of the history held, and the acknowledged write it
    /// missed: the latest to begin of those that had completed when the read began.
    pub fn found(&self) -> &[(usize, usize)] {
        &self.stale
    }

    /// Operations seen that have an outcome.
    pub fn settled(&self) -> usize {
        self.seen.settled()
    }

    /// Take in what the history gained since the last call (appended operations, settled
    /// pending ones); a history that is not this one grown is counted afresh.
    pub fn observe(&mut self, h: &History) {
        let Some(News {
            mut settled,
            appended,
        }) = self.seen.take(h)
        else {
            *self = StaleReads::default();
            return self.observe(h);
        };
        for &i in &settled {
            // A pending write counted as a source may turn out to have done nothing.
            let op = &h[i];
            if let (Some(k), KvOp::Put { value, .. } | KvOp::Cas { to: value, .. }) =
                (self.keys.get_mut(op.op.key()), &op.op)
            {
                if k.first.get(value).is_some_and(|f| f.0 == i) {
                    if written(op).is_none() {
                        k.first.remove(value);
                    } else {
                        k.first.insert(value.clone(), (i, acked_by(op)));
                    }
                }
            }
        }
        for i in appended {
            let op = &h[i];
            if let Some((k, v)) = written(op) {
                let key = self.keys.entry(k.to_string()).or_default();
                key.first.entry(v.to_string()).or_insert((i, acked_by(op)));
            }
            if op.outcome.is_some() {
                settled.push(i);
            }
        }
        // Acknowledged writes at their completion, reads at their start (before a write
        // completing at the same moment).
        let mut events: Vec<(u64, bool, usize)> = (settled.iter())
            .filter_map(|&i| {
                let op = &h[i];
                if read_value(op).is_some() {
                    Some((op.invoke_t, false, i))
                } else {
                    written(op).and(acked_by(op)).map(|c| (c, true, i))
                }
            })
            .collect();
        events.sort_unstable();
        for (t, is_write, i) in events {
            let op = &h[i];
            if is_write {
                let key = self.keys.entry(op.op.key().to_string()).or_default();
                let latest = match key.acked.last() {
                    Some(&(_, start, w)) if start >= op.invoke_t => (start, w),
                    _ => (op.invoke_t, i),
                };
                if key.acked.last().is_some_and(|l| l.0 > t) {
                    // Out of time order (a history read in pieces): count it all again.
                    *self = StaleReads::default();
                    return self.observe(h);
                }
                key.acked.push((t, latest.0, latest.1));
            } else {
                let (k, v) = read_value(op).expect("a read");
                if let Some(missed) = self.missed(op.invoke_t, k, v) {
                    self.count += 1;
                    self.by_mode[op.op.mode().index()] += 1;
                    self.stale.push((i, missed));
                }
            }
        }
        self.let_go(h);
    }

    /// The first operation a later call may still look at (those before it can be forgotten).
    pub fn needed_from(&self) -> usize {
        self.seen.needed_from()
    }

    /// Let go of what no read yet to be judged can need. Those begin no earlier than the
    /// earliest pending operation, or the latest call (the history is in call order).
    fn let_go(&mut self, h: &History) {
        let pending = (self.seen.pending().iter()).map(|&i| h[i].invoke_t).min();
        let latest_call = h.ops.last().map_or(0, |o| o.invoke_t);
        let horizon = pending.map_or(latest_call, |p| p.min(latest_call));
        for key in self.keys.values_mut() {
            let before = key.acked.partition_point(|&(c, _, _)| c < horizon);
            if before < 2 {
                continue;
            }
            // Reads to come look up the last write completed before they began: at least
            // this one.
            key.acked.drain(..before - 1);
            let latest_start = key.acked[0].1;
            let n = key.first.len();
            key.first
                .retain(|_, &mut (_, ack)| ack.is_none_or(|a| a >= latest_start));
            key.let_go |= key.first.len() < n;
        }
        self.stale.retain(|&(read, _)| read >= h.forgotten);
    }

    /// If a read of `v` begun at `invoke` is stale, the write it missed.
    fn missed(&self, invoke: u64, k: &str, v: &str) -> Option<usize> {
        let key = self.keys.get(k)?;
        // The latest start of a write to the key completed before the read began.
        let before = key.acked.partition_point(|&(c, _, _)| c < invoke);
        let &(_, latest_start, latest) = key.acked.get(before.checked_sub(1)?)?;
        let stale = match key.first.get(v) {
            None => v.is_empty() || key.let_go,
            Some(&(_, ack)) => ack.is_some_and(|a| a < latest_start),
        };
        stale.then_some(latest)
    }
}

/// When an acknowledged operation completed (a timed-out one may still take effect later).
fn acked_by(op: &HistoryOp) -> Option<u64> {
    op.complete_t
        .filter(|_| matches!(op.outcome, Some(Outcome::Ok { .. })))
}

/// A causal-consistency violation: a client observed a write, then read the same key and got
/// something that write causally overwrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CausalViolation {
    pub client: usize,
    /// History index of the read that went back in causal time.
    pub read: usize,
    pub detail: String,
}

/// Checks causal consistency as each client saw it, over a whole history (see
/// `causal_order::CausalCheck`, which follows a growing one).
pub fn causal_violations(h: &History) -> Vec<CausalViolation> {
    let mut check = super::causal_order::CausalCheck::default();
    check.finish(h);
    check.violations().to_vec()
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::check::test_ops::{get, op, put};
    use std::collections::BTreeMap;

    /// The first way causal consistency was checked here, kept as the model of `CausalCheck`:
    /// every write's past as a set of every write. Checks causal consistency as each client saw it. A write's causal past is everything its
    /// client had observed (written, or read, with their pasts) when it invoked the write. A read
    /// must not return a value causally older than a write to the same key that its client had
    /// already observed.
    fn model_causal_violations(h: &History) -> Vec<CausalViolation> {
        let writes: Vec<usize> = (0..h.ops.len())
            .filter(|&i| written(&h.ops[i]).is_some())
            .collect();
        let id_of: BTreeMap<(&str, &str), usize> = writes
            .iter()
            .enumerate()
            .map(|(w, &i)| (written(&h.ops[i]).expect("a write"), w))
            .collect();
        let words = writes.len().div_ceil(64).max(1);
        let mut past: Vec<Vec<u64>> = vec![vec![0; words]; writes.len()];
        let mut known: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
        let set = |b: &mut [u64], i: usize| b[i / 64] |= 1 << (i % 64);
        let has = |b: &[u64], i: usize| b[i / 64] & (1 << (i % 64)) != 0;

        // Invocations and completions in time order (invocations first at equal times).
        let mut events: Vec<(u64, bool, usize)> = Vec::new();
        for (i, op) in h.ops.iter().enumerate() {
            events.push((op.invoke_t, false, i));
            if let Some(t) = op.complete_t {
                events.push((t, true, i));
            }
        }
        events.sort();
        let mut out = Vec::new();
        for (_, completion, i) in events {
            let op = &h.ops[i];
            let k = known.entry(op.client).or_insert_with(|| vec![0; words]);
            if let Some((key, value)) = written(op) {
                let w = id_of[&(key, value)];
                if !completion {
                    past[w] = k.clone();
                } else if matches!(op.outcome, Some(Outcome::Ok { .. })) {
                    // Only an acknowledged write joins what its client knows.
                    set(k, w);
                    let p = past[w].clone();
                    k.iter_mut().zip(&p).for_each(|(a, b)| *a |= b);
                }
            } else if let (true, Some((key, value))) = (completion, read_value(op)) {
                let source = id_of.get(&(key, value)).copied();
                // Writes to this key the client already knows of.
                let seen_same_key = (0..writes.len()).filter(|&w| {
                    has(k, w) && written(&h.ops[writes[w]]).is_some_and(|(wk, _)| wk == key)
                });
                for w in seen_same_key {
                    let older = match source {
                        None => true, // the initial value: older than any write
                        Some(s) => s != w && has(&past[w], s),
                    };
                    if older {
                        out.push(CausalViolation {
                            client: op.client,
                            read: i,
                            detail: format!("client {} had seen {key}={:?} but then read {value:?}, which that write overwrote", op.client, written(&h.ops[writes[w]]).map_or("", |x| x.1)),
                        });
                        break;
                    }
                }
                if let Some(s) = source {
                    set(k, s);
                    let p = past[s].clone();
                    k.iter_mut().zip(&p).for_each(|(a, b)| *a |= b);
                }
            }
        }
        out
    }

    #[test]
    fn a_read_of_an_overwritten_value_is_stale() {
        let h = History::new(vec![
            op(0, put("x", "1"), 0, 1, None),
            op(0, put("x", "2"), 2, 3, None),
            op(1, get("x"), 4, 5, Some("1")),
        ]);
        assert_eq!(stale_reads(&h), 1);
        let fresh = History::new(vec![
            op(0, put("x", "1"), 0, 1, None),
            op(0, put("x", "2"), 2, 3, None),
            op(1, get("x"), 4, 5, Some("2")),
        ]);
        assert_eq!(stale_reads(&fresh), 0);
        let concurrent = History::new(vec![
            op(0, put("x", "1"), 0, 3, None),
            op(1, put("x", "2"), 1, 2, None),
            op(2, get("x"), 4, 5, Some("1")),
        ]);
        assert_eq!(
            stale_reads(&concurrent),
            0,
            "concurrent writes may land in either order"
        );
        let empty = History::new(vec![
            op(0, put("x", "1"), 0, 1, None),
            op(1, get("x"), 2, 3, Some("")),
        ]);
        assert_eq!(stale_reads(&empty), 1);
    }

    /// A stale read is reported with the write it missed: the latest to begin of those
    /// acknowledged before the read began.
    #[test]
    fn a_stale_read_names_the_write_it_missed() {
        let h = History::new(vec![
            op(0, put("x", "1"), 0, 1, None),
            op(0, put("x", "2"), 2, 3, None),
            op(1, put("x", "3"), 2, 4, None),
            op(2, get("x"), 5, 6, Some("1")),
            op(2, get("x"), 7, 8, Some("3")),
        ]);
        let mut s = StaleReads::default();
        s.observe(&h);
        assert_eq!(s.found(), &[(3, 1)][..]);
    }

    /// Followed as it grows, a history gets the count a fresh look at the whole of it gives,
    /// at every moment, even as what was settled is forgotten along the way: gossip runs
    /// under steady load, observed every 200 ms of their time.
    #[test]
    fn stale_reads_of_a_growing_history_are_those_of_a_fresh_count() {
        let mut any_stale = false;
        for seed in 1..=3 {
            let mut scenario = crate::link::default_scenario("gossip", seed).expect("gossip");
            scenario.sim_mut().clients.load = true;
            let mut whole = scenario.clone().build().expect("a valid scenario");
            let mut sim = scenario.build().expect("a valid scenario");
            let mut live = StaleReads::default();
            for step in 1..=50 {
                whole.run_until(step * 200);
                sim.run_until(step * 200);
                live.observe(sim.history());
                let mut fresh = StaleReads::default();
                fresh.observe(whole.history());
                let at = format!("seed {seed} at {}", step * 200);
                assert_eq!(live.count(), fresh.count(), "{at}");
                let held = sim.history().forgotten;
                let found_held: Vec<_> = (fresh.found().iter())
                    .filter(|f| f.0 >= held)
                    .copied()
                    .collect();
                assert_eq!(live.found(), &found_held[..], "{at}");
                sim.forget_history_before(live.needed_from());
            }
            assert!(
                sim.history().ops.len() < whole.history().ops.len() / 4,
                "seed {seed}: the settled history was not forgotten"
            );
            any_stale |= live.count() > 0;
        }
        assert!(any_stale, "the partition made no stale read to count");
    }

    #[test]
    fn a_read_of_a_timed_out_write_is_attributed_to_it() {
        let mut lost = op(0, put("x", "1"), 0, 9, None);
        lost.outcome = Some(Outcome::Info);
        let h = History::new(vec![
            op(0, put("x", "0"), 0, 1, None),
            lost,
            op(0, get("x"), 10, 11, Some("1")),
            op(0, get("x"), 12, 13, Some("1")),
        ]);
        assert!(causal_violations(&h).is_empty());
    }

    #[test]
    fn seeing_an_effect_then_its_overwritten_cause_is_a_causal_violation() {
        // Client 0 writes x=1 then x=2; client 1 reads x=2, then reads x=1: backwards.
        let bad = History::new(vec![
            op(0, put("x", "1"), 0, 1, None),
            op(0, put("x", "2"), 2, 3, None),
            op(1, get("x"), 4, 5, Some("2")),
            op(1, get("x"), 6, 7, Some("1")),
        ]);
        assert_eq!(causal_violations(&bad).len(), 1);
        // Transitively: y=1 was written after reading x=2; a client that read y=1 must not read x=1.
        let transitive = History::new(vec![
            op(0, put("x", "1"), 0, 1, None),
            op(0, put("x", "2"), 2, 3, None),
            op(1, get("x"), 4, 5, Some("2")),
            op(1, put("y", "1"), 6, 7, None),
            op(2, get("y"), 8, 9, Some("1")),
            op(2, get("x"), 10, 11, Some("1")),
        ]);
        assert_eq!(causal_violations(&transitive).len(), 1);
        // Concurrent writes may be seen in any order.
        let ok = History::new(vec![
            op(0, put("x", "1"), 0, 1, None),
            op(1, put("x", "2"), 0, 1, None),
            op(2, get("x"), 2, 3, Some("2")),
            op(2, get("x"), 4, 5, Some("1")),
        ]);
        assert!(causal_violations(&ok).is_empty());
    }

    /// The growing check finds exactly the violations of the model (every write's past as a
    /// set of all writes), and keeps what it found: on random histories that break causality
    /// often, and on real runs (gossip, causal broadcast correct and with a node that does not
    /// wait for dependencies) under random faults.
    #[test]
    fn the_growing_causal_check_agrees_with_the_model() {
        use crate::engine::{Node, World};
        use crate::protocols::causal::{CausalBug, CausalConfig, CausalNode};
        use crate::protocols::gossip::{GossipConfig, GossipNode};
        use crate::runner::{scenario, Faults, Protocol, RunOptions};

        fn run<N: Node>(protocol: Protocol, cfg: N::Config, seed: u64) -> usize {
            let o = RunOptions {
                nodes: 5,
                seed,
                time_ms: 12_000,
                faults: Faults::Random,
                protocol,
            };
            let mut world = World::<N>::new(scenario(&o, cfg)).expect("a valid scenario");
            let mut live = crate::check::causal_order::CausalCheck::default();
            let mut seen = 0;
            for step in 1..=60 {
                world.run_until(step * 200);
                live.observe(world.history());
                let found = live.violations();
                let so_far: Vec<_> = found.iter().map(|v| (v.client, v.read)).collect();
                assert!(so_far.len() >= seen, "violations found stay found");
                seen = so_far.len();
            }
            let whole =
                |v: &[CausalViolation]| v.iter().map(|v| (v.client, v.read)).collect::<Vec<_>>();
            live.finish(world.history());
            let model = model_causal_violations(world.history());
            let mut got = whole(live.violations());
            got.sort_unstable();
            let mut want = whole(&model);
            want.sort_unstable();
            assert_eq!(got, want, "seed {seed}");
            want.len()
        }
        let mut found = 0;
        for seed in 1..=6000 {
            found += random_history_agrees(seed);
        }
        assert!(
            found > 1000,
            "the random histories broke causality ({found} violations)"
        );
        // Real runs: the same verdicts on the histories the page and `lab` check.
        for seed in 1..=12 {
            run::<GossipNode>(
                Protocol::Gossip(GossipConfig::default()),
                GossipConfig::default(),
                seed,
            );
            let bug = CausalConfig {
                bug: Some(CausalBug::NoDependencyWait),
                ..CausalConfig::default()
            };
            run::<CausalNode>(Protocol::Causal(bug.clone()), bug, seed);
            let ok = CausalConfig::default();
            assert_eq!(run::<CausalNode>(Protocol::Causal(ok.clone()), ok, seed), 0);
        }
    }

    /// A random history of three clients writing unique values to two keys and reading any
    /// value a key had been given by then (so causality breaks often), some writes failing or timing out,
    /// watched as it grows at 8 moments: the growing check ends with the model's violations.
    fn random_history_agrees(seed: u64) -> usize {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut ops: Vec<HistoryOp> = Vec::new();
        let mut values: [Vec<String>; 2] = [vec![String::new()], vec![String::new()]];
        let (mut free, mut last_call) = ([0u64; 3], 0);
        for n in 0..rng.gen_range(2..14) {
            let client = rng.gen_range(0..3);
            // Calls in the order made, so that a value read was written by an earlier call.
            let call = free[client].max(last_call) + rng.gen_range(0..4);
            last_call = call;
            let ret = call + rng.gen_range(0..4);
            free[client] = ret + 1;
            let k = rng.gen_range(0..2);
            let key = ["x", "y"][k];
            let mut o = if rng.gen_bool(0.5) {
                let v = format!("{n}");
                values[k].push(v.clone());
                op(client, put(key, &v), call, ret, None)
            } else {
                let v = values[k][rng.gen_range(0..values[k].len())].clone();
                op(client, get(key), call, ret, Some(&v))
            };
            match rng.gen_range(0..8) {
                0 => o.outcome = Some(Outcome::Fail),
                1 => o.outcome = Some(Outcome::Info),
                _ => {}
            }
            ops.push(o);
        }
        ops.sort_by_key(|o| o.invoke_t);
        let end = ops.iter().filter_map(|o| o.complete_t).max().unwrap_or(0);
        // The history as it stood at time t: what was called by then, outcomes come at returns.
        let at = |t: u64| {
            History::new(
                (ops.iter().filter(|o| o.invoke_t <= t))
                    .map(|o| match o.complete_t {
                        Some(c) if c <= t => o.clone(),
                        _ => HistoryOp {
                            complete_t: None,
                            outcome: None,
                            ..o.clone()
                        },
                    })
                    .collect(),
            )
        };
        let mut live = crate::check::causal_order::CausalCheck::default();
        for i in 1..=8 {
            live.observe(&at(end * i / 8));
        }
        let whole = at(end);
        live.finish(&whole);
        let pairs = |v: &[CausalViolation]| {
            let mut p: Vec<_> = v.iter().map(|v| (v.client, v.read)).collect();
            p.sort_unstable();
            p
        };
        let model = model_causal_violations(&whole);
        assert_eq!(
            pairs(live.violations()),
            pairs(&model),
            "seed {seed}: {whole:?}"
        );
        model.len()
    }
}
