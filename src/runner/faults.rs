//! Random fault schedules: a scenario's time-stamped actions, drawn from the seed.

use crate::engine::{uniform_index, Action, Control, LinkConfig, NodeId, Rng, TimedAction};
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

/// Raft membership changes between `start` and `heal_at`, drawn from the seed: nodes added
/// (started, then a member asked to take each in as a learner), learners promoted, voters
/// removed (the leader among them, as chance has it) or demoted, several voters changed at
/// once (joint consensus), and leadership handed over. Each command goes to a node drawn at
/// random, which forwards it to the leader it knows, or drops it: changes that fail are part
/// of the test. At least three voters are meant to stay; at most three nodes are added.
pub fn random_membership(seed: u64, nodes: usize, start: u64, heal_at: u64) -> Vec<TimedAction> {
    let mut rng = Rng::seed_from_u64(seed ^ 0x3e3b_e125_c4a4_6e55);
    let mut out = Vec::new();
    let (mut voters, mut learners): (Vec<NodeId>, Vec<NodeId>) = ((0..nodes).collect(), vec![]);
    let mut count = nodes;
    let command = |node: NodeId, name: &str, peer: Option<NodeId>, list: Vec<NodeId>| {
        let cmd = Control {
            name: name.into(),
            peer,
            list,
        };
        Action::Control { node, cmd }
    };
    let mut t = start;
    loop {
        t += rng.gen_range(700..3_000);
        if t >= heal_at {
            break;
        }
        let any = uniform_index(&mut rng, 0, count);
        let at = |t: u64, action: Action| TimedAction { t, action };
        match rng.gen_range(0..6) {
            0 if count < nodes + 3 => {
                out.push(at(t, Action::AddNode));
                let to = voters[uniform_index(&mut rng, 0, voters.len())];
                out.push(at(t + 1, command(to, "AddLearner", Some(count), vec![])));
                learners.push(count);
                count += 1;
            }
            1 if !learners.is_empty() => {
                let l = learners.remove(uniform_index(&mut rng, 0, learners.len()));
                out.push(at(t, command(any, "Promote", Some(l), vec![])));
                voters.push(l);
            }
            2 if voters.len() > 3 => {
                let v = voters.remove(uniform_index(&mut rng, 0, voters.len()));
                let demote = rng.gen_bool(0.5);
                out.push(at(
                    t,
                    command(
                        any,
                        if demote { "Demote" } else { "Remove" },
                        Some(v),
                        vec![],
                    ),
                ));
                if demote {
                    learners.push(v);
                }
            }
            3 if !learners.is_empty() && voters.len() >= 3 => {
                // One learner in, one voter out, in one change: joint consensus.
                let l = learners.remove(uniform_index(&mut rng, 0, learners.len()));
                voters.remove(uniform_index(&mut rng, 0, voters.len()));
                voters.push(l);
                let mut list = voters.clone();
                list.sort_unstable();
                out.push(at(t, command(any, "SetVoters", None, list)));
            }
            _ => {
                let to = voters[uniform_index(&mut rng, 0, voters.len())];
                out.push(at(t, command(to, "TransferLeaderTo", Some(to), vec![])));
            }
        }
    }
    out
}
