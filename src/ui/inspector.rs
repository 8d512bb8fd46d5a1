//! The inspector: everything about the selected node, message or link, and what can be done to it.

use super::session::{Msg, Pane, Selection};
use super::{action_button, PanelProps};
use crate::engine::{Action, Status};
use yew::prelude::*;

/// What the node view's own words mean, whatever the protocol.
const WORDS: [(&str, &str); 6] = [
    ("commit", "the highest log index it knows a majority holds: committed, never undone"),
    ("applied", "the highest index applied to its key-value state"),
    ("match/next", "what the leader knows this peer holds (match) and will send next (next); probe: it is still finding where their logs agree, replicate: it streams entries"),
    ("election timeout", "ticks left before it stands for election unless it hears from a leader"),
    ("votes", "votes granted to it as a candidate, of the cluster's nodes"),
    ("state machine", "the key-value state its applied entries built"),
];

/// Rows of labelled values; a label in `glossary` (or one of the view's own words) says what
/// it means on hover.
fn fields(rows: Vec<(String, String)>, glossary: &[(&str, &str)]) -> Html {
    let meaning = |k: &str| {
        (glossary.iter().chain(WORDS.iter()))
            .find(|(w, _)| k == *w || k.ends_with(&format!(" {w}")))
            .map(|(_, m)| m.to_string())
    };
    // Two facts a row: one a row would push the network and client panels out of view.
    let cell =
        |(k, v): &(String, String)| html! { <><th title={meaning(k)}>{k}</th><td>{v}</td></> };
    html! {
        <table class="fields">
            { for rows.chunks(2).map(|pair| html! { <tr>{ for pair.iter().map(cell) }</tr> }) }
        </table>
    }
}

#[function_component(Inspector)]
pub fn inspector(p: &PanelProps) -> Html {
    let s = p.model.session.borrow();
    let act_on = |a: Action| {
        let pane = match s.selected {
            Selection::Message(pane, _) => pane,
            _ => 0,
        };
        p.send.reform(move |_| Msg::ActOn(pane, a.clone()))
    };
    let body = match s.selected {
        Selection::None => {
            html! { <p class="hint">{"Click a node, a message in flight or a link to inspect it."}</p> }
        }
        Selection::Node(pane, i) => node(&s.panes[pane], i),
        Selection::Message(pane, id) => match s.panes[pane]
            .world
            .messages()
            .into_iter()
            .find(|m| m.id == id)
        {
            None => {
                html! { <p class="hint">{format!("Message {id} is no longer in flight (delivered or dropped).")}</p> }
            }
            Some(env) => {
                let sum = env.msg;
                let mut rows = vec![("kind".to_string(), sum.kind.label.to_string())];
                rows.extend(
                    sum.labelled()
                        .map(|(label, v)| (label.replace('_', " "), v.to_string())),
                );
                if sum.entries > 0 {
                    rows.push(("carries".into(), sum.entries.to_string()));
                }
                if sum.reject {
                    rows.push(("rejected".into(), "yes".into()));
                }
                rows.extend(s.panes[pane].world.describe_message(id).unwrap_or_default());
                rows.push(("sent at".into(), format!("{} ms", env.sent_at)));
                rows.push((
                    "due at".into(),
                    format!(
                        "{} ms{}",
                        env.deliver_at,
                        if env.held { " (held)" } else { "" }
                    ),
                ));
                html! {
                    <>
                        <h3>{format!("Message {id}: n{} → n{}", env.from, env.to)}</h3>
                        {fields(rows, &[])}
                        <div class="actions">
                            {action_button("Drop", "drop", "Lose this message", act_on(Action::DropMessage { id }), false)}
                            {action_button("Duplicate", "duplicate", "Deliver a second copy", act_on(Action::DuplicateMessage { id }), false)}
                            if env.held {
                                {action_button("Release", "release", "Let it go on", act_on(Action::ReleaseMessage { id }), false)}
                            } else {
                                {action_button("Hold", "hold", "Keep it in the network until released", act_on(Action::HoldMessage { id }), false)}
                            }
                        </div>
                    </>
                }
            }
        },
        Selection::Link(a, b) => {
            html! { <LinkInspector model={p.model.clone()} send={p.send.clone()} a={a} b={b} /> }
        }
    };
    html! { <section class="panel inspector" data-panel="inspector"><h2>{"Inspector"}</h2>{body}</section> }
}

fn node(s: &Pane, i: usize) -> Html {
    let v = &s.views[i];
    let d = s.world.description();
    let status = s.world.status(i);
    let mut rows = vec![
        ("role".to_string(), v.role.name.to_string()),
        (
            v.headline_label.unwrap_or(d.headline).to_string(),
            v.headline.to_string(),
        ),
    ];
    if let Some(log) = v.log_state {
        rows.push(("commit".into(), log.commit.to_string()));
        rows.push(("applied".into(), log.applied.to_string()));
        rows.push(("last index".into(), log.last.to_string()));
    }
    rows.extend(v.facts.iter().map(|(k, val)| (k.to_string(), val.clone())));
    if let Some(votes) = v.votes {
        rows.push(("votes".into(), format!("{} of {}", votes.granted, votes.of)));
    }
    for p in &v.peers {
        rows.push((
            format!("n{} match/next", p.peer),
            format!("{}/{} ({})", p.matched, p.next, p.state),
        ));
    }
    if let Some((left, total)) = v.timer {
        rows.push((d.timer.into(), format!("{left} of {total} ticks left")));
    }
    if d.clients && v.stores {
        let kv =
            v.kv.iter()
                .map(|(k, val)| format!("{k}={val}"))
                .collect::<Vec<_>>()
                .join("  ");
        rows.push((
            "state machine".into(),
            if kv.is_empty() { "(empty)".into() } else { kv },
        ));
    }
    html! {
        <>
            <h3>{format!("Node n{i}")}</h3>
            {fields(rows, d.glossary)}
            <p class="hint">{if status == Status::Down { "Restart it from the bar beside the node." } else { "Crash, pause and more: the bar beside the node." }}</p>
            if let Some(heading) = d.library_log {
                // Folded: open, its lines would push the network and client panels out of view.
                <details class="library-log">
                    <summary>{heading}</summary>
                    <pre class="raftlog">{ for v.library_log.iter().rev().take(14).map(|l| html! { <div>{l}</div> }) }</pre>
                </details>
            }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct LinkProps {
    model: std::rc::Rc<super::session::Model>,
    send: Callback<Msg>,
    a: usize,
    b: usize,
}

#[function_component(LinkInspector)]
fn link_inspector(p: &LinkProps) -> Html {
    let (a, b) = (p.a, p.b);
    let s = p.model.session.borrow();
    let net = s.lead().network();
    let (ab, ba) = (net.is_cut(a, b), net.is_cut(b, a));
    let cfg = *net.link(a, b);
    let latency_ref = use_node_ref();
    let loss_ref = use_node_ref();
    super::use_initial_text(&latency_ref, (a, b), cfg.latency_ms.to_string());
    super::use_initial_text(&loss_ref, (a, b), format!("{:.0}", cfg.loss * 100.0));
    let apply = {
        let (send, latency_ref, loss_ref) = (p.send.clone(), latency_ref.clone(), loss_ref.clone());
        Callback::from(move |_: MouseEvent| {
            match super::link_from_form(&latency_ref, &loss_ref, cfg) {
                Ok(link) => {
                    send.emit(Msg::Act(Action::SetLink {
                        from: Some(a),
                        to: Some(b),
                        link,
                    }));
                    send.emit(Msg::Act(Action::SetLink {
                        from: Some(b),
                        to: Some(a),
                        link,
                    }));
                }
                Err(e) => send.emit(Msg::Notice(Some(e))),
            }
        })
    };
    html! {
        <>
            <h3>{format!("Link n{a} ↔ n{b}")}</h3>
            {fields(vec![
                (format!("n{a} → n{b}"), if ab { "cut".into() } else { "open".into() }),
                (format!("n{b} → n{a}"), if ba { "cut".into() } else { "open".into() }),
                ("latency".into(), format!("{} ms + up to {} ms", cfg.latency_ms, cfg.jitter_ms)),
                ("loss".into(), format!("{:.0} %", cfg.loss * 100.0)),
            ], &[])}
            <p class="hint">{"Cut it one way or both: the bar beside the link."}</p>
            <div class="form">
                <label>{"latency ms "}<input ref={latency_ref.clone()} size="5" /></label>
                <label>{"loss % "}<input ref={loss_ref.clone()} size="4" /></label>
                {action_button("Apply", "set-link", "Set this link's latency and loss, both ways", apply, false)}
            </div>
        </>
    }
}
