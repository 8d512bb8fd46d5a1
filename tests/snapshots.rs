//! Log compaction and snapshots on raft-rs: nodes snapshot their state machine every so many
//! applied entries and drop the log before it; a follower too far behind receives the
//! leader's snapshot, installs it and goes on; a restart starts from the snapshot plus the log
//! after it. Checked over the engine's views and its arrows.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use consensus_lab::engine::{Action, Fate, KvOp, Sim};
use consensus_lab::link::default_scenario;
use consensus_lab::protocols::AnyScenario;

/// A 5-node Raft run on `seed` compacting every `every` applied entries.
fn compacting(seed: u64, every: u64) -> Box<dyn Sim> {
    let mut s = default_scenario("raft", seed).unwrap();
    if let AnyScenario::Raft(r) = &mut s {
        r.protocol.compact_after = every;
    }
    s.build().unwrap()
}

fn put(w: &mut Box<dyn Sim>, key: &str, value: &str) {
    let op = KvOp::Put {
        key: key.into(),
        value: value.into(),
    };
    w.act(Action::Request { node: None, op }).unwrap();
}

fn leader(w: &dyn Sim) -> usize {
    (0..w.node_count())
        .find(|&n| w.view(n).role.leads)
        .expect("a leader")
}

fn first_index(w: &dyn Sim, n: usize) -> u64 {
    w.view(n).log.first().map_or(0, |e| e.index)
}

#[test]
fn logs_are_compacted_as_entries_are_applied() {
    let mut w = compacting(1, 10);
    w.act(Action::SetLoad { on: true }).unwrap();
    w.run_until(20_000);
    let l = leader(w.as_ref());
    let commit = w.view(l).log_state.unwrap().commit;
    assert!(commit > 40, "a busy run: {commit} entries");
    for n in 0..5 {
        let v = w.view(n);
        let kept = v.log.len() as u64;
        assert!(first_index(w.as_ref(), n) > 1, "n{n} compacted");
        assert!(kept <= 2 * 10 + 20, "n{n} keeps {kept} entries");
        assert_eq!(
            v.log_state.unwrap().snapshot.unwrap().0 + kept - 1,
            v.log.last().unwrap().index
        );
    }
    assert!(w.violations().is_empty(), "{:?}", w.violations());
}

#[test]
fn a_follower_far_behind_receives_a_snapshot_and_catches_up() {
    let mut w = compacting(1, 5);
    w.run_until(1_000);
    let l = leader(w.as_ref());
    let down = (l + 1) % 5;
    w.act(Action::Crash { node: down }).unwrap();
    for i in 0..30 {
        put(&mut w, &format!("k{}", i % 4), &i.to_string());
        let t = w.now() + 100;
        w.run_until(t);
    }
    let from = w.now();
    w.act(Action::Restart { node: down }).unwrap();
    w.run_until(from + 3_000);
    let sent = w.arrows(from, w.now(), w.now());
    let snapshot = (sent.iter())
        .find(|a| a.kind.label == "snapshot" && a.to == down)
        .expect("the leader sent the restarted follower a snapshot");
    assert!(matches!(snapshot.fate, Fate::Delivered(_)));
    let (f, lv) = (w.view(down), w.view(l));
    assert!(f.log_state.unwrap().snapshot.unwrap().0 > 5, "installed");
    assert_eq!(
        f.log_state.unwrap().commit,
        lv.log_state.unwrap().commit,
        "caught up"
    );
    assert_eq!(f.kv, lv.kv, "the same state machine as the leader's");
    assert!(w.violations().is_empty(), "{:?}", w.violations());
}

#[test]
fn a_restart_starts_from_the_snapshot_and_the_log_after_it() {
    let mut w = compacting(2, 5);
    w.run_until(1_000);
    for i in 0..12 {
        put(&mut w, "k", &i.to_string());
        let t = w.now() + 100;
        w.run_until(t);
    }
    let l = leader(w.as_ref());
    let n = (l + 2) % 5;
    assert!(w.view(n).log_state.unwrap().snapshot.unwrap().0 > 0);
    w.act(Action::Crash { node: n }).unwrap();
    w.act(Action::Restart { node: n }).unwrap();
    let t = w.now() + 500;
    w.run_until(t);
    assert_eq!(
        w.view(n).kv,
        w.view(l).kv,
        "the leader's state machine, rebuilt"
    );
    assert!(w.violations().is_empty(), "{:?}", w.violations());
}

/// A compacting run replays to the same trace from its saved scenario.
#[test]
fn compaction_replays_exactly() {
    let mut w = compacting(3, 7);
    w.act(Action::SetLoad { on: true }).unwrap();
    w.run_until(3_000);
    w.act(Action::Crash { node: 1 }).unwrap();
    w.run_until(6_000);
    w.act(Action::Restart { node: 1 }).unwrap();
    w.run_until(9_000);
    let mut again = w.rebuild().unwrap();
    again.run_until(w.now());
    assert_eq!(again.trace_json(), w.trace_json());
}
