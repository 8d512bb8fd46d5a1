//! What the user can do to one message in flight: hold it past its time and release it, drop
//! it, duplicate it, and keep it from a paused node; and that a session doing all of that
//! replays identically (rewind and shared links rebuild the world from the recorded actions).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use consensus_lab::engine::{Action, DropReason, MsgId, Scenario, SimConfig, TraceKind, World};
use consensus_lab::protocols::raft::{RaftConfig, RaftNode};

fn world() -> World<RaftNode> {
    let mut w = World::<RaftNode>::new(Scenario::new(
        11,
        SimConfig::default(),
        RaftConfig::default(),
    ))
    .unwrap();
    // A leader is elected and heartbeats flow.
    w.run_until(3_000);
    w
}

/// The oldest message in flight, stepping until there is one: (id, from, to, deliver_at).
fn first_in_flight(w: &mut World<RaftNode>) -> (MsgId, usize, usize, u64) {
    while w.in_flight().is_empty() {
        assert!(w.step(), "the run goes on");
    }
    let e = w.in_flight()[0];
    (e.id, e.from, e.to, e.deliver_at)
}

fn delivered_at(w: &World<RaftNode>, id: MsgId) -> Vec<u64> {
    w.trace()
        .iter()
        .filter(|e| matches!(e.kind, TraceKind::Deliver { id: d, .. } if d == id))
        .map(|e| e.t)
        .collect()
}

fn dropped(w: &World<RaftNode>, id: MsgId, why: DropReason) -> bool {
    w.trace().iter().any(
        |e| matches!(e.kind, TraceKind::Drop { id: d, reason, .. } if d == id && reason == why),
    )
}

fn in_flight(w: &World<RaftNode>, id: MsgId) -> bool {
    w.in_flight().iter().any(|e| e.id == id)
}

#[test]
fn a_held_message_waits_past_its_time_until_released() {
    let mut w = world();
    let (id, _, _, due) = first_in_flight(&mut w);
    w.act(Action::HoldMessage { id }).unwrap();
    w.run_until(due + 500);
    assert!(delivered_at(&w, id).is_empty(), "held: not delivered");
    assert!(w.message(id).is_some_and(|e| e.held), "still in flight");
    w.act(Action::ReleaseMessage { id }).unwrap();
    w.run_until(due + 501);
    assert_eq!(
        delivered_at(&w, id),
        vec![due + 500],
        "delivered on release"
    );
    assert!(!in_flight(&w, id));
}

#[test]
fn released_before_its_time_a_message_keeps_its_delivery_time() {
    let mut w = world();
    let (id, _, _, due) = first_in_flight(&mut w);
    w.act(Action::HoldMessage { id }).unwrap();
    w.act(Action::ReleaseMessage { id }).unwrap();
    w.run_until(due);
    assert_eq!(delivered_at(&w, id), vec![due]);
}

#[test]
fn a_dropped_message_is_never_delivered_and_a_duplicate_arrives_as_well() {
    let mut w = world();
    let (id, from, to, due) = first_in_flight(&mut w);
    w.act(Action::DuplicateMessage { id }).unwrap();
    let copy = w.in_flight().iter().map(|e| e.id).max().unwrap();
    assert!(copy > id);
    let c = w.message(copy).unwrap();
    assert_eq!((c.from, c.to), (from, to));
    w.act(Action::DropMessage { id }).unwrap();
    assert!(!in_flight(&w, id));
    assert!(w
        .act(Action::DropMessage { id })
        .unwrap_err()
        .contains("no longer in flight"));
    w.run_until(due + 100);
    assert!(delivered_at(&w, id).is_empty());
    assert_eq!(delivered_at(&w, copy).len(), 1);
    assert!(dropped(&w, id, DropReason::User));
}

#[test]
fn a_paused_node_gets_its_messages_on_resume_and_loses_them_on_crash() {
    let mut w = world();
    let (id, _, to, due) = first_in_flight(&mut w);
    w.act(Action::Pause { node: to }).unwrap();
    w.run_until(due + 200);
    assert!(delivered_at(&w, id).is_empty());
    assert!(in_flight(&w, id), "waits for the paused node");
    w.act(Action::Resume { node: to }).unwrap();
    w.run_until(due + 201);
    assert_eq!(delivered_at(&w, id), vec![due + 200]);

    let (id, _, to, due) = first_in_flight(&mut w);
    w.act(Action::Pause { node: to }).unwrap();
    w.run_until(due + 10);
    w.act(Action::Crash { node: to }).unwrap();
    assert!(!in_flight(&w, id));
    assert!(dropped(&w, id, DropReason::NodeDown));
}

#[test]
fn a_session_of_message_faults_replays_identically() {
    let mut live = world();
    let (a, _, to, _) = first_in_flight(&mut live);
    live.act(Action::Pause { node: to }).unwrap();
    live.act(Action::HoldMessage { id: a }).unwrap();
    live.run_until(3_100);
    let (b, ..) = first_in_flight(&mut live);
    live.act(Action::DropMessage { id: b }).unwrap();
    let (c, ..) = first_in_flight(&mut live);
    live.act(Action::DuplicateMessage { id: c }).unwrap();
    live.step();
    live.act(Action::Resume { node: to }).unwrap();
    live.run_until(3_300);
    live.act(Action::HealAll).unwrap();
    live.run_until(4_000);

    let mut replay = World::<RaftNode>::new(live.scenario().clone()).unwrap();
    replay.run_until(4_000);
    assert_eq!(
        serde_json::to_string(live.trace()).unwrap(),
        serde_json::to_string(replay.trace()).unwrap()
    );
    assert_eq!(live.steps(), replay.steps());
}

/// A user's duplicate travels its link like a message sent at that moment: on a link that keeps
/// order (FIFO, as TCP), the copy arrives after everything already on its way there, however
/// the link's jitter falls, and no earlier than the link's latency from now.
#[test]
fn a_duplicate_keeps_its_links_order() {
    let mut sim = SimConfig::default();
    sim.link.latency_ms = 10;
    sim.link.jitter_ms = 60;
    let mut w = World::<RaftNode>::new(Scenario::new(5, sim, RaftConfig::default())).unwrap();
    w.run_until(2_000);
    let mut checked = 0;
    while checked < 40 {
        let (id, from, to, _) = first_in_flight(&mut w);
        let ahead = (w.in_flight().iter())
            .filter(|e| (e.from, e.to) == (from, to))
            .map(|e| e.deliver_at)
            .max()
            .unwrap();
        w.act(Action::DuplicateMessage { id }).unwrap();
        let copy = w.in_flight().iter().map(|e| e.id).max().unwrap();
        let at = w.message(copy).unwrap().deliver_at;
        assert!(
            at >= ahead,
            "the copy of {id} arrives at {at}, before {ahead}"
        );
        assert!(at >= w.now() + 10);
        checked += 1;
        w.run_until(w.now() + 37);
    }
}
