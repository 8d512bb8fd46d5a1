//! A Raft node's view is safe to take at any moment, including before anything was logged.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use consensus_lab::engine::{Action, Scenario, SimConfig, World};
use consensus_lab::protocols::raft::{RaftConfig, RaftNode};

#[test]
fn views_work_on_an_empty_log_down_and_paused() {
    let mut w = World::<RaftNode>::new(Scenario::new(
        1,
        SimConfig::default(),
        RaftConfig::default(),
    ))
    .unwrap();
    for i in 0..5 {
        let v = w.view(i);
        assert!(v.log.is_empty());
        assert_eq!(v.role, "follower");
    }
    w.act(Action::Crash { node: 0 }).unwrap();
    w.act(Action::Pause { node: 1 }).unwrap();
    assert_eq!(w.view(0).role, "down");
    assert_eq!(w.view(1).role, "paused");
    w.run_until(3_000);
    let leader = (0..5)
        .find(|&i| w.view(i).role == "leader")
        .expect("three live nodes elect a leader");
    assert!(
        !w.view(leader).log.is_empty(),
        "a new leader appends an empty entry of its term"
    );
    assert!(w
        .act(Action::Crash { node: 9 })
        .unwrap_err()
        .contains("no node 9"));
}
