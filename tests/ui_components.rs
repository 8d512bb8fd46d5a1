//! Component tests in headless Chromium (wasm-bindgen-test): the app mounts, renders the
//! cluster with its test hooks, and a click on a node then on "Crash" takes the node down.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn query(selector: &str) -> Option<web_sys::Element> {
    gloo::utils::document()
        .query_selector(selector)
        .ok()
        .flatten()
}

fn click(el: &web_sys::Element) {
    let ev = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &{
        let init = web_sys::MouseEventInit::new();
        init.set_bubbles(true);
        init
    })
    .unwrap();
    el.dispatch_event(&ev).unwrap();
}

async fn settle() {
    yew::scheduler::flush().await;
}

#[wasm_bindgen_test]
async fn the_app_renders_nodes_and_a_click_crashes_one() {
    let doc = gloo::utils::document();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    let _app = consensus_lab::ui::mount(root);
    settle().await;

    let nodes = doc.query_selector_all("[data-node]").unwrap();
    assert_eq!(nodes.length(), 5, "five nodes by default");
    for i in 0..5 {
        let n = nodes
            .item(i)
            .unwrap()
            .dyn_into::<web_sys::Element>()
            .unwrap();
        assert_eq!(
            n.get_attribute("data-role").as_deref(),
            Some("follower"),
            "everyone starts as a follower"
        );
        assert_eq!(n.get_attribute("data-term").as_deref(), Some("0"));
    }
    assert_eq!(
        query("[data-check]")
            .unwrap()
            .get_attribute("data-check")
            .as_deref(),
        Some("ok")
    );
    for action in [
        "pause",
        "step",
        "step-interesting",
        "isolate",
        "heal",
        "put",
        "read-consistent",
        "read-default",
        "read-stale",
    ] {
        assert!(
            query(&format!("[data-action=\"{action}\"]")).is_some(),
            "a {action} control is shown"
        );
    }

    click(&query("[data-node=\"2\"] circle.body").unwrap());
    settle().await;
    click(
        &query("[data-action=\"crash\"]").expect("the inspector offers Crash for a selected node"),
    );
    settle().await;
    assert_eq!(
        query("[data-node=\"2\"]")
            .unwrap()
            .get_attribute("data-role")
            .as_deref(),
        Some("down")
    );
    assert!(
        query("[data-action=\"restart\"]").is_some(),
        "a crashed node can be restarted"
    );

    // Stepping while paused advances exactly one visible event.
    click(&query("[data-action=\"pause\"]").unwrap());
    settle().await;
    let visible = |_: ()| {
        query("[data-visible]")
            .unwrap()
            .get_attribute("data-visible")
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let before = visible(());
    click(&query("[data-action=\"step\"]").unwrap());
    settle().await;
    assert_eq!(visible(()), before + 1);
}

/// A panic anywhere in the app shows a banner with the seed instead of a dead page.
#[wasm_bindgen_test]
fn a_panic_shows_a_banner_with_the_seed() {
    consensus_lab::ui::install_panic_hook();
    // Panic inside a JS-called closure: the trap stops at the JS boundary of `call0`, so this
    // test survives to look at the page.
    let boom = wasm_bindgen::closure::Closure::<dyn Fn()>::new(|| panic!("deliberate test panic"));
    let f: &js_sys::Function = boom.as_ref().unchecked_ref();
    assert!(
        f.call0(&wasm_bindgen::JsValue::NULL).is_err(),
        "the panic surfaced as an exception"
    );
    let banner = query("[data-panic]").expect("a banner is shown");
    let text = banner.text_content().unwrap_or_default();
    assert!(
        text.contains("deliberate test panic") && text.contains("Seed"),
        "{text}"
    );
}
