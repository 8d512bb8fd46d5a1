//! Headless runs: a cluster under a steady client load and (optionally) a random fault
//! schedule, then judged: Raft for safety (live), linearizability and liveness; gossip and
//! causal for convergence, stale reads and (causal) causal consistency. The `lab` binary and
//! the tests use this; it runs on wasm32 too.

mod faults;

pub use faults::{random_faults, random_membership};

use crate::check::raft_safety::RaftMonitor;
use crate::check::{eventual, linearizability};
use crate::engine::limits::{within, NODES};
use crate::engine::{
    Action, Description, History, Node, Outcome, QueryMode, Scenario, SimConfig, Status,
    TimedAction, Violation, World,
};
use crate::protocols::causal::{CausalConfig, CausalNode};
use crate::protocols::consul::{service_key, ConsulConfig, ConsulNode, SERVICE};
use crate::protocols::gossip::{GossipConfig, GossipNode};
use crate::protocols::raft::{RaftConfig, RaftNode};
use crate::protocols::swim::{SwimConfig, SwimMonitor, SwimNode};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Faults {
    None,
    Random,
    /// The random faults, and Raft membership changes among them.
    RandomWithMembership,
}

impl Faults {
    pub fn random(self) -> bool {
        self != Faults::None
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Protocol {
    Raft(RaftConfig),
    Gossip(GossipConfig),
    Causal(CausalConfig),
    Swim(SwimConfig),
    Consul(ConsulConfig),
}

impl Protocol {
    pub fn description(&self) -> &'static Description {
        match self {
            Protocol::Raft(_) => RaftNode::DESCRIPTION,
            Protocol::Gossip(_) => GossipNode::DESCRIPTION,
            Protocol::Causal(_) => CausalNode::DESCRIPTION,
            Protocol::Swim(_) => SwimNode::DESCRIPTION,
            Protocol::Consul(_) => ConsulNode::DESCRIPTION,
        }
    }

    pub fn name(&self) -> &'static str {
        self.description().name
    }
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub nodes: usize,
    pub seed: u64,
    pub time_ms: u64,
    pub faults: Faults,
    pub protocol: Protocol,
}

/// The most work one run may take, in node-minutes of simulated time: every node keeps its
/// whole log, about 0.2 MB per node-minute under the steady load (64 nodes for 30 minutes held
/// 417 MB).
pub const MAX_NODE_MINUTES: u64 = 2_000;
/// The same with the trace kept: about 3.5 MB per node-minute, in memory and then in the file
/// (9 Raft nodes for 10 minutes: 336 MB, a 262 MB file).
pub const MAX_TRACED_NODE_MINUTES: u64 = 100;

fn node_minutes(o: &RunOptions) -> u64 {
    (o.nodes as u64).saturating_mul(o.time_ms.div_ceil(60_000))
}

/// Whether the trace of this run fits in memory, written out.
pub fn trace_fits(o: &RunOptions) -> Result<(), String> {
    if node_minutes(o) > MAX_TRACED_NODE_MINUTES {
        return Err(format!(
            "a traced run may take at most {MAX_TRACED_NODE_MINUTES} node-minutes (about 3.5 MB of trace each); {} nodes for {} min is {}",
            o.nodes,
            o.time_ms.div_ceil(60_000),
            node_minutes(o)
        ));
    }
    Ok(())
}

/// The shortest run with random faults: its quiet last third must leave time for an election
/// and for a client's timeout after the heal, or liveness cannot be judged.
pub const MIN_FAULTY_RUN_MS: u64 = 18_000;

impl RunOptions {
    /// Whether this run can be made and judged (what `run` refuses).
    pub fn validate(&self) -> Result<(), String> {
        within("nodes", self.nodes, NODES.0, NODES.1)?;
        if self.time_ms == 0 || node_minutes(self) > MAX_NODE_MINUTES {
            return Err(format!(
                "a run may take at most {MAX_NODE_MINUTES} node-minutes (about 0.2 MB each); {} nodes for {} min is {}",
                self.nodes,
                self.time_ms.div_ceil(60_000),
                node_minutes(self)
            ));
        }
        if self.faults.random() && self.time_ms < MIN_FAULTY_RUN_MS {
            return Err(format!(
                "a run with random faults needs at least {} s, so that liveness can be judged once they heal (the last third, up to 10 s, is quiet); got {} ms",
                MIN_FAULTY_RUN_MS / 1000,
                self.time_ms
            ));
        }
        Ok(())
    }
}

/// When the random faults end (all healed): leaves the last third (at most 10 s) quiet, so
/// that liveness and convergence can be judged.
pub fn heal_time(time_ms: u64) -> u64 {
    time_ms - (time_ms / 3).min(10_000)
}

/// When this run's faults end: SWIM gets a longer quiet end (a third, up to 20 s), since a
/// suspicion raised just before the heal takes its suspicion timeout (8 s at 32 members) to
/// become a death that the member then refutes.
fn heal_at(o: &RunOptions) -> u64 {
    match o.protocol {
        Protocol::Swim(_) | Protocol::Consul(_) => o.time_ms - (o.time_ms / 3).min(20_000),
        _ => heal_time(o.time_ms),
    }
}

/// The scenario of a run: 5 clients on 5 keys, the fault schedule drawn from the seed. For the
/// replicated stores the load stops when the faults heal, so that they can quiesce and
/// converge; causal clients stay with one replica (their session).
pub fn scenario<C>(o: &RunOptions, protocol: C) -> Scenario<C> {
    let mut sim = SimConfig {
        nodes: o.nodes,
        ..SimConfig::default()
    };
    // A failure detector keeps no data to read or write.
    sim.clients.load = o.protocol.description().clients;
    sim.clients.count = 5;
    sim.clients.keys = 5;
    sim.clients.think_ms = (20, 120);
    sim.clients.sticky = matches!(o.protocol, Protocol::Causal(_));
    sim.clients.query_modes = matches!(o.protocol, Protocol::Consul(_));
    let mut s = Scenario::new(o.seed, sim, protocol);
    if o.faults.random() {
        s.schedule = random_faults(o.seed, o.nodes, 1_000, heal_at(o));
    }
    if o.faults == Faults::RandomWithMembership {
        let changes = random_membership(o.seed, o.nodes, 1_000, heal_at(o));
        s.schedule.extend(changes);
        s.schedule.sort_by_key(|a| a.t);
    }
    // Consul: one agent stops for good as the faults heal; the pool must declare it dead and
    // the leader drop its service from the catalog before the end.
    if let Protocol::Consul(c) = &o.protocol {
        let agents = o.nodes.saturating_sub(c.servers);
        if o.faults.random() && agents > 0 {
            s.schedule.push(TimedAction {
                t: heal_at(o),
                action: Action::Crash {
                    node: c.servers + o.seed as usize % agents,
                },
            });
        }
    }
    if !matches!(o.protocol, Protocol::Raft(_) | Protocol::Consul(_)) {
        s.schedule.push(TimedAction {
            t: heal_at(o),
            action: Action::SetLoad { on: false },
        });
    }
    s
}

/// Figures of one run; summed over runs by `explore` (convergence_ms: the slowest).
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
    /// Schedules whose replicas all held the same state at the end (gossip, causal).
    pub converged: u64,
    /// Time from the heal until the replicas agreed, the slowest schedule (gossip, causal).
    pub convergence_ms: u64,
    /// Reads that returned a value known to be overwritten when the read began, in all and
    /// by the query mode they asked for.
    pub stale_reads: u64,
    pub stale_reads_by_mode: ByMode,
    /// Acknowledged writes that no replica holds at the end and no client ever read: lost to a
    /// last-writer-wins overwrite (gossip, causal).
    pub lww_overwritten: u64,
    /// Raft: configuration changes committed (applied by some node), snapshots leaders sent,
    /// snapshots followers installed, and leaderships handed over.
    pub conf_changes: u64,
    pub snapshots_sent: u64,
    pub snapshots_installed: u64,
    pub leader_transfers: u64,
    /// SWIM: crashes some member declared dead, the longest such detection took (from the
    /// crash to the first declaration), and suspicions and deaths declared of members that
    /// were running at the time.
    pub detections: u64,
    pub detection_ms_max: u64,
    pub false_suspicions: u64,
    pub false_deaths: u64,
    /// Consul: whether, at the end of every schedule, no server's catalog listed a stopped
    /// agent (None for the other protocols), and the longest a stopped agent's service stayed
    /// listed (from the stop to the first server dropping it).
    pub deregistered_after_heal: Option<bool>,
    pub deregistration_ms_max: u64,
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
        self.converged += o.converged;
        self.convergence_ms = self.convergence_ms.max(o.convergence_ms);
        self.stale_reads += o.stale_reads;
        self.stale_reads_by_mode.add(&o.stale_reads_by_mode);
        self.lww_overwritten += o.lww_overwritten;
        self.conf_changes += o.conf_changes;
        self.snapshots_sent += o.snapshots_sent;
        self.snapshots_installed += o.snapshots_installed;
        self.leader_transfers += o.leader_transfers;
        self.detections += o.detections;
        self.detection_ms_max = self.detection_ms_max.max(o.detection_ms_max);
        self.false_suspicions += o.false_suspicions;
        self.false_deaths += o.false_deaths;
        self.deregistered_after_heal =
            match (self.deregistered_after_heal, o.deregistered_after_heal) {
                (Some(a), Some(b)) => Some(a && b),
                (a, b) => a.or(b),
            };
        self.deregistration_ms_max = self.deregistration_ms_max.max(o.deregistration_ms_max);
    }
}

/// A count per query mode (see `QueryMode`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ByMode {
    pub consistent: u64,
    pub default: u64,
    pub stale: u64,
}

impl ByMode {
    fn add(&mut self, o: &ByMode) {
        self.consistent += o.consistent;
        self.default += o.default;
        self.stale += o.stale;
    }
}

pub struct RunReport {
    pub summary: Summary,
    /// Every broken property, safety first.
    pub problems: Vec<Violation>,
    /// The full trace as JSON, when asked for.
    pub trace: Option<String>,
    /// What the clients saw.
    pub history: History,
}

pub fn run(o: &RunOptions, keep_trace: bool) -> Result<RunReport, String> {
    o.validate()?;
    if keep_trace {
        trace_fits(o)?;
    }
    guarded(o, || match &o.protocol {
        Protocol::Raft(c) => run_linearizable::<RaftNode>(o, c.clone(), keep_trace, |w, s, _| {
            raft_figures(w.monitor(), s)
        }),
        Protocol::Consul(c) => {
            run_linearizable::<ConsulNode>(o, c.clone(), keep_trace, consul_catalog)
        }
        Protocol::Gossip(c) => run_store::<GossipNode>(o, c.clone(), keep_trace, |_, _| {}),
        Protocol::Causal(c) => run_store::<CausalNode>(o, c.clone(), keep_trace, |_, _| {}),
        Protocol::Swim(c) => run_store::<SwimNode>(o, c.clone(), keep_trace, |w, s| {
            swim_figures(w.monitor(), s)
        }),
    })
}

/// A protocol library that finds its own invariants broken (raft-rs does, with a deliberately
/// broken node) aborts the run: that is a finding about the seed, reported as a problem, not a
/// reason to stop exploring the others.
fn guarded(
    o: &RunOptions,
    run: impl FnOnce() -> Result<RunReport, String> + std::panic::UnwindSafe,
) -> Result<RunReport, String> {
    std::panic::catch_unwind(run).unwrap_or_else(|payload| {
        let why = (payload.downcast_ref::<String>().map(String::as_str))
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("no message");
        Ok(RunReport {
            summary: Summary {
                schedules: 1,
                sim_ms: o.time_ms,
                violations: 1,
                ..Summary::default()
            },
            problems: vec![Violation {
                t: 0,
                property: "aborted".into(),
                detail: format!("a node panicked: {why}"),
            }],
            trace: None,
            history: History::default(),
        })
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn a_node_that_panics_is_reported_as_a_problem_of_its_seed() {
        let o = RunOptions {
            nodes: 7,
            seed: 334,
            time_ms: 30_000,
            faults: Faults::Random,
            protocol: Protocol::Raft(RaftConfig::default()),
        };
        let r = guarded(&o, || panic!("term(334) must be valid")).unwrap();
        assert_eq!(r.summary.violations, 1);
        assert_eq!(r.problems[0].property, "aborted");
        assert_eq!(
            r.problems[0].detail,
            "a node panicked: term(334) must be valid"
        );
        let fine = guarded(&o, || {
            run(
                &RunOptions {
                    time_ms: 1_000,
                    faults: Faults::None,
                    ..o.clone()
                },
                false,
            )
        });
        assert!(fine.unwrap().problems.is_empty());
    }
}

/// Runs to the heal, then in 10 ms slices to the end, calling `watch` after each slice.
fn run_sliced<N: Node>(
    o: &RunOptions,
    cfg: N::Config,
    keep_trace: bool,
    mut watch: impl FnMut(&World<N>),
) -> Result<World<N>, String> {
    let mut world = World::<N>::new(scenario(o, cfg))?;
    // The trace grows with every message: keep it only when it is asked for.
    world.set_tracing(keep_trace);
    world.run_until(heal_at(o));
    while world.now() < o.time_ms {
        watch(&world);
        world.run_until((world.now() + 10).min(o.time_ms));
    }
    watch(&world);
    Ok(world)
}

fn base_summary<N: Node>(world: &World<N>, o: &RunOptions) -> Summary {
    let h = world.history();
    let st = world.stats();
    let mut stale = eventual::StaleReads::default();
    stale.observe(h);
    let by_mode = ByMode {
        consistent: stale.count_in(QueryMode::Consistent) as u64,
        default: stale.count_in(QueryMode::Default) as u64,
        stale: stale.count_in(QueryMode::Stale) as u64,
    };
    Summary {
        schedules: 1,
        crashes: st.crashes,
        partitions: st.partitions,
        ops_ok: h.count(|op| matches!(op.outcome, Some(Outcome::Ok { .. }))) as u64,
        ops_failed: h.count(|op| op.outcome == Some(Outcome::Fail)) as u64,
        ops_indeterminate: h.count(|op| matches!(op.outcome, Some(Outcome::Info) | None)) as u64,
        messages_sent: st.messages_sent,
        messages_delivered: st.messages_delivered,
        messages_dropped: st.messages_dropped,
        sim_ms: o.time_ms,
        stale_reads: stale.count() as u64,
        stale_reads_by_mode: by_mode,
        ..Summary::default()
    }
}

fn report<N: Node>(
    world: &World<N>,
    mut summary: Summary,
    problems: Vec<Violation>,
    keep_trace: bool,
) -> RunReport {
    summary.violations = problems.len() as u64;
    let trace = keep_trace.then(|| serde_json::to_string(world.trace()).expect("traces serialize"));
    RunReport {
        summary,
        problems,
        trace,
        history: world.history().clone(),
    }
}

/// Raft, and Consul's servers: the monitor's safety properties, linearizability of what clients
/// saw, and liveness after the heal. `figures` adds what the protocol's monitor measured, and
/// any problem of its own.
fn run_linearizable<N: Node>(
    o: &RunOptions,
    cfg: N::Config,
    keep_trace: bool,
    figures: impl FnOnce(&World<N>, &mut Summary, &mut Vec<Violation>),
) -> Result<RunReport, String> {
    // Since when the same node leads (after the heal).
    let mut leader: Option<(usize, u64)> = None;
    let mut leader_since = None;
    let world = run_sliced::<N>(o, cfg, keep_trace, |w| {
        let now_leader = (0..w.node_count())
            .map(|i| (i, w.role(i)))
            .filter(|(_, r)| r.0.leads)
            .max_by_key(|(_, r)| r.1)
            .map(|(i, r)| (i, r.1));
        if now_leader != leader {
            leader = now_leader;
            leader_since = now_leader.map(|_| w.now());
        }
    })?;
    let mut problems: Vec<Violation> = world.violations().to_vec();
    let verdict = linearizability::check(world.history());
    if let Some(f) = &verdict.failure {
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
    if let Some(u) = &verdict.unknown {
        // Not a proof either way, but a run whose history cannot be decided is worth a look.
        problems.push(Violation {
            t: o.time_ms,
            property: "linearizability".into(),
            detail: format!(
                "unknown: gave up after {} configurations (key {} undecided)",
                u.configurations, u.key
            ),
        });
    }
    if o.faults.random() {
        if let Err(detail) = liveness(
            world.history(),
            world.scenario().sim.clients.timeout_ms,
            heal_at(o),
            leader_since,
            o.time_ms,
        ) {
            problems.push(Violation {
                t: o.time_ms,
                property: "liveness".into(),
                detail,
            });
        }
    }
    let mut summary = base_summary(&world, o);
    figures(&world, &mut summary, &mut problems);
    Ok(report(&world, summary, problems, keep_trace))
}

fn raft_figures(m: &RaftMonitor, summary: &mut Summary) {
    summary.elections = m.elections;
    summary.leader_changes = m.leader_changes;
    summary.conf_changes = m.conf_changes() as u64;
    summary.snapshots_sent = m.snapshots_sent;
    summary.snapshots_installed = m.snapshots_installed;
    summary.leader_transfers = m.leader_transfers;
}

fn swim_figures(m: &SwimMonitor, summary: &mut Summary) {
    summary.detections = m.detection_ms.len() as u64;
    summary.detection_ms_max = m.detection_ms.iter().copied().max().unwrap_or(0);
    summary.false_suspicions = m.false_suspicions;
    summary.false_deaths = m.false_deaths;
}

/// Consul: at the end, every server's catalog lists the service of each agent running and of
/// none stopped.
fn consul_catalog(w: &World<ConsulNode>, summary: &mut Summary, problems: &mut Vec<Violation>) {
    let m = w.monitor();
    raft_figures(&m.raft, summary);
    swim_figures(&m.swim, summary);
    summary.deregistration_ms_max = m.deregistration_ms.iter().copied().max().unwrap_or(0);
    let servers = w.scenario().protocol.servers.min(w.node_count());
    let (mut wrong, mut dead_listed) = (Vec::new(), false);
    for s in (0..servers).filter(|&s| w.status(s) == Status::Up) {
        let catalog = w.view(s).kv;
        for a in servers..w.node_count() {
            let listed = (catalog.iter()).any(|(k, v)| *k == service_key(a) && v == SERVICE);
            if listed != (w.status(a) == Status::Up) {
                dead_listed |= listed;
                let what = if listed {
                    "still lists"
                } else {
                    "does not list"
                };
                wrong.push(format!("n{s} {what} n{a}"));
            }
        }
    }
    summary.deregistered_after_heal = Some(!dead_listed);
    if !wrong.is_empty() {
        problems.push(Violation {
            t: w.now(),
            property: "catalog".into(),
            detail: format!(
                "the catalog does not follow the pool after the heal: {}",
                wrong.join(", ")
            ),
        });
    }
}

/// Gossip, causal and SWIM: every replica must hold the same state (SWIM: every member the
/// same view of all, all alive) once the faults heal and the load stops; causal runs must also
/// be causally consistent as clients saw them. `figures` adds what the protocol's monitor
/// measured.
fn run_store<N: Node>(
    o: &RunOptions,
    cfg: N::Config,
    keep_trace: bool,
    figures: impl FnOnce(&World<N>, &mut Summary),
) -> Result<RunReport, String> {
    let healed = heal_at(o);
    let mut agreed_since: Option<u64> = None;
    // What replicas must come to agree on: their data, or who is alive. The incarnations
    // behind a member list may lag a while longer, harmlessly (a higher one only overrides).
    let state =
        |v: crate::engine::NodeView| (v.kv, v.members.iter().map(|m| m.health).collect::<Vec<_>>());
    let world = run_sliced::<N>(o, cfg, keep_trace, |w| {
        let first = state(w.view(0));
        let same = (1..o.nodes).all(|i| state(w.view(i)) == first);
        match (same, agreed_since) {
            (true, None) => agreed_since = Some(w.now()),
            (false, Some(_)) => agreed_since = None,
            _ => {}
        }
    })?;
    let mut problems = Vec::new();
    let mut summary = base_summary(&world, o);
    match agreed_since {
        Some(t) => {
            summary.converged = 1;
            summary.convergence_ms = t.saturating_sub(healed);
        }
        None => problems.push(Violation {
            t: o.time_ms,
            property: "convergence".into(),
            detail: format!(
                "the replicas still differ {} ms after the faults healed",
                o.time_ms - healed
            ),
        }),
    }
    if matches!(o.protocol, Protocol::Causal(_)) {
        if let Some(v) = eventual::causal_violations(world.history()).first() {
            problems.push(Violation {
                t: world.history()[v.read].complete_t.unwrap_or(0),
                property: "causal consistency".into(),
                detail: v.detail.clone(),
            });
        }
    }
    summary.lww_overwritten = lww_overwritten(world.history(), &world.view(0).kv) as u64;
    figures(&world, &mut summary);
    Ok(report(&world, summary, problems, keep_trace))
}

/// Acknowledged writes that vanished without a trace: no client ever read them, the final
/// state does not hold them, and no write to the key began after they completed, so only a
/// concurrent write (winning by last-writer-wins) can have replaced them.
fn lww_overwritten(h: &History, final_state: &[(String, String)]) -> usize {
    use crate::engine::KvOp;
    let write = |op: &crate::engine::HistoryOp| match &op.op {
        KvOp::Put { key, value } | KvOp::Cas { key, to: value, .. } if !op.cas_failed => {
            Some((key.clone(), value.clone()))
        }
        _ => None,
    };
    let read: std::collections::BTreeSet<(&str, &str)> = h
        .ops
        .iter()
        .filter_map(|op| match (&op.op, &op.outcome) {
            (KvOp::Get { key, .. }, Some(Outcome::Ok { value: Some(v) })) => {
                Some((key.as_str(), v.as_str()))
            }
            _ => None,
        })
        .collect();
    h.ops
        .iter()
        .filter(|op| matches!(op.outcome, Some(Outcome::Ok { .. })))
        .filter_map(|op| write(op).map(|kv| (op, kv)))
        .filter(|(op, (k, v))| {
            let done = op.complete_t.unwrap_or(u64::MAX);
            !read.contains(&(k.as_str(), v.as_str()))
                && !final_state
                    .iter()
                    .any(|(fk, fv)| fk == k && fv.split('|').any(|x| x == v))
                && !h.ops.iter().any(|later| {
                    later.invoke_t > done && write(later).is_some_and(|(lk, _)| lk == *k)
                })
        })
        .count()
}

pub fn describe_op(h: &History, i: usize) -> String {
    let Some(op) = h.get(i) else {
        return format!("[operation {i}, settled and let go]");
    };
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
    h: &History,
    timeout: u64,
    healed_at: u64,
    leader_since: Option<u64>,
    end: u64,
) -> Result<(), String> {
    let from = match leader_since {
        Some(t) if t + timeout < end => t,
        _ => {
            return Err(format!(
                "no leader stable from before {} ms (the faults healed at {healed_at} ms)",
                end.saturating_sub(timeout)
            ))
        }
    };
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
