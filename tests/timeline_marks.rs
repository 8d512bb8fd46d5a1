//! The moments a run keeps for its timeline (`World::marks`) are exactly those its trace and
//! its monitor record: every leader elected (with its term), crash, restart, cut and heal,
//! and every broken property, in time order.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use consensus_lab::engine::{Action, MarkKind, TraceKind, World};
use consensus_lab::protocols::raft::{Bug, RaftConfig, RaftNode, RaftNote};
use consensus_lab::runner::{scenario, Faults, Protocol, RunOptions};

fn run(nodes: usize, seed: u64, cfg: RaftConfig) -> World<RaftNode> {
    let o = RunOptions {
        nodes,
        seed,
        time_ms: 30_000,
        faults: Faults::Random,
        protocol: Protocol::Raft(cfg.clone()),
    };
    let mut w = World::<RaftNode>::new(scenario(&o, cfg)).unwrap();
    w.run_until(30_000);
    w
}

/// (time, kind, node, number) of each mark.
type Seen = Vec<(u64, MarkKind, Option<usize>, u64)>;

#[test]
fn marks_are_what_the_trace_and_the_monitor_record() {
    let mut kinds = std::collections::BTreeSet::new();
    for seed in 1..=5 {
        let w = run(5, seed, RaftConfig::default());
        let mut want: Seen = Vec::new();
        let (mut down, mut paused) = ([false; 5], [false; 5]);
        for e in w.trace() {
            match e.kind {
                TraceKind::Note {
                    node,
                    note:
                        RaftNote::Role {
                            role: "leader",
                            term,
                            ..
                        },
                } => want.push((e.t, MarkKind::Election, Some(node), term)),
                TraceKind::Action { action } => match action {
                    Action::Crash { node } if !down[node] => {
                        (down[node], paused[node]) = (true, false);
                        want.push((e.t, MarkKind::Crash, Some(node), 0));
                    }
                    Action::Restart { node } if down[node] => {
                        down[node] = false;
                        want.push((e.t, MarkKind::Restart, Some(node), 0));
                    }
                    Action::Pause { node } if !down[node] && !paused[node] => {
                        paused[node] = true;
                        want.push((e.t, MarkKind::Pause, Some(node), 0));
                    }
                    Action::Resume { node } if paused[node] => {
                        paused[node] = false;
                        want.push((e.t, MarkKind::Resume, Some(node), 0));
                    }
                    Action::Partition { .. } => want.push((e.t, MarkKind::Partition, None, 0)),
                    Action::Cut {
                        from, cut: true, ..
                    } => want.push((e.t, MarkKind::Partition, Some(from), 0)),
                    Action::Cut {
                        from, cut: false, ..
                    } => want.push((e.t, MarkKind::Heal, Some(from), 0)),
                    Action::Heal | Action::HealAll => want.push((e.t, MarkKind::Heal, None, 0)),
                    _ => {}
                },
                _ => {}
            }
        }
        let got: Seen = (w.marks().iter())
            .map(|m| (m.t, m.kind, m.node, m.number))
            .collect();
        assert_eq!(got, want, "seed {seed}");
        kinds.extend(got.iter().map(|m| m.1.name()));
    }
    for k in ["election", "crash", "restart", "partition", "heal"] {
        assert!(kinds.contains(k), "the runs made a {k} mark");
    }
}

#[test]
fn a_broken_property_is_marked_when_the_monitor_reports_it() {
    let buggy = RaftConfig {
        bug: Some(Bug::ForgetVoteOnRestart),
        ..RaftConfig::default()
    };
    let w = (1..=400)
        .map(|seed| run(3, seed, buggy.clone()))
        .find(|w| !w.violations().is_empty())
        .expect("forgetting votes breaks a property within 400 seeds");
    let marked: Vec<u64> = (w.marks().iter())
        .filter(|m| m.kind == MarkKind::Violation)
        .map(|m| m.t)
        .collect();
    let reported: Vec<u64> = w.violations().iter().map(|v| v.t).collect();
    assert_eq!(marked, reported);
}

/// What causal replicas held back is exactly what their notes say: from each update buffered
/// (with what it waits for) until that replica applies it, or crashes; the spans of a run
/// under random faults are those the trace's notes give, and some updates did wait.
#[test]
fn held_updates_span_from_buffered_to_applied() {
    use consensus_lab::engine::HeldSpan;
    use consensus_lab::protocols::causal::{CausalConfig, CausalNode, CausalNote};
    let mut held_any = false;
    for seed in 1..=4 {
        let cfg = CausalConfig::default();
        let o = RunOptions {
            nodes: 5,
            seed,
            time_ms: 20_000,
            faults: Faults::Random,
            protocol: Protocol::Causal(cfg.clone()),
        };
        let mut w = World::<CausalNode>::new(scenario(&o, cfg)).unwrap();
        w.run_until(o.time_ms);
        let mut want: Vec<HeldSpan> = Vec::new();
        let mut open: std::collections::HashMap<(usize, (usize, u64)), usize> = Default::default();
        for e in w.trace() {
            match e.kind {
                TraceKind::Note {
                    node,
                    note:
                        CausalNote::Buffered {
                            origin,
                            seq,
                            waits_for,
                        },
                } => {
                    assert!(!waits_for.is_empty(), "a held update waits for something");
                    open.insert((node, (origin, seq)), want.len());
                    let needs: Vec<String> =
                        waits_for.iter().map(|(o, s)| format!("n{o}#{s}")).collect();
                    want.push(HeldSpan {
                        node,
                        from: e.t,
                        until: None,
                        what: format!("n{origin}#{seq} waits for {}", needs.join(", ")),
                    });
                }
                TraceKind::Note {
                    node,
                    note: CausalNote::Applied { origin, seq, .. },
                } => {
                    if let Some(i) = open.remove(&(node, (origin, seq))) {
                        want[i].until = Some(e.t);
                    }
                }
                TraceKind::Action {
                    action: Action::Crash { node },
                } => open.retain(|&(n, _), &mut i| {
                    if n == node && want[i].until.is_none() {
                        want[i].until = Some(e.t);
                    }
                    n != node
                }),
                _ => {}
            }
        }
        assert_eq!(w.held(), &want[..], "seed {seed}");
        held_any |= !want.is_empty();
    }
    assert!(held_any, "the faults made some update wait for its causes");
}
