//! Every node's log as a row of entries coloured by term, rows aligned by index; uncommitted
//! entries faded and dashed; the applied entry underlined. The newest indices are at the right
//! and in view; older ones scroll.

use super::PanelProps;
use crate::engine::{Health, NodeView, Role, StateView};
use yew::prelude::*;

fn term_colour(term: u64) -> String {
    format!("hsl({}, 65%, 55%)", (term * 67) % 360)
}

/// The nodes that hold the store's data (a Consul agent does not), with their numbers, and
/// their views alone.
fn holding_data(all: &[NodeView]) -> (Vec<(usize, &NodeView)>, Vec<&NodeView>) {
    let rows: Vec<(usize, &NodeView)> =
        (all.iter().enumerate()).filter(|(_, v)| v.stores).collect();
    let views = rows.iter().map(|r| r.1).collect();
    (rows, views)
}

/// For the replicated stores: each replica's key-value state, values that differ from the
/// most common one highlighted.
fn kv_table(all: &[NodeView], pane: usize) -> Html {
    let (rows, views) = holding_data(all);
    let keys: std::collections::BTreeSet<&str> = views
        .iter()
        .flat_map(|v| v.kv.iter().map(|(k, _)| k.as_str()))
        .collect();
    let value = |v: &NodeView, k: &str| {
        v.kv.iter()
            .find(|(kk, _)| kk == k)
            .map_or(String::new(), |(_, x)| x.clone())
    };
    let majority: Vec<String> = keys
        .iter()
        .map(|k| {
            let mut counts = std::collections::BTreeMap::new();
            views
                .iter()
                .for_each(|v| *counts.entry(value(v, k)).or_insert(0) += 1);
            counts
                .into_iter()
                .max_by_key(|(_, c)| *c)
                .map(|(v, _)| v)
                .unwrap_or_default()
        })
        .collect();
    let diverged = keys
        .iter()
        .zip(&majority)
        .any(|(k, m)| views.iter().any(|v| value(v, k) != *m));
    html! {
        <section class="logs" data-panel="state" data-pane={pane.to_string()} data-converged={(!diverged).to_string()}>
            <table class="kvtable">
                <tr><th>{if diverged { "replicas differ" } else { "replicas agree" }}</th>{ for keys.iter().map(|k| html! { <th>{*k}</th> }) }</tr>
                { for rows.iter().map(|&(i, v)| html! {
                    <tr data-kv={i.to_string()}>
                        <th>{format!("n{i} · {}", v.role.name)}</th>
                        { for keys.iter().zip(&majority).map(|(k, m)| {
                            let x = value(v, k);
                            html! { <td class={classes!((x != *m).then_some("diverged"))} data-key={k.to_string()}>{if x.is_empty() { "—".to_string() } else { x }}</td> }
                        }) }
                    </tr>
                }) }
            </table>
        </section>
    }
}

/// For a failure detector: each member's membership list, a row per member, a column per
/// member it lists; a view that differs from the most common one among running members
/// highlighted (a stopped member's list is what it held when it stopped, dimmed).
fn member_table(views: &[NodeView], pane: usize) -> Html {
    let n = views.iter().map(|v| v.members.len()).max().unwrap_or(0);
    let running = |v: &NodeView| *v.role != Role::DOWN && *v.role != Role::PAUSED;
    let common: Vec<Option<Health>> = (0..n)
        .map(|m| {
            let mut counts: Vec<(Health, usize)> = Vec::new();
            let lists = views.iter().filter(|v| running(v));
            for h in lists.filter_map(|v| v.members.get(m)).map(|e| e.health) {
                match counts.iter_mut().find(|c| c.0 == h) {
                    Some(c) => c.1 += 1,
                    None => counts.push((h, 1)),
                }
            }
            counts.into_iter().max_by_key(|c| c.1).map(|c| c.0)
        })
        .collect();
    let differ = views.iter().filter(|v| running(v)).any(|v| {
        v.members
            .iter()
            .zip(&common)
            .any(|(e, c)| Some(e.health) != *c)
    });
    html! {
        <section class="logs" data-panel="members" data-pane={pane.to_string()} data-converged={(!differ).to_string()}>
            <table class="kvtable members">
                <tr><th>{if differ { "views differ" } else { "every member agrees" }}</th>{ for (0..n).map(|m| html! { <th>{format!("n{m}")}</th> }) }</tr>
                { for views.iter().enumerate().map(|(i, v)| html! {
                    <tr data-members={i.to_string()} class={classes!((!running(v)).then_some("stopped"))}>
                        <th>{format!("n{i} · {}", v.role.name)}</th>
                        { for v.members.iter().enumerate().map(|(m, e)| {
                            let name = e.health.name();
                            let off = running(v) && Some(e.health) != common[m];
                            html! {
                                <td class={classes!(name, off.then_some("diverged"))} data-member-state={name} data-of={m.to_string()}
                                    title={format!("n{i} believes n{m} is {name} at incarnation {}", e.incarnation)}>
                                    {if m == i { format!("self #{}", e.incarnation) } else { format!("{name} #{}", e.incarnation) }}
                                </td>
                            }
                        }) }
                    </tr>
                }) }
            </table>
        </section>
    }
}

#[function_component(LogPanel)]
pub fn log_panel(p: &PanelProps) -> Html {
    let s = p.model.session.borrow();
    let pane = &s.panes[p.pane];
    let views = &pane.views;
    let parts = pane
        .world
        .description()
        .state
        .iter()
        .map(|part| match part {
            StateView::Log => log_rows(views, p.pane),
            StateView::Store => kv_table(views, p.pane),
            StateView::Members => member_table(views, p.pane),
        });
    html! { <div class="state-parts">{ for parts }</div> }
}

/// Every node's log, rows aligned by index (of the nodes that hold data).
fn log_rows(all: &[NodeView], pane: usize) -> Html {
    let (rows, views) = holding_data(all);
    let last = views
        .iter()
        .filter_map(|v| v.log.last().map(|e| e.index))
        .max()
        .unwrap_or(0);
    // As many indices as the longest tail a node shows, ending at the newest.
    let span = views.iter().map(|v| v.log.len() as u64).max().unwrap_or(0);
    let first = (last + 1).saturating_sub(span).max(1);
    let labels = rows.iter().map(|&(i, v)| {
        let progress = v.peers.iter().map(|p| format!("n{} {}/{} ({})", p.peer, p.matched, p.next, p.state)).collect::<Vec<_>>().join(" · ");
        let state = v.log_state.unwrap_or_default();
        html! {
            <div class="who" style={format!("color:{}", v.role.colour)} title={progress}>
                {format!("n{i}")}<small>{format!("commit {} · applied {}", state.commit, state.applied)}</small>
            </div>
        }
    });
    let any_compacted = views
        .iter()
        .any(|v| v.log_state.is_some_and(|l| l.snapshot.is_some()));
    let rows = rows.iter().map(|&(i, v)| {
        let state = v.log_state.unwrap_or_default();
        let mut entries = v.log.iter().filter(|e| e.index >= first).peekable();
        // Every row spans the same indices, so that entries line up by index.
        let cells = (first..=last).map(|index| match entries.next_if(|e| e.index == index) {
            Some(e) => {
                let class = classes!("entry", (index > state.commit).then_some("uncommitted"), (index == state.applied).then_some("applied"));
                html! {
                    <span key={index} class={class} style={format!("background:{}", term_colour(e.term))} title={format!("#{index} term {}: {}", e.term, e.text)} data-index={index.to_string()} data-entry-term={e.term.to_string()}>{e.term}</span>
                }
            }
            None => html! { <span key={index} class="entry empty" /> },
        });
        // The prefix compacted into a snapshot: one block, in a slot every row keeps while any
        // node has one, so that entries still line up by index.
        let compacted = match state.snapshot {
            Some((index, term)) => html! {
                <span class="compacted" data-compacted={index.to_string()} title={format!("entries 1–{index} compacted into a snapshot of the state machine (last index {index}, term {term})")}>
                    {format!("…{index} t{term}")}
                </span>
            },
            None if any_compacted => html! { <span class="compacted none" /> },
            None => html! {},
        };
        html! {
            <div class="logrow" data-log={i.to_string()} data-commit={state.commit.to_string()} data-last={v.log.last().map_or(0, |e| e.index).to_string()}>
                {compacted}
                { for cells }
            </div>
        }
    });
    html! {
        <section class="logs" data-panel="logs" data-pane={pane.to_string()}>
            <div class="labels">{ for labels }</div>
            <div class="logscroll"><div class="logrows">
                <div class="indices">{if any_compacted { "compacted · " } else { "" }}{format!("entries {first}–{last}")}</div>
                { for rows }
            </div></div>
        </section>
    }
}
