//! The browser app (Yew function components). It renders engine views and turns clicks into
//! engine actions; all state lives in `session::Session`.

mod actions_bar;
mod checks_panel;
mod client_panel;
mod cluster_view;
mod controls;
mod files;
mod help;
mod history_view;
mod inspector;
mod lesson_panel;
mod log_panel;
mod network_panel;
pub mod session;
mod share;
mod spacetime_view;
mod time_axis;
mod welcome;

use crate::engine::StateView;
use gloo::events::EventListener;
use gloo::render::{request_animation_frame, AnimationFrame};
use session::{Model, Msg, Session, View};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

thread_local! {
    /// The seed and share link of the run on screen, for the crash banner (kept up to date
    /// after each user action: a panic inside an update cannot read the session).
    static RUN: RefCell<(u64, String)> = const { RefCell::new((0, String::new())) };
    /// A measurement in progress: what, and when it started (performance.now()).
    static MEASURING: Cell<Option<(&'static str, f64)>> = const { Cell::new(None) };
}

/// Performance probes, active only when the page defines `window.__labPerf = {}` (the
/// measurement script does): the script time from an input (an animation frame, a timeline
/// drag) until its render is done, appended to `__labPerf[kind]`.
fn perf_log() -> Option<js_sys::Object> {
    js_sys::Reflect::get(&gloo::utils::window(), &"__labPerf".into())
        .ok()?
        .dyn_into()
        .ok()
}

pub fn measure_start(kind: &'static str) {
    if perf_log().is_some() {
        let now = gloo::utils::window().performance().map_or(0.0, |p| p.now());
        MEASURING.with(|m| m.set(Some((kind, now))));
    }
}

fn now_ms() -> Option<f64> {
    gloo::utils::window().performance().map(|p| p.now())
}

fn measure_end() {
    let Some((kind, start)) = MEASURING.with(|m| m.take()) else {
        return;
    };
    if let Some(now) = now_ms() {
        record(kind, now - start);
    }
}

/// Run `f`, and append its script time to `__labPerf[kind]` when the probes are on.
pub fn timed<T>(kind: &'static str, f: impl FnOnce() -> T) -> T {
    if perf_log().is_none() {
        return f();
    }
    let start = now_ms();
    let out = f();
    if let (Some(start), Some(end)) = (start, now_ms()) {
        record(kind, end - start);
    }
    out
}

fn record(kind: &'static str, ms: f64) {
    let Some(log) = perf_log() else {
        return;
    };
    let list = js_sys::Reflect::get(&log, &kind.into())
        .ok()
        .and_then(|l| l.dyn_into::<js_sys::Array>().ok())
        .unwrap_or_else(|| {
            let a = js_sys::Array::new();
            let _ = js_sys::Reflect::set(&log, &kind.into(), &a);
            a
        });
    list.push(&ms.into());
}

/// A moment of virtual time as the page writes it.
pub fn format_time(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

/// Props every panel takes: the shared model and a way to send messages to it.
#[derive(Properties, PartialEq, Clone)]
pub struct PanelProps {
    pub model: Rc<Model>,
    pub send: Callback<Msg>,
    /// Which cluster a per-cluster panel shows (0 unless comparing side by side).
    #[prop_or_default]
    pub pane: usize,
}

/// A button with a stable `data-action` hook for tests.
pub fn action_button(
    label: &str,
    action: &str,
    title: &str,
    onclick: Callback<MouseEvent>,
    disabled: bool,
) -> Html {
    html! {
        <button data-action={action.to_string()} title={title.to_string()} {onclick} {disabled}>{label}</button>
    }
}

/// Puts `text` into an input when `deps` change and leaves it alone otherwise: a `value` prop
/// would overwrite what the user is typing on every animation frame.
#[hook]
pub fn use_initial_text<D: PartialEq + 'static>(input: &NodeRef, deps: D, text: String) {
    let input = input.clone();
    use_effect_with(deps, move |_| {
        if let Some(i) = input.cast::<web_sys::HtmlInputElement>() {
            i.set_value(&text);
        }
    });
}

/// The trimmed text of an input or a select.
pub fn field(r: &NodeRef) -> String {
    if let Some(i) = r.cast::<web_sys::HtmlInputElement>() {
        return i.value().trim().to_string();
    }
    r.cast::<web_sys::HtmlSelectElement>()
        .map(|s| s.value().trim().to_string())
        .unwrap_or_default()
}

/// Latency (ms) and loss (%) typed into a form, applied to `base`; a message if out of range.
pub fn link_from_form(
    latency: &NodeRef,
    loss: &NodeRef,
    base: crate::engine::LinkConfig,
) -> Result<crate::engine::LinkConfig, String> {
    match (field(latency).parse::<u32>(), field(loss).parse::<f64>()) {
        (Ok(l), Ok(x)) if l <= 10_000 && (0.0..=100.0).contains(&x) => Ok(crate::engine::LinkConfig { latency_ms: l, loss: x / 100.0, ..base }),
        _ => Err("Latency must be a whole number of ms (0–10000) and loss a percentage (0–100); nothing was changed.".into()),
    }
}

fn animation_loop(send: Callback<Msg>, slot: Rc<RefCell<Option<AnimationFrame>>>) {
    let next = slot.clone();
    *slot.borrow_mut() = Some(request_animation_frame(move |ts| {
        measure_start("frame");
        send.emit(Msg::Frame(ts));
        animation_loop(send, next);
    }));
}

/// Builds the simulations a page starts with, instead of the page's link (a test plugging in
/// a protocol of its own does).
#[derive(Clone)]
pub struct Start(pub Rc<dyn Fn() -> Result<Sims, String>>);

/// The simulations of a session, one per pane.
pub type Sims = Vec<Box<dyn crate::engine::Sim>>;

impl PartialEq for Start {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    #[prop_or_default]
    pub start: Option<Start>,
}

/// The session a page opens: what `start` builds, else what its link holds; a fresh run of the
/// first protocol, with a notice, when that cannot be opened.
fn opening_session(start: &Option<Start>) -> Session {
    if let (None, Some(Ok(e))) = (start, share::library_from_location()) {
        if let Ok(mut s) = Session::new(e.scenarios()) {
            s.open_at(e);
            return s;
        }
    }
    let opened = match start {
        Some(Start(build)) => build().and_then(Session::of),
        None => share::scenario_from_location()
            .and_then(|s| Session::new(s.unwrap_or_else(share::fresh_run))),
    };
    let fresh_visit = gloo::utils::window()
        .location()
        .hash()
        .unwrap_or_default()
        .len()
        <= 1;
    let opened = opened.map(|mut s| {
        if let (None, Some(t)) = (start, share::moment_from_location()) {
            s.stand_at(t);
        }
        // A first visit to the page itself, not to a link someone sent.
        s.welcome = start.is_none() && fresh_visit && !welcome::welcomed();
        s
    });
    opened.unwrap_or_else(|e| {
        let mut s = Session::new(share::fresh_run()).expect("the default scenario is valid");
        s.notice = Some(could_not_open(&e, "started a new run instead"));
        s
    })
}

fn could_not_open(why: &str, then: &str) -> String {
    format!("Could not open the link ({why}); {then}.")
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let model = use_reducer(|| Model::new(opening_session(&props.start)));
    // The same callback on every render: panels that take it can skip a render when nothing
    // else of theirs changed.
    let send = {
        let dispatcher = model.dispatcher();
        (*use_memo((), move |_| {
            Callback::from(move |msg: Msg| dispatcher.dispatch(msg))
        }))
        .clone()
    };
    let animate = {
        let s = model.session.borrow();
        s.busy()
    };

    // Runs only while playing or checking; a hidden tab gets no animation frames, so it does
    // no work.
    {
        let send = send.clone();
        use_effect_with(animate, move |&animate| {
            let slot = Rc::new(RefCell::new(None));
            if animate {
                animation_loop(send, slot.clone());
            }
            move || drop(slot.borrow_mut().take())
        });
    }
    {
        // A link pasted into this tab's address bar opens that run.
        let send = send.clone();
        use_effect_with((), move |_| {
            // A link that cannot be opened leaves the run on screen as it is, with a notice.
            let listener = EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
                if let Some(Ok(e)) = share::library_from_location() {
                    return send.emit(Msg::OpenScenario(e));
                }
                match share::scenario_from_location() {
                    Ok(s) => {
                        send.emit(Msg::Reset(s.unwrap_or_else(share::fresh_run)));
                        if let Some(t) = share::moment_from_location() {
                            send.emit(Msg::StandAt(t));
                        }
                    }
                    Err(e) => send.emit(Msg::Notice(Some(could_not_open(
                        &e,
                        "the run on screen goes on",
                    )))),
                }
            });
            move || drop(listener)
        });
    }
    {
        let send = send.clone();
        use_effect_with((), move |_| {
            let listener = EventListener::new(&gloo::utils::document(), "keydown", move |e| {
                let Some(e) = e.dyn_ref::<KeyboardEvent>() else {
                    return;
                };
                let typing = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| {
                        matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
                    });
                if typing || e.ctrl_key() || e.meta_key() || e.alt_key() {
                    return;
                }
                let msg = match e.key().as_str() {
                    " " => Some(Msg::TogglePlay),
                    "ArrowRight" => Some(Msg::Step),
                    "n" => Some(Msg::StepInteresting),
                    "?" => Some(Msg::ToggleHelp),
                    "Escape" => Some(Msg::Escape),
                    _ => None,
                };
                if let Some(msg) = msg {
                    e.prevent_default();
                    send.emit(msg);
                }
            });
            move || drop(listener)
        });
    }

    // Runs after every render: closes a measurement started by an input.
    use_effect(measure_end);
    let drop = files::use_file_drop(send.clone());

    let props = PanelProps {
        model: Rc::new((*model).clone()),
        send,
        pane: 0,
    };
    let s = model.session.borrow();
    let panes = s.panes.len();
    // Clients, and the history they make, only where a protocol keeps data.
    let clients = s.panes.iter().any(|p| p.world.description().clients);
    // What the state view shows: logs, unless every pane shows something else.
    let members_only =
        (s.panes.iter()).all(|p| p.world.description().state == [StateView::Members]);
    let state_label = if members_only {
        "Membership"
    } else {
        View::Log.label()
    };
    let pane = |i: usize| PanelProps {
        pane: i,
        ..props.clone()
    };
    html! {
        <div class={classes!("app", (panes > 1).then_some("compare"))} ondragover={drop.0} ondrop={drop.1}>
            <controls::TopBar ..props.clone() />
            if let Some(n) = &s.notice {
                <div class="notice" data-notice="">
                    <span>{n}</span>
                    <button class="close" onclick={props.send.reform(|_| Msg::Notice(None))}>{"×"}</button>
                </div>
            }
            <lesson_panel::LessonPanel ..props.clone() />
            <welcome::Welcome ..props.clone() />
            if let Some(e) = s.caption {
                <div class="scenario-caption" data-caption={e.name}>
                    <span><strong>{e.title}</strong>{" — "}{e.caption}</span>
                    <button class="close" title="Hide the caption" onclick={props.send.reform(|_| Msg::CloseCaption)}>{"×"}</button>
                </div>
            }
            <div class="main">
                <div class="clusters">
                    { for (0..panes).map(|i| html! { <cluster_view::ClusterView ..pane(i) /> }) }
                </div>
                <aside class="side">
                    { for (0..panes).map(|i| html! { <checks_panel::ChecksPanel ..pane(i) /> }) }
                    <inspector::Inspector ..props.clone() />
                    // Clients before the network: reads and writes, and what they returned, are
                    // what a first visit does most, and stay above the fold at 1366x900.
                    if clients {
                        <client_panel::ClientPanel ..props.clone() />
                    }
                    <network_panel::NetworkPanel ..props.clone() />
                </aside>
            </div>
            <div class="bottom">
                <div class="view-tabs">
                    { for View::ALL.iter().filter(|&&v| clients || v != View::History || s.opened.is_some()).map(|&v| {
                        let on = s.shown.contains(&v);
                        html! { <button class={classes!("tab", on.then_some("on"))} aria-pressed={on.to_string()} data-action={format!("view-{}", v.name())}
                            onclick={props.send.reform(move |_| Msg::ToggleView(v))}>{if v == View::Log { state_label } else { v.label() }}</button> }
                    }) }
                </div>
                if s.shown.contains(&View::Log) {
                    <div class="view-row">{ for (0..panes).map(|i| html! { <log_panel::LogPanel ..pane(i) /> }) }</div>
                }
                if s.shown.contains(&View::History) && (clients || s.opened.is_some()) {
                    <div class="view-row">{ history_view::history_views(&props, &s) }</div>
                }
                if s.shown.contains(&View::SpaceTime) {
                    <div class="view-row">{ for (0..panes).map(|i| html! { <spacetime_view::SpaceTimeView ..pane(i) /> }) }</div>
                }
            </div>
            if s.help {
                <help::Help send={props.send.clone()} protocols={s.panes.iter().map(|p| p.world.description()).collect::<Vec<_>>()} />
            }
        </div>
    }
}

/// Note the run on screen, for the crash banner.
fn remember_run(s: &Session) {
    let sims: Vec<&dyn crate::engine::Sim> = s.panes.iter().map(|p| p.world.as_ref()).collect();
    let link = share::share_link(&sims);
    RUN.with(|r| *r.borrow_mut() = (s.seed(), link));
}

/// A test asks for a panic (to see the banner on the built page) by defining
/// `window.__labTestPanic`; nothing in the page defines it.
fn test_panic_requested() -> bool {
    js_sys::Reflect::get(&gloo::utils::window(), &"__labTestPanic".into())
        .is_ok_and(|v| !v.is_undefined())
}

/// Shows a banner instead of a dead page if anything panics, with the seed and the share link
/// that reproduce the run. Set through Yew's hook: `Renderer::render` replaces any other.
pub fn install_panic_hook() {
    yew::set_custom_panic_hook(Box::new(|info| {
        let (seed, link) = RUN.with(|r| r.try_borrow().map(|r| r.clone()).unwrap_or_default());
        let text = format!("consensus-lab hit an internal error and stopped: {info}. Seed {seed}. Reload the page to start again, or open ");
        web_sys::console::error_1(&text.clone().into());
        let doc = gloo::utils::document();
        let Ok(banner) = doc.create_element("div") else {
            return;
        };
        banner.set_class_name("panic-banner");
        let _ = banner.set_attribute("data-panic", "");
        banner.set_text_content(Some(&text));
        if let Ok(a) = doc.create_element("a") {
            let _ = a.set_attribute("href", &link);
            let _ = a.set_attribute("data-panic-link", "");
            a.set_text_content(Some("this run's link"));
            let _ = banner.append_child(&a);
            let _ = banner.append_with_str_1(", which replays it.");
        }
        if let Some(body) = doc.body() {
            let _ = body.prepend_with_node_1(&banner);
        }
    }));
}

pub fn run() {
    install_panic_hook();
    let root = gloo::utils::document()
        .get_element_by_id("app")
        .expect("index.html has #app");
    mount(root);
}

/// Render the app into an element (the page's #app, or a test's own element).
pub fn mount(root: web_sys::Element) -> yew::AppHandle<App> {
    yew::Renderer::<App>::with_root(root).render()
}

/// Render the app into an element, starting with the simulations `start` builds.
pub fn mount_with(root: web_sys::Element, start: Start) -> yew::AppHandle<App> {
    let props = AppProps { start: Some(start) };
    yew::Renderer::<App>::with_root_and_props(root, props).render()
}
