//! Clients: send put / get / compare-and-set to the leader or a chosen node, see each
//! operation's outcome and latency, switch the steady load on and off.

use super::session::Msg;
use super::{action_button, PanelProps};
use crate::engine::{Action, Consistency, HistoryOp, KvOp, Outcome, QueryMode};
use yew::prelude::*;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Put,
    Get(QueryMode),
    /// The same read in the three modes at once, from three clients.
    GetAll,
    Cas,
}

#[function_component(ClientPanel)]
pub fn client_panel(p: &PanelProps) -> Html {
    let s = p.model.session.borrow();
    // Stores with no leader send a client to its own replica.
    let leads = s.lead().description().roles.iter().any(|r| r.leads);
    let n = s.node_count();
    let key_ref = use_node_ref();
    let value_ref = use_node_ref();
    let from_ref = use_node_ref();
    let target_ref = use_node_ref();
    super::use_initial_text(&key_ref, (), "x".into());
    super::use_initial_text(&value_ref, (), "1".into());
    let send_op = |kind: Kind| {
        let (send, key_ref, value_ref, from_ref, target_ref) = (
            p.send.clone(),
            key_ref.clone(),
            value_ref.clone(),
            from_ref.clone(),
            target_ref.clone(),
        );
        // The engine checks the key and values (`engine::limits`) and says what is wrong.
        Callback::from(move |_: MouseEvent| {
            let read = super::field;
            let key = read(&key_ref);
            let value = read(&value_ref);
            let ops = match kind {
                Kind::Put => vec![KvOp::Put { key, value }],
                Kind::Get(mode) => vec![KvOp::Get { key, mode }],
                Kind::GetAll => QueryMode::ALL
                    .map(|mode| KvOp::Get {
                        key: key.clone(),
                        mode,
                    })
                    .to_vec(),
                Kind::Cas => vec![KvOp::Cas {
                    key,
                    from: read(&from_ref),
                    to: value,
                }],
            };
            let node = read(&target_ref).parse::<usize>().ok();
            for op in ops {
                send.emit(Msg::Act(Action::Request { node, op }));
            }
        })
    };
    let load = s.lead().load_on();
    // A store that can answer linearizably offers the weaker query modes beside: what each
    // costs and risks is the point. Elsewhere every replica answers alone anyway.
    let modes = s.lead().description().consistency == Consistency::Linearizable;
    let history = s.lead().history();
    // Requests made by hand go to both clusters when comparing; their answers sit side by side
    // (the steady load draws its own operations in each cluster).
    let twin = s.panes.get(1).map(|p| &p.world.history().ops);
    let outcome = |op: &HistoryOp| -> (String, &'static str) {
        match &op.outcome {
            None => ("pending…".to_string(), "pending"),
            Some(Outcome::Ok { value: Some(v) }) => (format!("read {v:?}"), "ok"),
            Some(Outcome::Ok { value: None }) if op.cas_failed => ("no match".to_string(), "ok"),
            Some(Outcome::Ok { .. }) => ("ok".to_string(), "ok"),
            Some(Outcome::Fail) => ("failed".to_string(), "fail"),
            Some(Outcome::Info) => ("timed out (unknown)".to_string(), "info"),
        }
    };
    let rows = history.iter().rev().take(40).map(|(i, op)| {
        let (text, class) = outcome(op);
        let owner = history.owner(op.client);
        let latency = op.complete_t.map_or(String::new(), |t| format!("{} ms", t - op.invoke_t));
        // The same request made by hand in both clusters: same client, operation and time.
        let other = twin.and_then(|t| t.iter().rev().take(200).find(|o| o.client == op.client && o.invoke_t == op.invoke_t && o.op == op.op)).map(&outcome);
        html! {
            <tr key={i} class={class} data-op={i.to_string()} data-outcome={class} data-outcome-beside={other.as_ref().map(|o| o.1)}>
                <td title={owner.map(|n| format!("n{n}'s own request"))}>{owner.map_or(format!("c{}", op.client), |n| format!("n{n}"))}</td><td>{op.op.to_string()}</td><td title={(class == "info").then_some("no answer within the client's timeout: the operation may or may not have taken effect")}>{text}</td>
                if let Some((text, class)) = other { <td class={class}>{text}</td> }
                <td>{latency}</td><td>{op.node.map_or(String::new(), |n| format!("n{n}"))}</td>
            </tr>
        }
    });
    html! {
        <section class="panel" data-panel="clients">
            <h2>{"Clients"}</h2>
            <div class="form">
                <input ref={key_ref.clone()} size="4" placeholder="key" data-field="key" />
                <input ref={from_ref.clone()} size="4" placeholder="cas from" data-field="from" title="For CAS (compare-and-set): the value the key must hold for the new value to be written" />
                <input ref={value_ref.clone()} size="4" placeholder="value" data-field="value" />
                <select ref={target_ref.clone()} data-field="target">
                    <option value="leader" selected=true>{ if leads { "via leader" } else { "via its replica" } }</option>
                    { for (0..n).map(|i| html! { <option value={i.to_string()}>{format!("to n{i}")}</option> }) }
                </select>
            </div>
            <div class="actions">
                {action_button("Put", "put", "Write key = value", send_op(Kind::Put), false)}
                if modes {
                    {action_button("Get", "read-consistent", QueryMode::Consistent.meaning(), send_op(Kind::Get(QueryMode::Consistent)), false)}
                    {action_button("Get default", "read-default", QueryMode::Default.meaning(), send_op(Kind::Get(QueryMode::Default)), false)}
                    {action_button("Get stale", "read-stale", QueryMode::Stale.meaning(), send_op(Kind::Get(QueryMode::Stale)), false)}
                    {action_button("Get ×3", "read-all-modes", "Read the key in the three modes at once, from three clients: see which mode returns what (the Checks panel counts them)", send_op(Kind::GetAll), false)}
                } else {
                    {action_button("Get", "get", "Read the key", send_op(Kind::Get(QueryMode::Consistent)), false)}
                }
                {action_button("CAS", "cas", "Set key to value if it currently equals 'cas from'", send_op(Kind::Cas), false)}
                <label class="toggle"><input type="checkbox" data-action="load" checked={load}
                    onchange={p.send.reform(move |_| Msg::Act(Action::SetLoad { on: !load }))} />{"steady load"}</label>
            </div>
            // The latest operations in a box of their own: the network panel below stays in reach.
            <div class="ops-scroll">
            <table class="ops">
                <tr><th>{"client"}</th><th>{"operation"}</th><th>{s.lead().description().title}</th>
                    if let Some(p) = s.panes.get(1) { <th>{p.world.description().title}</th> }
                    <th>{"latency"}</th><th>{"node"}</th></tr>
                { for rows }
            </table>
            </div>
        </section>
    }
}
