//! The client workload: a steady load of clients, each with one operation at a time, and the
//! one-off requests users make; redirects, retries with back-off, timeouts, and the history
//! they record.

use super::client::{Client, ClientId, HistoryOp, Outcome};
use super::kv::{KvOp, KvReply};
use super::node::{Node, NodeId};
use super::queue::Event;
use super::trace::TraceKind;
use super::world::World;
use rand::Rng as _;

impl<N: Node> World<N> {
    pub(super) fn set_load(&mut self, on: bool) {
        let was = self.load_on;
        self.load_on = on;
        if on && !was {
            let (lo, hi) = self.scenario.sim.clients.think_ms;
            for c in 0..self.clients.len() {
                if self.clients[c].load && self.clients[c].current.is_none() {
                    let at = self.now + self.rng.gen_range(lo..=hi);
                    self.bus.push(at, Event::ClientThink { client: c });
                }
            }
        }
    }

    /// See `Outbox::request`.
    pub(super) fn node_request(&mut self, node: NodeId, op: KvOp) {
        let c = match self.own_clients[node] {
            Some(c) => c,
            None => {
                // Not pinned: sent on where the node answers it is not the one to ask (an
                // agent forwarding to a server, a deposed leader to the new one).
                let own = Client::new(node, false, self.scenario.sim.clients.keys);
                self.clients.push(own);
                let c = self.clients.len() - 1;
                self.own_clients[node] = Some(c);
                self.history.own.push((c, node));
                c
            }
        };
        if self.clients[c].current.is_none() {
            // Each request starts here, wherever the last was sent on to.
            self.clients[c].target = node;
            self.start_op(c, op);
        }
    }

    pub(super) fn start_op(&mut self, client: ClientId, op: KvOp) {
        let idx = self.history.len();
        self.history.ops.push(HistoryOp {
            client,
            op,
            invoke_t: self.now,
            complete_t: None,
            outcome: None,
            cas_failed: false,
            node: None,
        });
        let c = &mut self.clients[client];
        c.current = Some(idx);
        // One deadline timer per client, re-armed lazily: stale timers would crowd the queue.
        if !c.deadline_armed {
            c.deadline_armed = true;
            self.bus.push(
                self.now + self.scenario.sim.clients.timeout_ms,
                Event::ClientDeadline { client },
            );
        }
        self.send_attempt(client, idx);
    }

    fn send_attempt(&mut self, client: ClientId, op: usize) {
        let req = self.next_req;
        self.next_req += 1;
        self.requests.insert(req, (client, op));
        let c = &mut self.clients[client];
        c.attempt = Some(req);
        c.attempts += 1;
        let node = c.target;
        let kv = self.history[op].op.clone();
        if self.tracing {
            self.trace.push(
                self.now,
                TraceKind::Invoke {
                    client,
                    op,
                    node,
                    kv: kv.clone(),
                },
            );
        }
        let at = self.now + self.client_latency();
        self.bus.push(
            at,
            Event::ClientArrive {
                node,
                req,
                op: Box::new(kv),
            },
        );
    }

    /// A load client's think time is over: it starts its next operation.
    pub(super) fn client_think(&mut self, client: ClientId) -> bool {
        let c = &self.clients[client];
        if !self.load_on || c.current.is_some() {
            return false;
        }
        let kv = c.next_op(
            &self.scenario.sim.clients,
            &mut self.rng,
            &mut self.op_counter,
        );
        self.start_op(client, kv);
        true
    }

    /// A client's back-off is over: it tries its operation again.
    pub(super) fn client_retry(&mut self, client: ClientId, op: usize) -> bool {
        let c = &self.clients[client];
        if c.current != Some(op) || c.attempt.is_some() {
            return false;
        }
        self.send_attempt(client, op);
        true
    }

    pub(super) fn client_reply(&mut self, node: NodeId, req: u64, reply: KvReply) -> bool {
        let Some((client, op)) = self.requests.remove(&req) else {
            return false;
        };
        let c = &self.clients[client];
        if c.current != Some(op) || c.attempt != Some(req) {
            return false; // an answer to an attempt the client gave up on
        }
        self.record(TraceKind::Reply {
            client,
            op,
            node,
            reply: reply.clone(),
        });
        let n = self.nodes.len();
        match reply {
            KvReply::Ok { value } => {
                self.believed_leader = node;
                self.clients[client].remember(&self.history[op].op, value.as_deref());
                self.complete(client, op, Outcome::Ok { value }, false, Some(node));
            }
            KvReply::CasFailed => {
                self.believed_leader = node;
                self.complete(client, op, Outcome::Ok { value: None }, true, Some(node));
            }
            KvReply::NotLeader { .. } | KvReply::Failed { .. } if self.clients[client].pinned => {
                self.complete(client, op, Outcome::Fail, false, Some(node));
            }
            // Definitely not applied: retry the same operation elsewhere after a back-off.
            KvReply::NotLeader { hint } | KvReply::Failed { hint, .. } => {
                let c = &mut self.clients[client];
                c.attempt = None;
                c.target = match hint {
                    Some(h) if h < n && h != node => h,
                    _ => (node + 1) % n,
                };
                let backoff = 10 * u64::from(c.attempts.min(10));
                self.bus
                    .push(self.now + backoff, Event::ClientRetry { client, op });
            }
        }
        true
    }

    pub(super) fn client_deadline(&mut self, client: ClientId) -> bool {
        let c = &mut self.clients[client];
        c.deadline_armed = false;
        let Some(op) = c.current else { return false };
        let due = self.history[op].invoke_t + self.scenario.sim.clients.timeout_ms;
        if due > self.now {
            c.deadline_armed = true;
            self.bus.push(due, Event::ClientDeadline { client });
            return false;
        }
        self.record(TraceKind::Timeout { client, op });
        // With an attempt still unanswered the operation may have taken effect.
        let outcome = if self.clients[client].attempt.is_some() {
            Outcome::Info
        } else {
            Outcome::Fail
        };
        self.complete(client, op, outcome, false, None);
        true
    }

    fn complete(
        &mut self,
        client: ClientId,
        op: usize,
        outcome: Outcome,
        cas_failed: bool,
        node: Option<NodeId>,
    ) {
        let h = (self.history.get_mut(op)).expect("a pending operation is never forgotten");
        h.complete_t = Some(self.now);
        h.outcome = Some(outcome);
        h.cas_failed = cas_failed;
        h.node = node;
        // An attempt still unanswered will be ignored when it is: forget it now, or a long
        // session under loss keeps one per lost request. Only the latest can be (a retry
        // follows an answer, which took its attempt out).
        if let Some(req) = self.clients[client].attempt {
            self.requests.remove(&req);
        }
        let c = &mut self.clients[client];
        c.current = None;
        c.attempt = None;
        c.attempts = 0;
        if c.load && self.load_on {
            let (lo, hi) = self.scenario.sim.clients.think_ms;
            // At least 1 ms: with no think time and no latency, a client whose requests fail
            // at once would otherwise retry for ever at one instant.
            let at = self.now + self.rng.gen_range(lo..=hi).max(1);
            self.bus.push(at, Event::ClientThink { client });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{Scenario, SimConfig, World};
    use crate::protocols::raft::{RaftConfig, RaftNode};

    /// Attempts that are never answered (a paused node holds them) are forgotten when their
    /// operations time out, so that no client has more than its latest attempt outstanding.
    #[test]
    fn attempts_never_answered_are_forgotten() {
        let mut sim = SimConfig::default();
        sim.clients.load = true;
        let mut w: World<RaftNode> =
            World::new(Scenario::new(3, sim, RaftConfig::default())).unwrap();
        for t in (2_000..60_000).step_by(5_000) {
            w.run_until(t);
            let node = w.believed_leader;
            w.act(crate::engine::Action::Pause { node }).unwrap();
            w.run_until(t + 4_000);
            w.act(crate::engine::Action::Resume { node }).unwrap();
        }
        let timed_out = (w.history.iter())
            .filter(|(_, o)| o.outcome == Some(crate::engine::Outcome::Info))
            .count();
        assert!(timed_out > w.clients.len(), "the pauses bite: {timed_out}");
        let outstanding = w.clients.iter().filter(|c| c.attempt.is_some()).count();
        assert_eq!(
            w.requests.len(),
            outstanding,
            "only each client's latest attempt"
        );
    }
}
