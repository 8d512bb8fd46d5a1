//! Links people saved keep opening the same run: every share link in
//! ../shared/fixtures/share-links.json (made with the app on 2026-12-02) is opened as the app
//! opens it, run to the moment it was read, and must show exactly the state recorded then:
//! roles and headline numbers of every node in each pane, Raft's commit and last indices, and
//! each replica row of a store's state table. Natively and on wasm32 alike.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use consensus_lab::engine::{Sim, StateView};
use consensus_lab::link::parse_fragment;
use serde_json::Value;

/// Compiled in, so that the wasm32 run reads the same file; a missing file fails the build.
const FIXTURES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/share-links.json"
));

fn pane_of(e: &Value) -> usize {
    match &e["pane"] {
        Value::String(s) => s.parse().expect("a pane number"),
        v => v.as_u64().unwrap_or(0) as usize,
    }
}

#[test]
fn every_saved_link_opens_to_the_recorded_state() {
    let fixtures: Vec<Value> = serde_json::from_str(FIXTURES).expect("the fixtures are JSON");
    assert!(fixtures.len() >= 5, "the fixtures hold the saved links");
    for f in &fixtures {
        let name = f["name"].as_str().expect("a name");
        let hash = f["hash"].as_str().expect("a link");
        let at = f["at_ms"].as_u64().expect("a time");
        let expect = &f["expect"];
        let scenarios = parse_fragment(hash.trim_start_matches('#'), 1)
            .unwrap_or_else(|e| panic!("{name}: the link is refused: {e}"))
            .expect("a link with a session");
        let mut panes: Vec<Box<dyn Sim>> = (scenarios.into_iter())
            .map(|s| s.build().unwrap_or_else(|e| panic!("{name}: {e}")))
            .collect();
        for p in &mut panes {
            p.run_until(at);
        }
        assert_eq!(
            panes[0].now(),
            expect["time"].as_u64().unwrap(),
            "{name}: time"
        );

        let nodes = expect["nodes"].as_array().unwrap();
        let count: usize = panes.iter().map(|p| p.node_count()).sum();
        assert_eq!(nodes.len(), count, "{name}: every node of every pane");
        for n in nodes {
            let (pane, node) = (pane_of(n), n["node"].as_u64().unwrap() as usize);
            let v = panes[pane].view(node);
            let got = (v.role.name, v.headline);
            let want = (n["role"].as_str().unwrap(), n["term"].as_u64().unwrap());
            assert_eq!(got, want, "{name}: pane {pane} node {node}");
        }

        // The log panel shows the pane with a log, the state table the pane with a store.
        let shown = |kind: StateView| panes.iter().find(|p| p.description().state == [kind]);
        let logs = expect["logs"].as_array().unwrap();
        for l in logs {
            let node = l["node"].as_u64().unwrap() as usize;
            let p = shown(StateView::Log).expect("a pane with a log");
            let s = p.view(node).log_state.expect("a log");
            let want = (l["commit"].as_u64().unwrap(), l["last"].as_u64().unwrap());
            assert_eq!((s.commit, s.last), want, "{name}: log of node {node}");
        }
        let rows = expect["kv"].as_array().unwrap();
        for r in rows {
            let node = r["node"].as_u64().unwrap() as usize;
            let p = shown(StateView::Store).expect("a pane with a store");
            let want: Vec<(String, String)> = serde_json::from_value(r["values"].clone()).unwrap();
            assert_eq!(p.view(node).kv, want, "{name}: state of node {node}");
        }
        assert!(
            !(logs.is_empty() && rows.is_empty()),
            "{name}: the fixture records some state"
        );
    }
}
