//! Random fault schedules: a scenario's time-stamped actions, drawn from the seed.

use crate::engine::{uniform_index, Action, LinkConfig, NodeId, Rng, TimedAction};
use rand::seq::SliceRandom;
use rand::{Rng as _, SeedableRng};

/// Faults between `start` and `heal_at`, each undone after a while, then everything healed at
/// `heal_at`: crashes with slow and quick restarts, pauses, partitions (random groupings), one-way cuts, and
/// bursts of loss, duplication and delay with reordering.
pub fn random_faults(seed: u64, nodes: usize, start: u64, heal_at: u64) -> Vec<TimedAction> {
    // Its own stream, so the schedule does not shift the simulation's random choices.
    let mut rng = Rng::seed_from_u64(seed ^ 0x5eed_fa17_5eed_fa17);
    let mut out = Vec::new();
    let mut t = start;
    let at = |t: u64, action: Action| TimedAction { t, action };
    let normal = LinkConfig::default();
    loop {
        t += rng.gen_range(300..2_500);
        if t >= heal_at {
            break;
        }
        let until = (t + rng.gen_range(300..5_000)).min(heal_at);
        let node: NodeId = uniform_index(&mut rng, 0, nodes);
        match rng.gen_range(0..9) {
            0 | 1 => {
                out.push(at(t, Action::Crash { node }));
                out.push(at(until, Action::Restart { node }));
            }
            // A supervisor restarting the process at once: the node is back within a round trip.
            8 => {
                out.push(at(t, Action::Crash { node }));
                out.push(at(
                    (t + rng.gen_range(5..100)).min(heal_at),
                    Action::Restart { node },
                ));
            }
            2 => {
                out.push(at(t, Action::Pause { node }));
                out.push(at(until, Action::Resume { node }));
            }
            3 | 4 if nodes > 1 => {
                let mut ids: Vec<NodeId> = (0..nodes).collect();
                ids.shuffle(&mut rng);
                let cut = uniform_index(&mut rng, 1, nodes);
                let groups = vec![ids[..cut].to_vec(), ids[cut..].to_vec()];
                out.push(at(t, Action::Partition { groups }));
                out.push(at(until, Action::Heal));
            }
            5 if nodes > 1 => {
                let to = (node + uniform_index(&mut rng, 1, nodes)) % nodes;
                out.push(at(
                    t,
                    Action::Cut {
                        from: node,
                        to,
                        cut: true,
                    },
                ));
                out.push(at(
                    until,
                    Action::Cut {
                        from: node,
                        to,
                        cut: false,
                    },
                ));
            }
            6 => {
                let link = LinkConfig {
                    loss: rng.gen_range(0.05..0.4),
                    duplicate: rng.gen_range(0.0..0.3),
                    ..normal
                };
                out.push(at(
                    t,
                    Action::SetLink {
                        from: None,
                        to: None,
                        link,
                    },
                ));
                out.push(at(
                    until,
                    Action::SetLink {
                        from: None,
                        to: None,
                        link: normal,
                    },
                ));
            }
            _ => {
                let link = LinkConfig {
                    latency_ms: rng.gen_range(50..400),
                    jitter_ms: rng.gen_range(0..300),
                    reorder: true,
                    ..normal
                };
                out.push(at(
                    t,
                    Action::SetLink {
                        from: Some(node),
                        to: None,
                        link,
                    },
                ));
                out.push(at(
                    until,
                    Action::SetLink {
                        from: Some(node),
                        to: None,
                        link: normal,
                    },
                ));
            }
        }
    }
    out.push(at(heal_at, Action::HealAll));
    out.sort_by_key(|a| a.t);
    out
}
