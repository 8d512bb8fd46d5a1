//! Operations for the checks' tests, written short.

use crate::engine::{HistoryOp, KvOp, Outcome};

/// A completed operation: ok, and for a read the value it returned.
pub fn op(client: usize, op: KvOp, call: u64, ret: u64, value: Option<&str>) -> HistoryOp {
    HistoryOp {
        client,
        op,
        invoke_t: call,
        complete_t: Some(ret),
        outcome: Some(Outcome::Ok {
            value: value.map(String::from),
        }),
        cas_failed: false,
        node: None,
    }
}

pub fn put(k: &str, v: &str) -> KvOp {
    KvOp::Put {
        key: k.into(),
        value: v.into(),
    }
}

pub fn get(k: &str) -> KvOp {
    KvOp::get(k)
}
