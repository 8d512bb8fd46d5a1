//! The time axis the history view and the space-time diagram share: which stretch of virtual
//! time is shown (following the end of the run, or held where the user panned), its ticks, the
//! run's marks drawn across it, and the controls that zoom and pan it.
//!
//! Drawing uses SVG presentation attributes, not the page's style sheet, so that an exported
//! SVG file looks the same on its own.

use super::format_time;
use crate::engine::{Mark, MarkKind};
use yew::prelude::*;

/// How wide a view's drawing is, in its own units (it scales to the panel's width).
pub const WIDTH: f64 = 1000.0;
pub const FONT: &str = "system-ui, -apple-system, Segoe UI, sans-serif";
pub const TEXT: &str = "#d8e0e8";
pub const MUTED: &str = "#8593a3";

/// Spans a view can show, in ms (0: the whole run).
const SPANS: [(u64, &str); 9] = [
    (1_000, "1 s"),
    (2_000, "2 s"),
    (5_000, "5 s"),
    (10_000, "10 s"),
    (30_000, "30 s"),
    (60_000, "1 min"),
    (300_000, "5 min"),
    (1_800_000, "30 min"),
    (0, "all"),
];

/// What a view shows of time: a span, and where it starts (None: it ends at the end of the
/// run and follows it as the run goes on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Framing {
    pub span: u64,
    pub start: Option<u64>,
}

impl Framing {
    pub fn new(span: u64) -> Self {
        Framing { span, start: None }
    }

    /// The stretch shown when the run ends at `end`, drawn between `left` and `right`.
    pub fn window(&self, end: u64, left: f64, right: f64) -> Window {
        // A run shorter than the span is shown whole while it is followed.
        let span = match (self.span, self.start) {
            (0, _) => end.max(1),
            (s, None) if end < s => end.max(s / 10),
            (s, _) => s,
        };
        let t0 = match self.start {
            Some(s) => s.min(end.saturating_sub(span / 2)),
            None => end.saturating_sub(span),
        };
        Window {
            t0,
            t1: t0 + span,
            left,
            right,
        }
    }

    /// Held so that `t` is in view, a quarter of the way in.
    pub fn showing(self, t: u64) -> Framing {
        let span = if self.span == 0 {
            return self;
        } else {
            self.span
        };
        Framing {
            start: Some(t.saturating_sub(span / 4)),
            ..self
        }
    }
}

/// A stretch of time mapped onto x coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub t0: u64,
    pub t1: u64,
    left: f64,
    right: f64,
}

impl Window {
    pub fn x(&self, t: u64) -> f64 {
        let f = (t as f64 - self.t0 as f64) / (self.t1 - self.t0).max(1) as f64;
        self.left + f.clamp(-0.01, 1.01) * (self.right - self.left)
    }
    /// Drawing units per ms.
    pub fn scale(&self) -> f64 {
        (self.right - self.left) / (self.t1 - self.t0).max(1) as f64
    }
    /// Where `t` is, unclamped (for a group drawn from `t` on and moved there).
    pub fn offset(&self, t: u64) -> f64 {
        self.left + (t as f64 - self.t0 as f64) * self.scale()
    }
    /// Whether anything of [a, b] is in the window.
    pub fn overlaps(&self, a: u64, b: u64) -> bool {
        a <= self.t1 && b >= self.t0
    }
    /// The time at a round step, about 8 of them across.
    fn ticks(&self) -> impl Iterator<Item = u64> {
        let span = (self.t1 - self.t0).max(1);
        let mut step = 1;
        while span / step > 8 {
            step = match step.to_string().as_bytes()[0] {
                b'1' => step * 2,
                b'2' => step * 5 / 2,
                _ => step * 2,
            };
        }
        let (first, last) = (self.t0.div_ceil(step) * step, self.t1);
        (0..)
            .map(move |i| first + i * step)
            .take_while(move |&t| t <= last)
    }
}

/// Tick lines and their times along the top, down to `bottom`.
pub fn ticks(w: &Window, bottom: f64, time: &dyn Fn(u64) -> String) -> Html {
    html! {
        <g class="ticks">
            { for w.ticks().map(|t| {
                let x = w.x(t);
                html! { <>
                    <line x1={x.to_string()} x2={x.to_string()} y1="14" y2={bottom.to_string()} stroke="#2a3542" stroke-width="1" />
                    if x < WIDTH - 50.0 {
                        <text x={(x + 3.0).to_string()} y="11" fill={MUTED} font-size="10">{time(t)}</text>
                    }
                </> }
            }) }
        </g>
    }
}

fn mark_colour(k: MarkKind) -> &'static str {
    match k {
        MarkKind::Election => "#e3b341",
        MarkKind::Crash => "#f85149",
        MarkKind::Restart => "#3fb950",
        MarkKind::Pause => "#8593a3",
        MarkKind::Resume => "#a5d6ff",
        MarkKind::Partition => "#d2a8ff",
        MarkKind::Heal => "#79c0ff",
        MarkKind::Violation => "#ff2d6f",
    }
}

/// The run's marks across a view from `top` to `bottom`: a line and a word at each, and each
/// partition shaded until the heal that follows it.
pub fn marks(w: &Window, marks: &[Mark], top: f64, bottom: f64, headline: &str) -> Html {
    let mut cut_since: Option<u64> = None;
    let mut bands = Vec::new();
    for m in marks {
        match m.kind {
            MarkKind::Partition => {
                cut_since.get_or_insert(m.t);
            }
            MarkKind::Heal => bands.extend(cut_since.take().map(|a| (a, m.t))),
            _ => {}
        }
    }
    bands.extend(cut_since.map(|a| (a, w.t1)));
    let band = |&(a, b): &(u64, u64)| {
        let (x0, x1) = (w.x(a), w.x(b));
        html! {
            <rect data-band="partition" x={x0.to_string()} y={top.to_string()} width={(x1 - x0).max(1.0).to_string()}
                height={(bottom - top).to_string()} fill="#d2a8ff" fill-opacity="0.08">
                <title>{format!("links cut from {} to {}", format_time(a), format_time(b))}</title>
            </rect>
        }
    };
    // Words of marks close together go on lower rows instead of over each other.
    let mut last_x = [f64::NEG_INFINITY; 3];
    let mut line = |m: &Mark| {
        let x = w.x(m.t);
        let row = (0..3).find(|&r| x - last_x[r] > 90.0).unwrap_or(0);
        last_x[row] = x;
        let y = top + 9.0 + 10.0 * row as f64;
        let who = m.node.map(|n| format!("n{n}")).unwrap_or_default();
        let word = match m.kind {
            MarkKind::Election => format!("{who} leads ({headline} {})", m.number),
            MarkKind::Crash => format!("{who} ✕"),
            MarkKind::Restart => format!("{who} ↻"),
            MarkKind::Pause => format!("{who} ❚❚"),
            MarkKind::Resume => format!("{who} ▶"),
            MarkKind::Partition => "cut".into(),
            MarkKind::Heal => "heal".into(),
            MarkKind::Violation => "violation".into(),
        };
        let colour = mark_colour(m.kind);
        html! {
            <g data-axis-mark={m.kind.name()}>
                <line x1={x.to_string()} x2={x.to_string()} y1={top.to_string()} y2={bottom.to_string()}
                    stroke={colour} stroke-width="1" stroke-dasharray="3 3" />
                <text x={(x + 2.0).to_string()} y={y.to_string()} fill={colour} font-size="9">{word}</text>
            </g>
        }
    };
    let shown: Vec<&Mark> = marks.iter().filter(|m| w.overlaps(m.t, m.t)).collect();
    html! {
        <g class="axis-marks">
            { for bands.iter().filter(|&&(a, b)| w.overlaps(a, b)).map(band) }
            { for shown.into_iter().map(&mut line) }
        </g>
    }
}

/// The current moment, across a view.
pub fn cursor(w: &Window, now: u64, top: f64, bottom: f64) -> Html {
    if !w.overlaps(now, now) {
        return html! {};
    }
    let x = w.x(now).to_string();
    html! { <line data-cursor={now.to_string()} x1={x.clone()} x2={x} y1={top.to_string()} y2={bottom.to_string()} stroke="#5fb3f9" stroke-width="1.5" /> }
}

/// Pan with a horizontal wheel (or Shift and the wheel), zoom with Ctrl and the wheel; a
/// vertical wheel alone scrolls the view as usual.
pub fn on_wheel(framing: &UseStateHandle<Framing>, end: u64) -> Callback<WheelEvent> {
    let framing = framing.clone();
    Callback::from(move |e: WheelEvent| {
        let f = *framing;
        let window = f.window(end, 0.0, 1.0);
        let span = window.t1 - window.t0;
        let along = if e.shift_key() {
            e.delta_y()
        } else {
            e.delta_x()
        };
        if e.ctrl_key() {
            e.prevent_default();
            let at = SPANS.iter().position(|&(s, _)| s == f.span).unwrap_or(3);
            let to = if e.delta_y() > 0.0 {
                (at + 1).min(SPANS.len() - 2)
            } else {
                at.saturating_sub(1)
            };
            framing.set(Framing {
                span: SPANS[to].0,
                ..f
            });
        } else if along != 0.0 {
            e.prevent_default();
            let shift = (span as f64 * along / 800.0) as i64;
            let start = (window.t0 as i64 + shift).max(0) as u64;
            // Panned back to the end: follow the run again.
            let start = (start + span < end).then_some(start);
            framing.set(Framing { start, ..f });
        }
    })
}

/// Zoom (a span) and pan (earlier, later, back to following the run) for a view whose run
/// ends at `end`. `name` prefixes the controls' `data-action` hooks.
pub fn controls(framing: &UseStateHandle<Framing>, end: u64, name: &str) -> Html {
    let f = **framing;
    let set = |to: Framing| {
        let framing = framing.clone();
        Callback::from(move |_: MouseEvent| framing.set(to))
    };
    let span = if f.span == 0 { end.max(1) } else { f.span };
    let start = f.window(end, 0.0, 1.0).t0;
    let on_span = {
        let framing = framing.clone();
        Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            framing.set(Framing {
                span: v.parse().unwrap_or(10_000),
                ..*framing
            });
        })
    };
    let earlier = Framing {
        start: Some(start.saturating_sub(span / 2)),
        ..f
    };
    let later = match start + span / 2 + span >= end {
        true => Framing { start: None, ..f },
        false => Framing {
            start: Some(start + span / 2),
            ..f
        },
    };
    html! {
        <span class="axis-controls">
            <select data-action={format!("{name}-span")} title="How much time the view shows" onchange={on_span}>
                { for SPANS.iter().map(|&(v, label)| html! { <option value={v.to_string()} selected={v == f.span}>{label}</option> }) }
            </select>
            <button data-action={format!("{name}-earlier")} title="Show earlier" onclick={set(earlier)} disabled={start == 0 || f.span == 0}>{"◀"}</button>
            <button data-action={format!("{name}-later")} title="Show later" onclick={set(later)} disabled={f.start.is_none()}>{"▶"}</button>
            <button data-action={format!("{name}-live")} title="Follow the run as it goes on" onclick={set(Framing { start: None, ..f })} disabled={f.start.is_none()}>{"live"}</button>
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_window_follows_the_end_or_holds_where_it_was_put() {
        let live = Framing::new(10_000);
        let w = live.window(25_000, 0.0, 100.0);
        assert_eq!((w.t0, w.t1), (15_000, 25_000));
        assert_eq!(w.x(20_000), 50.0);
        let held = live.showing(4_000).window(25_000, 0.0, 100.0);
        assert_eq!((held.t0, held.t1), (1_500, 11_500));
        let all = Framing::new(0).window(25_000, 0.0, 100.0);
        assert_eq!((all.t0, all.t1), (0, 25_000));
        let young = live.window(4_000, 0.0, 100.0);
        assert_eq!(
            (young.t0, young.t1),
            (0, 4_000),
            "a short run is shown whole"
        );
        let ticks: Vec<u64> = w.ticks().collect();
        assert!(ticks.len() >= 4 && ticks.len() <= 9, "{ticks:?}");
        assert!(ticks.iter().all(|t| (15_000..=25_000).contains(t)));
    }
}
