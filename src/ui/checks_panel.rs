//! Live checks, by model: Raft's safety properties and linearizability; causal consistency for
//! the causal store; for gossip, what it does not promise (stale reads, linearizability) shown
//! plainly as expected rather than as a bug.

use super::session::Msg;
use super::PanelProps;
use crate::runner::describe_op;
use yew::prelude::*;

const RAFT_PROPERTIES: [&str; 5] = [
    "election safety",
    "log matching",
    "leader completeness",
    "state-machine safety",
    "acknowledged write lost",
];

#[function_component(ChecksPanel)]
pub fn checks_panel(p: &PanelProps) -> Html {
    let s = p.model.session.borrow();
    let pane = &s.panes[p.pane];
    let protocol = pane.world.protocol();
    let violations = pane.world.violations();
    let ok = pane.problems() == 0;
    let checks = pane.checks.as_ref();
    let ops = checks.map_or(0, |c| c.ops);
    let lin = match checks.map(|c| &c.linearizability) {
        None => html! { <li class="ok">{"linearizable: no operations yet"}</li> },
        Some(v) if v.linearizable => {
            html! { <li class="ok">{format!("✓ linearizable ({ops} operations)")}</li> }
        }
        Some(v) => {
            let f = v.failure.as_ref().expect("explained");
            let stuck = f
                .stuck
                .iter()
                .take(3)
                .map(|&i| describe_op(pane.world.history(), i))
                .collect::<Vec<_>>()
                .join(" · ");
            let class = if protocol == "raft" {
                "bad"
            } else {
                "expected"
            };
            let what = if protocol == "raft" {
                "✗ NOT linearizable"
            } else {
                "✗ not linearizable — expected: this store does not promise it"
            };
            html! { <li class={class}>{format!("{what}: key {}: cannot place {stuck}", f.key)}</li> }
        }
    };
    let stale = checks.map_or(0, |c| c.stale_reads);
    let stale_line = match protocol {
        "raft" => html! {},
        _ => {
            html! { <li class={if stale > 0 { "expected" } else { "ok" }} data-stale={stale.to_string()}>{format!("stale reads so far: {stale} (any replica answers alone)")}</li> }
        }
    };
    let model_lines = match protocol {
        "raft" => html! {
            { for RAFT_PROPERTIES.iter().map(|prop| match violations.iter().find(|v| v.property == *prop) {
                None => html! { <li class="ok">{format!("✓ {}", if *prop == "acknowledged write lost" { "no acknowledged write lost" } else { prop })}</li> },
                Some(v) => {
                    let t = v.t;
                    html! { <li class="bad">{format!("✗ {} at {} ms: {} ", v.property, v.t, v.detail)}
                        <button data-action="jump" onclick={p.send.reform(move |_| Msg::Seek(t))}>{"go there"}</button></li> }
                }
            }) }
        },
        "causal" => match checks.and_then(|c| c.causal.first()) {
            None => {
                html! { <li class="ok">{format!("✓ causal: no client saw an effect before its cause ({ops} operations)")}</li> }
            }
            Some(v) => {
                html! { <li class="bad">{format!("✗ causal consistency broken: {}", v.detail)}</li> }
            }
        },
        _ => {
            html! { <li class="ok">{"eventual: replicas accept every write and converge once they can gossip"}</li> }
        }
    };
    html! {
        <section class={classes!("panel", "checks", (!ok).then_some("violation"))} data-check={if ok { "ok" } else { "violation" }} data-pane={p.pane.to_string()}>
            <h2>{format!("Checks · {protocol}")}</h2>
            <ul>
                {model_lines}
                {lin}
                {stale_line}
            </ul>
        </section>
    }
}
