//! Every node's log as a row of entries coloured by term; uncommitted entries faded; commit
//! and applied markers. The newest entries are at the right; the row scrolls.

use super::PanelProps;
use yew::prelude::*;

fn term_colour(term: u64) -> String {
    format!("hsl({}, 65%, 55%)", (term * 67) % 360)
}

#[function_component(LogPanel)]
pub fn log_panel(p: &PanelProps) -> Html {
    let s = p.model.session.borrow();
    let rows = s.views.iter().enumerate().map(|(i, v)| {
        let entries = v.log.iter().map(|(index, term, text)| {
            let class = classes!("entry", (*index > v.commit).then_some("uncommitted"), (*index == v.applied).then_some("applied"));
            html! {
                <span key={*index} class={class} style={format!("background:{}", term_colour(*term))} title={format!("#{index} term {term}: {text}")} data-index={index.to_string()} data-entry-term={term.to_string()}>
                    {term}
                </span>
            }
        });
        let progress = v.details.iter().filter(|(k, _)| k.ends_with("match/next")).map(|(k, val)| format!("{} {val}", k.trim_end_matches(" match/next"))).collect::<Vec<_>>().join(" · ");
        html! {
            <div class={classes!("logrow", format!("role-{}", v.role))} data-log={i.to_string()} data-commit={v.commit.to_string()} data-last={v.log.last().map_or(0, |e| e.0).to_string()}>
                <span class="who">{format!("n{i}")}<small>{format!("commit {} · applied {}", v.commit, v.applied)}</small></span>
                <div class="entries">{ for entries }</div>
                if !progress.is_empty() { <span class="progress" title="leader's match / next index per follower">{progress}</span> }
            </div>
        }
    });
    html! { <section class="logs" data-panel="logs">{ for rows }</section> }
}
