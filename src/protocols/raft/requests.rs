//! The client requests a Raft node owes an answer: writes waiting for their entry to apply,
//! reads waiting for ReadIndex to confirm them and then for the state machine to catch up.

use crate::engine::{KvReply, KvStore, NodeId, Outbox};

use raft::{RawNode, ReadState, StateRole, Storage};
use std::collections::BTreeMap;

#[derive(Default)]
pub(super) struct Requests {
    /// Writes awaiting commit: log index -> (client request, term it was proposed in).
    writes: BTreeMap<u64, (u64, u64)>,
    /// Reads waiting for ReadIndex confirmation: the key, by request id.
    reads: BTreeMap<u64, String>,
    /// Reads not yet handed to raft-rs: it drops ReadIndex requests until the leader has
    /// committed an entry of its own term, so they wait here until then.
    unissued: Vec<u64>,
    /// Reads confirmed at a commit index, waiting for the state machine to catch up: (index,
    /// request id, key).
    ready: Vec<(u64, u64, String)>,
}

impl Requests {
    pub fn read(&mut self, req: u64, key: &str) {
        self.unissued.push(req);
        self.reads.insert(req, key.to_string());
    }

    pub fn proposed(&mut self, index: u64, req: u64, term: u64) {
        self.writes.insert(index, (req, term));
    }

    /// The write proposed at `index`, if one waits: its request and the term it was proposed in.
    pub fn committed(&mut self, index: u64) -> Option<(u64, u64)> {
        self.writes.remove(&index)
    }

    /// Hand the waiting reads to raft-rs once it can take them. Returns whether it did.
    pub fn issue<S: Storage>(&mut self, raw: &mut RawNode<S>) -> bool {
        if self.unissued.is_empty()
            || raw.raft.state != StateRole::Leader
            || !raw.raft.commit_to_current_term()
        {
            return false;
        }
        for req in self.unissued.drain(..) {
            raw.read_index(req.to_le_bytes().to_vec());
        }
        true
    }

    pub fn confirmed(&mut self, reads: Vec<ReadState>) {
        for rs in reads {
            let req = u64::from_le_bytes(
                (rs.request_ctx.get(..8))
                    .and_then(|b| b.try_into().ok())
                    .unwrap_or_default(),
            );
            if let Some(key) = self.reads.remove(&req) {
                self.ready.push((rs.index, req, key));
            }
        }
    }

    /// Answer the confirmed reads the state machine has caught up with.
    pub fn serve<M, N>(&mut self, applied: u64, kv: &KvStore, out: &mut Outbox<M, N>) {
        if self.ready.is_empty() {
            return;
        }
        self.ready.retain(|(index, req, key)| {
            if *index > applied {
                return true;
            }
            let value = Some(kv.get(key));
            out.reply(*req, KvReply::Ok { value });
            false
        });
    }

    /// This node no longer leads: its pending reads surely had no effect.
    pub fn lost_leadership<M, N>(&mut self, leader: Option<NodeId>, out: &mut Outbox<M, N>) {
        self.unissued.clear();
        for (req, _) in std::mem::take(&mut self.reads) {
            out.reply(req, KvReply::NotLeader { hint: leader });
        }
    }

    /// A crash forgets every request.
    pub fn clear(&mut self) {
        *self = Requests::default();
    }
}
