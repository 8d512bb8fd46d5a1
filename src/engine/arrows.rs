//! Messages as a space-time diagram draws them: each send paired with what became of it
//! (delivered, lost and why, or still in flight), read from the trace over a stretch of time.

use super::describe::MessageKind;
use super::network::MsgId;
use super::node::NodeId;
use super::trace::{DropReason, Trace, TraceKind};
use rustc_hash::FxHashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Delivered(u64),
    Dropped(u64, DropReason),
    /// Not delivered nor lost by the end of what was read (held, or still on its way).
    InFlight,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrow {
    pub id: MsgId,
    pub from: NodeId,
    pub to: NodeId,
    pub kind: &'static MessageKind,
    pub sent: u64,
    /// When the network meant to deliver it.
    pub due: u64,
    pub fate: Fate,
    /// A copy the network (or the user) made of another message.
    pub duplicate: bool,
}

/// The messages sent from `from` to `to` (inclusive) and what became of each by `until`.
/// A message sent before `from` that arrives in the stretch is not among them: the caller
/// reads from a little earlier when it wants those.
pub fn arrows<N: Clone>(trace: &Trace<N>, from: u64, to: u64, until: u64) -> Vec<Arrow> {
    let mut out: Vec<Arrow> = Vec::new();
    let mut at: FxHashMap<MsgId, usize> = FxHashMap::default();
    for e in trace.iter_from(from) {
        if e.t > until {
            break;
        }
        match e.kind {
            TraceKind::Send {
                id,
                from: f,
                to: d,
                msg,
                deliver_at,
            } if e.t >= from && e.t <= to => {
                at.insert(id, out.len());
                out.push(Arrow {
                    id,
                    from: f,
                    to: d,
                    kind: msg.kind,
                    sent: e.t,
                    due: deliver_at,
                    fate: Fate::InFlight,
                    duplicate: false,
                });
            }
            TraceKind::Duplicate { id, of, deliver_at } if e.t >= from && e.t <= to => {
                if let Some(&i) = at.get(&of) {
                    at.insert(id, out.len());
                    out.push(Arrow {
                        id,
                        sent: e.t,
                        due: deliver_at,
                        fate: Fate::InFlight,
                        duplicate: true,
                        ..out[i]
                    });
                }
            }
            TraceKind::Deliver { id, .. } => {
                if let Some(&i) = at.get(&id) {
                    out[i].fate = Fate::Delivered(e.t);
                }
            }
            TraceKind::Drop { id, reason, .. } => {
                if let Some(&i) = at.get(&id) {
                    out[i].fate = Fate::Dropped(e.t, reason);
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::engine::{Action, TraceEvent, World};
    use crate::protocols::{raft::RaftNode, AnyScenario};

    /// Over a run with a partition and duplicates, the arrows of a stretch are the trace's
    /// sends in it, each with the delivery or drop the trace has for it.
    #[test]
    fn arrows_pair_each_send_with_its_fate() {
        let Ok(AnyScenario::Raft(mut scenario)) = crate::link::default_scenario("raft", 3) else {
            panic!("a raft scenario");
        };
        scenario.sim.clients.load = true;
        scenario.sim.link.duplicate = 0.05;
        let mut world = World::<RaftNode>::new(scenario).expect("builds");
        world.run_until(1_500);
        (world.act(Action::Partition {
            groups: vec![vec![0, 1], vec![2, 3, 4]],
        }))
        .expect("partition");
        world.run_until(2_500);
        world.act(Action::Heal).expect("heal");
        world.run_until(4_000);
        let events: Vec<TraceEvent<_>> = world.trace().iter().collect();
        let (from, to) = (1_000, 3_000);
        let got = arrows(world.trace(), from, to, 4_000);
        let mut want = Vec::new();
        for e in &events {
            if let TraceKind::Send { id, .. } | TraceKind::Duplicate { id, .. } = e.kind {
                if (from..=to).contains(&e.t) {
                    let fate = events.iter().find_map(|f| match f.kind {
                        TraceKind::Deliver { id: d, .. } if d == id => Some(Fate::Delivered(f.t)),
                        TraceKind::Drop { id: d, reason, .. } if d == id => {
                            Some(Fate::Dropped(f.t, reason))
                        }
                        _ => None,
                    });
                    want.push((id, e.t, fate.unwrap_or(Fate::InFlight)));
                }
            }
        }
        let got_pairs: Vec<_> = got.iter().map(|a| (a.id, a.sent, a.fate)).collect();
        assert_eq!(got_pairs, want);
        assert!(got.iter().any(|a| a.duplicate), "duplicates were made");
        assert!(
            (got.iter()).any(|a| matches!(a.fate, Fate::Dropped(_, DropReason::Partition))),
            "the partition dropped messages"
        );
    }
}
