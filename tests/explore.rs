#![cfg(not(target_arch = "wasm32"))]
//! The exploration runs, as tests: thousands of random fault schedules per
//! configuration, every safety property, linearizability and liveness checked per seed; and
//! deliberately broken nodes that the checks must catch.

use consensus_lab::protocols::causal::{CausalBug, CausalConfig};
use consensus_lab::protocols::gossip::GossipConfig;
use consensus_lab::protocols::raft::{Bug, RaftConfig};
use consensus_lab::runner::{run, Faults, Protocol, RunOptions, Summary};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Runs seeds 1..=count on all cores; returns the summary and the first failing seed.
fn explore(
    nodes: usize,
    protocol: Protocol,
    count: u64,
    stop_at_first: bool,
) -> (Summary, Option<(u64, String)>) {
    explore_with(
        nodes,
        protocol,
        count,
        stop_at_first,
        Faults::Random,
        30_000,
    )
}

fn explore_with(
    nodes: usize,
    protocol: Protocol,
    count: u64,
    stop_at_first: bool,
    faults: Faults,
    time_ms: u64,
) -> (Summary, Option<(u64, String)>) {
    let next = AtomicU64::new(1);
    let result = Mutex::new((Summary::default(), None::<(u64, String)>));
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed > count || (stop_at_first && result.lock().unwrap().1.is_some()) {
                    break;
                }
                let o = RunOptions {
                    nodes,
                    seed,
                    time_ms,
                    faults,
                    protocol: protocol.clone(),
                };
                let r = run(&o, false).unwrap();
                let mut res = result.lock().unwrap();
                res.0.add(&r.summary);
                if let Some(p) = r.problems.first() {
                    if res.1.as_ref().is_none_or(|(s, _)| seed < *s) {
                        res.1 = Some((seed, format!("{}: {}", p.property, p.detail)));
                    }
                }
            });
        }
    });
    result.into_inner().unwrap()
}

fn assert_clean(nodes: usize, raft: RaftConfig) {
    let (s, failure) = explore(nodes, Protocol::Raft(raft), 2000, true);
    assert_eq!(failure, None, "a seed broke a property");
    println!("{nodes} nodes: {}", serde_json::to_string(&s).unwrap());
    assert_eq!(s.schedules, 2000);
    // The faults really bit, and clients still made progress.
    assert!(
        s.crashes > 1000 && s.partitions > 1000 && s.leader_changes > 1000,
        "{s:?}"
    );
    assert!(s.messages_dropped > 10_000, "{s:?}");
    assert!(s.ops_ok > 100 * s.schedules, "{s:?}");
    assert_eq!(
        s.stale_reads, 0,
        "a linearizable store never serves a stale read"
    );
}

#[test]
fn five_nodes_survive_2000_random_fault_schedules() {
    assert_clean(5, RaftConfig::default());
}

#[test]
fn three_nodes_survive_2000_random_fault_schedules() {
    assert_clean(3, RaftConfig::default());
}

#[test]
fn seven_nodes_survive_2000_random_fault_schedules() {
    assert_clean(7, RaftConfig::default());
}

#[test]
fn pre_vote_and_check_quorum_survive_2000_random_fault_schedules() {
    assert_clean(
        5,
        RaftConfig {
            pre_vote: true,
            check_quorum: true,
            ..RaftConfig::default()
        },
    );
}

#[test]
fn a_node_that_forgets_its_vote_is_caught() {
    let buggy = RaftConfig {
        bug: Some(Bug::ForgetVoteOnRestart),
        ..RaftConfig::default()
    };
    let (_, failure) = explore(3, Protocol::Raft(buggy), 400, true);
    let (seed, what) = failure.expect("forgetting votes must break something within 400 seeds");
    println!("caught at seed {seed}: {what}");
}

#[test]
fn a_node_that_acknowledges_before_commit_is_caught() {
    let buggy = RaftConfig {
        bug: Some(Bug::AckBeforeCommit),
        ..RaftConfig::default()
    };
    let (_, failure) = explore(5, Protocol::Raft(buggy), 200, true);
    let (seed, what) = failure.expect("early acknowledgements must be caught within 200 seeds");
    assert!(
        what.starts_with("acknowledged write lost") || what.starts_with("linearizability"),
        "{what}"
    );
    println!("caught at seed {seed}: {what}");
}

#[test]
fn gossip_converges_after_2000_random_fault_schedules_and_serves_stale_reads() {
    let (s, failure) = explore(5, Protocol::Gossip(GossipConfig::default()), 2000, true);
    assert_eq!(failure, None);
    println!("gossip: {}", serde_json::to_string(&s).unwrap());
    assert_eq!(
        s.converged, 2000,
        "every schedule converged after its faults healed"
    );
    assert!(
        s.stale_reads > 0,
        "the faults bit: clients read overwritten values"
    );
    assert!(s.crashes > 1000 && s.partitions > 1000, "{s:?}");
}

#[test]
fn causal_stays_causal_and_converges_over_2000_random_fault_schedules() {
    let (s, failure) = explore(5, Protocol::Causal(CausalConfig::default()), 2000, true);
    assert_eq!(failure, None);
    println!("causal: {}", serde_json::to_string(&s).unwrap());
    assert_eq!(s.converged, 2000);
    assert!(s.crashes > 1000 && s.partitions > 1000, "{s:?}");
}

#[test]
fn a_causal_node_that_skips_dependencies_is_caught() {
    let (_, failure) = explore(
        5,
        Protocol::Causal(CausalConfig {
            bug: Some(CausalBug::NoDependencyWait),
            ..CausalConfig::default()
        }),
        400,
        true,
    );
    let (seed, what) =
        failure.expect("delivering before dependencies must break causality within 400 seeds");
    assert!(what.starts_with("causal consistency"), "{what}");
    println!("caught at seed {seed}: {what}");
}

#[test]
fn gossip_with_multi_value_registers_converges_too() {
    let mv = GossipConfig {
        multi_value: true,
        ..GossipConfig::default()
    };
    let (s, failure) = explore(5, Protocol::Gossip(mv), 500, true);
    assert_eq!(failure, None);
    assert_eq!(s.converged, 500);
}

/// Membership changes (nodes added, promoted, demoted, removed, several voters at once,
/// leadership handed over) and log compaction among the random faults, as `lab explore
/// --membership` runs them (pre-vote and check-quorum on, compaction every 10 entries): no
/// property breaks, and the changes, snapshots and transfers really happen. The README's
/// figures are 2,000 seeds per size; here 500, to keep the suite's time.
#[test]
fn membership_changes_and_compaction_break_nothing() {
    for nodes in [3, 5, 7] {
        let raft = RaftConfig {
            pre_vote: true,
            check_quorum: true,
            compact_after: 10,
            ..RaftConfig::default()
        };
        let membership = Faults::RandomWithMembership;
        let (s, failure) = explore_with(nodes, Protocol::Raft(raft), 500, true, membership, 30_000);
        assert_eq!(failure, None, "{nodes} nodes: a seed broke a property");
        println!("{nodes} nodes: {}", serde_json::to_string(&s).unwrap());
        assert!(
            s.conf_changes > 100 && s.snapshots_installed > 100 && s.leader_transfers > 100,
            "{s:?}"
        );
    }
}

/// The node that switches several voters at once without joint consensus is caught by the
/// random schedule of `lab explore --membership`, for every cluster size.
#[test]
fn a_node_that_skips_joint_consensus_is_caught() {
    for nodes in [3, 5, 7] {
        let buggy = RaftConfig {
            pre_vote: true,
            check_quorum: true,
            compact_after: 10,
            bug: Some(Bug::JointQuorum),
            ..RaftConfig::default()
        };
        let membership = Faults::RandomWithMembership;
        let (_, failure) =
            explore_with(nodes, Protocol::Raft(buggy), 100, true, membership, 30_000);
        let (seed, what) =
            failure.expect("skipping joint consensus must be caught within 100 seeds");
        assert!(what.starts_with("unsafe configuration change"), "{what}");
        println!("{nodes} nodes: caught at seed {seed}: {what}");
    }
}

/// SWIM under the random faults: after the heal every member comes to the same view, everyone
/// alive, in every schedule (60 s runs: SWIM's quiet end is 20 s); crashes long enough to be
/// noticed are detected.
#[test]
fn swim_members_agree_again_after_500_random_fault_schedules() {
    let swim = Protocol::Swim(consensus_lab::protocols::swim::SwimConfig::default());
    let (s, failure) = explore_with(8, swim, 500, false, Faults::Random, 60_000);
    assert_eq!(failure, None);
    println!("{}", serde_json::to_string(&s).unwrap());
    assert_eq!(s.converged, 500);
    assert!(s.detections > 100 && s.false_suspicions > 0, "{s:?}");
}

/// Consul: the servers' Raft stays safe and consistent reads linearizable; stale reads do
/// happen (the faults bite); the agent stopped for good at the heal is deregistered by the
/// end. With a leader that reconciles the catalog too rarely, the check catches the listing
/// left behind; with servers that acknowledge writes early, the lost writes.
#[test]
fn consul_stays_safe_and_deregisters_the_dead_over_300_random_fault_schedules() {
    use consensus_lab::protocols::consul::ConsulConfig;
    let consul = |c: ConsulConfig| Protocol::Consul(c);
    let (s, failure) = explore_with(
        8,
        consul(ConsulConfig::default()),
        300,
        false,
        Faults::Random,
        60_000,
    );
    assert_eq!(failure, None);
    println!("{}", serde_json::to_string(&s).unwrap());
    assert_eq!(s.stale_reads_by_mode.consistent, 0);
    assert!(s.stale_reads_by_mode.stale > 0, "{s:?}");
    assert_eq!(s.deregistered_after_heal, Some(true));
    assert!(s.deregistration_ms_max > 0 && s.detections > 100, "{s:?}");

    // One reconcile, at 35 s: before the heal at 40 s, none after.
    let lazy = ConsulConfig {
        reconcile_ticks: 700,
        ..ConsulConfig::default()
    };
    let (s, failure) = explore_with(8, consul(lazy), 20, true, Faults::Random, 60_000);
    let (_, why) = failure.expect("a listing left behind is caught");
    assert!(
        why.starts_with("catalog: ") && why.contains("still lists"),
        "{why}"
    );
    assert_eq!(s.deregistered_after_heal, Some(false));

    let early = ConsulConfig {
        raft: RaftConfig {
            bug: Some(Bug::AckBeforeCommit),
            ..ConsulConfig::default().raft
        },
        ..ConsulConfig::default()
    };
    let (_, failure) = explore_with(8, consul(early), 50, true, Faults::Random, 60_000);
    let (_, why) = failure.expect("lost acknowledged writes are caught");
    assert!(
        why.starts_with("acknowledged write lost: ") || why.starts_with("linearizability: "),
        "{why}"
    );
}
