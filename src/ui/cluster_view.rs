//! The cluster as SVG: nodes on a ring, links between them, messages in flight along the
//! links at their simulated latency. Click anything to inspect it.

use super::session::{Msg, Selection};
use super::PanelProps;
use crate::engine::{MemberKind, NodeId, Role, Shape};
use yew::prelude::*;

const RING: f64 = 330.0;
/// The drawing's viewBox: left, top, width, height.
pub const VIEW_BOX: (f64, f64, f64, f64) = (-500.0, -470.0, 1000.0, 940.0);
/// Up to this many nodes, every link is drawn and every node labelled.
const LABELLED_UP_TO: usize = 16;

/// Position of node i of n on the ring, starting at the top.
pub fn node_pos(i: NodeId, n: usize) -> (f64, f64) {
    let a = std::f64::consts::TAU * i as f64 / n as f64 - std::f64::consts::FRAC_PI_2;
    (RING * a.cos(), RING * a.sin())
}

pub fn node_radius(n: usize) -> f64 {
    (RING * (std::f64::consts::PI / n as f64).sin() * 0.55).min(62.0)
}

fn names(nodes: &[NodeId]) -> String {
    nodes
        .iter()
        .map(|n| format!("n{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An SVG arc path for the fraction `f` of a circle of radius r around (x, y), clockwise from the top.
fn arc(x: f64, y: f64, r: f64, f: f64) -> String {
    let f = f.clamp(0.0, 0.9999);
    let a = std::f64::consts::TAU * f - std::f64::consts::FRAC_PI_2;
    let (ex, ey) = (x + r * a.cos(), y + r * a.sin());
    format!(
        "M {x:.1} {:.1} A {r:.1} {r:.1} 0 {} 1 {ex:.1} {ey:.1}",
        y - r,
        u8::from(f > 0.5)
    )
}

#[function_component(ClusterView)]
pub fn cluster_view(p: &PanelProps) -> Html {
    let s = p.model.session.borrow();
    let pane = &s.panes[p.pane];
    let (w, views, which) = (pane.world.as_ref(), &pane.views, p.pane);
    let n = w.node_count();
    let r = node_radius(n);
    let net = w.network();
    let select = |sel: Selection| {
        p.send.reform(move |e: MouseEvent| {
            e.stop_propagation();
            Msg::Select(sel)
        })
    };

    // Large clusters would drown in n² lines: draw only the cut links there.
    let crowded = n > LABELLED_UP_TO;
    let links = (0..n).flat_map(|a| ((a + 1)..n).map(move |b| (a, b))).filter(|&(a, b)| !crowded || net.is_cut(a, b) || net.is_cut(b, a)).map(|(a, b)| {
        let ((x1, y1), (x2, y2)) = (node_pos(a, n), node_pos(b, n));
        let (ab, ba) = (net.is_cut(a, b), net.is_cut(b, a));
        let class = classes!("link", (ab || ba).then_some("cut"), (s.selected == Selection::Link(a, b)).then_some("selected"));
        // A ⊘ near the sender marks each blocked direction.
        let block = |from: (f64, f64), to: (f64, f64)| {
            let (bx, by) = (from.0 + (to.0 - from.0) * 0.3, from.1 + (to.1 - from.1) * 0.3);
            html! { <text class="block" x={format!("{bx:.1}")} y={format!("{by:.1}")}>{"⊘"}</text> }
        };
        html! {
            <g key={format!("l{a}-{b}")} data-link={format!("{a}-{b}")} data-cut={format!("{}{}", if ab { "ab" } else { "" }, if ba { "ba" } else { "" })} onclick={select(Selection::Link(a, b))}>
                <line class="hit" x1={format!("{x1:.1}")} y1={format!("{y1:.1}")} x2={format!("{x2:.1}")} y2={format!("{y2:.1}")} />
                <line class={class} x1={format!("{x1:.1}")} y1={format!("{y1:.1}")} x2={format!("{x2:.1}")} y2={format!("{y2:.1}")} />
                if ab { {block((x1, y1), (x2, y2))} }
                if ba { {block((x2, y2), (x1, y1))} }
            </g>
        }
    });

    let messages = w.messages().into_iter().map(|env| {
        let sum = env.msg;
        let ((x1, y1), (x2, y2)) = (node_pos(env.from, n), node_pos(env.to, n));
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (ux, uy) = (dx / len, dy / len);
        let span = (env.deliver_at.saturating_sub(env.sent_at)).max(1) as f64;
        let mut f = ((s.vt - env.sent_at as f64) / span).clamp(0.0, 1.0);
        if env.held {
            f = f.min(0.5);
        }
        // Each direction gets its own lane, so requests and responses do not overlap.
        let along = r + (len - 2.0 * r) * f;
        let (x, y) = (x1 + ux * along - uy * 9.0, y1 + uy * along + ux * 9.0);
        let kind = sum.kind;
        let mark = match (kind.grants, sum.reject) {
            (_, true) => "✗",
            (true, false) => "✓",
            _ => "",
        };
        let shape = match kind.shape {
            Shape::Square => html! { <rect x={format!("{:.1}", x - 10.0)} y={format!("{:.1}", y - 10.0)} width="20" height="20" rx="3" /> },
            Shape::Circle => html! { <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r={if sum.entries > 0 { "12" } else { "9" }} /> },
        };
        let class = classes!("msg", kind.response.then_some("resp"), env.held.then_some("held"), (s.selected == Selection::Message(which, env.id)).then_some("selected"));
        html! {
            <g key={format!("m{}", env.id)} class={class} style={format!("color:{}", kind.colour)} data-msg={kind.label} data-from={env.from.to_string()} data-to={env.to.to_string()} data-id={env.id.to_string()}
                onclick={select(Selection::Message(which, env.id))}>
                {shape}
                if !mark.is_empty() { <text class="mark" x={format!("{x:.1}")} y={format!("{:.1}", y + 5.0)}>{mark}</text> }
                if sum.entries > 0 { <text class="count" x={format!("{x:.1}")} y={format!("{:.1}", y + 4.0)}>{sum.entries}</text> }
                if env.held { <text class="mark" x={format!("{:.1}", x + 16.0)} y={format!("{:.1}", y - 10.0)}>{"❚❚"}</text> }
                if let Some(k) = kind.size {
                    <text class="size" data-size={sum.numbers[k].to_string()} x={format!("{:.1}", x + 16.0)} y={format!("{:.1}", y + 5.0)}>{bytes(sum.numbers[k])}</text>
                }
            </g>
        }
    });

    let caption = w.description().headline;
    // A node that still believes it leads while another leads a later term (cut off, it has
    // not heard yet) says so.
    let newest_lead = (views.iter())
        .filter(|v| v.role.leads)
        .map(|v| v.headline)
        .max()
        .unwrap_or(0);
    let nodes = views.iter().enumerate().map(|(i, v)| {
        let (x, y) = node_pos(i, n);
        let role = v.role;
        let glyph = if role == &Role::DOWN {
            "✕"
        } else if role == &Role::PAUSED {
            "❚❚"
        } else {
            ""
        };
        let member = v.member.as_ref();
        let outside = member.is_some_and(|m| m.kind == MemberKind::None);
        let class = classes!("node", (role == &Role::PAUSED).then_some("paused"), outside.then_some("outside"), (s.selected == Selection::Node(which, i)).then_some("selected"));
        html! {
            <g key={format!("n{i}")} class={class} data-node={i.to_string()} data-role={role.name} data-term={v.headline.to_string()} onclick={select(Selection::Node(which, i))}
                data-member={member.map(|m| m.kind.name())} data-joint={member.filter(|m| m.joint()).map(|_| "1")}>
                <circle class="body" style={format!("fill:{}", role.colour)} cx={format!("{x:.1}")} cy={format!("{y:.1}")} r={format!("{r:.1}")} />
                if let Some((left, total)) = v.timer {
                    <path class="timer" d={arc(x, y, r + 7.0, left as f64 / total.max(1) as f64)} />
                }
                <text class="term" x={format!("{x:.1}")} y={format!("{:.1}", y + r * 0.18)}>{v.headline}</text>
                <text class="caption" x={format!("{x:.1}")} y={format!("{:.1}", y + r * 0.55)}>{v.headline_label.unwrap_or(caption)}</text>
                <title>{format!("n{i} · {}", role.name)}</title>
                // A badge at the node's shoulder, clear of its number.
                if !glyph.is_empty() { <text class="glyph" x={format!("{:.1}", x + r * 0.8)} y={format!("{:.1}", y - r * 0.55)}>{glyph}</text> }
            </g>
        }
    });

    // Names and vote counts in the page's own type size, whatever the drawing's scale (side by
    // side or on a phone it is half or less), and above the messages, on a halo: a message
    // passing a node's label must not make it unreadable.
    let at = |x: f64, y: f64| {
        format!(
            "left:{:.2}%;top:{:.2}%",
            (x - VIEW_BOX.0) / VIEW_BOX.2 * 100.0,
            (y - VIEW_BOX.1) / VIEW_BOX.3 * 100.0
        )
    };
    let holding: Vec<Vec<_>> = (0..n).map(|i| w.holding(i)).collect();
    // A joint configuration, as the leader (or else any node) believes in it.
    let joint = (pane.leader().into_iter().chain(0..n))
        .filter_map(|i| views[i].member.as_ref())
        .find(|m| m.joint());
    let labels = views.iter().enumerate().filter(|_| !crowded).map(|(i, v)| {
        let ((x, y), role) = (node_pos(i, n), v.role);
        let mut name = if role.leads && v.headline < newest_lead {
            format!("n{i} · {} of an old {caption}", role.name)
        } else {
            format!("n{i} · {}", role.name)
        };
        name += match v.member.as_ref().map(|m| m.kind) {
            Some(MemberKind::Learner) => " · learner",
            Some(MemberKind::None) if role.name != "removed" => " · not a member",
            _ => "",
        };
        // While a change is under way, which voter set(s) the node's vote counts in.
        if let Some(j) = joint {
            let (old, new) = (j.outgoing.contains(&i), j.voters.contains(&i));
            name += match (old, new) {
                (true, true) => " (old+new)",
                (true, false) => " (old)",
                (false, true) => " (new)",
                _ => "",
            };
        }
        html! {
            <>
                <span key={format!("t{i}")} class="name" data-label-of={i.to_string()} style={at(x, y - r - 8.0)}>{name}</span>
                if let Some(votes) = v.votes {
                    <span key={format!("v{i}")} class="votes" style={at(x, y + r + 8.0)}>{match votes.old {
                        Some((g, of)) => format!("votes {}/{} new · {g}/{of} old", votes.granted, votes.of),
                        None => format!("votes {}/{}", votes.granted, votes.of),
                    }}</span>
                }
                // What a replica holds back until its causes arrive, on the node itself.
                if !holding[i].is_empty() {
                    <span key={format!("h{i}")} class="holds" data-holds={i.to_string()} style={at(x, y + r + 8.0)}
                        title={holding[i].iter().map(|h| h.what.as_str()).collect::<Vec<_>>().join("\n")}>
                        {format!("holds {} back", holding[i].len())}
                    </span>
                }
            </>
        }
    });

    html! {
        <section class="cluster" data-pane={which.to_string()} data-protocol={w.description().name} data-title={w.description().title} onclick={p.send.reform(|_| Msg::Select(Selection::None))}>
            // The stage keeps the drawing's aspect, so that the actions bar can stand at a node's
            // place in percent.
            <div class="stage">
                <svg viewBox={format!("{} {} {} {}", VIEW_BOX.0, VIEW_BOX.1, VIEW_BOX.2, VIEW_BOX.3)}>
                    <g class="links">{ for links }</g>
                    <g class="nodes">{ for nodes }</g>
                    <g class="messages">{ for messages }</g>
                </svg>
                <div class="labels">{ for labels }</div>
                if let Some(j) = joint {
                    <div class="joint-note" data-joint-config="">{format!(
                        "joint consensus: every decision needs a majority of the old voters ({}) and of the new ({})",
                        names(&j.outgoing), names(&j.voters)
                    )}</div>
                }
                { super::actions_bar::beside(&s, which, &p.send) }
            </div>
        </section>
    }
}

/// A size as people read it: "820 B", "4.2 KB", "1.3 MB".
fn bytes(n: u64) -> String {
    match n {
        n if n < 1_000 => format!("{n} B"),
        n if n < 1_000_000 => format!("{:.1} KB", n as f64 / 1e3),
        n => format!("{:.1} MB", n as f64 / 1e6),
    }
}
