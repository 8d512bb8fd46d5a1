//! Each lesson, walked through on the engine as a learner would: from its scenario's moment,
//! doing what each step says, every step's condition comes to hold in order; doing something
//! else instead (another way to the same state) moves on too, and Back returns to the moment a
//! step was reached.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use consensus_lab::check::eventual::StaleReads;
use consensus_lab::engine::{Action, KvOp, NodeView, Sim};
use consensus_lab::lessons::{lesson, Look, Progress, LESSONS};
use consensus_lab::library::entry;

/// Every node's view, as the page builds them once per update.
fn views(w: &dyn Sim) -> Vec<NodeView> {
    (0..w.node_count()).map(|n| w.view(n)).collect()
}

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
        let views = views(w.as_ref());
        let look = Look {
            sim: w.as_ref(),
            views: &views,
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
        op: KvOp::get("x"),
    })
    .unwrap();
    let limit = w.now() + 2_000;
    play_to(&mut w, &mut p, 3, limit);
    assert!(p.finished());
}

fn put(w: &mut Box<dyn Sim>, node: Option<usize>, key: &str, value: &str) {
    let op = KvOp::Put {
        key: key.into(),
        value: value.into(),
    };
    w.act(Action::Request { node, op }).unwrap();
}

#[test]
fn raft_replication_as_told() {
    let (mut w, mut p) = start("raft-replication");
    play_to(&mut w, &mut p, 1, 3_000);
    put(&mut w, None, "x", "1");
    play_to(&mut w, &mut p, 2, 6_000);
    let follower = (0..5).find(|&n| w.view(n).role.name == "follower").unwrap();
    w.act(Action::Crash { node: follower }).unwrap();
    put(&mut w, None, "x", "2");
    play_to(&mut w, &mut p, 3, 9_000);
    w.act(Action::Restart { node: follower }).unwrap();
    play_to(&mut w, &mut p, 4, 14_000);
    assert!(p.finished());
}

#[test]
fn raft_partitions_as_told() {
    let (mut w, mut p) = start("raft-partitions");
    play_to(&mut w, &mut p, 1, 4_000);
    let new = (0..5)
        .find(|&n| w.view(n).role.name == "leader" && w.view(n).headline >= 2)
        .unwrap();
    put(&mut w, Some(new), "y", "2");
    play_to(&mut w, &mut p, 2, 4_400);
    w.act(Action::Heal).unwrap();
    play_to(&mut w, &mut p, 3, 8_000);
    assert!(p.finished());
}

#[test]
fn raft_pre_vote_as_told() {
    let (mut w, mut p) = start("raft-pre-vote");
    play_to(&mut w, &mut p, 2, 9_000);
    assert!(p.finished());
}

#[test]
fn causal_consistency_as_told() {
    let (mut w, mut p) = start("causal-consistency");
    play_to(&mut w, &mut p, 1, 5_400);
    assert_eq!(
        p.step, 1,
        "the held update was let go, and not yet the rest"
    );
    play_to(&mut w, &mut p, 2, 30_000);
    assert!(p.finished());
}

#[test]
fn linearizability_as_told() {
    let (w, mut p) = start("linearizability");
    // A click on the red read: the run replayed to its invocation (5.5 s), then played on.
    let mut back = entry("ack-before-commit")
        .unwrap()
        .scenarios()
        .remove(0)
        .build()
        .unwrap();
    back.run_until(5_500);
    let stale = 0;
    p.advance(
        &Look {
            sim: back.as_ref(),
            views: &views(back.as_ref()),
            stale_reads: stale,
        },
        5_500,
    );
    assert_eq!(p.step, 1);
    p.advance(
        &Look {
            sim: w.as_ref(),
            views: &views(w.as_ref()),
            stale_reads: stale,
        },
        6_000,
    );
    assert!(p.finished());
}
