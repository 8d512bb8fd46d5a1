//! Live checks: Raft's safety properties and the linearizability of the client history.

use super::session::Msg;
use super::PanelProps;
use crate::runner::describe_op;
use yew::prelude::*;

const PROPERTIES: [&str; 5] = [
    "election safety",
    "log matching",
    "leader completeness",
    "state-machine safety",
    "acknowledged write lost",
];

#[function_component(ChecksPanel)]
pub fn checks_panel(p: &PanelProps) -> Html {
    let s = p.model.session.borrow();
    let violations = s.world.violations();
    let verdict = s.verdict.as_ref().map(|(_, v)| v);
    let ok = violations.is_empty() && verdict.is_none_or(|v| v.linearizable);
    let lin = match verdict {
        None => html! { <li class="ok">{"linearizable: no operations yet"}</li> },
        Some(v) if v.linearizable => {
            html! { <li class="ok">{format!("✓ linearizable ({} operations)", v.ops)}</li> }
        }
        Some(v) => {
            let f = v.failure.as_ref().expect("explained");
            let ops = f
                .stuck
                .iter()
                .take(4)
                .map(|&i| describe_op(s.world.history(), i))
                .collect::<Vec<_>>()
                .join(" · ");
            html! { <li class="bad">{format!("✗ NOT linearizable: key {}: cannot place {ops}", f.key)}</li> }
        }
    };
    html! {
        <section class={classes!("panel", "checks", (!ok).then_some("violation"))} data-check={if ok { "ok" } else { "violation" }}>
            <h2>{"Checks"}</h2>
            <ul>
                { for PROPERTIES.iter().map(|prop| match violations.iter().find(|v| v.property == *prop) {
                    None => html! { <li class="ok">{format!("✓ {}", if *prop == "acknowledged write lost" { "no acknowledged write lost" } else { prop })}</li> },
                    Some(v) => {
                        let t = v.t;
                        html! { <li class="bad">{format!("✗ {} at {} ms: {} ", v.property, v.t, v.detail)}
                            <button data-action="jump" onclick={p.send.reform(move |_| Msg::Seek(t))}>{"go there"}</button></li> }
                    }
                }) }
                {lin}
            </ul>
        </section>
    }
}
