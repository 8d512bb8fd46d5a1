//! The top bar: playback (play, step, next, speed, timeline) and starting a new run.

use super::session::{Msg, Session, SPEEDS};
use super::{action_button, format_time, share, PanelProps};
use crate::engine::{Mark, MarkKind, Toggle};
use crate::link::default_scenario;
use crate::protocols::CATALOG;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// What a mark on the timeline says, in a few words.
fn mark_title(m: &Mark, headline: &str) -> String {
    let at = format_time(m.t);
    let who = m.node.map(|n| format!("n{n} ")).unwrap_or_default();
    match m.kind {
        MarkKind::Election => format!("{who}leads ({headline} {}) at {at}", m.number),
        MarkKind::Crash => format!("{who}crashed at {at}"),
        MarkKind::Restart => format!("{who}restarted at {at}"),
        MarkKind::Pause => format!("{who}paused at {at}"),
        MarkKind::Resume => format!("{who}resumed at {at}"),
        MarkKind::Partition => format!("links cut at {at}"),
        MarkKind::Heal => format!("links restored at {at}"),
        MarkKind::Violation => format!("a guarantee broken at {at} (see the checks)"),
    }
}

/// The moments worth finding again, as ticks over the timeline (one per kind where several
/// would fall on the same spot); a click seeks there.
fn markers(s: &Session, send: &Callback<Msg>) -> Html {
    const SPOTS: u64 = 400;
    let span = s.horizon.max(1);
    let mut seen = std::collections::HashSet::new();
    let ticks = (s.panes.iter()).flat_map(|p| {
        let headline = p.world.description().headline;
        // The history checks' findings are the page's, not the run's: marked as they stand.
        let broken = (p.broken_promises().into_iter()).map(|t| Mark {
            t,
            kind: MarkKind::Violation,
            node: None,
            number: 0,
        });
        p.timeline
            .iter()
            .copied()
            .chain(broken)
            .map(move |m| (m, headline))
    });
    let ticks = ticks.filter(|(m, _)| m.t <= span && seen.insert((m.kind, m.t * SPOTS / span)));
    ticks
        .map(|(m, headline)| {
            let t = m.t;
            html! {
                <button class={classes!("mark", m.kind.name())} data-marker={m.kind.name()} data-t={t.to_string()}
                    style={format!("left:{:.2}%", t as f64 * 100.0 / span as f64)} title={mark_title(&m, headline)}
                    onclick={send.reform(move |_| Msg::GoTo(t))} />
            }
        })
        .collect()
}

#[function_component(TopBar)]
pub fn top_bar(p: &PanelProps) -> Html {
    let s = p.model.session.borrow();
    let send = &p.send;
    let seed_ref = use_node_ref();
    let nodes_ref = use_node_ref();
    let protocol_ref = use_node_ref();
    let compare_ref = use_node_ref();
    // The models picked for the next run, once the user picks (for the run on screen, until
    // then): only their switches are shown.
    let picked = use_state(|| None::<(u64, String, String)>);
    let lead_id = s.panes[0].id;
    let (next, beside) = match &*picked {
        Some((id, a, b)) if *id == lead_id => (a.clone(), b.clone()),
        _ => (
            s.lead().description().name.to_string(),
            (s.panes.get(1)).map_or(String::new(), |p| p.world.description().name.to_string()),
        ),
    };
    let applies = |t: &Toggle| {
        (CATALOG.iter())
            .filter(|d| d.name == next || d.name == beside)
            .any(|d| d.toggles.iter().any(|x| x.key == t.key))
    };
    let on_pick = {
        let (picked, protocol_ref, compare_ref) =
            (picked.clone(), protocol_ref.clone(), compare_ref.clone());
        Callback::from(move |_: Event| {
            let (a, b) = (super::field(&protocol_ref), super::field(&compare_ref));
            picked.set(Some((lead_id, a, b)));
        })
    };
    // Every protocol's settings switches, each once; a run takes those of its protocol.
    let toggles = use_memo((), |_| {
        let mut all: Vec<(&'static Toggle, NodeRef)> = Vec::new();
        for t in CATALOG.iter().flat_map(|d| d.toggles) {
            if !all.iter().any(|(seen, _)| seen.key == t.key) {
                all.push((t, NodeRef::default()));
            }
        }
        all
    });

    let new_run = {
        let (send, seed_ref, nodes_ref, protocol_ref, compare_ref, toggles) = (
            send.clone(),
            seed_ref.clone(),
            nodes_ref.clone(),
            protocol_ref.clone(),
            compare_ref.clone(),
            toggles.clone(),
        );
        Callback::from(move |_| {
            let seed = match super::field(&seed_ref).as_str() {
                "" => share::random_seed(),
                t => match t.parse::<u64>() {
                    Ok(v) => v,
                    Err(_) => return send.emit(Msg::Notice(Some(format!("The seed must be a whole number (got {t:?}); the current run is unchanged.")))),
                },
            };
            let nodes = super::field(&nodes_ref).parse().unwrap_or(5);
            let checked = |r: &NodeRef| r.cast::<HtmlInputElement>().is_some_and(|c| c.checked());
            let compare = super::field(&compare_ref);
            let mut protocols = vec![super::field(&protocol_ref)];
            if !compare.is_empty() {
                protocols.push(compare);
            }
            // The same seed, nodes and settings for both: only the model differs.
            let mut scenarios = Vec::new();
            for protocol in protocols {
                let mut scenario = match default_scenario(&protocol, seed) {
                    Ok(s) => s,
                    Err(e) => return send.emit(Msg::Notice(Some(e))),
                };
                scenario.sim_mut().nodes = nodes;
                for (t, r) in toggles.iter() {
                    scenario.toggle(t.key, checked(r));
                }
                scenarios.push(scenario);
            }
            send.emit(Msg::Reset(scenarios));
        })
    };
    let on_speed = send.reform(|e: Event| {
        let v = e.target_unchecked_into::<HtmlSelectElement>().value();
        Msg::SetSpeed(v.parse().unwrap_or(0.25))
    });
    let on_seek = send.reform(|e: InputEvent| {
        super::measure_start("seek");
        let v = e.target_unchecked_into::<HtmlInputElement>().value();
        Msg::Seek(v.parse::<f64>().unwrap_or(0.0) as u64)
    });
    let share_click = {
        let send = send.clone();
        let model = p.model.clone();
        // Made on click: a long run's link is large, and rendering happens every frame.
        Callback::from(move |_| {
            let link = {
                let s = model.session.borrow();
                share::share_link(&s.panes.iter().map(|p| p.world.as_ref()).collect::<Vec<_>>())
            };
            // replaceState, not location.hash: a hashchange would restart the run from the link.
            if let Ok(history) = gloo::utils::window().history() {
                let _ =
                    history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&link));
            }
            send.emit(Msg::Notice(Some("The address bar now holds a link that replays this run exactly (seed, settings and every action). Copy it to share.".into())));
        })
    };
    let on_scenario = {
        let send = send.clone();
        Callback::from(move |e: Event| {
            let select = e.target_unchecked_into::<HtmlSelectElement>();
            let Some(entry) = crate::library::entry(&select.value()) else {
                return;
            };
            select.set_value("");
            // The address bar names the scenario: reloading or sharing it opens it again.
            if let Ok(history) = gloo::utils::window().history() {
                let link = format!("#scenario={}", entry.name);
                let _ =
                    history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&link));
            }
            send.emit(Msg::OpenScenario(entry));
        })
    };
    let on_lesson = {
        let send = send.clone();
        Callback::from(move |e: Event| {
            let select = e.target_unchecked_into::<HtmlSelectElement>();
            if let Some(l) = crate::lessons::lesson(&select.value()) {
                select.set_value("");
                send.emit(Msg::StartLesson(l));
            }
        })
    };
    let speed_value = SPEEDS
        .iter()
        .min_by(|a, b| (a.0 - s.speed).abs().total_cmp(&(b.0 - s.speed).abs()))
        .map_or(0.25, |x| x.0);

    html! {
        <header class="topbar">
            <span class="brand">{"consensus-lab"}<small>{"real raft-rs in your browser"}</small></span>
            <div class="group">
                if s.playing {
                    {action_button("❚❚ Pause", "pause", "Pause (space)", send.reform(|_| Msg::Pause), false)}
                } else {
                    {action_button("▶ Play", "play", "Play (space)", send.reform(|_| Msg::Play), false)}
                }
                {action_button("Step ›", "step", "Run exactly one event (→)", send.reform(|_| Msg::Step), false)}
                {action_button("Next »", "step-interesting", "Run to the next leader election or committed write (n)", send.reform(|_| Msg::StepInteresting), false)}
                <label class="speed">{"speed "}
                    <select data-action="speed" onchange={on_speed}>
                        { for SPEEDS.iter().map(|(v, label)| html! { <option value={v.to_string()} selected={*v == speed_value}>{*label}</option> }) }
                    </select>
                </label>
                { slow_motion(&s, send) }
                if let Some(t) = s.lead().trace_kept_from() {
                    <span class="behind" data-trace-from={t.to_string()} title="A long run keeps the latest message detail only, so that the page does not grow without bound; drag the timeline back and the earlier detail is replayed">{format!("detail kept from {}", format_time(t))}</span>
                }
                if let Some(t) = s.replaying {
                    <span class="behind" data-replaying={t.to_string()} title="Rewinding rebuilds the run from its seed and replays it, a frame's worth at a time">{format!("replaying to {}…", format_time(t))}</span>
                }
                if s.behind && s.playing {
                    <span class="behind" data-behind="" title="Each frame runs as much of the simulation as it has time for, so the page stays responsive">{"slower than asked: this run has more events than the frames have time for"}</span>
                }
            </div>
            <div class="group timeline">
                <div class="scrubber">
                    <input type="range" data-action="timeline" min="0" max={s.horizon.max(1).to_string()} step="1"
                        value={s.now().to_string()} oninput={on_seek} title="Drag back to any earlier moment: the run is replayed exactly" />
                    <div class="marks">{ markers(&s, send) }</div>
                </div>
                <span class="clock" data-time={s.now().to_string()} data-visible={s.lead().visible_events().to_string()} data-horizon={s.horizon.to_string()}>{format_time(s.now())}</span>
            </div>
            <div class="group learn">
                <select data-action="scenarios" title="Classic situations, each replayed exactly, with a caption" onchange={on_scenario}>
                    <option value="" selected=true>{"Scenarios…"}</option>
                    { for crate::library::LIBRARY.iter().map(|e| html! {
                        <option value={e.name} data-scenario={e.name} title={e.caption}>{e.title}</option>
                    }) }
                </select>
                <select data-action="lessons" title="Guided lessons on the real simulator: each step moves on when what it asks for happens" onchange={on_lesson}>
                    <option value="" selected=true>{"Lessons…"}</option>
                    { for crate::lessons::LESSONS.iter().map(|l| html! {
                        <option value={l.name} data-lesson-option={l.name}>{l.title}</option>
                    }) }
                </select>
            </div>
            <div class="group">
                <span class="hint" title="The seed, nodes, model and switches that follow take effect when you press New run">{"next run:"}</span>
                <label>{"seed "}<input ref={seed_ref} class="seed" placeholder={s.seed().to_string()} size="8" /></label>
                <select ref={nodes_ref} title="nodes">
                    { for (3..=9).map(|n| html! { <option value={n.to_string()} selected={n == s.node_count()}>{format!("{n} nodes")}</option> }) }
                </select>
                <select ref={protocol_ref} data-field="protocol" title="consistency model" onchange={on_pick.clone()}>
                    { for CATALOG.iter().map(|d| html! {
                        <option value={d.name} selected={d.name == next}>{format!("{} ({})", d.title, d.consistency.label())}</option>
                    }) }
                </select>
                <select ref={compare_ref} data-field="compare" title="run a second model beside it: same seed, same clients, same faults" onchange={on_pick}>
                    <option value="" selected={beside.is_empty()}>{"alone"}</option>
                    { for CATALOG.iter().map(|d| html! {
                        <option value={d.name} selected={d.name == beside}>{format!("beside {}", d.title)}</option>
                    }) }
                </select>
                // Keyed: a switch shown again is its own element, never another's reused.
                { for toggles.iter().filter(|(t, _)| applies(t)).map(|(t, r)| html! {
                    <label key={t.key} title={t.tooltip}>
                        <input type="checkbox" ref={r.clone()} data-field={t.key} />{t.label}
                    </label>
                }) }
                {action_button("New run", "reset", "Start a new run with this seed (empty: a random one)", new_run, false)}
                {action_button("Share", "share", "Put a link to this exact run in the address bar", share_click, false)}
                <super::files::Files ..p.clone() />
                {action_button("?", "help", "Help and keyboard shortcuts (?)", send.reform(|_| Msg::ToggleHelp), false)}
            </div>
        </header>
    }
}

/// The slow-motion switch, for a protocol with passing roles, and what it is doing now.
fn slow_motion(s: &Session, send: &Callback<Msg>) -> Html {
    let passing: Vec<&str> = (s.lead().description().roles.iter())
        .filter(|r| r.passing)
        .map(|r| r.name)
        .collect();
    if passing.is_empty() {
        return html! {};
    }
    let on = send.reform(|e: Event| {
        Msg::SetSlowMotion(e.target_unchecked_into::<HtmlInputElement>().checked())
    });
    let title = format!(
        "At 1x and slower, play the first 150 ms after a node becomes a {} at 1/20x, so that its messages can be followed one by one",
        passing.join(" or ")
    );
    let slowed = s.playing && s.effective_speed() < s.speed;
    html! {
        <label class={classes!("slow-motion", slowed.then_some("slowed"))} data-slowed={slowed.then_some("")} title={title}>
            <input type="checkbox" data-field="slow-motion" checked={s.slow_motion} onchange={on} />
            {"slow-mo"}
        </label>
    }
}
