//! What the checks found, operation by operation, for a reader: where each operation falls in
//! the order the linearizability search found, the key's value before and after it, which
//! operations break the promised model, and one sentence saying why.

use super::causal_order::CausalCheck;
use super::eventual::CausalViolation;
use super::linearizability::{Checker, Failure, Order, Verdict};
use crate::engine::{History, HistoryOp, KvOp, Outcome, QueryMode};
use rustc_hash::FxHashMap;

/// One operation's place in the order found: its position in its key's order, and the
/// key's value just before and just after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub position: usize,
    pub before: String,
    pub after: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// By history index: each operation's place, if the order found places it.
    pub placed: FxHashMap<usize, Placed>,
    /// Per key: the order found (history indices); for a key that cannot be linearized, the
    /// longest attempt.
    pub orders: Vec<(String, Vec<usize>)>,
    /// Operations that break the guarantee, as the checker reports them, the first first.
    pub violating: Vec<usize>,
    /// Stale reads, each with the acknowledged write it missed.
    pub stale: Vec<(usize, usize)>,
    /// Why, in one sentence, when something is broken.
    pub why: Option<String>,
}

/// An operation as a reader writes it: `get(k0) → "5"`, `put(k0, "7")`.
pub fn describe(op: &HistoryOp) -> String {
    let q = |s: &str| format!("{s:?}");
    let call = match &op.op {
        KvOp::Get {
            key,
            mode: QueryMode::Consistent,
        } => format!("get({key})"),
        KvOp::Get { key, mode } => format!("get({key}, {})", mode.name()),
        KvOp::Put { key, value } => format!("put({key}, {})", q(value)),
        KvOp::Cas { key, from, to } => format!("cas({key}, {} → {})", q(from), q(to)),
        KvOp::Append { key, value } => format!("append({key}, {})", q(value)),
    };
    match (&op.op, &op.outcome) {
        (KvOp::Get { .. }, Some(Outcome::Ok { value: Some(v) })) => format!("{call} → {}", q(v)),
        (KvOp::Cas { .. }, Some(Outcome::Ok { .. })) if op.cas_failed => {
            format!("{call} (did not match)")
        }
        _ => call,
    }
}

/// The key's value after `op`, from `state` before it, as the order found has it take effect.
fn apply(op: &HistoryOp, state: &str) -> String {
    match &op.op {
        KvOp::Get { .. } => state.to_string(),
        KvOp::Put { value, .. } => value.clone(),
        KvOp::Cas { from, to, .. } if state == from && !op.cas_failed => to.clone(),
        KvOp::Cas { .. } => state.to_string(),
        KvOp::Append { value, .. } => format!("{state}{value}"),
    }
}

impl Report {
    /// Place the operations of `orders`: per key, parts of its order (history indices), each
    /// from the value it starts at. In a part whose start was let go of, what follows is not
    /// placed: the values are not known here.
    fn with_orders<'a>(op: &dyn Fn(usize) -> Option<&'a HistoryOp>, orders: Vec<Order>) -> Self {
        let mut placed = FxHashMap::default();
        let mut flat = Vec::new();
        for Order { key, parts } in orders {
            let mut all = Vec::new();
            for (from, part) in parts {
                let mut state = Some(from.to_string());
                for &i in &part {
                    let position = all.len();
                    all.push(i);
                    let (Some(o), Some(before)) = (op(i), state.take()) else {
                        continue; // let go of: what it did is not known here
                    };
                    let after = apply(o, &before);
                    state = Some(after.clone());
                    placed.insert(
                        i,
                        Placed {
                            position,
                            before,
                            after,
                        },
                    );
                }
            }
            flat.push((key.to_string(), all));
        }
        Report {
            placed,
            orders: flat,
            ..Report::default()
        }
    }

    /// What a decided linearizability search found over `h`. `time` writes a moment of the
    /// history as the reader sees it.
    pub fn linearizability(
        h: &History,
        checker: &Checker,
        verdict: &Verdict,
        time: &dyn Fn(u64) -> String,
    ) -> Self {
        let mut orders = checker.linearization();
        let op = |i: usize| checker.op(h, i);
        let Some(f) = &verdict.failure else {
            return Report::with_orders(&op, orders);
        };
        let from = checker.initial_value(&f.key);
        orders.push(Order {
            key: &f.key,
            parts: vec![(from, f.prefix.clone())],
        });
        let mut r = Report::with_orders(&op, orders);
        r.violating = f.stuck.clone();
        r.why = why_not_linearizable(&op, f, from, time);
        r
    }

    /// Reads that went back in causal time (their causal check), named as broken.
    pub fn causal(h: &History, check: &CausalCheck) -> Self {
        Report::from_causal(h, check.violations())
    }

    fn from_causal(h: &History, found: &[CausalViolation]) -> Self {
        Report {
            violating: found.iter().map(|v| v.read).collect(),
            why: (found.iter().find_map(|v| Some((h.get(v.read)?, v)))).map(|(read, v)| {
                format!("{} by client {}: {}", describe(read), read.client, v.detail)
            }),
            ..Report::default()
        }
    }
}

/// One sentence on a key that cannot be linearized, true of what the search found: the
/// operation it could not place, where the longest order it found leaves the key, and what
/// could still have come first.
fn why_not_linearizable<'a>(
    lookup: &dyn Fn(usize) -> Option<&'a HistoryOp>,
    f: &Failure,
    from: &str,
    time: &dyn Fn(u64) -> String,
) -> Option<String> {
    let Some(&stuck) = f.stuck.first() else {
        return Some(format!(
            "No order of {}'s operations fits what clients saw.",
            f.key
        ));
    };
    let op = lookup(stuck)?;
    let prefix: Vec<&HistoryOp> = f.prefix.iter().map(|&i| lookup(i)).collect::<Option<_>>()?;
    let state = (prefix.iter()).fold(from.to_string(), |s, o| apply(o, &s));
    let returned = op
        .complete_t
        .map_or(String::new(), |t| format!(" at {}", time(t)));
    let head = format!(
        "{} by client {} returned{returned}",
        describe(op),
        op.client
    );
    let last = prefix.last().map(|w| {
        let done = w
            .complete_t
            .map_or(String::new(), |t| format!(", done at {}", time(t)));
        format!(", after {} (client {}{done})", describe(w), w.client)
    });
    let leaves = format!(
        "the longest order of {}'s operations that respects real time places {} of {} and leaves {} = {state:?}{}",
        f.key,
        f.linearized,
        f.of,
        f.key,
        last.unwrap_or_default()
    );
    let others = &f.stuck[1..];
    let tail = match (&op.op, &op.outcome) {
        (KvOp::Get { .. }, Some(Outcome::Ok { value: Some(v) })) => {
            let could = (others.iter().filter_map(|&i| lookup(i)))
                .any(|o| apply(o, &state) == *v && !o.op.is_read());
            if could {
                format!("; every order that first writes {v:?} fails further on")
            } else {
                format!("; nothing that may still take effect before it writes {v:?}")
            }
        }
        (KvOp::Cas { from, .. }, Some(Outcome::Ok { .. })) if !op.cas_failed => {
            format!("; its compare needs {from:?}")
        }
        _ => "; no operation that may still take effect lets it come next".into(),
    };
    Some(format!("{head}, but {leaves}{tail}."))
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::check::linearizability::Checker;
    use crate::check::test_ops::{get, op};

    fn put(v: &str) -> KvOp {
        crate::check::test_ops::put("x", v)
    }

    fn decided(h: &History) -> (Checker, Verdict) {
        let mut c = Checker::new(h);
        let v = c.run(u64::MAX).expect("decided");
        (c, v)
    }
    fn ms(t: u64) -> String {
        format!("{t} ms")
    }

    /// A linearizable history: every operation placed, in an order that respects real time
    /// and the register's values, with the value before and after each.
    #[test]
    fn a_linearizable_history_is_placed_in_order() {
        let h = History::new(vec![
            op(0, put("1"), 0, 10, None),
            op(1, get("x"), 1, 2, Some("")),
            op(2, get("x"), 3, 12, Some("1")),
            op(0, put("2"), 11, 20, None),
        ]);
        let (c, v) = decided(&h);
        assert!(v.linearizable);
        let r = Report::linearizability(&h, &c, &v, &ms);
        assert_eq!(r.orders, vec![("x".to_string(), vec![1, 0, 2, 3])]);
        let p = |i: usize| r.placed[&i].clone();
        assert_eq!((p(0).before.as_str(), p(0).after.as_str()), ("", "1"));
        assert_eq!((p(3).before.as_str(), p(3).after.as_str()), ("1", "2"));
        assert_eq!(p(2).position, 2);
        assert!(r.violating.is_empty() && r.why.is_none());
    }

    /// A planted violation: a read of the old value after the new one was written and read.
    /// Settled, the order keeps its place for every operation still in the history: the
    /// parts settled and the current one number on, each from the value it starts at.
    #[test]
    fn a_settled_order_still_places_what_is_held() {
        let mut h = History::new(vec![
            op(0, put("1"), 0, 1, None),
            op(1, get("x"), 2, 3, Some("1")),
            op(0, put("2"), 4, 5, None),
            op(1, get("x"), 6, 7, Some("2")),
        ]);
        let (mut c, _) = decided(&h);
        c.settle(&h);
        h.ops.push(op(0, put("3"), 8, 9, None));
        h.forget_before(1);
        c.observe(&h);
        let v = loop {
            if let Some(v) = c.run(100) {
                break v;
            }
        };
        let r = Report::linearizability(&h, &c, &v, &ms);
        assert_eq!(r.orders, vec![("x".to_string(), vec![0, 1, 2, 3, 4])]);
        assert!(!r.placed.contains_key(&0), "let go of");
        assert!(!r.placed.contains_key(&1), "its value before is not known");
        let p = |i: usize| r.placed[&i].clone();
        assert_eq!(
            (p(4).position, p(4).before.as_str(), p(4).after.as_str()),
            (4, "2", "3")
        );
    }

    /// The report names the read, says where the order stops and why, and does not place it.
    #[test]
    fn a_stale_read_is_named_and_explained() {
        let h = History::new(vec![
            op(0, put("1"), 0, 1, None),
            op(0, put("2"), 2, 3, None),
            op(1, get("x"), 4, 5, Some("2")),
            op(1, get("x"), 6, 7, Some("1")),
        ]);
        let (c, v) = decided(&h);
        assert!(!v.linearizable);
        let r = Report::linearizability(&h, &c, &v, &ms);
        assert_eq!(r.violating.first(), Some(&3));
        assert!(!r.placed.contains_key(&3));
        assert_eq!(r.orders, vec![("x".to_string(), vec![0, 1, 2])]);
        let why = r.why.expect("a sentence");
        assert_eq!(
            why,
            "get(x) → \"1\" by client 1 returned at 7 ms, but the longest order of x's \
             operations that respects real time places 3 of 4 and leaves x = \"2\", after \
             get(x) → \"2\" (client 1, done at 5 ms); nothing that may still take effect \
             before it writes \"1\"."
        );
    }

    #[test]
    fn causal_violations_are_named() {
        let h = History::new(vec![
            op(0, put("1"), 0, 1, None),
            op(1, get("x"), 2, 3, Some("")),
        ]);
        let found = [CausalViolation {
            client: 1,
            read: 1,
            detail: "it had seen 1".into(),
        }];
        let r = Report::from_causal(&h, &found);
        assert_eq!(r.violating, vec![1]);
        assert_eq!(
            r.why.as_deref(),
            Some("get(x) → \"\" by client 1: it had seen 1")
        );
    }
}
