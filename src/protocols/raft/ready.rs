//! raft-rs's Ready contract, once: what any application of a `RawNode` must do after every
//! input, in the documented order, to its disk. The node (over its `Disk`) and the benchmark's
//! raft-rs-alone replicas (over a bare `MemStorage`) both drive their `RawNode`s through it.

use super::disk::DiskWrite;
use protobuf::Message as _;
use raft::eraftpb::{ConfChange, ConfChangeV2, ConfState, Entry, EntryType, Message, Snapshot};
use raft::{RawNode, ReadState, StateRole, Storage};

/// What the application does with what raft-rs hands it.
pub trait ReadyApp {
    /// Messages to send (before or after the disk write, as raft-rs orders them).
    fn send(&mut self, msgs: Vec<Message>);
    /// Entries about to be written to the disk (anything after the first is truncated).
    fn persisting(&mut self, _entries: &[Entry]) {}
    /// A snapshot to restore the state machine from, before it is written to the disk.
    fn restore(&mut self, _snapshot: &Snapshot) {}
    /// Committed entries, in log order, and the node's term as it applies them (never an
    /// empty list). Configuration changes come here too, after the driver has applied them to
    /// raft-rs and the disk.
    fn apply(&mut self, entries: Vec<Entry>, term: u64);
    /// A deliberately broken application: a change of several voters takes effect at once,
    /// without joint consensus, so that the new voters alone decide.
    fn skips_joint(&self) -> bool {
        false
    }
    /// A configuration change at `index` took effect: the configuration now.
    fn configured(&mut self, _index: u64, _conf: &ConfState) {}
    /// Reads confirmed by ReadIndex (never an empty list).
    fn read_confirmed(&mut self, reads: Vec<ReadState>);
}

/// Handle every pending Ready of `raw`: send the leader's messages, restore a snapshot, apply
/// committed entries, append entries and hard state to the disk, send the messages that must
/// wait for it (votes, append responses), then advance and handle the light ready.
pub fn handle_ready<S: Storage>(
    raw: &mut RawNode<S>,
    disk: &impl DiskWrite,
    app: &mut impl ReadyApp,
) {
    while raw.has_ready() {
        let mut rd = raw.ready();
        let msgs = rd.take_messages();
        if !msgs.is_empty() {
            app.send(msgs);
        }
        if !rd.snapshot().is_empty() {
            app.restore(rd.snapshot());
            disk.install(rd.snapshot().clone());
        }
        apply(raw, disk, rd.take_committed_entries(), app);
        if !rd.entries().is_empty() {
            app.persisting(rd.entries());
            disk.append(rd.entries());
        }
        if let Some(hs) = rd.hs() {
            disk.set_hard_state(hs.clone());
        }
        let msgs = rd.take_persisted_messages();
        if !msgs.is_empty() {
            app.send(msgs);
        }
        let reads = rd.take_read_states();
        let mut light = raw.advance(rd);
        if let Some(commit) = light.commit_index() {
            disk.set_commit(commit);
        }
        let msgs = light.take_messages();
        if !msgs.is_empty() {
            app.send(msgs);
        }
        apply(raw, disk, light.take_committed_entries(), app);
        raw.advance_apply();
        if !reads.is_empty() {
            app.read_confirmed(reads);
        }
    }
}

fn apply<S: Storage>(
    raw: &mut RawNode<S>,
    disk: &impl DiskWrite,
    entries: Vec<Entry>,
    app: &mut impl ReadyApp,
) {
    if entries.is_empty() {
        return;
    }
    for e in &entries {
        // An empty EntryConfChangeV2 (leave joint consensus) must be applied too.
        let cs = match e.get_entry_type() {
            EntryType::EntryNormal => None,
            EntryType::EntryConfChange => (ConfChange::parse_from_bytes(&e.data).ok())
                .and_then(|cc| raw.apply_conf_change(&cc).ok()),
            EntryType::EntryConfChangeV2 => match ConfChangeV2::parse_from_bytes(&e.data) {
                // The deliberate bug: each change on its own, the new voters deciding alone.
                Ok(cc) if app.skips_joint() && cc.changes.len() > 1 => (cc.changes.iter())
                    .map(|c| {
                        let mut one = ConfChangeV2::default();
                        one.set_changes(vec![c.clone()].into());
                        raw.apply_conf_change(&one).ok()
                    })
                    .last()
                    .flatten(),
                Ok(cc) => raw.apply_conf_change(&cc).ok(),
                Err(_) => None,
            },
        };
        if let Some(cs) = cs.map(sorted) {
            // raft-rs keeps a leader that is no longer a voter leading, and then fails on its
            // own progress once it is gone from the tracker: it steps down here, as etcd and
            // TiKV stop a removed leader.
            let me = raw.raft.id;
            let votes = cs.voters.contains(&me) || cs.voters_outgoing.contains(&me);
            if raw.raft.state == StateRole::Leader && !votes {
                // What it sent as leader goes out first: raft-rs refuses a follower's messages
                // when the Ready advances.
                let sent = std::mem::take(&mut raw.raft.msgs);
                if !sent.is_empty() {
                    app.send(sent);
                }
                let term = raw.raft.term;
                raw.raft.become_follower(term, raft::INVALID_ID);
            }
            app.configured(e.index, &cs);
            disk.set_conf_state(cs);
        }
    }
    app.apply(entries, raw.raft.term);
}

/// A configuration with its lists in order: raft-rs fills them from hash sets, whose order
/// differs between 64-bit and wasm32, and they go into entries, notes and the disk.
pub(super) fn sorted(mut cs: ConfState) -> ConfState {
    for list in [
        &mut cs.voters,
        &mut cs.voters_outgoing,
        &mut cs.learners,
        &mut cs.learners_next,
    ] {
        list.sort_unstable();
    }
    cs
}

/// The configuration a node is in now, its lists in order.
pub(super) fn conf_state<S: Storage>(raw: &raft::Raft<S>) -> ConfState {
    sorted(raw.prs().conf().to_conf_state())
}
