//! Raft's membership changes driven as the page and `lab` drive them: a node added to a running
//! cluster is taken in as a learner, catches up and is promoted; a leader removes itself and
//! the rest elect another; several voters change at once through joint consensus. Checked
//! over the engine's views: the configuration each node believes in.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use consensus_lab::engine::{Action, Control, KvOp, MemberKind, Sim};
use consensus_lab::link::default_scenario;

fn raft(seed: u64) -> Box<dyn Sim> {
    default_scenario("raft", seed).unwrap().build().unwrap()
}

fn control(node: usize, name: &str, peer: Option<usize>, list: Vec<usize>) -> Action {
    Action::Control {
        node,
        cmd: Control {
            name: name.into(),
            peer,
            list,
        },
    }
}

fn leader(w: &dyn Sim) -> usize {
    (0..w.node_count())
        .find(|&n| w.view(n).role.leads)
        .expect("a leader")
}

fn kind(w: &dyn Sim, n: usize) -> MemberKind {
    w.view(n).member.expect("raft reports membership").kind
}

fn put(w: &mut Box<dyn Sim>, key: &str) {
    let op = KvOp::Put {
        key: key.into(),
        value: "1".into(),
    };
    w.act(Action::Request { node: None, op }).unwrap();
}

/// Starts a node and asks the leader to take it in as a learner, as the page's "Add node" does;
/// returns the leader asked.
fn add_learner(w: &mut Box<dyn Sim>) -> usize {
    let new = w.node_count();
    w.act(Action::AddNode).unwrap();
    let l = leader(w.as_ref());
    w.act(control(l, "AddLearner", Some(new), vec![])).unwrap();
    l
}

fn run_for(w: &mut Box<dyn Sim>, ms: u64) {
    let t = w.now() + ms;
    w.run_until(t);
}

#[test]
fn a_node_added_catches_up_as_a_learner_and_is_promoted() {
    let mut w = raft(1);
    w.run_until(1_000);
    put(&mut w, "x");
    run_for(&mut w, 500);
    let l = add_learner(&mut w);
    assert_eq!(w.node_count(), 6);
    assert_eq!(kind(w.as_ref(), 5), MemberKind::None, "not a member yet");
    run_for(&mut w, 1_000);
    let new = w.view(5);
    assert_eq!(kind(w.as_ref(), 5), MemberKind::Learner);
    let lead = w.view(l);
    assert_eq!(
        new.log_state.unwrap().commit,
        lead.log_state.unwrap().commit,
        "caught up"
    );
    assert!(
        new.kv.iter().any(|(k, _)| k == "x"),
        "holds the write made before it came"
    );
    w.act(control(l, "Promote", Some(5), vec![])).unwrap();
    run_for(&mut w, 1_000);
    let m = w.view(l).member.unwrap();
    assert_eq!(m.voters, vec![0, 1, 2, 3, 4, 5]);
    assert!(m.index > 0, "the configuration came from the log");
    assert!((0..6).all(|n| kind(w.as_ref(), n) == MemberKind::Voter));
    assert!(w.violations().is_empty(), "{:?}", w.violations());
}

#[test]
fn a_leader_removes_itself_and_the_rest_elect_another() {
    let mut w = raft(1);
    w.run_until(1_000);
    let old = leader(w.as_ref());
    w.act(control(old, "Remove", Some(old), vec![])).unwrap();
    run_for(&mut w, 3_000);
    let new = leader(w.as_ref());
    assert_ne!(new, old);
    let m = w.view(new).member.unwrap();
    assert!(!m.voters.contains(&old), "{:?}", m.voters);
    assert_eq!(m.voters.len(), 4);
    put(&mut w, "y");
    run_for(&mut w, 1_000);
    assert!(
        w.view(new).kv.iter().any(|(k, _)| k == "y"),
        "the four commit"
    );
    assert!(w.violations().is_empty(), "{:?}", w.violations());
}

#[test]
fn several_voters_change_at_once_through_joint_consensus() {
    let mut w = raft(1);
    w.run_until(1_000);
    let l = add_learner(&mut w);
    run_for(&mut w, 1_000);
    // Out go n0 and n1, in comes n5: three voter changes, so a joint configuration first.
    let voters = vec![2, 3, 4, 5];
    w.act(control(l, "SetVoters", None, voters.clone()))
        .unwrap();
    let mut joint = false;
    for _ in 0..400 {
        run_for(&mut w, 5);
        let m = w.view(l).member.unwrap();
        if m.joint() {
            joint = true;
            assert_eq!(m.outgoing, vec![0, 1, 2, 3, 4]);
            assert_eq!(m.voters, voters);
        }
    }
    assert!(joint, "the leader was joint for a while");
    let l = leader(w.as_ref());
    let m = w.view(l).member.unwrap();
    assert!(!m.joint() && m.voters == voters, "{m:?}");
    assert_eq!(kind(w.as_ref(), 0), MemberKind::None);
    assert!(w.violations().is_empty(), "{:?}", w.violations());
}

/// A run with membership changes replays to the same trace from its saved scenario.
#[test]
fn membership_changes_replay_exactly() {
    let mut w = raft(4);
    w.run_until(1_000);
    let l = add_learner(&mut w);
    run_for(&mut w, 800);
    w.act(control(l, "Promote", Some(5), vec![])).unwrap();
    run_for(&mut w, 800);
    w.act(control(l, "Remove", Some(l), vec![])).unwrap();
    run_for(&mut w, 2_000);
    let mut again = w.rebuild().unwrap();
    again.run_until(w.now());
    assert_eq!(again.node_count(), 6);
    assert_eq!(again.trace_json(), w.trace_json());
}

/// A 3-node cluster takes in two learners, then swaps two of its three voters for them in one
/// change, so that the two voters left out are a majority of the old configuration. Raft goes
/// through joint consensus and nothing breaks; the deliberately broken node that switches at
/// once lets the old majority elect its own leader and commit other entries, and the monitor
/// catches both the switch and its consequence.
fn swap_two_of_three(bug: Option<consensus_lab::protocols::raft::Bug>) -> Box<dyn Sim> {
    let mut s = default_scenario("raft", 1).unwrap();
    s.sim_mut().nodes = 3;
    if let consensus_lab::protocols::AnyScenario::Raft(r) = &mut s {
        r.protocol.bug = bug;
    }
    let mut w = s.build().unwrap();
    w.run_until(1_000);
    for _ in [3, 4] {
        add_learner(&mut w);
        run_for(&mut w, 500);
    }
    let l = leader(w.as_ref());
    let mut voters = vec![l, 3, 4];
    voters.sort_unstable();
    w.act(control(l, "SetVoters", None, voters)).unwrap();
    put(&mut w, "x");
    // The moment the leader has committed the change and the two left out have not heard so:
    // they are cut off from the rest.
    let out: Vec<usize> = (0..3).filter(|&n| n != l).collect();
    let commit = |w: &dyn Sim, n: usize| w.view(n).log_state.unwrap().commit;
    let before = commit(w.as_ref(), l);
    while commit(w.as_ref(), l) == before && w.step() {}
    assert!(out.iter().all(|&n| commit(w.as_ref(), n) == before));
    let rest = vec![l, 3, 4];
    w.act(Action::Partition {
        groups: vec![out, rest],
    })
    .unwrap();
    run_for(&mut w, 8_000);
    w
}

#[test]
fn switching_voters_without_joint_consensus_is_caught() {
    let safe = swap_two_of_three(None);
    assert!(safe.violations().is_empty(), "{:?}", safe.violations());
    let broken = swap_two_of_three(Some(consensus_lab::protocols::raft::Bug::JointQuorum));
    let v = broken.violations();
    // The switch itself is caught as it is applied; what it allows, the old majority
    // electing a leader without the committed entries, is caught too.
    let properties: Vec<&str> = v.iter().map(|v| v.property.as_str()).collect();
    assert_eq!(
        properties.first(),
        Some(&"unsafe configuration change"),
        "{v:?}"
    );
    assert!(properties.contains(&"leader completeness"), "{v:?}");
    println!("{v:?}");
}

/// A change raft-rs would drop without a word is refused with the reason: a second change while
/// the first is not applied, and one that leaves no voter. The refused command stays recorded,
/// so that a replay refuses it again.
#[test]
fn a_change_raft_rs_would_drop_is_refused_with_its_reason() {
    let mut w = raft(1);
    w.run_until(1_500);
    let l = add_learner(&mut w);
    let new = w.node_count() - 1;
    let again = w.act(control(l, "Remove", Some(new), vec![]));
    let why = again.expect_err("a change is pending");
    assert!(why.contains("one configuration change at a time"), "{why}");
    run_for(&mut w, 1_000);
    assert_eq!(
        kind(w.as_ref(), new),
        MemberKind::Learner,
        "the first change went through"
    );
    let l = leader(w.as_ref());
    w.act(control(l, "SetVoters", None, vec![l])).unwrap();
    run_for(&mut w, 2_000);
    let l = leader(w.as_ref());
    let why = (w.act(control(l, "Remove", Some(l), vec![]))).expect_err("the last voter cannot go");
    assert!(why.contains("without a voter"), "{why}");
    assert_eq!(kind(w.as_ref(), l), MemberKind::Voter);
    // Replayed from its recorded actions, the run is the same, refusals included.
    let mut again = w.rebuild().unwrap();
    again.run_until(w.now());
    assert_eq!(again.trace_json(), w.trace_json());
}
