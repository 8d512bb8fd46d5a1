//! Every node's log as a row of entries coloured by term, rows aligned by index; uncommitted
//! entries faded and dashed; the applied entry underlined. The newest indices are at the right
//! and in view; older ones scroll.

use super::PanelProps;
use crate::protocols::raft::VIEW_LOG_TAIL;
use yew::prelude::*;

fn term_colour(term: u64) -> String {
    format!("hsl({}, 65%, 55%)", (term * 67) % 360)
}

#[function_component(LogPanel)]
pub fn log_panel(p: &PanelProps) -> Html {
    let s = p.model.session.borrow();
    let last = s
        .views
        .iter()
        .filter_map(|v| v.log.last().map(|e| e.0))
        .max()
        .unwrap_or(0);
    let first = (last + 1).saturating_sub(VIEW_LOG_TAIL).max(1);
    let labels = s.views.iter().enumerate().map(|(i, v)| {
        let progress = v.details.iter().filter(|(k, _)| k.ends_with("match/next")).map(|(k, val)| format!("{} {val}", k.trim_end_matches(" match/next"))).collect::<Vec<_>>().join(" · ");
        html! {
            <div class={classes!("who", format!("role-{}", v.role))} title={progress}>
                {format!("n{i}")}<small>{format!("commit {} · applied {}", v.commit, v.applied)}</small>
            </div>
        }
    });
    let rows = s.views.iter().enumerate().map(|(i, v)| {
        let mut entries = v.log.iter().filter(|e| e.0 >= first).peekable();
        // Every row spans the same indices, so that entries line up by index.
        let cells = (first..=last).map(|index| match entries.next_if(|e| e.0 == index) {
            Some((_, term, text)) => {
                let class = classes!("entry", (index > v.commit).then_some("uncommitted"), (index == v.applied).then_some("applied"));
                html! {
                    <span key={index} class={class} style={format!("background:{}", term_colour(*term))} title={format!("#{index} term {term}: {text}")} data-index={index.to_string()} data-entry-term={term.to_string()}>{term}</span>
                }
            }
            None => html! { <span key={index} class="entry empty" /> },
        });
        html! {
            <div class="logrow" data-log={i.to_string()} data-commit={v.commit.to_string()} data-last={v.log.last().map_or(0, |e| e.0).to_string()}>
                { for cells }
            </div>
        }
    });
    html! {
        <section class="logs" data-panel="logs">
            <div class="labels">{ for labels }</div>
            <div class="logscroll"><div class="logrows">
                <div class="indices">{format!("entries {first}–{last}")}</div>
                { for rows }
            </div></div>
        </section>
    }
}
