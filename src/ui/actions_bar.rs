//! What can be done to the selected node or link, drawn beside it on the cluster, where the
//! eye already is (the inspector beside the cluster keeps the facts).

use super::action_button;
use super::cluster_view::{node_pos, node_radius, VIEW_BOX};
use super::session::{Msg, Selection, Session};
use crate::engine::{Action, NodeId, NodeView, Status};
use yew::prelude::*;

/// The bar for what is selected in pane `which`, if anything there is.
pub fn beside(s: &Session, which: usize, send: &Callback<Msg>) -> Html {
    let w = s.panes[which].world.as_ref();
    let n = w.node_count();
    let act = |a: Action| send.reform(move |_| Msg::Act(a.clone()));
    // Below a node in the upper half, above one in the lower half (clear of its name and its
    // votes): inside the drawing either way. Below a link's middle.
    let (buttons, (x, y), above, label) = match s.selected {
        Selection::Node(pane, i) if pane == which && i < n => {
            let ((x, y), r) = (node_pos(i, n), node_radius(n));
            let (at, above) = if y <= 0.0 {
                (y + r + 34.0, false)
            } else {
                (y - r - 30.0, true)
            };
            let pane = &s.panes[which];
            let buttons = node_actions(
                w.description(),
                &pane.views[i],
                w.status(i),
                i,
                pane.leader(),
                &act,
            );
            (buttons, (x, at), above, format!("n{i}"))
        }
        Selection::Link(a, b) if which == 0 && a < n && b < n => {
            let ((x1, y1), (x2, y2)) = (node_pos(a, n), node_pos(b, n));
            let net = w.network();
            let buttons = link_actions(a, b, net.is_cut(a, b), net.is_cut(b, a), send);
            let middle = ((x1 + x2) / 2.0, (y1 + y2) / 2.0 + 16.0);
            (buttons, middle, false, format!("n{a} ↔ n{b}"))
        }
        _ => return html! {},
    };
    let (left, top) = (
        (x - VIEW_BOX.0) / VIEW_BOX.2 * 100.0,
        (y - VIEW_BOX.1) / VIEW_BOX.3 * 100.0,
    );
    // Anchored by its near end at a node on either side, so that it stays inside a narrow
    // drawing (side by side, or a phone) instead of running off its edge.
    let dx = match x {
        x if x < -VIEW_BOX.2 / 8.0 => "-12%",
        x if x > VIEW_BOX.2 / 8.0 => "-88%",
        _ => "-50%",
    };
    let dy = if above { "-100%" } else { "0" };
    html! {
        // Clicks on the bar stay on it: the cluster behind would take them as "select nothing".
        <div class="actions-bar" data-actions-for={label.clone()} onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}
            style={format!("left:{left:.2}%;top:{top:.2}%;transform:translate({dx},{dy})")}>
            <span class="who-for">{label}</span>
            {buttons}
        </div>
    }
}

fn node_actions(
    d: &crate::engine::Description,
    view: &NodeView,
    status: Status,
    i: NodeId,
    leader: Option<NodeId>,
    act: &dyn Fn(Action) -> Callback<MouseEvent>,
) -> Html {
    let up = status == Status::Up;
    // The controls that apply to the node now (as it says), each given to the node or, for
    // one the leader carries out, to the leader.
    let offered = (d.controls.iter())
        .filter(|c| !c.lists_nodes)
        .filter(|c| view.offers.as_ref().is_none_or(|o| o.contains(&c.name)));
    let control = |c: &crate::engine::ControlInfo| {
        let to = if c.to_leader { leader } else { Some(i) };
        let title = match to {
            None => format!("{} (no node leads now to carry it out)", c.tooltip),
            Some(_) => c.tooltip.to_string(),
        };
        let onclick = to.map_or_else(Callback::noop, |to| {
            act(Action::Control {
                node: to,
                cmd: c.on(i),
            })
        });
        action_button(c.label, c.hook, &title, onclick, to.is_none())
    };
    html! {
        <>
            if status == Status::Down {
                {action_button("Restart", "restart", "Restart from what it persisted", act(Action::Restart { node: i }), false)}
            } else {
                {action_button("Crash", "crash", "Kill the process: volatile state is lost, the disk survives", act(Action::Crash { node: i }), false)}
            }
            if status == Status::Paused {
                {action_button("Resume", "resume-node", "Resume the frozen process", act(Action::Resume { node: i }), false)}
            } else {
                {action_button("Pause", "pause-node", "Freeze the process (like a long GC pause)", act(Action::Pause { node: i }), !up)}
            }
            // A stopped process takes no commands: only what starts it again is offered.
            if up {
                { for offered.map(control) }
            }
        </>
    }
}

fn link_actions(a: NodeId, b: NodeId, ab: bool, ba: bool, send: &Callback<Msg>) -> Html {
    let cut = |pairs: Vec<(NodeId, NodeId, bool)>| {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| {
            for &(from, to, cut) in &pairs {
                send.emit(Msg::Act(Action::Cut { from, to, cut }));
            }
        })
    };
    html! {
        <>
            {action_button(&format!("Cut n{a}→n{b}"), "cut-ab", "Messages from the first node to the second are lost", cut(vec![(a, b, !ab)]), false)}
            {action_button(&format!("Cut n{b}→n{a}"), "cut-ba", "Messages the other way are lost", cut(vec![(b, a, !ba)]), false)}
            {action_button("Cut both", "cut", "Cut the link both ways", cut(vec![(a, b, true), (b, a, true)]), ab && ba)}
            {action_button("Restore", "uncut", "Open the link both ways", cut(vec![(a, b, false), (b, a, false)]), !ab && !ba)}
        </>
    }
}
