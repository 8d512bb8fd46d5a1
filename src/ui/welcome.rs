//! The first screen for a newcomer: what is on screen in two sentences and a legend, the tour,
//! a few classic situations, and a way out to the sandbox. Shown once per browser: any choice
//! is remembered.

use super::help::legend;
use super::session::Msg;
use super::PanelProps;
use yew::prelude::*;

const SEEN: &str = "consensus-lab.welcomed";
/// The lesson the tour is.
const TOUR: &str = "raft-elections";

/// Whether this browser has been welcomed already.
pub fn welcomed() -> bool {
    let storage = gloo::utils::window().local_storage().ok().flatten();
    storage.is_some_and(|s| s.get_item(SEEN).ok().flatten().is_some())
}

fn remember() {
    if let Some(s) = gloo::utils::window().local_storage().ok().flatten() {
        let _ = s.set_item(SEEN, "1");
    }
}

#[function_component(Welcome)]
pub fn welcome(p: &PanelProps) -> Html {
    let s = p.model.session.borrow();
    if !s.welcome {
        return html! {};
    }
    let d = s.lead().description();
    let choose = |msg: fn() -> Option<Msg>| {
        let send = p.send.clone();
        Callback::from(move |_: MouseEvent| {
            remember();
            send.emit(msg().unwrap_or(Msg::CloseWelcome));
        })
    };
    let tour = choose(|| crate::lessons::lesson(TOUR).map(Msg::StartLesson));
    let steps = crate::lessons::lesson(TOUR).map_or(0, |l| l.steps.len());
    let sandbox = choose(|| None);
    let scenario = |name: &'static str| {
        let send = p.send.clone();
        Callback::from(move |_: MouseEvent| {
            remember();
            if let Some(e) = crate::library::entry(name) {
                send.emit(Msg::OpenScenario(e));
            }
        })
    };
    html! {
        <div class="welcome" data-welcome="">
            <p><strong>{"A real Raft cluster in your browser."}</strong>{" Each circle is a node running tikv's raft-rs, over a network you control: its colour is its role, the number its term, and the arc around it the time left before it stands for election. Messages fly along the links; click anything to inspect it, crash it, cut it."}</p>
            {legend(d)}
            <div class="actions">
                <button data-action="welcome-tour" onclick={tour}>{format!("Take the tour ({steps} steps)")}</button>
                <span class="hint">{"or see:"}</span>
                <button onclick={scenario("split-vote")}>{"a split vote"}</button>
                <button onclick={scenario("leader-isolated")}>{"the leader cut off"}</button>
                <button onclick={scenario("gossip-stale-read")}>{"a stale read"}</button>
                <button onclick={scenario("causal-buffering")}>{"causal buffering"}</button>
                <button data-action="welcome-sandbox" onclick={sandbox}>{"Just the sandbox"}</button>
            </div>
        </div>
    }
}
