//! Linearizability of a key-value history, per key (keys are independent, so a history is
//! linearizable iff each key's sub-history is). The search is Wing & Gong's with Lowe's
//! memoization of (linearized set, state), as in Porcupine: a configuration already seen is
//! never explored twice.
//!
//! The linearized set is keyed by a 128-bit Zobrist hash (XOR of per-operation random words)
//! rather than the bitset itself: no allocation per step, and a collision among the millions of
//! configurations a hard history visits has a probability around 2^-80.
//!
//! Semantics: an `Info` (timed-out) write may take effect at any point after its invocation or
//! never; a `Fail` operation never took effect and is left out; a failed compare-and-set ran and
//! found another value; an absent key reads as "".

use crate::engine::{History, KvOp, Outcome};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub linearizable: bool,
    pub keys: usize,
    pub ops: usize,
    /// For a non-linearizable history: the key, and the operations that cannot be ordered.
    pub failure: Option<Failure>,
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

#[derive(Clone, Copy, Debug)]
enum Input {
    /// None: the value read is unknown.
    Read(Option<u32>),
    Write(u32),
    Cas {
        from: u32,
        to: u32,
        swapped: Option<bool>,
    },
    Append(u32),
}

struct Op {
    hist: usize,
    input: Input,
    call: u64,
    ret: u64,
}

/// Values as small integers; 0 is the absent value "".
struct Values {
    ids: FxHashMap<String, u32>,
    strings: Vec<String>,
}

impl Values {
    fn new() -> Self {
        let mut v = Values {
            ids: FxHashMap::default(),
            strings: Vec::new(),
        };
        v.id("");
        v
    }
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.to_string());
        self.ids.insert(s.to_string(), i);
        i
    }
    /// One step of the register model: is `input` consistent at `state`, and the state after.
    fn step(&mut self, state: u32, input: Input) -> Option<u32> {
        match input {
            Input::Read(v) => v.is_none_or(|v| v == state).then_some(state),
            Input::Write(v) => Some(v),
            Input::Cas { from, to, swapped } => {
                let matches = state == from;
                swapped
                    .is_none_or(|s| s == matches)
                    .then_some(if matches { to } else { state })
            }
            Input::Append(suffix) => {
                let s = format!(
                    "{}{}",
                    self.strings[state as usize], self.strings[suffix as usize]
                );
                Some(self.id(&s))
            }
        }
    }
}

pub fn check(history: &History) -> Verdict {
    let mut by_key: BTreeMap<&str, Vec<(usize, &crate::engine::HistoryOp)>> = BTreeMap::new();
    for (i, op) in history.ops.iter().enumerate() {
        by_key.entry(op.op.key()).or_default().push((i, op));
    }
    let mut verdict = Verdict {
        linearizable: true,
        keys: by_key.len(),
        ops: 0,
        failure: None,
    };
    for (key, ops) in by_key {
        let mut values = Values::new();
        let ops: Vec<Op> = ops
            .into_iter()
            .filter_map(|(i, h)| to_op(i, h, &mut values))
            .collect();
        verdict.ops += ops.len();
        if let Err(mut f) = check_key(ops, &mut values) {
            f.key = key.to_string();
            verdict.linearizable = false;
            verdict.failure = Some(f);
            return verdict;
        }
    }
    verdict
}

fn to_op(hist: usize, h: &crate::engine::HistoryOp, values: &mut Values) -> Option<Op> {
    let unknown = matches!(h.outcome, None | Some(Outcome::Info));
    if h.outcome == Some(Outcome::Fail) || (unknown && h.op.is_read()) {
        return None; // never took effect, or a read that told nothing
    }
    let input = match &h.op {
        KvOp::Get { .. } => match &h.outcome {
            Some(Outcome::Ok { value }) => Input::Read(value.as_deref().map(|v| values.id(v))),
            _ => Input::Read(None),
        },
        KvOp::Put { value, .. } => Input::Write(values.id(value)),
        KvOp::Cas { from, to, .. } => Input::Cas {
            from: values.id(from),
            to: values.id(to),
            swapped: (!unknown).then_some(!h.cas_failed),
        },
        KvOp::Append { value, .. } => Input::Append(values.id(value)),
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

fn check_key(ops: Vec<Op>, values: &mut Values) -> Result<(), Failure> {
    let n = ops.len();
    // Calls sort before returns at equal times: operations that touch in time count as concurrent.
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

    let zobrist: Vec<(u64, u64)> = (0..n as u64)
        .map(|i| (splitmix(2 * i + 1), splitmix(2 * i + 2)))
        .collect();
    let mut linearized = (0u64, 0u64);
    let mut seen: FxHashSet<(u64, u64, u32)> = FxHashSet::default();
    let mut stack: Vec<(usize, u32)> = Vec::new();
    let mut state = 0u32;
    let mut cur = evs[0].next;
    let mut best: Option<Failure> = None;

    while evs[0].next != NIL {
        let e = evs[cur];
        if e.call {
            if let Some(next_state) = values.step(state, ops[e.op].input) {
                let (a, b) = zobrist[e.op];
                let with = (linearized.0 ^ a, linearized.1 ^ b);
                if seen.insert((with.0, with.1, next_state)) {
                    stack.push((cur, state));
                    state = next_state;
                    linearized = with;
                    lift(&mut evs, cur);
                    cur = evs[0].next;
                    continue;
                }
            }
            cur = e.next;
        } else {
            // The earliest pending return: its operation had to be placed by now.
            if best.as_ref().is_none_or(|b| stack.len() > b.linearized) {
                let mut stuck = vec![ops[e.op].hist];
                let mut c = evs[0].next;
                while c != NIL && c != cur {
                    if evs[c].call && evs[c].op != e.op {
                        stuck.push(ops[evs[c].op].hist);
                    }
                    c = evs[c].next;
                }
                best = Some(Failure {
                    key: String::new(),
                    linearized: stack.len(),
                    of: n,
                    stuck,
                });
            }
            let Some((call, prev_state)) = stack.pop() else {
                return Err(best.expect("set just above"));
            };
            state = prev_state;
            let (a, b) = zobrist[evs[call].op];
            linearized = (linearized.0 ^ a, linearized.1 ^ b);
            unlift(&mut evs, call);
            cur = evs[call].next;
        }
    }
    Ok(())
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
}
