//! Headless runs: a cluster under a steady client load and (optionally) a random fault
//! schedule, checked for safety, linearizability and liveness. The `lab` binary and the tests
//! use this; it runs on wasm32 too.

mod faults;

pub use faults::random_faults;

use crate::check::linearizability;
use crate::engine::{History, Outcome, Scenario, SimConfig, Violation, World};
use crate::protocols::raft::{RaftConfig, RaftNode};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Faults {
    None,
    Random,
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub nodes: usize,
    pub seed: u64,
    pub time_ms: u64,
    pub faults: Faults,
    pub raft: RaftConfig,
}

/// When the random faults end (all healed): leaves the last third (at most 10 s) quiet, so
/// that liveness can be judged.
pub fn heal_time(time_ms: u64) -> u64 {
    time_ms - (time_ms / 3).min(10_000)
}

pub fn scenario(o: &RunOptions) -> Scenario<RaftConfig> {
    let mut sim = SimConfig {
        nodes: o.nodes,
        ..SimConfig::default()
    };
    sim.clients.load = true;
    sim.clients.count = 5;
    sim.clients.keys = 5;
    sim.clients.think_ms = (20, 120);
    let mut s = Scenario::new(o.seed, sim, o.raft.clone());
    if o.faults == Faults::Random {
        s.actions = random_faults(o.seed, o.nodes, 1_000, heal_time(o.time_ms));
    }
    s
}

/// Figures of one run; summed over runs by `explore`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub schedules: u64,
    pub violations: u64,
    pub elections: u64,
    pub leader_changes: u64,
    pub crashes: u64,
    pub partitions: u64,
    pub ops_ok: u64,
    pub ops_failed: u64,
    pub ops_indeterminate: u64,
    pub messages_sent: u64,
    pub messages_delivered: u64,
    pub messages_dropped: u64,
    pub sim_ms: u64,
}

impl Summary {
    pub fn add(&mut self, o: &Summary) {
        self.schedules += o.schedules;
        self.violations += o.violations;
        self.elections += o.elections;
        self.leader_changes += o.leader_changes;
        self.crashes += o.crashes;
        self.partitions += o.partitions;
        self.ops_ok += o.ops_ok;
        self.ops_failed += o.ops_failed;
        self.ops_indeterminate += o.ops_indeterminate;
        self.messages_sent += o.messages_sent;
        self.messages_delivered += o.messages_delivered;
        self.messages_dropped += o.messages_dropped;
        self.sim_ms += o.sim_ms;
    }
}

pub struct RunResult {
    pub world: World<RaftNode>,
    pub summary: Summary,
    /// Safety violations, linearizability failure and liveness failure, in that order.
    pub problems: Vec<Violation>,
}

pub fn run_raft(o: &RunOptions) -> Result<RunResult, String> {
    let mut world = World::<RaftNode>::new(scenario(o))?;
    // After the faults heal, run in 10 ms slices to see since when the same node leads.
    let healed_at = heal_time(o.time_ms);
    world.run_until(healed_at);
    let mut leader: Option<(usize, u64)> = None;
    let mut leader_since = None;
    while world.now() < o.time_ms {
        let now_leader = (0..o.nodes)
            .map(|i| (i, world.role(i)))
            .filter(|(_, r)| r.0 == "leader")
            .max_by_key(|(_, r)| r.1)
            .map(|(i, r)| (i, r.1));
        if now_leader != leader {
            leader = now_leader;
            leader_since = now_leader.map(|_| world.now());
        }
        world.run_until((world.now() + 10).min(o.time_ms));
    }
    let mut problems: Vec<Violation> = world.violations().to_vec();
    let verdict = linearizability::check(world.history());
    if !verdict.linearizable {
        let f = verdict
            .failure
            .as_ref()
            .expect("a failure explains a negative verdict");
        let ops: Vec<String> = f
            .stuck
            .iter()
            .take(6)
            .map(|&i| describe_op(world.history(), i))
            .collect();
        problems.push(Violation {
            t: o.time_ms,
            property: "linearizability".into(),
            detail: format!(
                "key {}: ordered {} of {} operations; cannot place {}",
                f.key,
                f.linearized,
                f.of,
                ops.join(", ")
            ),
        });
    }
    if o.faults == Faults::Random {
        if let Err(detail) = liveness(&world, healed_at, leader_since, o.time_ms) {
            problems.push(Violation {
                t: o.time_ms,
                property: "liveness".into(),
                detail,
            });
        }
    }
    let h = world.history();
    let st = world.stats();
    let m = world.monitor();
    let summary = Summary {
        schedules: 1,
        violations: problems.len() as u64,
        elections: m.elections,
        leader_changes: m.leader_changes,
        crashes: st.crashes,
        partitions: st.partitions,
        ops_ok: h.count(|op| matches!(op.outcome, Some(Outcome::Ok { .. }))) as u64,
        ops_failed: h.count(|op| op.outcome == Some(Outcome::Fail)) as u64,
        ops_indeterminate: h.count(|op| matches!(op.outcome, Some(Outcome::Info) | None)) as u64,
        messages_sent: st.messages_sent,
        messages_delivered: st.messages_delivered,
        messages_dropped: st.messages_dropped,
        sim_ms: o.time_ms,
    };
    Ok(RunResult {
        world,
        summary,
        problems,
    })
}

pub fn describe_op(h: &History, i: usize) -> String {
    let op = &h.ops[i];
    let outcome = match &op.outcome {
        Some(Outcome::Ok { value: Some(v) }) => format!("read {v:?}"),
        Some(Outcome::Ok { value: None }) if op.cas_failed => "cas did not match".into(),
        Some(Outcome::Ok { value: None }) => "ok".into(),
        Some(Outcome::Fail) => "failed".into(),
        Some(Outcome::Info) | None => "unknown".into(),
    };
    let end = op.complete_t.map_or("…".into(), |t| t.to_string());
    format!(
        "[client {} {} → {outcome}, {}..{} ms]",
        op.client, op.op, op.invoke_t, end
    )
}

/// After the faults heal, a leader must be elected and stay (early enough that clients had a
/// full timeout left), and every operation invoked since it leads must succeed.
fn liveness(
    world: &World<RaftNode>,
    healed_at: u64,
    leader_since: Option<u64>,
    end: u64,
) -> Result<(), String> {
    let timeout = world.scenario().sim.clients.timeout_ms;
    let from = match leader_since {
        Some(t) if t + timeout < end => t,
        _ => {
            return Err(format!(
                "no stable leader within {} ms after the faults healed at {healed_at} ms",
                end - timeout - healed_at
            ))
        }
    };
    let h = world.history();
    for (i, op) in h.ops.iter().enumerate() {
        if op.invoke_t >= from
            && op.invoke_t + timeout < end
            && !matches!(op.outcome, Some(Outcome::Ok { .. }))
        {
            return Err(format!(
                "a leader exists since {from} ms, yet {} did not succeed",
                describe_op(h, i)
            ));
        }
    }
    Ok(())
}
