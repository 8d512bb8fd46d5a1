//! A run saved as a file and opened again: Export writes the session's scenarios (what a
//! share link holds), Import replays a file that Export wrote. A file that cannot be opened
//! is refused with its reason and the run on screen goes on.

use super::session::Msg;
use super::{action_button, PanelProps};
use crate::engine::limits::MAX_SCENARIO_BYTES;
use crate::link::{read_scenario_file, scenario_file};
use gloo::file::callbacks::{read_as_text, FileReader};
use gloo::file::{Blob, File, ObjectUrl};
use wasm_bindgen::JsCast;
use web_sys::{HtmlAnchorElement, HtmlInputElement};
use yew::prelude::*;

/// Hand the browser `text` as a file download called `name`.
fn download(name: &str, text: &str) -> Result<(), String> {
    let url = ObjectUrl::from(Blob::new_with_options(text, Some("application/json")));
    let a: HtmlAnchorElement = (gloo::utils::document().create_element("a"))
        .map_err(|_| "the page could not make a download link")?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // The download has started from the URL; it is revoked once the browser has it.
    gloo::timers::callback::Timeout::new(10_000, move || drop(url)).forget();
    Ok(())
}

#[function_component(ScenarioFile)]
pub fn scenario_file_controls(p: &PanelProps) -> Html {
    // A file being read (dropping it would cancel the read).
    let reading = use_mut_ref(|| None::<FileReader>);
    let export = {
        let (model, send) = (p.model.clone(), p.send.clone());
        Callback::from(move |_| {
            let (name, text) = {
                let s = model.session.borrow();
                let jsons: Vec<String> = s.panes.iter().map(|p| p.world.scenario_json()).collect();
                (
                    format!("consensus-lab-seed-{}.json", s.seed()),
                    scenario_file(&jsons),
                )
            };
            if let Err(e) = download(&name, &text) {
                send.emit(Msg::Notice(Some(format!("Could not export the run: {e}."))));
            }
        })
    };
    let import = {
        let send = p.send.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)).map(File::from) else {
                return;
            };
            // The same file can be chosen again.
            input.set_value("");
            let refuse = |why: String| {
                Msg::Notice(Some(format!(
                    "Could not open {:?} ({why}); the run on screen goes on.",
                    file.name()
                )))
            };
            if file.size() > 2 * MAX_SCENARIO_BYTES as u64 {
                return send.emit(refuse(format!(
                    "it is {} bytes long; at most {} are read",
                    file.size(),
                    2 * MAX_SCENARIO_BYTES
                )));
            }
            let send = send.clone();
            let name = file.name();
            *reading.borrow_mut() = Some(read_as_text(&file, move |text| {
                let opened = text
                    .map_err(|e| format!("it could not be read: {e}"))
                    .and_then(|t| read_scenario_file(&t));
                send.emit(match opened {
                    Ok(scenarios) => Msg::Reset(scenarios),
                    Err(why) => Msg::Notice(Some(format!(
                        "Could not open {name:?} ({why}); the run on screen goes on."
                    ))),
                });
            }));
        })
    };
    html! {
        <>
            {action_button("Export", "export-scenario", "Save this run as a file: seed, settings and every action, as a share link holds them", export, false)}
            <label class="button import" title="Open a run saved with Export: it replays exactly">
                {"Import"}
                <input type="file" accept=".json,application/json" data-action="import" onchange={import} />
            </label>
        </>
    }
}
