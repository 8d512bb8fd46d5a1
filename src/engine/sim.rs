//! `Sim`: a World of any protocol behind one object-safe interface. The app holds a
//! `Box<dyn Sim>` and so renders Raft, gossip and causal clusters with the same components.

use super::arrows::Arrow;
use super::client::History;
use super::describe::{Description, Role};
use super::in_flight::Envelope;
use super::marks::{HeldSpan, Mark, RoleChange};
use super::network::{MsgId, Network};
use super::node::{MsgSummary, Node, NodeId, NodeView, Violation};
use super::scenario::{Action, SimConfig};
use super::trace::TraceJson;
use super::world::{Status, World};

/// A message in flight as the view draws it: its envelope, with a summary for the payload.
pub type MessageView = Envelope<MsgSummary>;

/// JSON written a piece at a time, and how far along it is: (pieces written, in all).
pub trait JsonPieces: Iterator<Item = String> {
    fn progress(&self) -> (usize, usize);
}

impl<N: Clone + serde::Serialize> JsonPieces for TraceJson<N> {
    fn progress(&self) -> (usize, usize) {
        TraceJson::progress(self)
    }
}

pub trait Sim {
    /// What the protocol is and how to show it.
    fn description(&self) -> &'static Description;
    fn seed(&self) -> u64;
    fn config(&self) -> &SimConfig;
    /// The scenario as JSON, with a "protocol" field: what a share link carries.
    fn scenario_json(&self) -> String;
    /// The same scenario from time 0 (for rewinding).
    fn rebuild(&self) -> Result<Box<dyn Sim>, String>;

    fn now(&self) -> u64;
    fn visible_events(&self) -> u64;
    fn node_count(&self) -> usize;
    fn status(&self, id: NodeId) -> Status;
    fn view(&self, id: NodeId) -> NodeView;
    /// The node's role and headline number, without building its whole view.
    fn role(&self, id: NodeId) -> (&'static Role, u64);
    fn network(&self) -> &Network;
    fn messages(&self) -> Vec<MessageView>;
    /// What the message with this id holds beyond its summary, if it is still in flight.
    fn describe_message(&self, id: MsgId) -> Option<Vec<(String, String)>>;
    fn history(&self) -> &History;
    fn violations(&self) -> &[Violation];
    /// See `Monitor::figures`.
    fn figures(&self) -> Vec<(&'static str, String)>;
    /// Moments worth finding again on the timeline, in time order.
    fn marks(&self) -> &[Mark];
    fn load_on(&self) -> bool;
    /// See `Trace::set_window`; a rebuilt world keeps the same window.
    fn set_trace_window(&mut self, bytes: Option<usize>);
    /// Let go of the client history before operation `op`: the checks have settled it. An
    /// operation still in progress is kept, and so is everything after it.
    fn forget_history_before(&mut self, op: usize);
    /// Since when the trace holds events, if a window made it forget older ones.
    fn trace_kept_from(&self) -> Option<u64>;
    /// The trace it holds as JSON: what `lab run --trace` writes.
    fn trace_json(&self) -> String;
    /// The same, from a copy of the trace, a piece at a time (see `TraceJson`).
    fn trace_json_pieces(&self) -> Box<dyn JsonPieces>;
    /// See `arrows::arrows`: the messages sent in a stretch of time, and their fates.
    fn arrows(&self, from: u64, to: u64, until: u64) -> Vec<Arrow>;
    /// The role changes its nodes reported, in time order.
    fn role_changes(&self) -> &[RoleChange];
    /// What its nodes held back until what it depended on arrived, and when.
    fn held(&self) -> &[HeldSpan];
    /// What a node holds back now, oldest first.
    fn holding(&self, id: NodeId) -> Vec<&HeldSpan>;

    fn run_until(&mut self, t: u64);
    /// See `World::run_toward`.
    fn run_toward(&mut self, t: u64, budget: u64) -> bool;
    fn step(&mut self) -> bool;
    /// Step until a milestone of the protocol (see `Node::is_milestone`) or `limit`.
    fn step_to_milestone(&mut self, limit: u64);
    fn act(&mut self, action: Action) -> Result<(), String>;
}

impl<N: Node + 'static> Sim for World<N> {
    fn description(&self) -> &'static Description {
        N::DESCRIPTION
    }
    fn seed(&self) -> u64 {
        self.scenario().seed
    }
    fn config(&self) -> &SimConfig {
        &self.scenario().sim
    }
    fn scenario_json(&self) -> String {
        let mut v = serde_json::to_value(self.scenario()).expect("scenarios serialize");
        v["protocol"] = N::DESCRIPTION.name.into();
        v.to_string()
    }
    fn rebuild(&self) -> Result<Box<dyn Sim>, String> {
        let mut w = World::<N>::new(self.scenario().clone())?;
        w.set_trace_window(self.trace().window());
        Ok(Box::new(w))
    }
    fn now(&self) -> u64 {
        World::now(self)
    }
    fn visible_events(&self) -> u64 {
        World::visible_events(self)
    }
    fn node_count(&self) -> usize {
        World::node_count(self)
    }
    fn status(&self, id: NodeId) -> Status {
        World::status(self, id)
    }
    fn view(&self, id: NodeId) -> NodeView {
        World::view(self, id)
    }
    fn role(&self, id: NodeId) -> (&'static Role, u64) {
        World::role(self, id)
    }
    fn network(&self) -> &Network {
        World::network(self)
    }
    fn messages(&self) -> Vec<MessageView> {
        self.in_flight()
            .into_iter()
            .map(|e| Envelope {
                id: e.id,
                from: e.from,
                to: e.to,
                sent_at: e.sent_at,
                deliver_at: e.deliver_at,
                held: e.held,
                msg: N::summarize(&e.msg),
            })
            .collect()
    }
    fn describe_message(&self, id: MsgId) -> Option<Vec<(String, String)>> {
        self.message(id).map(|e| N::describe(&e.msg))
    }
    fn history(&self) -> &History {
        World::history(self)
    }
    fn marks(&self) -> &[Mark] {
        World::marks(self)
    }
    fn figures(&self) -> Vec<(&'static str, String)> {
        super::node::Monitor::figures(self.monitor())
    }
    fn violations(&self) -> &[Violation] {
        World::violations(self)
    }
    fn load_on(&self) -> bool {
        World::load_on(self)
    }
    fn set_trace_window(&mut self, bytes: Option<usize>) {
        World::set_trace_window(self, bytes)
    }
    fn forget_history_before(&mut self, op: usize) {
        World::forget_history_before(self, op)
    }
    fn arrows(&self, from: u64, to: u64, until: u64) -> Vec<Arrow> {
        super::arrows::arrows(self.trace(), from, to, until)
    }
    fn role_changes(&self) -> &[RoleChange] {
        World::role_changes(self)
    }
    fn holding(&self, id: NodeId) -> Vec<&HeldSpan> {
        World::holding(self, id)
    }
    fn held(&self) -> &[HeldSpan] {
        World::held(self)
    }
    fn trace_json(&self) -> String {
        serde_json::to_string(self.trace()).expect("traces serialize")
    }
    fn trace_json_pieces(&self) -> Box<dyn JsonPieces> {
        Box::new(TraceJson::new(self.trace().clone()))
    }
    fn trace_kept_from(&self) -> Option<u64> {
        self.trace().kept_from()
    }
    fn run_until(&mut self, t: u64) {
        World::run_until(self, t)
    }
    fn run_toward(&mut self, t: u64, budget: u64) -> bool {
        World::run_toward(self, t, budget)
    }
    fn step(&mut self) -> bool {
        World::step(self)
    }
    fn step_to_milestone(&mut self, limit: u64) {
        let from = self.trace().note_count();
        let reached = |w: &World<N>| w.trace().notes_from(from).any(N::is_milestone);
        while World::now(self) < limit && !reached(self) && World::step(self) {}
    }
    fn act(&mut self, action: Action) -> Result<(), String> {
        World::act(self, action)
    }
}
