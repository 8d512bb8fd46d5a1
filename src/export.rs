//! What the page writes out of a run's client history: the formats `lab check-history` reads
//! and Porcupine checks, so that a history the browser made can be checked by another tool.

use crate::check::history_files::{write_edn_kv, write_jepsen_register};
use crate::engine::{History, HistoryOp};
use crate::import::HistoryFormat;

/// A history written out: the text, the key it holds when it holds one of several, and what
/// the file name should say.
pub struct Written {
    pub text: String,
    pub only_key: Option<String>,
}

/// Write `h` in `format`. A Jepsen etcd log holds one register: of a history with several
/// keys it holds `focus` (the key that broke the guarantee, say) or the first key, and says
/// so; keys are independent, so that key's verdict is the same alone.
pub fn write_history(
    h: &History,
    format: HistoryFormat,
    focus: Option<&str>,
) -> Result<Written, String> {
    if h.forgotten > 0 {
        return Err(format!(
            "this long session has let go of its first {} operations, which the checks had settled (so that memory stays flat), and a history file must hold them all",
            h.forgotten
        ));
    }
    if h.ops.is_empty() {
        return Err("the history has no operations yet".into());
    }
    match format {
        HistoryFormat::Kv => Ok(Written {
            text: write_edn_kv(h)?,
            only_key: None,
        }),
        HistoryFormat::Jepsen => {
            let key = focus.unwrap_or_else(|| h.ops[0].op.key());
            let several = h.ops.iter().any(|o| o.op.key() != key);
            let ops: Vec<HistoryOp> = (h.ops.iter())
                .filter(|o| o.op.key() == key)
                .cloned()
                .collect();
            if ops.is_empty() {
                return Err(format!("the history has no operation on key {key}"));
            }
            Ok(Written {
                text: write_jepsen_register(&History::new(ops))?,
                only_key: several.then(|| key.to_string()),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::check::history_files::{parse_edn_kv, parse_jepsen_register};
    use crate::check::linearizability::check;
    use crate::engine::{KvOp, Outcome};

    fn op(client: usize, kv: KvOp, t: u64, read: Option<&str>) -> HistoryOp {
        HistoryOp {
            client,
            op: kv,
            invoke_t: t,
            complete_t: Some(t + 1),
            outcome: Some(Outcome::Ok {
                value: read.map(str::to_string),
            }),
            cas_failed: false,
            node: None,
        }
    }

    /// One key of several is written as a register, and reads back with its operations and
    /// its verdict; the multi-key form refuses a compare-and-set, naming it.
    #[test]
    fn a_register_is_written_per_key_and_kv_refuses_cas() {
        let put = |k: &str, v: &str| KvOp::Put {
            key: k.into(),
            value: v.into(),
        };
        let get = |k: &str| KvOp::get(k);
        let h = History::new(vec![
            op(0, put("a", "1"), 0, None),
            op(1, put("b", "2"), 0, None),
            op(1, get("a"), 3, Some("")),
        ]);
        let w = write_history(&h, HistoryFormat::Jepsen, Some("a")).expect("written");
        assert_eq!(w.only_key.as_deref(), Some("a"));
        let back = parse_jepsen_register(&w.text).expect("reads back");
        assert_eq!(back.ops.len(), 2);
        assert!(
            !check(&back).linearizable,
            "the stale read of a stays a violation"
        );
        let kv = write_history(&h, HistoryFormat::Kv, None).expect("written");
        assert_eq!(parse_edn_kv(&kv.text).expect("reads back").ops.len(), 3);
        let mut with_cas = h.clone();
        with_cas.ops.push(op(
            2,
            KvOp::Cas {
                key: "a".into(),
                from: "1".into(),
                to: "3".into(),
            },
            5,
            None,
        ));
        let e = write_history(&with_cas, HistoryFormat::Kv, None)
            .err()
            .expect("refused");
        assert!(e.contains("operation 3"), "{e}");
    }
}
