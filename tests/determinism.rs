//! The same scenario gives the same run: twice in one process, after a replay of recorded user
//! actions (what rewind does), and on native and wasm32 alike (the digest in
//! tests/golden/trace-digest.txt is written by the native run and checked by both).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use consensus_lab::engine::{Action, Control, KvOp, World};
use consensus_lab::protocols::raft::RaftConfig;
use consensus_lab::protocols::raft::RaftNode;
use consensus_lab::runner::{scenario, Faults, Protocol, RunOptions};

fn options(seed: u64) -> RunOptions {
    RunOptions {
        nodes: 5,
        seed,
        time_ms: 10_000,
        faults: Faults::Random,
        protocol: Protocol::Raft(RaftConfig::default()),
    }
}

fn trace_json(world: &World<RaftNode>) -> String {
    serde_json::to_string(world.trace()).unwrap()
}

fn run(seed: u64) -> World<RaftNode> {
    let mut w = World::<RaftNode>::new(scenario(&options(seed), RaftConfig::default())).unwrap();
    w.run_until(10_000);
    w
}

/// Membership changes and log compaction among the random faults, as `lab explore
/// --membership` runs them.
fn run_membership(seed: u64) -> World<RaftNode> {
    let raft = RaftConfig {
        pre_vote: true,
        check_quorum: true,
        compact_after: 10,
        ..RaftConfig::default()
    };
    let o = RunOptions {
        time_ms: 20_000,
        faults: Faults::RandomWithMembership,
        protocol: Protocol::Raft(raft.clone()),
        ..options(seed)
    };
    let mut w = World::<RaftNode>::new(scenario(&o, raft)).unwrap();
    w.run_until(20_000);
    w
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

#[test]
fn same_seed_same_trace_byte_for_byte() {
    let (a, b) = (run(7), run(7));
    assert!(a.trace().len() > 1000);
    assert_eq!(trace_json(&a), trace_json(&b));
    assert_ne!(
        trace_json(&a),
        trace_json(&run(8)),
        "a different seed gives a different run"
    );
}

/// Line 1: seed 7 with random faults; line 2: seed 8 with membership changes and snapshots.
#[test]
fn trace_digests_match_the_native_golden_values() {
    let m = run_membership(8);
    let (changes, installed) = (m.monitor().conf_changes(), m.monitor().snapshots_installed);
    assert!(
        changes >= 3 && installed >= 3,
        "{changes} changes, {installed} snapshots installed"
    );
    let digests = [run(7), m].map(|w| format!("{:016x}", fnv(&trace_json(&w))));
    let digests = digests.join("\n");
    let golden_path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/trace-digest.txt");
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(golden_path, format!("{digests}\n")).unwrap();
    }
    let golden = include_str!("golden/trace-digest.txt").trim();
    assert_eq!(digests, golden, "the traces changed (or differ on this platform); if the engine changed on purpose, regenerate {golden_path} natively with UPDATE_GOLDEN=1");
}

/// Acting live, then rebuilding the world from its recorded scenario, lands in the same state:
/// this is how the app rewinds and how shared sessions replay.
#[test]
fn replaying_recorded_user_actions_reproduces_the_run() {
    let mut opts = options(3);
    opts.faults = Faults::None;
    let mut live = World::<RaftNode>::new(scenario(&opts, RaftConfig::default())).unwrap();
    live.run_until(2_000);
    let leader = (0..5)
        .find(|&i| live.role(i).0 == "leader")
        .expect("a leader within 2 s");
    live.act(Action::Crash { node: leader }).unwrap();
    live.step();
    live.step();
    live.act(Action::Partition {
        groups: vec![vec![0, 1], vec![2, 3, 4]],
    })
    .unwrap();
    live.run_until(4_000);
    live.act(Action::Request {
        node: None,
        op: KvOp::Put {
            key: "x".into(),
            value: "1".into(),
        },
    })
    .unwrap();
    live.act(Action::Control {
        node: (leader + 1) % 5,
        cmd: Control {
            name: "Campaign".into(),
            peer: None,
            list: vec![],
        },
    })
    .unwrap();
    live.run_until(6_000);
    live.act(Action::HealAll).unwrap();
    live.run_until(8_000);

    let mut replay = World::<RaftNode>::new(live.scenario().clone()).unwrap();
    replay.run_until(8_000);
    assert_eq!(trace_json(&live), trace_json(&replay));
    for i in 0..5 {
        assert_eq!(live.view(i), replay.view(i));
    }

    // Rewinding to an earlier moment shows exactly what was live then.
    let mut at_5s = World::<RaftNode>::new(live.scenario().clone()).unwrap();
    at_5s.run_until(5_000);
    let prefix: Vec<_> = live
        .trace()
        .iter()
        .filter(|e| e.t <= 5_000)
        .map(|e| serde_json::to_string(&e).unwrap())
        .collect();
    let rewound: Vec<_> = at_5s
        .trace()
        .iter()
        .map(|e| serde_json::to_string(&e).unwrap())
        .collect();
    assert_eq!(prefix, rewound);
}

/// Acting at an earlier moment discards the recorded future and continues from there.
#[test]
fn acting_in_the_past_forks_a_new_future() {
    let mut opts = options(4);
    opts.faults = Faults::None;
    let mut w = World::<RaftNode>::new(scenario(&opts, RaftConfig::default())).unwrap();
    w.run_until(1_000);
    w.act(Action::Crash { node: 0 }).unwrap();
    w.run_until(3_000);
    w.act(Action::Crash { node: 1 }).unwrap();
    let mut past = World::<RaftNode>::new(w.scenario().clone()).unwrap();
    past.run_until(2_000);
    past.act(Action::Restart { node: 0 }).unwrap();
    assert_eq!(
        past.scenario().actions.len(),
        2,
        "the crash of n1 at 3 s is gone"
    );
    past.run_until(4_000);
    assert_ne!(past.role(1).0, "down");
    assert_ne!(past.role(0).0, "down");
}

/// The page runs a heavy frame in budgeted slices (`run_toward`): however the run is cut, it
/// is the run `run_until` makes.
#[test]
fn running_in_slices_is_the_same_run() {
    let mut w = World::<RaftNode>::new(scenario(&options(7), RaftConfig::default())).unwrap();
    let mut slices = 0;
    for (i, t) in (0..=10_000).step_by(250).enumerate() {
        // Budgets of 1 to 97 events, so that slices end anywhere.
        while !w.run_toward(t, 1 + (i as u64 * 37) % 97) {
            slices += 1;
        }
        assert_eq!(w.now(), t);
    }
    assert!(slices > 100, "the budgets cut the run ({slices} slices)");
    assert_eq!(trace_json(&w), trace_json(&run(7)));
}
