//! A protocol defined here, and nowhere in the app, plugged into the engine and rendered by the
//! app in headless Chromium: its nodes, roles and headline, its messages, its node controls,
//! its checked property (holding, then broken by a control), its state table and the help's
//! legend all appear, drawn from its description alone.
#![cfg(target_arch = "wasm32")]

use consensus_lab::engine::{
    Consistency, Control, ControlInfo, Description, KvRequest, KvStore, MessageKind, Monitor,
    MsgSummary, Node, NodeId, NodeView, Outbox, Property, Rng, Role, Scenario, Shape, Sim,
    SimConfig, StateView, Violation, World,
};
use consensus_lab::ui::{mount_with, Start};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Each node counts its ticks and tells the next node on the ring; a node keeps the highest
/// count it has heard of. Clients read and write a local key-value store.
struct Counter {
    id: NodeId,
    nodes: usize,
    count: u64,
    ticks: u64,
    kv: KvStore,
}

#[derive(Clone, Debug)]
struct Bump(u64);

#[derive(Default)]
struct Grows(Vec<u64>);

static COUNTING: Role = Role {
    name: "counting",
    colour: "#c9a0ff",
    leads: false,
    passing: false,
};
static KINDS: [MessageKind; 1] = [MessageKind {
    code: 0,
    label: "bump",
    colour: "#ff8f5a",
    shape: Shape::Circle,
    response: false,
    grants: false,
    routine: false,
    numbers: ["count", "", "", ""],
    size: None,
}];
static PROPERTIES: [Property; 1] = [Property {
    name: "counts only grow",
    holds: "counts only grow",
    meaning: "no node's count ever goes down",
}];
static DESCRIPTION: Description = Description {
    name: "counter",
    title: "ring counter",
    consistency: Consistency::Eventual,
    headline: "count",
    roles: std::slice::from_ref(&COUNTING),
    kinds: &KINDS,
    properties: &PROPERTIES,
    controls: &[ControlInfo {
        name: "Forget",
        label: "Forget count",
        hook: "forget",
        tooltip: "Set this node's count back to zero",
        names_node: false,
        lists_nodes: false,
        to_leader: false,
        aliases: &[],
    }],
    toggles: &[],
    state: &[StateView::Store],
    clients: true,
    timer: "",
    library_log: None,
    join_control: None,
    glossary: &[],
};

impl Monitor<u64> for Grows {
    fn observe(&mut self, t: u64, node: NodeId, count: &u64) -> Option<Violation> {
        if self.0.len() <= node {
            self.0.resize(node + 1, 0);
        }
        let before = std::mem::replace(&mut self.0[node], *count);
        (*count < before).then(|| Violation {
            t,
            property: PROPERTIES[0].name.into(),
            detail: format!("n{node} went from {before} to {count}"),
        })
    }
}

impl Counter {
    fn set(&mut self, count: u64, out: &mut Outbox<Bump, u64>) {
        self.count = count;
        out.note(count);
    }
}

impl Node for Counter {
    type Msg = Bump;
    type Note = u64;
    type Monitor = Grows;
    type Config = ();
    const DESCRIPTION: &'static Description = &DESCRIPTION;

    fn validate(_: &()) -> Result<(), String> {
        Ok(())
    }

    fn new(id: NodeId, nodes: usize, _: &(), _: &mut Rng) -> Self {
        Counter {
            id,
            nodes,
            count: 0,
            ticks: 0,
            kv: KvStore::default(),
        }
    }
    fn on_message(&mut self, _: NodeId, Bump(c): Bump, out: &mut Outbox<Bump, u64>) {
        if c > self.count {
            self.set(c, out);
        }
    }
    fn on_tick(&mut self, out: &mut Outbox<Bump, u64>) {
        self.ticks += 1;
        if self.ticks.is_multiple_of(4) {
            self.set(self.count + 1, out);
            out.send((self.id + 1) % self.nodes, Bump(self.count));
        }
    }
    fn on_client(&mut self, req: KvRequest<'_>, out: &mut Outbox<Bump, u64>) {
        out.reply(req.id, self.kv.apply(req.op));
    }
    fn on_control(&mut self, cmd: &Control, out: &mut Outbox<Bump, u64>) {
        if cmd.name == "Forget" {
            self.set(0, out);
        }
    }
    fn crash(&mut self) {}
    fn restart(&mut self, _: &mut Outbox<Bump, u64>) {}
    fn view(&self) -> NodeView {
        let mut v = NodeView::new(&COUNTING, self.count);
        v.facts.push(("ticks", self.ticks.to_string()));
        v.kv = std::iter::once(("count".to_string(), self.count.to_string()))
            .chain(self.kv.data().iter().map(|(k, v)| (k.clone(), v.clone())))
            .collect();
        v
    }
    fn role(&self) -> (&'static Role, u64) {
        (&COUNTING, self.count)
    }
    fn summarize(Bump(c): &Bump) -> MsgSummary {
        MsgSummary {
            numbers: [*c, 0, 0, 0],
            ..MsgSummary::new(&KINDS[0])
        }
    }
    fn describe(_: &Bump) -> Vec<(String, String)> {
        Vec::new()
    }
}

fn all(selector: &str) -> Vec<web_sys::Element> {
    let list = gloo::utils::document()
        .query_selector_all(selector)
        .unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into().ok())
        .collect()
}

fn one(selector: &str) -> web_sys::Element {
    all(selector)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{selector} is on the page"))
}

fn click(el: &web_sys::Element) {
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).unwrap();
    el.dispatch_event(&ev).unwrap();
}

async fn settle() {
    yew::scheduler::flush().await;
}

fn text(selector: &str) -> String {
    one(selector).text_content().unwrap_or_default()
}

#[wasm_bindgen_test]
async fn a_protocol_the_app_has_never_seen_gets_every_panel() {
    let doc = gloo::utils::document();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    let start = Start(Rc::new(|| {
        let sim = SimConfig {
            nodes: 4,
            ..SimConfig::default()
        };
        let world = World::<Counter>::new(Scenario::new(3, sim, ()))?;
        Ok(vec![Box::new(world) as Box<dyn Sim>])
    }));
    let _app = mount_with(root, start);
    settle().await;
    click(&one("[data-action=\"pause\"]"));
    settle().await;

    assert_eq!(
        one("[data-pane=\"0\"][data-protocol]")
            .get_attribute("data-protocol")
            .as_deref(),
        Some("counter")
    );
    let nodes = all("[data-node]");
    assert_eq!(nodes.len(), 4);
    for n in &nodes {
        assert_eq!(n.get_attribute("data-role").as_deref(), Some("counting"));
        assert!(
            n.text_content().unwrap().contains("count"),
            "the headline is labelled"
        );
    }
    assert!(text("[data-check]").contains("✓ counts only grow"));
    assert!(text("[data-check]").contains("ring counter"));

    // Step until a bump is in flight: it is drawn with its kind, and inspected with its numbers.
    for _ in 0..200 {
        if !all("[data-msg=\"bump\"]").is_empty() {
            break;
        }
        click(&one("[data-action=\"step\"]"));
        settle().await;
    }
    let bump = one("[data-msg=\"bump\"]");
    click(
        &bump
            .query_selector("circle")
            .unwrap()
            .expect("a bump is drawn as a circle"),
    );
    settle().await;
    let inspector = text("[data-panel=\"inspector\"]");
    assert!(
        inspector.contains("kindbump") && inspector.contains("count1"),
        "{inspector}"
    );

    // The state table shows every replica's key-value state.
    let rows = all("[data-panel=\"state\"] [data-kv]");
    assert_eq!(rows.len(), 4);
    assert!(!all("[data-panel=\"state\"] [data-key=\"count\"]").is_empty());

    // A node's own controls appear in the inspector; this one breaks the checked property.
    let grown = nodes
        .iter()
        .position(|n| n.get_attribute("data-term").as_deref() != Some("0"));
    let node = grown.expect("a node has counted");
    click(&one(&format!("[data-node=\"{node}\"] circle.body")));
    settle().await;
    let inspector = text("[data-panel=\"inspector\"]");
    assert!(
        inspector.contains("ticks") && inspector.contains("count"),
        "{inspector}"
    );
    click(&one("[data-action=\"forget\"]"));
    settle().await;
    assert_eq!(
        one("[data-check]").get_attribute("data-check").as_deref(),
        Some("violation")
    );
    assert!(
        text("[data-check]").contains("✗ counts only grow"),
        "{}",
        text("[data-check]")
    );
    assert_eq!(
        one(&format!("[data-node=\"{node}\"]"))
            .get_attribute("data-term")
            .as_deref(),
        Some("0")
    );

    // The help's legend is drawn from the description too.
    click(&one("[data-action=\"help\"]"));
    settle().await;
    let legend = text("[data-legend=\"counter\"]");
    assert!(
        legend.contains("ring counter") && legend.contains("counting") && legend.contains("bump"),
        "{legend}"
    );
}
