//! The lesson under way: its title, progress, what the current step asks, a hint, Back (to the
//! moment the previous step was reached) and Leave (the run goes on as a sandbox). What the
//! step points at is outlined on the page.

use super::session::Msg;
use super::{action_button, PanelProps};
use wasm_bindgen::JsCast;
use yew::prelude::*;

const OUTLINE: &str = "lesson-highlight";

/// Outline what `selector` finds, and nothing else.
fn outline(selector: Option<&str>) {
    let doc = gloo::utils::document();
    if let Ok(old) = doc.query_selector_all(&format!(".{OUTLINE}")) {
        for i in 0..old.length() {
            if let Some(el) = old
                .item(i)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            {
                let _ = el.class_list().remove_1(OUTLINE);
            }
        }
    }
    let Some(found) = selector.and_then(|s| doc.query_selector_all(s).ok()) else {
        return;
    };
    for i in 0..found.length() {
        if let Some(el) = found
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        {
            let _ = el.class_list().add_1(OUTLINE);
        }
    }
}

#[function_component(LessonPanel)]
pub fn lesson_panel(p: &PanelProps) -> Html {
    let s = p.model.session.borrow();
    let progress = s.lesson.clone();
    let highlight = progress
        .as_ref()
        .and_then(|l| l.current())
        .and_then(|st| st.highlight);
    // After every render: the outline follows the step (and the elements drawn anew).
    use_effect(move || outline(highlight));
    let Some(progress) = progress else {
        return html! {};
    };
    let lesson = progress.lesson;
    let n = lesson.steps.len();
    let (k, body) = match progress.current() {
        Some(step) => (
            progress.step + 1,
            html! { <>
                <p class="step-text" data-step-text="">{step.text}</p>
                <p class="hint">{step.hint}</p>
            </> },
        ),
        None => (
            n,
            html! { <p class="step-text" data-step-text="">{"Done. The run goes on: try anything, or pick another lesson."}</p> },
        ),
    };
    html! {
        <div class="lesson" data-lesson={lesson.name} data-step={k.to_string()} data-steps={n.to_string()}
            data-finished={progress.finished().then_some("1")}>
            <div class="lesson-head">
                <strong>{lesson.title}</strong>
                <span class="progress">{format!("step {k} of {n}")}</span>
                <span class="dots">{ for (0..n).map(|i| html! { <span class={classes!("dot", (i < progress.step).then_some("done"))} /> }) }</span>
                {action_button("‹ Back", "lesson-back", "Back to the moment the previous step began (the run is replayed)", p.send.reform(|_| Msg::LessonBack), progress.step == 0)}
                {action_button("Leave", "lesson-leave", "Leave the lesson; the run goes on as a sandbox", p.send.reform(|_| Msg::LeaveLesson), false)}
            </div>
            {body}
        </div>
    }
}
