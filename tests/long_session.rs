//! A long session's history checks as the page follows them: every 250 ms of simulated time
//! the checks settle what is behind them and take in what is new, and the history before what
//! they still need is let go. They must say what a check of the whole history says, while the
//! history held stays small: Raft under load and random faults (timeouts among them), and the
//! same histories with a violation planted late, after most of them was let go.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use consensus_lab::check::eventual::{stale_reads, StaleReads};
use consensus_lab::check::linearizability::{check, Checker, Verdict};
use consensus_lab::engine::{History, KvOp, Outcome};
use consensus_lab::protocols::raft::RaftConfig;
use consensus_lab::protocols::AnyScenario;
use consensus_lab::runner::{scenario, Faults, Protocol, RunOptions};

const STEP_MS: u64 = 250;

/// The client history of a minute of Raft under load and random faults.
fn raft_history(seed: u64) -> History {
    let o = RunOptions {
        nodes: 5,
        seed,
        time_ms: 60_000,
        faults: Faults::Random,
        protocol: Protocol::Raft(RaftConfig::default()),
    };
    let mut sim = AnyScenario::Raft(scenario(&o, RaftConfig::default()))
        .build()
        .unwrap();
    sim.run_until(o.time_ms);
    sim.history().clone()
}

/// `h` as it stood at time `t` (what was called by then; outcomes from their return on),
/// without the operations before `from`.
fn as_of(h: &History, t: u64, from: usize) -> History {
    let mut now = History::new(Vec::new());
    for (_, op) in h.iter().take_while(|(_, o)| o.invoke_t <= t) {
        let mut op = op.clone();
        if op.complete_t.is_none_or(|c| c > t) {
            (op.outcome, op.complete_t) = (None, None);
        }
        now.ops.push(op);
    }
    now.forget_before(from);
    now
}

struct Followed {
    verdict: Verdict,
    stale: usize,
    /// Operations let go of when the checks first found a problem, or by the end.
    forgotten: usize,
}

/// Follow `h` as the page does, letting go of what the checks no longer need.
fn follow(h: &History) -> Followed {
    let end = h
        .iter()
        .filter_map(|(_, o)| o.complete_t)
        .max()
        .unwrap_or(0);
    let (mut checker, mut stale) = (Checker::new(&History::default()), StaleReads::default());
    let mut from = 0;
    let mut verdict = None;
    for t in (0..=end + STEP_MS).step_by(STEP_MS as usize) {
        let now = as_of(h, t, from);
        checker.settle(&now);
        checker.observe(&now);
        stale.observe(&now);
        let v = loop {
            if let Some(v) = checker.run(1 << 16) {
                break v;
            }
        };
        verdict = Some(v);
        if checker.failed() {
            break;
        }
        from = checker.needed_from().min(stale.needed_from());
    }
    Followed {
        verdict: verdict.expect("followed at least once"),
        stale: stale.count(),
        forgotten: from,
    }
}

#[test]
fn a_followed_session_lets_go_of_its_history_and_says_what_the_whole_says() {
    let mut timed_out = 0;
    for seed in 1..=4 {
        let h = raft_history(seed);
        let (f, whole) = (follow(&h), check(&h));
        assert!(whole.linearizable, "seed {seed}: {whole:?}");
        assert!(f.verdict.linearizable, "seed {seed}: {:?}", f.verdict);
        assert_eq!(
            f.verdict.ops, whole.ops,
            "seed {seed}: every operation counted"
        );
        assert_eq!(f.stale, stale_reads(&h), "seed {seed}: stale reads");
        assert!(
            f.forgotten > h.len() * 9 / 10,
            "seed {seed}: only {} of {} operations let go",
            f.forgotten,
            h.len()
        );
        timed_out += h.count(|op| op.outcome == Some(Outcome::Info));
    }
    assert!(timed_out > 0, "the faults timed no operation out");
}

/// A read near the end is made to return a value its key never held: the followed checks
/// catch it, having let go of most of the history by then.
#[test]
fn a_followed_session_still_catches_a_planted_violation() {
    for seed in 1..=4 {
        let mut h = raft_history(seed);
        let late = (h.ops.iter_mut().rev())
            .find(|o| o.op.is_read() && matches!(o.outcome, Some(Outcome::Ok { .. })))
            .expect("a read");
        late.outcome = Some(Outcome::Ok {
            value: Some("never written".into()),
        });
        let f = follow(&h);
        assert!(!check(&h).linearizable);
        assert!(!f.verdict.linearizable, "seed {seed}: {:?}", f.verdict);
        assert!(f.forgotten > h.len() / 2, "seed {seed}: {}", f.forgotten);
        let failure = f.verdict.failure.expect("a failure");
        let stuck = &h[failure.stuck[0]];
        assert!(matches!(&stuck.op, KvOp::Get { .. }), "{stuck:?}");
    }
}
