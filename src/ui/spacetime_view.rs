//! The space-time diagram: a lane per node with time flowing right, every message an arrow
//! from its send to its delivery; a lost one ends in a cross where it was lost, one still
//! held or on its way hangs open, a duplicate is dashed. Crashes and pauses shade the lane,
//! role changes are written on it, and what a replica held back until its causes arrived is a
//! bar under it. Only the stretch in view is read from the trace and
//! drawn. A click on an arrow seeks to its send and selects the message in the cluster view
//! and the inspector; the message selected there is highlighted here.

use super::session::{Msg, Selection};
use super::time_axis::{self, Framing, FONT, MUTED, TEXT, WIDTH};
use super::{action_button, format_time, PanelProps};
use crate::engine::{Arrow, DropReason, Fate, MarkKind, MsgId};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

const LABEL: f64 = 44.0;
const TOP: f64 = 30.0;
/// Arrows drawn at most: past this the view asks for a shorter span or fewer kinds.
const MAX_ARROWS: usize = 2_500;
/// Arrows in view past which routine kinds (heartbeats, gossip rounds) start hidden.
const MANY: usize = 200;

/// A lane's height for `n` lanes: 64 lanes stay within a panel, a few get room.
fn lane_height(n: usize) -> f64 {
    (360.0 / n.max(1) as f64).clamp(9.0, 30.0)
}

fn reason(r: DropReason) -> &'static str {
    match r {
        DropReason::Loss => "lost by the link",
        DropReason::Partition => "dropped: the link was cut",
        DropReason::NodeDown => "dropped: the receiver was down",
        DropReason::User => "dropped by the user",
    }
}

#[function_component(SpaceTimeView)]
pub fn spacetime_view(p: &PanelProps) -> Html {
    let framing = use_state(|| Framing::new(2_000));
    let hidden_nodes = use_state(BTreeSet::<usize>::new);
    // None until the user picks kinds: then routine kinds start hidden when there are many.
    let chosen_kinds = use_state(|| None::<BTreeSet<u8>>);
    // A click on an arrow: the run at its send, the message selected.
    let pick = use_callback(
        (p.send.clone(), p.pane),
        |(sent, id): (u64, MsgId), (send, pane)| {
            send.emit(Msg::SeekAndSelect(sent, Selection::Message(*pane, id)));
        },
    );
    let s = p.model.session.borrow();
    let pane = &s.panes[p.pane];
    let rec = pane.recorded();
    let d = rec.description();
    let n = rec.node_count();
    let end = s.horizon.max(1);
    let now = s.now();
    let w = framing.window(end, LABEL, WIDTH - 8.0);
    let span = w.t1 - w.t0;
    // Tiles: arrows grouped by when they were sent, each tile drawn from its own start and
    // moved into place. Panning or following the run moves the tiles; only a tile whose
    // arrows changed is drawn again. Whole tiles are read, from a little before the window
    // (arrows sent then arrive in it).
    let tile_ms = (span / 16).max(1);
    let first = w.t0.saturating_sub(span.min(1_000)) / tile_ms * tile_ms;
    let last = w.t1 / tile_ms * tile_ms + tile_ms - 1;
    let arrows = rec.arrows(first, last, (last + span).min(end));
    let routine_hidden = || -> BTreeSet<u8> {
        if arrows.len() > MANY {
            d.kinds
                .iter()
                .filter(|k| k.routine)
                .map(|k| k.code)
                .collect()
        } else {
            BTreeSet::new()
        }
    };
    let hidden_kinds = (*chosen_kinds).clone().unwrap_or_else(routine_hidden);
    let lanes: Vec<usize> = (0..n).filter(|i| !hidden_nodes.contains(i)).collect();
    let lane_h = lane_height(lanes.len());
    let lane_y = |node: usize| {
        (lanes.iter().position(|&l| l == node))
            .map(|i| TOP + 6.0 + i as f64 * lane_h + lane_h / 2.0)
    };
    let height = TOP + 12.0 + lanes.len() as f64 * lane_h;
    let held: BTreeSet<u64> = pane
        .world
        .messages()
        .iter()
        .filter(|m| m.held)
        .map(|m| m.id)
        .collect();
    let shown: Vec<&Arrow> = (arrows.iter())
        .filter(|a| !hidden_kinds.contains(&a.kind.code))
        .filter(|a| lane_y(a.from).is_some() && lane_y(a.to).is_some())
        .take(MAX_ARROWS + 1)
        .collect();
    let too_many = shown.len() > MAX_ARROWS;
    let in_view = (shown.iter())
        .filter(|a| {
            let last = match a.fate {
                Fate::Delivered(t) | Fate::Dropped(t, _) => t,
                Fate::InFlight => a.due.max(now),
            };
            w.overlaps(a.sent, last)
        })
        .count();
    let selected = match s.selected {
        Selection::Message(pn, id) if pn == p.pane => Some(id),
        _ => None,
    };
    let mut tiles: BTreeMap<u64, Vec<Drawn>> = BTreeMap::new();
    for a in shown.iter().take(MAX_ARROWS) {
        let tile = a.sent / tile_ms * tile_ms;
        let held = a.fate == Fate::InFlight && held.contains(&a.id);
        tiles
            .entry(tile)
            .or_default()
            .push(Drawn { arrow: **a, held });
    }
    let lane_ys = Rc::new((0..n).map(lane_y).collect::<Vec<_>>());
    let k = w.scale();
    let tile = |(&origin, arrows): (&u64, &Vec<Drawn>)| {
        let in_flight = arrows.iter().any(|d| d.arrow.fate == Fate::InFlight);
        let selected = selected.filter(|id| arrows.iter().any(|d| d.arrow.id == *id));
        html! {
            <g key={origin.to_string()} transform={format!("translate({:.2},0)", w.offset(origin))}>
                <Tile origin={origin} k={k} arrows={Rc::new(arrows.clone())} lanes={lane_ys.clone()}
                    now={if in_flight { now } else { 0 }} {selected} pick={pick.clone()} />
            </g>
        }
    };
    // Crash and pause spans, shading their lanes.
    let mut spans: Vec<(usize, u64, u64, &'static str)> = Vec::new();
    let mut open: Vec<Option<(u64, MarkKind)>> = vec![None; n];
    for m in &pane.timeline {
        let Some(node) = m.node.filter(|&x| x < n) else {
            continue;
        };
        match m.kind {
            MarkKind::Crash | MarkKind::Pause => open[node] = Some((m.t, m.kind)),
            MarkKind::Restart | MarkKind::Resume => {
                if let Some((t, k)) = open[node].take() {
                    spans.push((
                        node,
                        t,
                        m.t,
                        if k == MarkKind::Crash {
                            "down"
                        } else {
                            "paused"
                        },
                    ));
                }
            }
            _ => {}
        }
    }
    for (node, o) in open.iter().enumerate() {
        if let Some((t, k)) = o {
            spans.push((
                node,
                *t,
                end,
                if *k == MarkKind::Crash {
                    "down"
                } else {
                    "paused"
                },
            ));
        }
    }
    let shade = spans.iter().filter(|sp| w.overlaps(sp.1, sp.2)).filter_map(|&(node, a, b, what)| {
        let y = lane_y(node)? - lane_h / 2.0;
        let (x0, x1) = (w.x(a), w.x(b));
        let fill = if what == "down" { "#f85149" } else { "#8593a3" };
        let which = p.pane;
        Some(html! {
            <rect data-lane-span={what} cursor="pointer" onclick={p.send.reform(move |_: MouseEvent| Msg::SeekAndSelect(a, Selection::Node(which, node)))} x={x0.to_string()} y={y.to_string()} width={(x1 - x0).max(1.0).to_string()} height={lane_h.to_string()} fill={fill} fill-opacity="0.16">
                <title>{format!("n{node} {what} from {} to {}", format_time(a), format_time(b))}</title>
            </rect>
        })
    });
    // Updates a replica held back until what they depend on arrived: a bar under its lane.
    let holds = (rec.held().iter())
        .filter(|h| w.overlaps(h.from, h.until.unwrap_or(end)))
        .filter_map(|h| {
            let y = lane_y(h.node)? + lane_h * 0.28;
            let (x0, x1) = (w.x(h.from), w.x(h.until.unwrap_or(end)));
            let until = h.until.map_or("still held".to_string(), |t| format!("until {}", format_time(t)));
            Some(html! {
                <rect data-held={h.node.to_string()} x={x0.to_string()} y={y.to_string()} width={(x1 - x0).max(2.0).to_string()} height="3" rx="1" fill="#e3b341">
                    <title>{format!("n{} held back {}: from {} {until}", h.node, h.what, format_time(h.from))}</title>
                </rect>
            })
        });
    // A lane's words stay apart: one too close to the last on its lane is left to the hover.
    let mut last_word = vec![f64::NEG_INFINITY; n];
    let roles = (rec.role_changes().iter()).filter(|r| w.overlaps(r.t, r.t)).filter_map(|r| {
        let y = lane_y(r.node)?;
        let x = w.x(r.t);
        let word = lane_h >= 12.0 && x - last_word[r.node] > 70.0;
        if word {
            last_word[r.node] = x;
        }
        let colour = d.roles.iter().find(|x| x.name == r.role).map_or(MUTED, |x| x.colour);
        let (t, node, which) = (r.t, r.node, p.pane);
        Some(html! {
            <g data-role-change={r.role} cursor="pointer" onclick={p.send.reform(move |_: MouseEvent| Msg::SeekAndSelect(t, Selection::Node(which, node)))}>
                <rect x={(x - 1.5).to_string()} y={(y - lane_h / 2.0 + 1.0).to_string()} width="3" height={(lane_h - 2.0).to_string()} fill={colour} />
                if word {
                    <text x={(x + 3.0).to_string()} y={(y - 2.0).to_string()} fill={colour} font-size="9">{format!("{} {}", r.role, r.number)}</text>
                }
                <title>{format!("n{} became {} ({} {}) at {}", r.node, r.role, d.headline, r.number, format_time(r.t))}</title>
            </g>
        })
    });
    let lane_lines = lanes.iter().map(|&node| {
        let y = lane_y(node).unwrap_or(0.0);
        html! { <>
            <line x1={LABEL.to_string()} x2={WIDTH.to_string()} y1={y.to_string()} y2={y.to_string()} stroke="#34414f" stroke-width="1" />
            <text x="4" y={(y + 3.5).to_string()} fill={TEXT} font-size={lane_h.clamp(8.0, 11.0).to_string()}>{format!("n{node}")}</text>
        </> }
    });
    let toggle_kind = |code: u8| {
        let (chosen, current) = (chosen_kinds.clone(), hidden_kinds.clone());
        Callback::from(move |_: MouseEvent| {
            let mut set = current.clone();
            if !set.remove(&code) {
                set.insert(code);
            }
            chosen.set(Some(set));
        })
    };
    let toggle_node = |node: usize| {
        let hidden = hidden_nodes.clone();
        Callback::from(move |_: MouseEvent| {
            let mut set = (*hidden).clone();
            if !set.remove(&node) {
                set.insert(node);
            }
            hidden.set(set);
        })
    };
    let export_svg = super::files::export_svg(
        "spacetime",
        p.pane,
        format!("consensus-lab-seed-{}-spacetime.svg", s.seed()),
        p.send.clone(),
    );
    html! {
        <section class="panel spacetime" data-view="spacetime" data-pane={p.pane.to_string()}>
            <div class="view-head">
                <h2>{format!("Space-time · {}", d.title)}</h2>
                <span class="hint" data-arrows={in_view.to_string()}>{format!("{in_view} messages in view")}</span>
                {time_axis::controls(&framing, end, "spacetime")}
                {action_button("SVG", "export-svg", "Save this drawing as an SVG file", export_svg, false)}
            </div>
            <div class="view-legend">
                <span class="hint">{"messages "}</span>
                { for d.kinds.iter().map(|k| html! {
                    <button class={classes!("chip", hidden_kinds.contains(&k.code).then_some("off"))} style={format!("border-color:{}", k.colour)}
                        data-kind-toggle={k.label} onclick={toggle_kind(k.code)} title={if k.routine { "sent on a timer: hidden at first when there are many messages" } else { "" }}>{k.label}</button>
                }) }
                <span class="hint">{" nodes "}</span>
                { for (0..n).map(|i| html! {
                    <button class={classes!("chip", hidden_nodes.contains(&i).then_some("off"))} data-node-toggle={i.to_string()} onclick={toggle_node(i)}>{format!("n{i}")}</button>
                }) }
                <span class="hint">{" · ✕ lost · open end: held or on its way · long dashes: a duplicate · shaded: down (red) or paused (grey) · gold bar: an update held back until its causes arrive"}</span>
            </div>
            if too_many {
                <p class="hint">{format!("More than {MAX_ARROWS} messages in view: the first {MAX_ARROWS} are drawn; choose a shorter span or hide kinds.")}</p>
            }
            <div class="view-body" onwheel={time_axis::on_wheel(&framing, end)}>
                <svg xmlns="http://www.w3.org/2000/svg" viewBox={format!("0 0 {WIDTH} {height}")} width="100%" font-family={FONT} data-svg="spacetime">
                    <rect width={WIDTH.to_string()} height={height.to_string()} fill="#161d26" />
                    {time_axis::ticks(&w, height, &format_time)}
                    {time_axis::marks(&w, &pane.timeline, TOP - 14.0, height, d.headline)}
                    { for shade }
                    { for lane_lines }
                    { for roles }
                    { for holds }
                    <clipPath id={format!("plot-{}", p.pane)}><rect x={LABEL.to_string()} y="0" width={(WIDTH - LABEL).to_string()} height={height.to_string()} /></clipPath>
                    <g clip-path={format!("url(#plot-{})", p.pane)}>{ for tiles.iter().map(tile) }</g>
                    {time_axis::cursor(&w, now, TOP - 14.0, height)}
                </svg>
            </div>
        </section>
    }
}

/// An arrow as a tile draws it.
#[derive(Clone, PartialEq)]
struct Drawn {
    arrow: Arrow,
    /// Held by the user (still in flight).
    held: bool,
}

#[derive(Properties, PartialEq)]
struct TileProps {
    /// The tile's start: its arrows are drawn from there.
    origin: u64,
    /// Drawing units per ms.
    k: f64,
    arrows: Rc<Vec<Drawn>>,
    /// Each node's lane, if shown.
    lanes: Rc<Vec<Option<f64>>>,
    /// Where an arrow still in flight ends (0 when the tile has none, so that it stays drawn).
    now: u64,
    selected: Option<MsgId>,
    pick: Callback<(u64, MsgId)>,
}

/// The arrows sent during one stretch of time.
#[function_component(Tile)]
fn tile(t: &TileProps) -> Html {
    // One listener for the tile: the arrow clicked says which it is.
    let onclick = {
        let pick = t.pick.clone();
        Callback::from(move |e: MouseEvent| {
            let target = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
            let arrow = target.and_then(|el| el.closest("[data-arrow]").ok().flatten());
            let attr = |name: &str| arrow.as_ref()?.get_attribute(name)?.parse::<u64>().ok();
            if let (Some(id), Some(sent)) = (attr("data-arrow"), attr("data-sent")) {
                pick.emit((sent, id));
            }
        })
    };
    let x = |at: u64| (at as f64 - t.origin as f64) * t.k;
    let arrow = |d: &Drawn| {
        let a = &d.arrow;
        let (Some(y0), Some(y1)) = (t.lanes[a.from], t.lanes[a.to]) else {
            return html! {};
        };
        // Where along its way a message ended, as a fraction of its trip.
        let at = |when: u64| {
            let f = when.saturating_sub(a.sent) as f64 / a.due.saturating_sub(a.sent).max(1) as f64;
            (x(when), y0 + (y1 - y0) * f.clamp(0.0, 1.0))
        };
        let (fate, (x1, y1e), said) = match a.fate {
            Fate::Delivered(when) => (
                "delivered",
                (x(when), y1),
                format!("delivered at {}", format_time(when)),
            ),
            Fate::Dropped(when, r) => (
                "dropped",
                at(when),
                format!("{} at {}", reason(r), format_time(when)),
            ),
            Fate::InFlight if d.held => (
                "held",
                at(t.now.max(a.sent)),
                "held by the user".to_string(),
            ),
            Fate::InFlight => (
                "in-flight",
                at(a.due.min(t.now.max(a.sent))),
                format!("due at {}", format_time(a.due)),
            ),
        };
        let x0 = x(a.sent);
        let is_selected = t.selected == Some(a.id);
        let colour = if is_selected {
            "#ffffff"
        } else {
            a.kind.colour
        };
        let dash = match (fate, a.duplicate) {
            ("in-flight" | "held", _) => Some("3 3"),
            (_, true) => Some("7 2"),
            _ => None,
        };
        let hover = format!(
            "#{} {} n{} → n{}{}\nsent at {}, {said}",
            a.id,
            a.kind.label,
            a.from,
            a.to,
            if a.duplicate { " (a duplicate)" } else { "" },
            format_time(a.sent),
        );
        let (x0, y0, x1, y1e) = (
            format!("{x0:.1}"),
            format!("{y0:.1}"),
            format!("{x1:.1}"),
            format!("{y1e:.1}"),
        );
        html! {
            <g data-arrow={a.id.to_string()} data-sent={a.sent.to_string()} data-kind={a.kind.label} data-fate={fate}
                data-duplicate={a.duplicate.then_some("1")} data-selected={is_selected.then_some("1")} cursor="pointer">
                <title>{hover}</title>
                <line x1={x0.clone()} y1={y0.clone()} x2={x1.clone()} y2={y1e.clone()}
                    stroke={colour} stroke-width={if is_selected { "2.5" } else { "1" }} stroke-dasharray={dash} stroke-opacity="0.85" />
                // A wider line that is easier to hit.
                <line x1={x0} y1={y0} x2={x1.clone()} y2={y1e.clone()} stroke="transparent" stroke-width="6" />
                { match fate {
                    "delivered" => html! { <circle cx={x1} cy={y1e} r="2" fill={colour} /> },
                    "dropped" => html! { <text x={x1} y={(y1e.parse::<f64>().unwrap_or(0.0) + 4.0).to_string()} fill="#f85149" font-size="11" text-anchor="middle">{"✕"}</text> },
                    _ => html! { <circle cx={x1} cy={y1e} r="2.5" fill="none" stroke={colour} /> },
                } }
            </g>
        }
    };
    html! { <g {onclick}>{ for t.arrows.iter().map(arrow) }</g> }
}
