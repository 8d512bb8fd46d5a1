//! Each lesson, walked through on the engine as a learner would: from its scenario's moment,
//! doing what each step says, every step's condition comes to hold in order; doing something
//! else instead (another way to the same state) moves on too, and Back returns to the moment a
//! step was reached.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use consensus_lab::check::eventual::StaleReads;
use consensus_lab::engine::{Action, KvOp, Sim};
use consensus_lab::lessons::{lesson, Look, Progress, LESSONS};
use consensus_lab::library::entry;

/// A lesson's run at its scenario's moment, and its progress.
fn start(name: &str) -> (Box<dyn Sim>, Progress) {
    let l = lesson(name).unwrap();
    let e = entry(l.scenario).expect("a lesson starts from a library entry");
    let mut w = e.scenarios().remove(0).build().unwrap();
    w.run_until(e.at);
    (w, Progress::new(l, e.at))
}

/// Play on (in 50 ms slices, as frames would) until `step` is reached or `limit`.
fn play_to(w: &mut Box<dyn Sim>, p: &mut Progress, step: usize, limit: u64) {
    let mut stale = StaleReads::default();
    while p.step < step && w.now() < limit {
        let t = w.now() + 50;
        w.run_until(t);
        stale.observe(w.history());
        let look = Look {
            sim: w.as_ref(),
            stale_reads: stale.count(),
        };
        p.advance(&look, w.now());
    }
    assert!(
        p.step >= step,
        "step {step} of {} reached by {limit} ms (on {})",
        p.lesson.name,
        p.step
    );
}

fn leader(w: &dyn Sim) -> usize {
    (0..w.node_count())
        .find(|&n| w.view(n).role.name == "leader")
        .expect("a leader")
}

#[test]
fn every_lesson_starts_from_a_library_entry() {
    for l in LESSONS {
        assert!(entry(l.scenario).is_some(), "{}", l.name);
        assert!(!l.steps.is_empty());
    }
}

#[test]
fn raft_elections_as_told() {
    let (mut w, mut p) = start("raft-elections");
    play_to(&mut w, &mut p, 2, 3_000);
    let old = leader(w.as_ref());
    w.act(Action::Crash { node: old }).unwrap();
    play_to(&mut w, &mut p, 4, 8_000);
    w.act(Action::Restart { node: old }).unwrap();
    play_to(&mut w, &mut p, 5, 12_000);
    assert!(p.finished());
}

/// Cutting the leader off instead of crashing it also ends its term; healing brings it back.
#[test]
fn raft_elections_another_way_and_back() {
    let (mut w, mut p) = start("raft-elections");
    play_to(&mut w, &mut p, 2, 3_000);
    let at_step_2 = w.now();
    let old = leader(w.as_ref());
    let others = (0..5).filter(|&n| n != old).collect();
    w.act(Action::Partition {
        groups: vec![vec![old], others],
    })
    .unwrap();
    play_to(&mut w, &mut p, 4, 8_000);
    // A new leader alone does not finish the lesson: the old one is still cut off.
    assert_eq!(p.step, 4);
    w.act(Action::Heal).unwrap();
    play_to(&mut w, &mut p, 5, 14_000);
    assert!(p.finished());
    // Back, twice: the moments steps 4 and 3 were reached, the second the one the leader was cut at.
    let four = p.back().unwrap();
    let three = p.back().unwrap();
    assert!(
        three <= four && three >= at_step_2,
        "{three} {four} {at_step_2}"
    );
    assert_eq!(p.step, 3);
}

#[test]
fn gossip_eventual_as_told() {
    let (mut w, mut p) = start("gossip-eventual");
    play_to(&mut w, &mut p, 2, 8_000);
    w.act(Action::Partition {
        groups: vec![vec![0, 1], vec![2, 3, 4]],
    })
    .unwrap();
    let put = KvOp::Put {
        key: "x".into(),
        value: "2".into(),
    };
    w.act(Action::Request {
        node: Some(0),
        op: put,
    })
    .unwrap();
    w.run_until(w.now() + 200);
    w.act(Action::Request {
        node: Some(3),
        op: KvOp::Get { key: "x".into() },
    })
    .unwrap();
    let limit = w.now() + 2_000;
    play_to(&mut w, &mut p, 3, limit);
    assert!(p.finished());
}
