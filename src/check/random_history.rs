//! Random client histories for testing the checkers: many clients reading, writing and
//! appending to a few keys, linearizable by construction (each operation takes effect at a
//! random moment inside its interval, in one real store), optionally with one read near the end
//! changed to a value the key never held at that point: a planted violation.

use crate::engine::{History, HistoryOp, KvOp, Outcome, Rng};
use rand::{Rng as _, SeedableRng};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub clients: usize,
    pub keys: usize,
    /// Operations in all.
    pub ops: usize,
    /// Plant a violation in a read near the end.
    pub violation: bool,
}

pub fn random_history(seed: u64, shape: Shape) -> History {
    let mut rng = Rng::seed_from_u64(seed);
    // Each client runs one operation at a time: (invoke, take effect, complete) times.
    let mut free_at = vec![0u64; shape.clients];
    let mut planned = Vec::with_capacity(shape.ops);
    for n in 0..shape.ops {
        let client = rng.gen_range(0..shape.clients);
        let invoke = free_at[client] + rng.gen_range(0..5);
        let complete = invoke + rng.gen_range(1..30);
        let effect = rng.gen_range(invoke..=complete);
        free_at[client] = complete + 1;
        let key = format!("{}", rng.gen_range(0..shape.keys));
        let op = match rng.gen_range(0..10) {
            0..=3 => KvOp::get(key),
            4..=5 => KvOp::Put {
                key,
                value: format!("{n} "),
            },
            _ => KvOp::Append {
                key,
                value: format!("{n} "),
            },
        };
        planned.push((effect, client, invoke, complete, op));
    }
    // Apply in the order the operations took effect; reads see the store at that moment.
    let mut order: Vec<usize> = (0..planned.len()).collect();
    order.sort_by_key(|&i| (planned[i].0, i));
    let mut store: BTreeMap<String, String> = BTreeMap::new();
    let mut seen = vec![None; planned.len()];
    for &i in &order {
        let op = &planned[i].4;
        let cur = store.entry(op.key().to_string()).or_default();
        match op {
            KvOp::Get { .. } => seen[i] = Some(cur.clone()),
            KvOp::Put { value, .. } => *cur = value.clone(),
            KvOp::Append { value, .. } => cur.push_str(value),
            KvOp::Cas { .. } => unreachable!("not generated"),
        }
    }
    let mut ops: Vec<HistoryOp> = (planned.into_iter().zip(seen))
        .map(|((_, client, invoke, complete, op), read)| HistoryOp {
            client,
            outcome: Some(Outcome::Ok { value: read }),
            op,
            invoke_t: invoke,
            complete_t: Some(complete),
            cas_failed: false,
            node: None,
        })
        .collect();
    if shape.violation {
        // The last read that saw something: it sees a value with a write missing instead.
        if let Some(op) = (ops.iter_mut().rev())
            .find(|o| matches!(&o.outcome, Some(Outcome::Ok { value: Some(v) }) if v.len() > 2))
        {
            if let Some(Outcome::Ok { value: Some(v) }) = &mut op.outcome {
                let cut = v.trim_end().rfind(' ').map_or(0, |i| i + 1);
                v.truncate(cut);
                v.push_str("x ");
            }
        }
    }
    ops.sort_by_key(|o| (o.invoke_t, o.client));
    History::new(ops)
}
