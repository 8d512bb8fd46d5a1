//! Live checks, drawn from what the protocol describes: the properties its monitor checks, and
//! the history checks its consistency model promises (a failure is red) or does not (shown
//! plainly as expected rather than as a bug).

use super::session::Msg;
use super::PanelProps;
use crate::engine::Consistency;
use crate::runner::describe_op;
use yew::prelude::*;

#[function_component(ChecksPanel)]
pub fn checks_panel(p: &PanelProps) -> Html {
    let s = p.model.session.borrow();
    let pane = &s.panes[p.pane];
    let d = pane.world.description();
    let promises = d.consistency;
    let violations = pane.world.violations();
    let ok = pane.problems() == 0;
    let checks = pane.checks.as_ref();
    let ops = checks.map_or(0, |c| c.ops);
    let lin = match checks.map(|c| &c.linearizability) {
        None => {
            html! { <li class="ok" data-linearizable="none">{"linearizable: no operations yet"}</li> }
        }
        Some(None) => {
            html! { <li class="pending" data-linearizable="checking">{format!("… checking linearizability ({ops} operations)")}</li> }
        }
        Some(Some(v)) if v.linearizable => {
            html! { <li class="ok" data-linearizable="yes">{format!("✓ linearizable ({ops} operations)")}</li> }
        }
        Some(Some(v)) if v.failure.is_none() => {
            let (key, n) = v
                .unknown
                .as_ref()
                .map_or((String::new(), 0), |u| (u.key.clone(), u.configurations));
            html! { <li class="expected" data-linearizable="unknown">{format!("? linearizability unknown: gave up after {n} configurations (key {key} undecided)")}</li> }
        }
        Some(Some(v)) => {
            let f = v.failure.as_ref().expect("a failure, or unknown above");
            let stuck = f
                .stuck
                .iter()
                .take(3)
                .map(|&i| describe_op(pane.recorded().history(), i))
                .collect::<Vec<_>>()
                .join(" · ");
            let (class, what) = if promises.promises_linearizability() {
                ("bad", "✗ NOT linearizable")
            } else {
                (
                    "expected",
                    "✗ not linearizable — expected: this store does not promise it",
                )
            };
            let ids = f
                .stuck
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",");
            html! { <li class={class} data-linearizable="no" data-stuck={ids}>{format!("{what}: key {}: cannot place {stuck}", f.key)}</li> }
        }
    };
    let stale = checks.map_or(0, |c| c.stale_reads);
    // Which mode returned what: the same faults met by each mode's reads, once a read asked
    // for a mode weaker than consistent.
    let modes = checks.and_then(|c| c.modes).map(|modes| {
        let rows = modes.iter().map(|&(mode, m, stale)| {
            html! {
                <tr data-mode={mode.name()} data-reads={m.reads.to_string()} data-answered={m.answered.to_string()}
                    data-stale={stale.to_string()} data-refused={m.refused.to_string()} data-timed-out={m.timed_out.to_string()}
                    class={(stale > 0).then_some("expected")} title={mode.meaning()}>
                    <td>{mode.name()}</td><td>{m.reads}</td><td>{m.answered}</td><td>{stale}</td><td>{m.refused}</td><td>{m.timed_out}</td>
                </tr>
            }
        });
        html! {
            <li class="modes">
                <table class="read-modes" data-read-modes="">
                    <tr><th>{"reads by mode"}</th><th>{"asked"}</th><th>{"answered"}</th><th title="answers already overwritten when the read began">{"stale"}</th>
                        <th title="the node said it could not answer: no leader, or no quorum to confirm it leads">{"refused"}</th><th title="no answer within the client's timeout">{"no answer"}</th></tr>
                    { for rows }
                </table>
            </li>
        }
    });
    // A linearizable store serves no stale read to a consistent query: the check above says
    // so if it did. The other stores may, and say so.
    let stale_line = if modes.is_some() || (promises.promises_linearizability() && stale == 0) {
        html! {}
    } else if promises.promises_linearizability() {
        html! { <li class="bad" data-stale={stale.to_string()}>{format!("stale reads so far: {stale}")}</li> }
    } else {
        html! { <li class={if stale > 0 { "expected" } else { "ok" }} data-stale={stale.to_string()}>{format!("stale reads so far: {stale} (any replica answers alone)")}</li> }
    };
    let properties = d.properties.iter().map(|prop| {
        match violations.iter().find(|v| v.property == prop.name) {
            None => html! { <li class="ok" title={prop.meaning}>{format!("✓ {}", prop.holds)}</li> },
            Some(v) => {
                let t = v.t;
                html! { <li class="bad" title={prop.meaning}>{format!("✗ {} at {} ms: {} ", v.property, v.t, v.detail)}
                    <button data-action="jump" onclick={p.send.reform(move |_| Msg::GoTo(t))}>{"go there"}</button></li> }
            }
        }
    });
    let model_line = match promises {
        Consistency::Linearizable => html! {},
        Consistency::Causal => match checks.and_then(|c| c.causal.first()) {
            None => {
                html! { <li class="ok">{format!("✓ causal: no client saw an effect before its cause ({ops} operations)")}</li> }
            }
            Some(v) => {
                html! { <li class="bad">{format!("✗ causal consistency broken: {}", v.detail)}</li> }
            }
        },
        Consistency::Eventual => {
            html! { <li class="ok">{"eventual: replicas accept every write and converge once they can reach each other"}</li> }
        }
    };
    // What the protocol's monitor measures as the run goes.
    let figures = pane.world.figures().into_iter().map(|(name, value)| {
        html! { <li class="figure" data-figure={name}>{format!("{name}: {value}")}</li> }
    });
    html! {
        <section class={classes!("panel", "checks", (!ok).then_some("violation"))} data-check={if ok { "ok" } else { "violation" }} data-pane={p.pane.to_string()}>
            <h2>{format!("Checks · {} · {}", d.title, promises.label())}</h2>
            <ul>
                { for properties }
                // A protocol without clients has no history to check.
                if d.clients {
                    {model_line}
                    {lin}
                    {stale_line}
                    { for modes }
                }
                { for figures }
            </ul>
        </section>
    }
}
