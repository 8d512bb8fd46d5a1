//! The help overlay: what the view shows, and the keyboard shortcuts.

use super::session::Msg;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub send: Callback<Msg>,
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
                <ul>
                    <li>{"Nodes: colour is the role (leader, follower, candidate, pre-candidate), the number is the term, the arc is the time left before the node would start an election. Grey with ✕: crashed. ❚❚: paused."}</li>
                    <li>{"Messages travel along the links at their simulated latency: vote requests, pre-votes, appends (with entries), heartbeats and their responses (✓ granted, ✗ rejected). Click one to inspect, drop, duplicate or hold it."}</li>
                    <li>{"Click a link to cut it one way or both, or set its latency and loss."}</li>
                    <li>{"The log panel shows each node's log by term colour; faded entries are not committed yet."}</li>
                    <li>{"Checks: Raft's safety properties and the linearizability of what clients saw, checked live. A violation pauses the run."}</li>
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
