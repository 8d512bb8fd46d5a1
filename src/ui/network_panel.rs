//! Network controls: partition presets, custom groups, whole-network latency and loss; and the
//! cluster's shape: adding a node, and a protocol's commands that name a set of nodes.

use super::session::Msg;
use super::{action_button, PanelProps};
use crate::engine::{Action, Control};
use yew::prelude::*;

#[function_component(NetworkPanel)]
pub fn network_panel(p: &PanelProps) -> Html {
    let s = p.model.session.borrow();
    let n = s.node_count();
    let leader = s.panes[0].leader();
    let act = |a: Action| p.send.reform(move |_| Msg::Act(a.clone()));
    // A new node, then (if a node leads) the protocol's command that takes it in.
    let add_node = s.lead().description().join_control.map(|take_in| {
        let send = p.send.clone();
        Callback::from(move |_: MouseEvent| {
            send.emit(Msg::Act(Action::AddNode));
            match leader {
                Some(l) => send.emit(Msg::Act(Action::Control {
                    node: l,
                    cmd: Control {
                        name: take_in.into(),
                        peer: Some(n),
                        list: vec![],
                    },
                })),
                None => send.emit(Msg::Notice(Some(format!(
                    "n{n} was started, but no node leads to take it in: click it once a leader is elected"
                )))),
            }
        })
    });

    let isolate = leader.map(|l| Action::Partition {
        groups: vec![vec![l], (0..n).filter(|&i| i != l).collect()],
    });
    // Minority side: the leader (if any) and the nodes after it; the rest form the majority.
    let split = {
        let start = leader.unwrap_or(0);
        let minority: Vec<usize> = (0..(n - 1) / 2).map(|k| (start + k) % n).collect();
        let majority: Vec<usize> = (0..n).filter(|i| !minority.contains(i)).collect();
        Action::Partition {
            groups: vec![minority, majority],
        }
    };
    let groups_ref = use_memo(n, |&n| {
        (0..n).map(|_| NodeRef::default()).collect::<Vec<_>>()
    });
    let apply_groups = {
        let (send, refs) = (p.send.clone(), groups_ref.clone());
        Callback::from(move |_: MouseEvent| {
            let mut groups = vec![Vec::new(); 3];
            for (i, r) in refs.iter().take(n).enumerate() {
                let g = super::field(r).parse::<usize>().unwrap_or(0);
                groups[g.min(2)].push(i);
            }
            groups.retain(|g| !g.is_empty());
            send.emit(Msg::Act(Action::Partition { groups }));
        })
    };
    // A command that names a set of nodes (Raft's "these are the voters now"): one box per node,
    // ticked as the configuration stands (as the leader has it, or, none leading, as the first
    // node that says), given to the leader. The boxes hold the user's choice between renders
    // (a running page redraws every frame), and start over when the configuration changes.
    let current: Vec<usize> = (leader.into_iter().chain(0..n))
        .find_map(|i| s.panes[0].views[i].member.as_ref())
        .map_or_else(Vec::new, |m| m.voters.clone());
    let chosen = use_state(|| current.clone());
    {
        let chosen = chosen.clone();
        use_effect_with(current.clone(), move |now| chosen.set(now.clone()));
    }
    let list_controls = (s.lead().description().controls.iter())
        .filter(|c| c.lists_nodes)
        .map(|c| {
            let (send, list, name) = (p.send.clone(), (*chosen).clone(), c.name);
            let apply = Callback::from(move |_: MouseEvent| {
                let Some(l) = leader else { return };
                if list.is_empty() {
                    let why = format!("{name}: tick at least one node");
                    return send.emit(Msg::Notice(Some(why)));
                }
                let cmd = Control {
                    name: name.into(),
                    peer: None,
                    list: list.clone(),
                };
                send.emit(Msg::Act(Action::Control { node: l, cmd }));
            });
            let toggle = |i: usize| {
                let chosen = chosen.clone();
                Callback::from(move |_: Event| {
                    let mut now = (*chosen).clone();
                    match now.iter().position(|&x| x == i) {
                        Some(at) => {
                            now.remove(at);
                        }
                        None => {
                            now.push(i);
                            now.sort_unstable();
                        }
                    }
                    chosen.set(now);
                })
            };
            let title = match leader {
                Some(_) => c.tooltip.to_string(),
                None => format!("{} (no node leads now to carry it out)", c.tooltip),
            };
            html! {
                <div class="form" data-list-control={c.hook}>
                    { for (0..n).map(|i| html! {
                        <label><input type="checkbox" data-list-node={i.to_string()}
                            checked={chosen.contains(&i)} onchange={toggle(i)} />{format!("n{i}")}</label>
                    }) }
                    {action_button(c.label, c.hook, &title, apply, leader.is_none())}
                </div>
            }
        });
    let latency_ref = use_node_ref();
    let loss_ref = use_node_ref();
    let base = s.lead().config().link;
    let current = *s.lead().network().link(0, n.min(2) - 1);
    super::use_initial_text(&latency_ref, (), current.latency_ms.to_string());
    super::use_initial_text(&loss_ref, (), format!("{:.0}", current.loss * 100.0));
    let set_network = {
        let (send, latency_ref, loss_ref) = (p.send.clone(), latency_ref.clone(), loss_ref.clone());
        Callback::from(move |_: MouseEvent| {
            match super::link_from_form(&latency_ref, &loss_ref, base) {
                Ok(link) => send.emit(Msg::Act(Action::SetLink {
                    from: None,
                    to: None,
                    link,
                })),
                Err(e) => send.emit(Msg::Notice(Some(e))),
            }
        })
    };
    html! {
        <section class="panel" data-panel="network">
            <h2>{"Network"}</h2>
            <div class="actions">
                {action_button("Isolate leader", "isolate", "Cut the leader off from everyone", isolate.map_or_else(Callback::noop, act), leader.is_none())}
                {action_button("Split minority|majority", "split", "Partition: the leader and a minority on one side", act(split), n < 3)}
                {action_button("Heal links", "heal", "Restore every link", act(Action::Heal), false)}
                {action_button("Heal all", "heal-all", "End every fault: links, link settings, crashed and paused nodes, held messages", act(Action::HealAll), false)}
                if let Some(add) = add_node {
                    {action_button("Add node", "add-node", "Start a new, empty node and ask the leader to take it in as a learner", add, false)}
                }
            </div>
            <div class="form groups">
                { for (0..n).map(|i| html! {
                    <label>{format!("n{i} ")}
                        <select ref={groups_ref[i].clone()} data-group={i.to_string()}>
                            <option value="0" selected=true>{"A"}</option><option value="1">{"B"}</option><option value="2">{"C"}</option>
                        </select>
                    </label>
                }) }
                {action_button("Partition", "partition", "Cut every link between different groups", apply_groups, false)}
            </div>
            { for list_controls }
            <div class="form">
                <label>{"latency ms "}<input ref={latency_ref.clone()} size="5" data-field="latency" /></label>
                <label>{"loss % "}<input ref={loss_ref.clone()} size="4" data-field="loss" /></label>
                {action_button("Apply to all links", "set-network", "Latency and loss of every link", set_network, false)}
            </div>
        </section>
    }
}
