//! What users and fault schedules do to a running cluster: checked, recorded in the scenario
//! (a user's actions) and carried out.

use super::client::Client;
use super::describe::Description;
use super::limits::{short, MAX_ACTIONS, MAX_KEY_BYTES, MAX_VALUE_BYTES, NODES};
use super::marks::MarkKind;
use super::network::MsgId;
use super::node::{Monitor, Node, NodeId};
use super::queue::Event;
use super::scenario::{Action, UserAction};
use super::trace::{DropReason, TraceKind};
use super::world::{Status, World};

impl<N: Node> World<N> {
    /// Do something now, as a user. The action becomes part of the scenario; any recorded
    /// future beyond this point is discarded (acting in the past forks a new future), while
    /// the fault schedule, queued from the start, stays.
    pub fn act(&mut self, action: Action) -> Result<(), String> {
        validate(&action, self.nodes.len(), N::DESCRIPTION)?;
        if self.next_action + self.scenario.schedule.len() >= MAX_ACTIONS {
            return Err(format!(
                "a run records at most {MAX_ACTIONS} actions, so that its link still opens, and this one has reached that"
            ));
        }
        if let Some(id) = message_of(&action) {
            if self.bus.get(id).is_none() {
                return Err(format!("message {id} is no longer in flight"));
            }
        }
        self.scenario.actions.truncate(self.next_action);
        self.scenario.actions.push(UserAction {
            t: self.now,
            step: self.steps,
            action: action.clone(),
        });
        self.next_action += 1;
        self.visible_events += 1;
        // Recorded even when a node refuses it: a replay refuses it again.
        self.apply(action)
    }

    /// Carry out an action (recorded in the trace first). One that names a node not there yet
    /// (a scenario may name a node it adds later) does nothing. A command the node refuses
    /// (`Node::refuses`) is an error saying why.
    pub(super) fn apply(&mut self, action: Action) -> Result<(), String> {
        if validate(&action, self.nodes.len(), N::DESCRIPTION).is_err() {
            return Ok(());
        }
        self.record(TraceKind::Action {
            action: action.clone(),
        });
        let tick = self.scenario.sim.tick_ms;
        match action {
            Action::Crash { node } => {
                if self.status[node] == Status::Down {
                    return Ok(());
                }
                self.set_status(node, Status::Down);
                self.epoch[node] += 1;
                self.stats.crashes += 1;
                self.mark(MarkKind::Crash, Some(node), 0);
                self.release_all(node);
                for env in self.bus.crash(node) {
                    self.drop_msg(&env, DropReason::NodeDown);
                }
                self.nodes[node].crash();
            }
            Action::Restart { node } => {
                if self.status[node] != Status::Down {
                    return Ok(());
                }
                self.set_status(node, Status::Up);
                self.epoch[node] += 1;
                self.mark(MarkKind::Restart, Some(node), 0);
                self.call(node, |n, out| n.restart(out));
                self.bus.push(
                    self.now + tick,
                    Event::Tick {
                        node,
                        epoch: self.epoch[node],
                    },
                );
            }
            Action::Pause { node } => {
                if self.status[node] == Status::Up {
                    self.set_status(node, Status::Paused);
                    self.mark(MarkKind::Pause, Some(node), 0);
                }
            }
            Action::Resume { node } => self.resume(node),
            Action::Partition { groups } => {
                self.net.partition(&groups);
                self.stats.partitions += 1;
                self.mark(MarkKind::Partition, None, 0);
            }
            Action::Cut { from, to, cut } => {
                self.net.set_cut(from, to, cut);
                if cut {
                    self.stats.partitions += 1;
                }
                let kind = if cut {
                    MarkKind::Partition
                } else {
                    MarkKind::Heal
                };
                self.mark(kind, Some(from), 0);
            }
            Action::Heal => {
                self.net.heal();
                self.mark(MarkKind::Heal, None, 0);
            }
            Action::SetLink { from, to, link } => match (from, to) {
                (Some(a), Some(b)) => self.net.set_link(a, b, link),
                (Some(a), None) => {
                    (0..self.nodes.len()).for_each(|b| self.net.set_link(a, b, link))
                }
                (None, Some(b)) => {
                    (0..self.nodes.len()).for_each(|a| self.net.set_link(a, b, link))
                }
                (None, None) => self.net.set_all_links(link),
            },
            Action::DropMessage { id } => {
                if let Some(env) = self.bus.take(id) {
                    self.drop_msg(&env, DropReason::User);
                }
            }
            Action::DuplicateMessage { id } => {
                if let Some(env) = self.bus.get(id) {
                    let (from, to, msg) = (env.from, env.to, env.msg.clone());
                    // The copy travels the link as a message sent now would.
                    let at = self.net.arrival(from, to, self.now, &mut self.rng);
                    self.duplicate(id, from, to, msg, at);
                }
            }
            Action::HoldMessage { id } => {
                self.bus.hold(id);
            }
            Action::ReleaseMessage { id } => {
                self.bus.release(id, self.now);
            }
            Action::Control { node, mut cmd } => {
                if self.status[node] == Status::Up {
                    // Validated: the protocol offers it, perhaps under an older name.
                    if let Some(c) = N::DESCRIPTION.control(&cmd.name) {
                        c.name.clone_into(&mut cmd.name);
                    }
                    if let Some(why) = self.nodes[node].refuses(&cmd) {
                        return Err(format!("n{node} refuses: {why}"));
                    }
                    self.call(node, |n, out| n.on_control(&cmd, out));
                }
            }
            Action::Request { node, op } => {
                let n = self.nodes.len();
                let mut c = Client::new(
                    node.unwrap_or(self.believed_leader) % n,
                    false,
                    self.scenario.sim.clients.keys,
                );
                c.pinned = node.is_some();
                self.clients.push(c);
                self.start_op(self.clients.len() - 1, op);
            }
            Action::SetLoad { on } => self.set_load(on),
            Action::AddNode => self.add_node(),
            Action::HealAll => {
                self.net.heal();
                self.mark(MarkKind::Heal, None, 0);
                self.net.set_all_links(self.scenario.sim.link);
                for node in 0..self.nodes.len() {
                    match self.status[node] {
                        Status::Down => self.apply(Action::Restart { node })?,
                        Status::Paused => self.resume(node),
                        Status::Up => {}
                    }
                }
                for id in self.bus.held_ids() {
                    self.bus.release(id, self.now);
                }
            }
        }
        Ok(())
    }

    /// A node's process stops or runs again; the monitor is told (a failure detector's checks
    /// judge suspicions by it).
    fn set_status(&mut self, node: NodeId, status: Status) {
        self.status[node] = status;
        self.monitor.status(self.now, node, status);
    }

    fn resume(&mut self, node: NodeId) {
        if self.status[node] != Status::Paused {
            return;
        }
        self.set_status(node, Status::Up);
        self.epoch[node] += 1;
        self.mark(MarkKind::Resume, Some(node), 0);
        let tick = Event::Tick {
            node,
            epoch: self.epoch[node],
        };
        self.bus.push(self.now + self.scenario.sim.tick_ms, tick);
        self.bus.resume(node, self.now);
    }
}

/// The message an action is about, if it is about one.
fn message_of(a: &Action) -> Option<MsgId> {
    match a {
        Action::DropMessage { id }
        | Action::DuplicateMessage { id }
        | Action::HoldMessage { id }
        | Action::ReleaseMessage { id } => Some(*id),
        _ => None,
    }
}

/// Whether an action can be carried out in a cluster of `n` nodes of this protocol.
pub(super) fn validate(a: &Action, n: usize, protocol: &Description) -> Result<(), String> {
    let node = |i: &NodeId| {
        if *i < n {
            Ok(())
        } else {
            Err(format!("there is no node {i} (nodes are 0..{})", n - 1))
        }
    };
    match a {
        Action::AddNode if protocol.join_control.is_none() => Err(format!(
            "{}'s membership is fixed: nodes cannot be added",
            protocol.title
        )),
        Action::AddNode if n >= NODES.1 => Err(format!("a run has at most {} nodes", NODES.1)),
        Action::Crash { node: i }
        | Action::Restart { node: i }
        | Action::Pause { node: i }
        | Action::Resume { node: i } => node(i),
        Action::Control { node: i, cmd } => {
            node(i)?;
            cmd.peer.iter().chain(&cmd.list).try_for_each(node)?;
            let mut listed = cmd.list.clone();
            listed.sort_unstable();
            listed.dedup();
            if listed.len() < cmd.list.len() {
                return Err(format!("the command {:?} lists a node twice", cmd.name));
            }
            match protocol.control(&cmd.name) {
                Some(c)
                    if c.names_node == cmd.peer.is_some()
                        && c.lists_nodes != cmd.list.is_empty() =>
                {
                    Ok(())
                }
                Some(_) => Err(format!(
                    "the command {:?} names a node in a different way",
                    cmd.name
                )),
                None => Err(format!(
                    "{} offers no command {:?}",
                    protocol.title, cmd.name
                )),
            }
        }
        Action::Partition { groups } => {
            let mut seen = vec![false; n];
            for i in groups.iter().flatten() {
                node(i)?;
                if std::mem::replace(&mut seen[*i], true) {
                    return Err(format!("node {i} is in two groups"));
                }
            }
            Ok(())
        }
        Action::Cut { from, to, .. } => {
            node(from)?;
            node(to)?;
            if from == to {
                Err("a node cannot be cut from itself".into())
            } else {
                Ok(())
            }
        }
        Action::SetLink { from, to, link } => {
            from.iter().chain(to.iter()).try_for_each(node)?;
            link.validate()
        }
        Action::Request { node: target, op } => {
            target.iter().try_for_each(node)?;
            if op.key().is_empty() {
                return Err("the key must not be empty".into());
            }
            short("a key", op.key(), MAX_KEY_BYTES)?;
            op.values()
                .try_for_each(|v| short("a value", v, MAX_VALUE_BYTES))
        }
        Action::Heal
        | Action::HealAll
        | Action::AddNode
        | Action::SetLoad { .. }
        | Action::DropMessage { .. }
        | Action::DuplicateMessage { .. }
        | Action::HoldMessage { .. }
        | Action::ReleaseMessage { .. } => Ok(()),
    }
}
