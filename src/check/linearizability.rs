//! Linearizability of a key-value history, per key (keys are independent, so a history is
//! linearizable iff each key's sub-history is). The search is Wing & Gong's with Lowe's
//! memoization of (linearized set, state), as in Porcupine: a configuration already seen is
//! never explored twice.
//!
//! The linearized set is keyed by a 128-bit Zobrist hash (XOR of per-operation random words)
//! rather than the bitset itself: no allocation per step, and a collision among the millions of
//! configurations a hard history visits has a probability around 2^-80. A key's value is kept
//! as a hash of the string and its length, so an append computes its new state in a few
//! multiplications instead of building and keeping a new string.
//!
//! The search is resumable: a `Checker` runs a given number of steps and can be asked again, so
//! a caller can bound its time (the `lab` command's `--timeout`) or spread it over animation
//! frames. Keys take turns, and the first key found not linearizable ends the search.
//!
//! Semantics: an `Info` (timed-out) write may take effect at any point after its invocation or
//! never; a `Fail` operation never took effect and is left out; a failed compare-and-set ran and
//! found another value; an absent key reads as "".

use crate::engine::{History, KvOp, Outcome};
use rustc_hash::FxHashSet;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub linearizable: bool,
    pub keys: usize,
    pub ops: usize,
    /// For a non-linearizable history: the key, and the operations that cannot be ordered.
    pub failure: Option<Failure>,
    /// For a search stopped before it decided: where it was.
    pub unknown: Option<Unknown>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub key: String,
    /// How many of the key's operations the longest attempt managed to order.
    pub linearized: usize,
    pub of: usize,
    /// Indices into the history: the operation that could not be placed first, then the
    /// operations that were candidates at that point.
    pub stuck: Vec<usize>,
}

/// The search gave up before it could decide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unknown {
    /// A key still undecided (the one with the most configurations explored).
    pub key: String,
    /// Configurations explored over all keys.
    pub configurations: u64,
}

/// A string as the search sees it: a hash of its bytes and its length. Appending is a few
/// multiplications: h(s + t) = h(s) * B^len(t) + h(t), modulo the prime 2^61 - 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Str {
    hash: u64,
    len: u64,
}

const P: u64 = (1 << 61) - 1;
const B: u64 = 0x1f3d_5b79_a3c1_e2d5 % P;

fn mul(a: u64, b: u64) -> u64 {
    let x = u128::from(a) * u128::from(b);
    let folded = (x as u64 & P) + (x >> 61) as u64;
    if folded >= P {
        folded - P
    } else {
        folded
    }
}

fn add(a: u64, b: u64) -> u64 {
    let s = a + b;
    if s >= P {
        s - P
    } else {
        s
    }
}

impl Str {
    const EMPTY: Str = Str { hash: 0, len: 0 };
    fn of(s: &str) -> (Str, u64) {
        let (mut hash, mut pow) = (0, 1);
        for &b in s.as_bytes() {
            hash = add(mul(hash, B), u64::from(b) + 1);
            pow = mul(pow, B);
        }
        (
            Str {
                hash,
                len: s.len() as u64,
            },
            pow,
        )
    }
}

#[derive(Clone, Copy, Debug)]
enum Input {
    /// None: the value read is unknown.
    Read(Option<Str>),
    Write(Str),
    Cas {
        from: Str,
        to: Str,
        swapped: Option<bool>,
    },
    /// The suffix, and B to the power of its length.
    Append(Str, u64),
}

impl Input {
    /// One step of the model: is the operation consistent at `state`, and the state after.
    fn step(self, state: Str) -> Option<Str> {
        match self {
            Input::Read(v) => v.is_none_or(|v| v == state).then_some(state),
            Input::Write(v) => Some(v),
            Input::Cas { from, to, swapped } => {
                let matches = state == from;
                swapped
                    .is_none_or(|s| s == matches)
                    .then_some(if matches { to } else { state })
            }
            Input::Append(suffix, pow) => Some(Str {
                hash: add(mul(state.hash, pow), suffix.hash),
                len: state.len + suffix.len,
            }),
        }
    }
}

struct Op {
    hist: usize,
    input: Input,
    call: u64,
    ret: u64,
}

/// Decide the whole history, however long it takes.
pub fn check(history: &History) -> Verdict {
    let mut c = Checker::new(history);
    loop {
        if let Some(v) = c.run(u64::MAX) {
            return v;
        }
    }
}

/// A linearizability search that runs in slices.
pub struct Checker {
    keys: Vec<KeySearch>,
    ops: usize,
    /// The key whose turn it is.
    turn: usize,
    configurations: u64,
    /// Configurations the search may remember, over all keys; beyond, it gives up.
    memo_limit: usize,
}

/// How many configurations a search remembers at most; past that it answers unknown. Each takes
/// 33 bytes of its table, which doubles as it grows: at this limit the checker stays under
/// about 420 MB whatever the history (`cargo bench --bench checker` measures the peak).
pub const MEMO_LIMIT: usize = 1 << 22;

/// Steps one key runs before the next takes its turn: the first key to fail ends the search,
/// so a hard key that would pass does not hide an easy one that fails.
const TURN: u64 = 1 << 14;

impl Checker {
    pub fn new(history: &History) -> Self {
        let mut by_key: BTreeMap<&str, Vec<Op>> = BTreeMap::new();
        for (i, op) in history.ops.iter().enumerate() {
            if let Some(o) = to_op(i, op) {
                by_key.entry(op.op.key()).or_default().push(o);
            } else {
                by_key.entry(op.op.key()).or_default();
            }
        }
        let ops = by_key.values().map(Vec::len).sum();
        Checker {
            keys: (by_key.into_iter())
                .map(|(k, ops)| KeySearch::new(k.to_string(), ops))
                .collect(),
            ops,
            turn: 0,
            configurations: 0,
            memo_limit: MEMO_LIMIT,
        }
    }

    /// The same search, remembering at most `limit` configurations.
    pub fn with_memo_limit(mut self, limit: usize) -> Self {
        self.memo_limit = limit;
        self
    }

    /// Configurations explored so far.
    pub fn configurations(&self) -> u64 {
        self.configurations
    }

    /// Run at most about `steps` steps of the search; the verdict if it is decided by then.
    pub fn run(&mut self, steps: u64) -> Option<Verdict> {
        let mut left = steps;
        loop {
            let open: Vec<usize> = (0..self.keys.len())
                .filter(|&k| self.keys[k].result.is_none())
                .collect();
            let Some(&k) = open.iter().find(|&&k| k >= self.turn).or(open.first()) else {
                return Some(self.verdict(true, None));
            };
            if left == 0 {
                return None;
            }
            let remembered: usize = self.keys.iter().map(|k| k.seen.len()).sum();
            let Some(room) = self.memo_limit.checked_sub(remembered).filter(|&r| r > 0) else {
                return Some(self.stop());
            };
            let slice = left.min(TURN).min(room as u64);
            let used = self.keys[k].run(slice);
            self.configurations += used;
            left -= used.min(left);
            self.turn = k + 1;
            if let Some(Err(f)) = &self.keys[k].result {
                let f = f.clone();
                return Some(self.verdict(false, Some(f)));
            }
        }
    }

    /// What is known when the search is stopped here: decided, or where it gave up.
    pub fn stop(&self) -> Verdict {
        let mut v = self.verdict(false, None);
        let undecided =
            (self.keys.iter().filter(|k| k.result.is_none())).max_by_key(|k| k.configurations);
        v.unknown = undecided.map(|k| Unknown {
            key: k.key.clone(),
            configurations: self.configurations,
        });
        v.linearizable = v.unknown.is_none();
        v
    }

    fn verdict(&self, linearizable: bool, failure: Option<Failure>) -> Verdict {
        Verdict {
            linearizable,
            keys: self.keys.len(),
            ops: self.ops,
            failure,
            unknown: None,
        }
    }
}

fn to_op(hist: usize, h: &crate::engine::HistoryOp) -> Option<Op> {
    let unknown = matches!(h.outcome, None | Some(Outcome::Info));
    if h.outcome == Some(Outcome::Fail) || (unknown && h.op.is_read()) {
        return None; // never took effect, or a read that told nothing
    }
    let str = |v: &str| Str::of(v).0;
    let input = match &h.op {
        KvOp::Get { .. } => match &h.outcome {
            Some(Outcome::Ok { value }) => Input::Read(value.as_deref().map(str)),
            _ => Input::Read(None),
        },
        KvOp::Put { value, .. } => Input::Write(str(value)),
        KvOp::Cas { from, to, .. } => Input::Cas {
            from: str(from),
            to: str(to),
            swapped: (!unknown).then_some(!h.cas_failed),
        },
        KvOp::Append { value, .. } => {
            let (suffix, pow) = Str::of(value);
            Input::Append(suffix, pow)
        }
    };
    let ret = if unknown {
        u64::MAX
    } else {
        h.complete_t.unwrap_or(u64::MAX)
    };
    Some(Op {
        hist,
        input,
        call: h.invoke_t,
        ret,
    })
}

const NIL: usize = usize::MAX;

/// A call or return event in a doubly linked list (index 0 is the head sentinel).
#[derive(Clone, Copy)]
struct Ev {
    op: usize,
    call: bool,
    partner: usize,
    prev: usize,
    next: usize,
}

/// The search over one key's operations, resumable between steps.
struct KeySearch {
    key: String,
    ops: Vec<Op>,
    evs: Vec<Ev>,
    zobrist: Vec<(u64, u64)>,
    linearized: (u64, u64),
    seen: FxHashSet<(u64, u64, Str)>,
    stack: Vec<(usize, Str)>,
    state: Str,
    cur: usize,
    best: Option<Failure>,
    configurations: u64,
    result: Option<Result<(), Failure>>,
}

impl KeySearch {
    fn new(key: String, ops: Vec<Op>) -> Self {
        let n = ops.len();
        // Calls sort before returns at equal times: operations that touch in time count as
        // concurrent.
        let mut order: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * n);
        for (i, op) in ops.iter().enumerate() {
            order.push((op.call, false, i));
            order.push((op.ret, true, i));
        }
        order.sort_unstable();
        let mut evs = vec![
            Ev {
                op: NIL,
                call: false,
                partner: NIL,
                prev: NIL,
                next: NIL
            };
            2 * n + 1
        ];
        let mut slot_of_call = vec![0; n];
        for (pos, &(_, is_ret, op)) in order.iter().enumerate() {
            let at = pos + 1;
            evs[at] = Ev {
                op,
                call: !is_ret,
                partner: NIL,
                prev: pos,
                next: if pos + 1 < 2 * n { at + 1 } else { NIL },
            };
            if is_ret {
                let c = slot_of_call[op];
                evs[at].partner = c;
                evs[c].partner = at;
            } else {
                slot_of_call[op] = at;
            }
        }
        evs[0].next = if n > 0 { 1 } else { NIL };
        let zobrist = (0..n as u64)
            .map(|i| (splitmix(2 * i + 1), splitmix(2 * i + 2)))
            .collect();
        KeySearch {
            key,
            ops,
            cur: evs[0].next,
            evs,
            zobrist,
            linearized: (0, 0),
            seen: FxHashSet::default(),
            stack: Vec::new(),
            state: Str::EMPTY,
            best: None,
            configurations: 0,
            result: (n == 0).then_some(Ok(())),
        }
    }

    /// Run up to `steps` steps; returns how many ran. Sets `result` once decided.
    fn run(&mut self, steps: u64) -> u64 {
        let mut done = 0;
        while done < steps {
            if self.evs[0].next == NIL {
                self.result = Some(Ok(()));
                break;
            }
            done += 1;
            if let Err(f) = self.step() {
                let mut f = f;
                f.key.clone_from(&self.key);
                self.result = Some(Err(f));
                break;
            }
        }
        self.configurations += done;
        done
    }

    /// One step of the search: try the event at the cursor, or backtrack.
    fn step(&mut self) -> Result<(), Failure> {
        let (evs, cur) = (&mut self.evs, self.cur);
        let e = evs[cur];
        if e.call {
            if let Some(next_state) = self.ops[e.op].input.step(self.state) {
                let (a, b) = self.zobrist[e.op];
                let with = (self.linearized.0 ^ a, self.linearized.1 ^ b);
                if self.seen.insert((with.0, with.1, next_state)) {
                    self.stack.push((cur, self.state));
                    self.state = next_state;
                    self.linearized = with;
                    lift(evs, cur);
                    self.cur = evs[0].next;
                    return Ok(());
                }
            }
            self.cur = e.next;
            return Ok(());
        }
        // The earliest pending return: its operation had to be placed by now.
        let n = self.ops.len();
        if self
            .best
            .as_ref()
            .is_none_or(|b| self.stack.len() > b.linearized)
        {
            let mut stuck = vec![self.ops[e.op].hist];
            let mut c = evs[0].next;
            while c != NIL && c != cur {
                if evs[c].call && evs[c].op != e.op {
                    stuck.push(self.ops[evs[c].op].hist);
                }
                c = evs[c].next;
            }
            self.best = Some(Failure {
                key: String::new(),
                linearized: self.stack.len(),
                of: n,
                stuck,
            });
        }
        let Some((call, prev_state)) = self.stack.pop() else {
            return Err(self.best.take().expect("set just above"));
        };
        self.state = prev_state;
        let (a, b) = self.zobrist[evs[call].op];
        self.linearized = (self.linearized.0 ^ a, self.linearized.1 ^ b);
        unlift(evs, call);
        self.cur = evs[call].next;
        Ok(())
    }
}

/// A well-mixed 64-bit word from a counter (Steele et al.'s SplitMix64).
fn splitmix(i: u64) -> u64 {
    let mut z = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn lift(evs: &mut [Ev], call: usize) {
    let ret = evs[call].partner;
    for at in [call, ret] {
        let Ev { prev, next, .. } = evs[at];
        evs[prev].next = next;
        if next != NIL {
            evs[next].prev = prev;
        }
    }
}

fn unlift(evs: &mut [Ev], call: usize) {
    let ret = evs[call].partner;
    for at in [ret, call] {
        let Ev { prev, next, .. } = evs[at];
        evs[prev].next = at;
        if next != NIL {
            evs[next].prev = at;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::HistoryOp;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn op(client: usize, op: KvOp, call: u64, ret: Option<u64>, outcome: Outcome) -> HistoryOp {
        HistoryOp {
            client,
            op,
            invoke_t: call,
            complete_t: ret,
            outcome: Some(outcome),
            cas_failed: false,
            node: None,
        }
    }
    fn put(v: &str) -> KvOp {
        KvOp::Put {
            key: "x".into(),
            value: v.into(),
        }
    }
    fn get() -> KvOp {
        KvOp::Get { key: "x".into() }
    }
    fn ok() -> Outcome {
        Outcome::Ok { value: None }
    }
    fn read(v: &str) -> Outcome {
        Outcome::Ok {
            value: Some(v.into()),
        }
    }

    #[test]
    fn concurrent_reads_may_see_either_side_of_a_write() {
        let h = History {
            ops: vec![
                op(0, put("1"), 0, Some(10), ok()),
                op(1, get(), 1, Some(2), read("1")),
                op(2, get(), 3, Some(4), read("")),
            ],
        };
        // read "1" then read "" would need the write to be undone: not linearizable.
        assert!(!check(&h).linearizable);
        let h = History {
            ops: vec![
                op(0, put("1"), 0, Some(10), ok()),
                op(1, get(), 1, Some(2), read("")),
                op(2, get(), 3, Some(4), read("1")),
            ],
        };
        assert!(check(&h).linearizable);
    }

    #[test]
    fn a_stale_read_after_an_acknowledged_write_is_caught_and_explained() {
        let h = History {
            ops: vec![
                op(0, put("1"), 0, Some(1), ok()),
                op(1, get(), 2, Some(3), read("")),
            ],
        };
        let v = check(&h);
        assert!(!v.linearizable);
        let f = v.failure.unwrap();
        assert_eq!(f.key, "x");
        assert_eq!(
            f.stuck[0], 1,
            "the stale read is the operation that cannot be placed"
        );
    }

    #[test]
    fn a_timed_out_write_may_or_may_not_have_happened() {
        let lost = op(0, put("1"), 0, None, Outcome::Info);
        let h = History {
            ops: vec![lost.clone(), op(1, get(), 5, Some(6), read(""))],
        };
        assert!(check(&h).linearizable);
        let h = History {
            ops: vec![
                lost,
                op(1, get(), 5, Some(6), read("1")),
                op(1, get(), 7, Some(8), read("")),
            ],
        };
        assert!(!check(&h).linearizable, "once seen, it cannot un-happen");
    }

    #[test]
    fn failed_operations_are_ignored_and_failed_cas_observes_a_mismatch() {
        let h = History {
            ops: vec![
                op(0, put("1"), 0, Some(1), Outcome::Fail),
                op(1, get(), 2, Some(3), read("")),
            ],
        };
        assert!(check(&h).linearizable);
        let mut cas = op(
            0,
            KvOp::Cas {
                key: "x".into(),
                from: "".into(),
                to: "2".into(),
            },
            0,
            Some(1),
            ok(),
        );
        cas.cas_failed = true;
        let h = History {
            ops: vec![cas, op(1, get(), 2, Some(3), read(""))],
        };
        assert!(
            !check(&h).linearizable,
            "the value was '' so the cas must have swapped"
        );
    }

    #[test]
    fn appends_accumulate() {
        let app = |v: &str| KvOp::Append {
            key: "x".into(),
            value: v.into(),
        };
        let h = History {
            ops: vec![
                op(0, app("a"), 0, Some(5), ok()),
                op(1, app("b"), 0, Some(5), ok()),
                op(2, get(), 6, Some(7), read("ba")),
            ],
        };
        assert!(check(&h).linearizable);
        let h = History {
            ops: vec![
                op(0, app("a"), 0, Some(1), ok()),
                op(1, app("b"), 2, Some(3), ok()),
                op(2, get(), 6, Some(7), read("ba")),
            ],
        };
        assert!(!check(&h).linearizable);
    }

    /// Linearizability by brute force: every order of the operations that respects real time,
    /// with every choice of which timed-out writes took effect, run through a plain string
    /// model. Only for a handful of operations.
    fn brute_force(h: &History) -> bool {
        let ops: Vec<&HistoryOp> = (h.ops.iter())
            .filter(|o| o.outcome != Some(Outcome::Fail))
            .filter(|o| !(o.op.is_read() && matches!(o.outcome, Some(Outcome::Info) | None)))
            .collect();
        let ret = |o: &HistoryOp| match o.outcome {
            Some(Outcome::Info) | None => u64::MAX,
            _ => o.complete_t.unwrap_or(u64::MAX),
        };
        fn search(
            ops: &[&HistoryOp],
            ret: &dyn Fn(&HistoryOp) -> u64,
            placed: &mut Vec<bool>,
            state: &mut BTreeMap<String, String>,
        ) -> bool {
            let open: Vec<usize> = (0..ops.len()).filter(|&i| !placed[i]).collect();
            // Every operation that must still take effect is placed: done. Timed-out ones may
            // never take effect.
            if open
                .iter()
                .all(|&i| matches!(ops[i].outcome, Some(Outcome::Info) | None))
            {
                return true;
            }
            for &i in &open {
                // Nothing still open may have returned before this one was called.
                if open
                    .iter()
                    .any(|&j| j != i && ret(ops[j]) < ops[i].invoke_t)
                {
                    continue;
                }
                let o = ops[i];
                let key = o.op.key().to_string();
                let cur = state.get(&key).cloned().unwrap_or_default();
                let next = match (&o.op, &o.outcome) {
                    (KvOp::Get { .. }, Some(Outcome::Ok { value })) => {
                        if value.as_deref().is_some_and(|v| v != cur) {
                            continue;
                        }
                        cur.clone()
                    }
                    (KvOp::Get { .. }, _) => cur.clone(),
                    (KvOp::Put { value, .. }, _) => value.clone(),
                    (KvOp::Append { value, .. }, _) => format!("{cur}{value}"),
                    (KvOp::Cas { from, to, .. }, outcome) => {
                        let matches = *from == cur;
                        let known = matches!(outcome, Some(Outcome::Ok { .. }));
                        if known && matches == o.cas_failed {
                            continue;
                        }
                        if matches {
                            to.clone()
                        } else {
                            cur.clone()
                        }
                    }
                };
                placed[i] = true;
                state.insert(key.clone(), next);
                let ok = search(ops, ret, placed, state);
                state.insert(key, cur);
                placed[i] = false;
                if ok {
                    return true;
                }
            }
            false
        }
        search(
            &ops,
            &ret,
            &mut vec![false; ops.len()],
            &mut BTreeMap::new(),
        )
    }

    fn random_history(rng: &mut crate::engine::Rng) -> History {
        use rand::Rng as _;
        let values = ["", "a", "b", "ab", "ba"];
        let pick =
            |rng: &mut crate::engine::Rng| values[rng.gen_range(0..values.len())].to_string();
        let n = rng.gen_range(1..=8);
        let ops = (0..n)
            .map(|c| {
                let key = ["x", "y"][rng.gen_range(0..2)].to_string();
                let op = match rng.gen_range(0..4) {
                    0 => KvOp::Get { key },
                    1 => KvOp::Put {
                        key,
                        value: pick(rng),
                    },
                    2 => KvOp::Append {
                        key,
                        value: pick(rng),
                    },
                    _ => KvOp::Cas {
                        key,
                        from: pick(rng),
                        to: pick(rng),
                    },
                };
                let call = rng.gen_range(0..20);
                let outcome = match rng.gen_range(0..20) {
                    0..=2 => Outcome::Info,
                    3..=4 => Outcome::Fail,
                    _ if op.is_read() => Outcome::Ok {
                        value: Some(pick(rng)),
                    },
                    _ => Outcome::Ok { value: None },
                };
                let mut o = HistoryOp {
                    client: c,
                    op,
                    invoke_t: call,
                    complete_t: Some(call + rng.gen_range(0..10)),
                    outcome: Some(outcome),
                    cas_failed: rng.gen_bool(0.4),
                    node: None,
                };
                if o.outcome == Some(Outcome::Info) {
                    o.complete_t = None;
                }
                o
            })
            .collect();
        History { ops }
    }

    /// The search against brute force on thousands of random small histories (puts, reads,
    /// appends, compare-and-sets on two keys; timeouts and failures), with both verdicts common.
    #[test]
    fn agrees_with_brute_force_on_thousands_of_small_histories() {
        use rand::SeedableRng as _;
        let mut rng = crate::engine::Rng::seed_from_u64(10);
        let (mut yes, mut no) = (0, 0);
        for i in 0..5_000 {
            let h = random_history(&mut rng);
            let expected = brute_force(&h);
            assert_eq!(check(&h).linearizable, expected, "history {i}: {h:#?}");
            // Sliced into single steps, the search decides the same.
            let mut c = Checker::new(&h);
            let sliced = loop {
                if let Some(v) = c.run(1) {
                    break v;
                }
            };
            assert_eq!(
                sliced.linearizable, expected,
                "history {i}, one step at a time"
            );
            if expected {
                yes += 1;
            } else {
                no += 1;
            }
        }
        assert!(yes > 1_000 && no > 1_000, "{yes} linearizable, {no} not");
    }

    /// Generated 50-client histories (reads, writes and appends on 10 keys): linearizable as
    /// made, and caught once a read near the end is changed to a value the key never held.
    #[test]
    fn generated_histories_with_and_without_a_planted_violation() {
        use crate::check::random_history::{random_history, Shape};
        for seed in 1..=3 {
            let shape = Shape {
                clients: 50,
                keys: 10,
                ops: 2_000,
                violation: false,
            };
            assert!(
                check(&random_history(seed, shape)).linearizable,
                "seed {seed}"
            );
            let v = check(&random_history(
                seed,
                Shape {
                    violation: true,
                    ..shape
                },
            ));
            assert!(!v.linearizable && v.failure.is_some(), "seed {seed}: {v:?}");
        }
    }

    /// A search that may remember little gives up on a hard history and says so: unknown,
    /// with the key it was on, and no verdict either way.
    #[test]
    fn a_search_out_of_memory_answers_unknown() {
        use crate::check::random_history::{random_history, Shape};
        let shape = Shape {
            clients: 100,
            keys: 10,
            ops: 5_000,
            violation: true,
        };
        let h = random_history(1, shape);
        let mut c = Checker::new(&h).with_memo_limit(50_000);
        let v = loop {
            if let Some(v) = c.run(1 << 16) {
                break v;
            }
        };
        let u = v.unknown.as_ref().expect("gave up");
        assert!(!v.linearizable && v.failure.is_none(), "{v:?}");
        assert!(u.configurations >= 50_000 && !u.key.is_empty(), "{u:?}");
    }
}
