//! The history view, as Porcupine draws one and more: each client operation a bar from its
//! invocation to its return, a row per client grouped by key; the order the linearizability
//! search found as a point in each bar and a line through them; what breaks the promised model
//! in red, with one sentence saying why; stale reads tied to the write they missed; the run's
//! faults and elections on the same axis. A click on an operation seeks the run there.
//!
//! It shows a pane's run, or a history opened from a file (then with no cluster attached).

use super::session::{Msg, Session};
use super::time_axis::{self, Framing, FONT, MUTED, TEXT, WIDTH};
use super::{action_button, PanelProps};
use crate::check::report::{describe, Report};
use crate::engine::{Consistency, History, HistoryOp, KvOp, Mark, Outcome};
use crate::export::write_history;
use crate::import::HistoryFormat;
use std::collections::{BTreeMap, BTreeSet};
use yew::prelude::*;

const LABEL: f64 = 92.0;
const TOP: f64 = 30.0;
const ROW: f64 = 18.0;
const HEADER: f64 = 16.0;
/// Bars drawn at most: past this the view asks for a shorter span instead of stalling a frame.
const MAX_BARS: usize = 3_000;
const MAX_ROWS: usize = 160;

/// What the view shows, wherever it comes from.
struct Shown<'a> {
    id: (u64, u64),
    history: &'a History,
    verdict: &'static str,
    verdict_text: String,
    marks: &'a [Mark],
    now: Option<u64>,
    end: u64,
    time: fn(u64) -> String,
    headline: &'static str,
    title: String,
}

fn line_time(t: u64) -> String {
    format!("line {t}")
}

/// The verdict on the model the pane's protocol promises (the `data-verdict` hook), in words.
fn pane_verdict(s: &Session, pane: usize) -> (&'static str, String) {
    let p = &s.panes[pane];
    let promised = p.world.description().consistency;
    let Some(c) = &p.checks else {
        return ("none", "no operations yet".into());
    };
    if promised == Consistency::Causal && !c.causal.is_empty() {
        return ("violation", "✗ not causally consistent".into());
    }
    match &c.linearizability {
        None => ("checking", format!("checking {} operations…", c.ops)),
        Some(v) if v.linearizable => (
            "linearizable",
            format!("✓ linearizable ({} operations)", c.ops),
        ),
        Some(v) if v.failure.is_none() => ("unknown", "? the search gave up: undecided".into()),
        Some(_) if promised == Consistency::Linearizable => {
            ("violation", "✗ NOT linearizable".into())
        }
        Some(_) => (
            "not-promised",
            format!(
                "not linearizable, which {} does not promise",
                p.world.description().title
            ),
        ),
    }
}

fn shown<'a>(s: &'a Session, pane: usize) -> Shown<'a> {
    if let Some(o) = &s.opened {
        let (verdict, text) = match &o.verdict {
            None => ("checking", "checking…".to_string()),
            Some(v) if v.linearizable => ("linearizable", "✓ linearizable".into()),
            Some(v) if v.failure.is_some() => ("violation", "✗ NOT linearizable".into()),
            Some(_) => ("unknown", "? the search gave up: undecided".into()),
        };
        let end = (o.history.ops.iter())
            .map(|op| op.complete_t.unwrap_or(op.invoke_t))
            .max()
            .unwrap_or(0)
            + 1;
        return Shown {
            id: (o.id, u64::from(o.verdict.is_some())),
            history: &o.history,
            verdict,
            verdict_text: format!(
                "{text} · {} operations, {} history",
                o.history.ops.len(),
                o.format.name()
            ),
            marks: &[],
            now: None,
            end,
            time: line_time,
            headline: "",
            title: format!("History · {} (opened from a file)", o.name),
        };
    }
    let p = &s.panes[pane];
    let (verdict, verdict_text) = pane_verdict(s, pane);
    let d = p.world.description();
    Shown {
        id: (p.id, p.checks_version),
        history: p.recorded().history(),
        verdict,
        verdict_text,
        marks: &p.timeline,
        now: Some(s.now()),
        end: s.horizon.max(1),
        time: super::format_time,
        headline: d.headline,
        title: format!("History · {} · {}", d.title, d.consistency.label()),
    }
}

/// What a bar says in a few characters: key and value.
/// The empty value (an absent key) is written ∅.
fn label(op: &HistoryOp) -> String {
    let v = |s: &str| {
        if s.is_empty() {
            "∅".to_string()
        } else {
            s.to_string()
        }
    };
    match (&op.op, &op.outcome) {
        (KvOp::Get { key, .. }, Some(Outcome::Ok { value: Some(r) })) => format!("{key}→{}", v(r)),
        (KvOp::Get { key, .. }, _) => format!("{key}→?"),
        (KvOp::Put { key, value }, _) => format!("{key}←{}", v(value)),
        (KvOp::Cas { key, from, to }, _) => format!("{key} {}→{}", v(from), v(to)),
        (KvOp::Append { key, value }, _) => format!("{key}+{}", v(value)),
    }
}

fn outcome(op: &HistoryOp) -> (&'static str, &'static str, &'static str) {
    match op.outcome {
        Some(Outcome::Ok { .. }) => ("ok", "#2f6f52", "ok"),
        Some(Outcome::Fail) => ("fail", "#8a4b1f", "failed"),
        Some(Outcome::Info) => ("info", "#55507a", "indeterminate (timed out)"),
        None => ("pending", "#3a4450", "pending"),
    }
}

/// A client's name: a node's own by its node.
fn client_name(h: &History, client: usize) -> String {
    match h.owner(client) {
        Some(n) => format!("n{n} itself"),
        None => format!("client {client}"),
    }
}

/// The hover text of an operation.
fn hover(h: &History, i: usize, op: &HistoryOp, r: &Report, time: fn(u64) -> String) -> String {
    let node = op.node.map(|n| format!(" via n{n}")).unwrap_or_default();
    let ret = op
        .complete_t
        .map_or("no return".into(), |t| format!("returned {}", time(t)));
    let mut lines = vec![
        format!(
            "#{i} {} · {}{node}",
            describe(op),
            client_name(h, op.client)
        ),
        format!("invoked {}, {ret} · {}", time(op.invoke_t), outcome(op).2),
    ];
    match r.placed.get(&i) {
        Some(p) => lines.push(format!(
            "{}: {:?} before, {:?} after (place {} in the order found)",
            op.op.key(),
            p.before,
            p.after,
            p.position + 1
        )),
        None if r.violating.contains(&i) => lines.push("cannot be placed in any order".into()),
        None => {}
    }
    if let Some(&(_, w)) = r.stale.iter().find(|s| s.0 == i) {
        lines.push(format!(
            "stale: missed #{w}, acknowledged before this read began"
        ));
    }
    lines.join("\n")
}

#[function_component(HistoryView)]
pub fn history_view(p: &PanelProps) -> Html {
    let framing = use_state(|| Framing::new(10_000));
    let hidden = use_state(|| (BTreeSet::<String>::new(), BTreeSet::<usize>::new()));
    let format_ref = use_node_ref();
    let s = p.model.session.borrow();
    let v = shown(&s, p.pane);
    let report = {
        let model = p.model.clone();
        let pane = p.pane;
        use_memo(v.id, move |_| {
            let s = model.session.borrow();
            match &s.opened {
                Some(o) => o.report(),
                None => s.panes[pane].report(),
            }
        })
    };
    // Rows: every key, and under it every client that worked on it (over the whole history,
    // so that rows stay put as the window moves).
    let rows = {
        let history_len = v.history.len();
        let model = p.model.clone();
        let pane = p.pane;
        use_memo((v.id.0, history_len), move |_| {
            let s = model.session.borrow();
            let h = shown(&s, pane).history;
            let mut by_key: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
            for op in &h.ops {
                by_key
                    .entry(op.op.key().to_string())
                    .or_default()
                    .insert(op.client);
            }
            by_key
        })
    };
    let (hidden_keys, hidden_clients) = &*hidden;
    let clients: BTreeSet<usize> = rows.values().flatten().copied().collect();
    let mut layout: Vec<(String, Vec<usize>)> = Vec::new();
    let mut n_rows = 0;
    let mut cut = 0;
    for (key, cs) in rows.iter().filter(|(k, _)| !hidden_keys.contains(*k)) {
        let cs: Vec<usize> = cs
            .iter()
            .copied()
            .filter(|c| !hidden_clients.contains(c))
            .collect();
        if n_rows + cs.len() > MAX_ROWS {
            cut += cs.len();
            continue;
        }
        n_rows += cs.len();
        layout.push((key.clone(), cs));
    }
    let mut row_y: BTreeMap<(&str, usize), f64> = BTreeMap::new();
    let mut y = TOP;
    let mut headers = Vec::new();
    for (key, cs) in &layout {
        headers.push((key.as_str(), y));
        y += HEADER;
        for &c in cs {
            row_y.insert((key.as_str(), c), y);
            y += ROW;
        }
    }
    let height = y + 6.0;
    let w = framing.window(v.end, LABEL, WIDTH - 8.0);
    let seek = |t: u64| p.send.reform(move |_: MouseEvent| Msg::GoTo(t));
    let can_seek = v.now.is_some();

    // Bars in the window, on shown rows.
    let end_of = |op: &HistoryOp| op.complete_t.unwrap_or(v.end);
    let visible: Vec<usize> = (v.history.iter())
        .filter(|(_, op)| {
            w.overlaps(op.invoke_t, end_of(op)) && row_y.contains_key(&(op.op.key(), op.client))
        })
        .map(|(i, _)| i)
        .take(MAX_BARS + 1)
        .collect();
    let too_many = visible.len() > MAX_BARS;
    let violating: BTreeSet<usize> = report.violating.iter().copied().collect();
    let bar = |&i: &usize| {
        let op = &v.history[i];
        let y = row_y[&(op.op.key(), op.client)];
        let (x0, x1) = (w.x(op.invoke_t), w.x(end_of(op)));
        let width = (x1 - x0).max(2.0);
        let (class, fill, _) = outcome(op);
        let bad = violating.contains(&i);
        let stale = report
            .stale
            .iter()
            .find(|s| s.0 == i)
            .map(|s| s.1.to_string());
        let text = label(op);
        let fits = width > 7.0 * text.chars().count() as f64;
        let onclick = can_seek.then(|| seek(op.invoke_t));
        html! {
            <g data-hop={i.to_string()} data-invoke={op.invoke_t.to_string()} data-outcome={class} data-violation={bad.then_some("1")} data-stale={stale.clone()}
                class="hop" {onclick} cursor={if can_seek { "pointer" } else { "default" }}>
                <title>{hover(v.history, i, op, &report, v.time)}</title>
                <rect x={x0.to_string()} y={(y + 2.0).to_string()} width={width.to_string()} height={(ROW - 4.0).to_string()} rx="3"
                    fill={if bad { "#7a1f2b" } else { fill }}
                    stroke={if bad { "#ff2d6f" } else if stale.is_some() { "#e3b341" } else { "none" }}
                    stroke-width={if bad { "2" } else { "1.2" }}
                    stroke-dasharray={(op.outcome == Some(Outcome::Info) || op.outcome.is_none()).then_some("4 2")} />
                if fits {
                    <text x={(x0 + 4.0).to_string()} y={(y + ROW / 2.0 + 4.0).to_string()} fill={TEXT} font-size="10" pointer-events="none">{text}</text>
                }
            </g>
        }
    };
    // The order found: a point in each placed bar, a line through them, per key.
    let order_lines = report.orders.iter().map(|(key, order)| {
        let mut at = 0u64;
        let mut points: Vec<(f64, f64, usize)> = Vec::new();
        for (i, op) in order.iter().filter_map(|&i| Some((i, v.history.get(i)?))) {
            at = at.max(op.invoke_t).min(end_of(op));
            if let Some(&y) = row_y.get(&(key.as_str(), op.client)) {
                if w.overlaps(at, at) {
                    points.push((w.x(at), y + ROW / 2.0, i));
                }
            }
        }
        let path: String = points.iter().map(|(x, y, _)| format!("{x:.1},{y:.1} ")).collect();
        html! {
            <g data-order={key.clone()}>
                <polyline points={path} fill="none" stroke="#5fb3f9" stroke-width="1" stroke-opacity="0.7" pointer-events="none" />
                { for points.iter().map(|(x, y, i)| html! {
                    <circle data-point={i.to_string()} cx={x.to_string()} cy={y.to_string()} r="2.6" fill="#5fb3f9" pointer-events="none" />
                }) }
            </g>
        }
    });
    // A stale read tied to the write it missed.
    let stale_links = report.stale.iter().filter_map(|&(r, wr)| {
        let (read, write) = (v.history.get(r)?, v.history.get(wr)?);
        let y0 = row_y.get(&(read.op.key(), read.client))?;
        let y1 = row_y.get(&(write.op.key(), write.client))?;
        if !w.overlaps(write.invoke_t, end_of(read)) {
            return None;
        }
        let (x0, x1) = (w.x(read.invoke_t), w.x(end_of(write)));
        Some(html! {
            <line data-missed={wr.to_string()} x1={x0.to_string()} y1={(y0 + ROW / 2.0).to_string()} x2={x1.to_string()} y2={(y1 + ROW / 2.0).to_string()}
                stroke="#e3b341" stroke-width="1" stroke-dasharray="2 2" pointer-events="none" />
        })
    });
    let labels = headers.iter().map(|&(key, y)| {
        html! { <text x="4" y={(y + 12.0).to_string()} fill={TEXT} font-size="11" font-weight="600">{format!("key {key}")}</text> }
    });
    let client_labels = row_y.iter().map(|(&(_, c), &y)| {
        html! { <text x="14" y={(y + ROW / 2.0 + 4.0).to_string()} fill={MUTED} font-size="10">{client_name(v.history, c)}</text> }
    });

    let first_bad = report.violating.first().copied();
    let jump = first_bad.and_then(|i| v.history.get(i)).map(|op| {
        let t = op.invoke_t;
        let (framing, send, can_seek) = (framing.clone(), p.send.clone(), can_seek);
        Callback::from(move |_: MouseEvent| {
            framing.set(framing.showing(t));
            if can_seek {
                send.emit(Msg::GoTo(t));
            }
        })
    });
    let toggle_key = |k: String| {
        let hidden = hidden.clone();
        Callback::from(move |_: MouseEvent| {
            let (mut keys, clients) = (*hidden).clone();
            if !keys.remove(&k) {
                keys.insert(k.clone());
            }
            hidden.set((keys, clients));
        })
    };
    let toggle_client = |c: usize| {
        let hidden = hidden.clone();
        Callback::from(move |_: MouseEvent| {
            let (keys, mut clients) = (*hidden).clone();
            if !clients.remove(&c) {
                clients.insert(c);
            }
            hidden.set((keys, clients));
        })
    };
    let close = s
        .opened
        .is_some()
        .then(|| p.send.reform(|_| Msg::CloseHistory));
    let export = {
        let (model, send, pane, format) =
            (p.model.clone(), p.send.clone(), p.pane, format_ref.clone());
        Callback::from(move |_: MouseEvent| {
            let format = match super::field(&format).as_str() {
                "jepsen" => HistoryFormat::Jepsen,
                _ => HistoryFormat::Kv,
            };
            let s = model.session.borrow();
            let (name, history, failing) = match &s.opened {
                Some(o) => (o.name.clone(), &o.history, o.verdict.as_ref()),
                None => (
                    format!("consensus-lab-seed-{}", s.seed()),
                    s.panes[pane].recorded().history(),
                    s.panes[pane]
                        .checks
                        .as_ref()
                        .and_then(|c| c.linearizability.as_ref()),
                ),
            };
            let focus = failing
                .and_then(|v| v.failure.as_ref())
                .map(|f| f.key.as_str());
            let said = match write_history(history, format, focus) {
                Err(e) => Some(format!(
                    "Could not export the history as {}: {e}.",
                    format.name()
                )),
                Ok(w) => {
                    let ext = if format == HistoryFormat::Jepsen {
                        "log"
                    } else {
                        "edn"
                    };
                    let file = format!("{name}-history-{}.{ext}", format.name());
                    match super::files::download(&file, &w.text, "text/plain") {
                        Err(e) => Some(format!("Could not export the history: {e}.")),
                        Ok(()) => w.only_key.map(|k| format!("A Jepsen etcd log holds one register: the file holds key {k} only (keys are checked independently, so its verdict is the same alone). The kv format holds every key.")),
                    }
                }
            };
            drop(s);
            if let Some(n) = said {
                send.emit(Msg::Notice(Some(n)));
            }
        })
    };
    let svg_name = match &s.opened {
        Some(o) => format!("{}-history.svg", o.name),
        None => format!("consensus-lab-seed-{}-history.svg", s.seed()),
    };
    let export_svg = super::files::export_svg("history", p.pane, svg_name, p.send.clone());
    html! {
        <section class="panel history" data-view="history" data-pane={p.pane.to_string()}>
            <div class="view-head">
                <h2>{v.title.clone()}</h2>
                <span class={classes!("verdict", v.verdict)} data-verdict={v.verdict}>{v.verdict_text.clone()}</span>
                if let Some(j) = jump {
                    {action_button("Jump to the first violation", "jump-violation", "Show and seek to the first operation that breaks the guarantee", j, false)}
                }
                {time_axis::controls(&framing, v.end, "history")}
                <span class="exports">
                    <select ref={format_ref} data-field="history-format" title="The file format: Porcupine's kv (every key; no compare-and-set) or a Jepsen etcd log (one register)">
                        <option value="kv" selected=true>{"kv (Porcupine)"}</option>
                        <option value="jepsen">{"jepsen (etcd log)"}</option>
                    </select>
                    {action_button("Export history", "export-history", "Save the client history in a format `lab check-history` and Porcupine read", export, false)}
                    {action_button("SVG", "export-svg", "Save this drawing as an SVG file", export_svg, false)}
                </span>
                if let Some(c) = close {
                    {action_button("Close", "close-history", "Back to the run's own history", c, false)}
                }
            </div>
            if let Some(why) = &report.why {
                <p class={classes!("why", (v.verdict != "violation").then_some("expected"))} data-why="">{why.clone()}</p>
            }
            <div class="view-legend">
                <span class="hint">{"keys "}</span>
                { for rows.keys().map(|k| html! {
                    <button class={classes!("chip", hidden_keys.contains(k).then_some("off"))} data-key-toggle={k.clone()} onclick={toggle_key(k.clone())}>{k.clone()}</button>
                }) }
                <span class="hint">{" clients "}</span>
                { for clients.iter().map(|&c| html! {
                    <button class={classes!("chip", hidden_clients.contains(&c).then_some("off"))} data-client-toggle={c.to_string()} onclick={toggle_client(c)}>{c}</button>
                }) }
                <span class="hint">{" · bars: "}</span>
                <span class="tag ok">{"ok"}</span><span class="tag fail">{"failed"}</span><span class="tag info">{"indeterminate"}</span>
                <span class="tag bad">{"breaks the guarantee"}</span><span class="tag stale">{"stale read"}</span>
                <span class="hint">{" · dots and line: the order the checker found"}</span>
            </div>
            if too_many || cut > 0 {
                <p class="hint">{ if too_many { format!("More than {MAX_BARS} operations in view: the first {MAX_BARS} are drawn; choose a shorter span. ") } else { String::new() } }
                   { if cut > 0 { format!("{cut} rows not drawn: hide keys or clients to see them.") } else { String::new() } }</p>
            }
            if let Some(first) = (v.history.forgotten > 0).then(|| v.history.ops.first()).flatten() {
                <p class="hint" data-forgotten={v.history.forgotten.to_string()}>{format!(
                    "The first {} operations were checked, settled and let go, so that a long session's memory stays flat: the history shown starts at {}.",
                    v.history.forgotten, (v.time)(first.invoke_t))}</p>
            }
            <div class="view-body" onwheel={time_axis::on_wheel(&framing, v.end)}>
                <svg xmlns="http://www.w3.org/2000/svg" viewBox={format!("0 0 {WIDTH} {height}")} width="100%" font-family={FONT} data-svg="history">
                    <rect width={WIDTH.to_string()} height={height.to_string()} fill="#161d26" />
                    {time_axis::ticks(&w, height, &|t| (v.time)(t))}
                    {time_axis::marks(&w, v.marks, TOP - 14.0, height, v.headline)}
                    { for labels }
                    { for client_labels }
                    { for visible.iter().take(MAX_BARS).map(bar) }
                    { for order_lines }
                    { for stale_links }
                    { v.now.map_or(html! {}, |now| time_axis::cursor(&w, now, TOP - 14.0, height)) }
                </svg>
            </div>
        </section>
    }
}

/// The history view is drawn for these: the opened file's, or each pane's.
pub fn history_views(p: &PanelProps, s: &Session) -> Html {
    if s.opened.is_some() {
        return html! { <HistoryView ..p.clone() /> };
    }
    let views = (0..s.panes.len()).map(|i| {
        let props = PanelProps {
            pane: i,
            ..p.clone()
        };
        html! { <HistoryView ..props /> }
    });
    html! { <>{ for views }</> }
}
