//! Files in and out of the page. Export writes the session's scenarios (what a share link
//! holds), Trace the run's trace (what `lab run --trace` writes); the views export their
//! history and their drawing. Import replays a file that Export wrote, or opens a client
//! history recorded elsewhere in the history view. A file that cannot be opened is refused
//! with its reason and the run on screen goes on.

use super::session::Msg;
use super::{action_button, PanelProps};
use crate::engine::JsonPieces;
use crate::import::{read_import, Imported, MAX_IMPORT_BYTES};
use crate::link::scenario_file;
use gloo::file::callbacks::{read_as_text, FileReader};
use gloo::file::{Blob, File, ObjectUrl};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlAnchorElement, HtmlInputElement};
use yew::prelude::*;

/// Hand the browser `text` as a file download called `name`.
pub fn download(name: &str, text: &str, mime: &str) -> Result<(), String> {
    download_blob(name, Blob::new_with_options(text, Some(mime)))
}

fn download_blob(name: &str, blob: Blob) -> Result<(), String> {
    let url = ObjectUrl::from(blob);
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

/// A trace being written as JSON, a slice of pieces per turn of the event loop, so that a
/// large one (65 MB for a full window) does not stop the page while it is written.
struct TraceExport {
    pieces: Box<dyn JsonPieces>,
    /// What is written so far: a blob of each turn's pieces, on the JavaScript side.
    parts: js_sys::Array,
    name: String,
    kept_from: Option<u64>,
    said_progress: bool,
}

/// Time spent writing pieces before the page gets a turn.
const SLICE_MS: f64 = 8.0;

const NO_ROOM: &str = "Could not export the trace: the browser could not hold the file.";

fn write_trace(job: Rc<RefCell<Option<TraceExport>>>, send: Callback<Msg>) {
    let now = || (gloo::utils::window().performance()).map_or(0.0, |p| p.now());
    let start = now();
    let mut slot = job.borrow_mut();
    let Some(j) = slot.as_mut() else { return };
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type("application/json");
    // This turn's pieces become one blob, and the file a blob of those: the browser then
    // copies a turn's bytes at a time, never the whole file at once.
    let turn = js_sys::Array::new();
    let mut done = false;
    while !done && now() - start < SLICE_MS {
        match j.pieces.next() {
            Some(piece) => {
                turn.push(&js_sys::Uint8Array::from(piece.as_bytes()));
            }
            None => done = true,
        }
    }
    match web_sys::Blob::new_with_u8_array_sequence_and_options(&turn, &bag) {
        Ok(part) => {
            j.parts.push(&part);
        }
        Err(_) => {
            *slot = None;
            return send.emit(Msg::Notice(Some(NO_ROOM.into())));
        }
    }
    if done {
        let j = slot.take().expect("a job, above");
        let said = match web_sys::Blob::new_with_blob_sequence_and_options(&j.parts, &bag) {
            Err(_) => Some(NO_ROOM.into()),
            Ok(blob) => match download_blob(&j.name, Blob::from(blob)) {
                Err(e) => Some(format!("Could not export the trace: {e}.")),
                Ok(()) => j.kept_from.map(|t| format!("The trace holds the events from {} on: a long run keeps its latest detail only (`lab run --trace` writes a whole run).", super::format_time(t))),
            },
        };
        if said.is_some() || j.said_progress {
            send.emit(Msg::Notice(said));
        }
        return;
    }
    let (written, all) = j.pieces.progress();
    j.said_progress = true;
    send.emit(Msg::Notice(Some(format!(
        "Writing the trace… {}%",
        written * 100 / all.max(1)
    ))));
    drop(slot);
    gloo::timers::callback::Timeout::new(0, move || write_trace(job, send)).forget();
}

#[function_component(Files)]
pub fn files(p: &PanelProps) -> Html {
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
            if let Err(e) = download(&name, &text, "application/json") {
                send.emit(Msg::Notice(Some(format!("Could not export the run: {e}."))));
            }
        })
    };
    let tracing = use_mut_ref(|| None::<TraceExport>);
    let export_trace = {
        let (model, send) = (p.model.clone(), p.send.clone());
        Callback::from(move |_| {
            if tracing.borrow().is_some() {
                return; // already being written
            }
            let job = {
                let s = model.session.borrow();
                let w = s.panes[0].recorded();
                TraceExport {
                    pieces: w.trace_json_pieces(),
                    parts: js_sys::Array::new(),
                    name: format!("consensus-lab-seed-{}-trace.json", s.seed()),
                    kept_from: w.trace_kept_from(),
                    said_progress: false,
                }
            };
            *tracing.borrow_mut() = Some(job);
            write_trace(tracing.clone(), send.clone());
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
            *reading.borrow_mut() = open_file(&file, send.clone());
        })
    };
    html! {
        <>
            {action_button("Export", "export-scenario", "Save this run as a file: seed, settings and every action, as a share link holds them", export, false)}
            {action_button("Trace", "export-trace", "Save every event of the run as JSON, as `lab run --trace` writes it", export_trace, false)}
            <label class="button import" title="Open a run saved with Export (it replays exactly), or a Jepsen etcd log or Porcupine kv history (it opens in the history view, checked)">
                {"Import"}
                <input type="file" data-action="import" onchange={import} />
            </label>
        </>
    }
}

/// Read a file the user chose or dropped and open what it holds: a run replays, a history
/// opens in the history view; anything else is refused with its reason. The reader is to be
/// kept until it is done (dropping it cancels the read).
fn open_file(file: &File, send: Callback<Msg>) -> Option<FileReader> {
    let name = file.name();
    if file.size() > MAX_IMPORT_BYTES as u64 {
        send.emit(Msg::Notice(Some(format!(
            "Could not open {name:?} (it is {} bytes long; at most {MAX_IMPORT_BYTES} are read); the run on screen goes on.",
            file.size()
        ))));
        return None;
    }
    Some(read_as_text(file, move |text| {
        let opened = text
            .map_err(|e| format!("it could not be read: {e}"))
            .and_then(|t| read_import(&t));
        send.emit(match opened {
            Ok(Imported::Run(scenarios)) => Msg::Reset(scenarios),
            Ok(Imported::History(format, h)) => Msg::OpenHistory(name.clone(), format, h),
            Err(why) => Msg::Notice(Some(format!(
                "Could not open {name:?} ({why}); the run on screen goes on."
            ))),
        });
    }))
}

/// A file dropped anywhere on the page opens as Import opens it: the handlers for the page's
/// dragover and drop.
#[hook]
pub fn use_file_drop(send: Callback<Msg>) -> (Callback<DragEvent>, Callback<DragEvent>) {
    let reading = use_mut_ref(|| None::<FileReader>);
    let over = Callback::from(|e: DragEvent| e.prevent_default());
    let drop = Callback::from(move |e: DragEvent| {
        let file = (e.data_transfer())
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
            .map(File::from);
        if let Some(file) = file {
            e.prevent_default();
            *reading.borrow_mut() = open_file(&file, send.clone());
        }
    });
    (over, drop)
}

/// Save the drawing of a view (`[data-view=VIEW][data-pane=PANE]`) as a standalone SVG file:
/// it is drawn with presentation attributes, so it looks the same outside the page.
pub fn export_svg(
    view: &'static str,
    pane: usize,
    name: String,
    send: Callback<Msg>,
) -> Callback<MouseEvent> {
    Callback::from(move |_| {
        let selector = format!("[data-view=\"{view}\"][data-pane=\"{pane}\"] svg");
        let svg = gloo::utils::document()
            .query_selector(&selector)
            .ok()
            .flatten();
        let done = match svg {
            Some(svg) => download(&name, &svg.outer_html(), "image/svg+xml"),
            None => Err("the view is not drawn".into()),
        };
        if let Err(e) = done {
            send.emit(Msg::Notice(Some(format!(
                "Could not export the drawing: {e}."
            ))));
        }
    })
}
