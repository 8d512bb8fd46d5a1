//! The help overlay: what the view shows, and the keyboard shortcuts.

use super::session::Msg;
use crate::engine::{Description, Shape};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub send: Callback<Msg>,
    /// The protocols on screen: their roles and message kinds make the legend.
    pub protocols: Vec<&'static Description>,
}

fn swatch(colour: &str, square: bool) -> Html {
    let radius = if square { "2px" } else { "50%" };
    html! { <span class="swatch" style={format!("background:{colour};border-radius:{radius}")} /> }
}

/// What the colours and shapes on screen mean, from each protocol's own description.
pub(super) fn legend(d: &Description) -> Html {
    html! {
        <div class="legend" data-legend={d.name}>
            <h4>{format!("{} ({}): the number on a node is its {}", d.title, d.consistency.label(), d.headline)}</h4>
            <p>{ for d.roles.iter().map(|r| html! { <span class="item">{swatch(r.colour, false)}{r.name}</span> }) }</p>
            <p>{ for d.kinds.iter().map(|k| html! {
                <span class="item">{swatch(k.colour, k.shape == Shape::Square)}{k.label}{if k.response { " (answer)" } else { "" }}</span>
            }) }</p>
        </div>
    }
}

#[function_component(Help)]
pub fn help(p: &HelpProps) -> Html {
    let close = p.send.reform(|_| Msg::ToggleHelp);
    html! {
        <div class="overlay" data-help="" onclick={close.clone()}>
            <div class="help" onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <h2>{"consensus-lab"}</h2>
                <p>{"Real raft-rs nodes (tikv's Raft), a causal-broadcast store or a gossip store run in this page over a simulated network you control; pick \"beside\" to run two models on the same seed, clients and faults. Everything is deterministic: the same seed and the same clicks give the same run, so you can rewind, and share a link that replays exactly."}</p>
                <h3>{"Reading the view"}</h3>
                { for p.protocols.iter().map(|d| legend(d)) }
                <ul>
                    <li>{"Nodes: colour is the role, the arc is the time left before the node would start an election. Grey with ✕: crashed. ❚❚: paused."}</li>
                    <li>{"Messages travel along the links at their simulated latency; answers are drawn hollow (✓ granted, ✗ rejected), the count is the entries they carry. Click one to inspect, drop, duplicate or hold it."}</li>
                    <li>{"Click a link to cut it one way or both, or set its latency and loss."}</li>
                    <li>{"The log panel shows each node's log by term colour (faded entries are not committed yet), or each replica's key-value state (values that differ from the others highlighted)."}</li>
                    <li>{"Checks: the properties the protocol promises, and the consistency of what clients saw, checked live. A violation pauses the run; what a model does not promise is shown as expected."}</li>
                </ul>
                <h3>{"Keys"}</h3>
                <table>
                    <tr><td><kbd>{"space"}</kbd></td><td>{"play / pause"}</td></tr>
                    <tr><td><kbd>{"→"}</kbd></td><td>{"step one event"}</td></tr>
                    <tr><td><kbd>{"n"}</kbd></td><td>{"run to the next interesting event (leader elected, write committed)"}</td></tr>
                    <tr><td><kbd>{"?"}</kbd></td><td>{"this help"}</td></tr>
                    <tr><td><kbd>{"esc"}</kbd></td><td>{"close help / clear the selection"}</td></tr>
                </table>
                <button data-action="close-help" onclick={close}>{"Close"}</button>
            </div>
        </div>
    }
}
