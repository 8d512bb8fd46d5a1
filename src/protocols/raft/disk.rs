//! A Raft node's disk: raft-rs's `MemStorage` for the log and the hard state, and the last
//! snapshot of the state machine, which lets the log before it be dropped (compaction). It
//! survives crashes; the `RawNode` reads it through `Storage`, and the Ready loop writes it
//! through `DiskWrite`.

use raft::eraftpb::{ConfState, Entry, HardState, Snapshot};
use raft::storage::MemStorage;
use raft::{GetEntriesContext, RaftState, Storage};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// What the Ready loop writes, in the order raft-rs asks for it.
pub trait DiskWrite {
    /// Replace the log and the state machine's snapshot with a snapshot received.
    fn install(&self, snapshot: Snapshot);
    fn append(&self, entries: &[Entry]);
    fn set_hard_state(&self, hs: HardState);
    fn set_commit(&self, commit: u64);
    fn set_conf_state(&self, cs: ConfState);
}

impl DiskWrite for MemStorage {
    fn install(&self, snapshot: Snapshot) {
        (self.wl().apply_snapshot(snapshot)).expect("a snapshot newer than the log's start");
    }
    fn append(&self, entries: &[Entry]) {
        self.wl()
            .append(entries)
            .expect("entries that follow the log");
    }
    fn set_hard_state(&self, hs: HardState) {
        self.wl().set_hardstate(hs);
    }
    fn set_commit(&self, commit: u64) {
        self.wl().mut_hard_state().set_commit(commit);
    }
    fn set_conf_state(&self, cs: ConfState) {
        self.wl().set_conf_state(cs);
    }
}

#[derive(Clone)]
pub struct Disk {
    log: MemStorage,
    /// The last snapshot taken or installed (index 0: none yet). Shared with the RawNode's
    /// handle, as the log is.
    snapshot: Arc<Mutex<Snapshot>>,
    /// Its index and term, which raft-rs's every `term` lookup asks for: read without a lock.
    at: Arc<[AtomicU64; 2]>,
}

impl Disk {
    pub fn new(conf: ConfState) -> Self {
        Disk {
            log: MemStorage::new_with_conf_state(conf),
            snapshot: Arc::default(),
            at: Arc::default(),
        }
    }

    /// The log and hard state, to read or (for a deliberate bug) to change.
    pub fn log(&self) -> &MemStorage {
        &self.log
    }

    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.lock().expect("one thread").clone()
    }

    /// Index and term of the last snapshot (0, 0 when none).
    pub fn snapshot_at(&self) -> (u64, u64) {
        (self.at[0].load(Relaxed), self.at[1].load(Relaxed))
    }

    fn keep(&self, snapshot: Snapshot) {
        self.at[0].store(snapshot.get_metadata().index, Relaxed);
        self.at[1].store(snapshot.get_metadata().term, Relaxed);
        *self.snapshot.lock().expect("one thread") = snapshot;
    }

    /// Keep `snapshot` of the state machine and drop the log before its index. The entry at
    /// the index stays, so that the log is never empty (MemStorage's first index would be
    /// wrong otherwise).
    pub fn compact(&self, snapshot: Snapshot) {
        let index = snapshot.get_metadata().index;
        self.keep(snapshot);
        self.log.wl().compact(index).expect("an applied index");
    }
}

impl DiskWrite for Disk {
    fn install(&self, snapshot: Snapshot) {
        self.log.install(snapshot.clone());
        self.keep(snapshot);
    }
    fn append(&self, entries: &[Entry]) {
        self.log.append(entries);
    }
    fn set_hard_state(&self, hs: HardState) {
        self.log.set_hard_state(hs);
    }
    fn set_commit(&self, commit: u64) {
        self.log.set_commit(commit);
    }
    fn set_conf_state(&self, cs: ConfState) {
        self.log.set_conf_state(cs);
    }
}

impl Storage for Disk {
    fn initial_state(&self) -> raft::Result<RaftState> {
        self.log.initial_state()
    }
    fn entries(
        &self,
        low: u64,
        high: u64,
        max_size: impl Into<Option<u64>>,
        context: GetEntriesContext,
    ) -> raft::Result<Vec<Entry>> {
        self.log.entries(low, high, max_size, context)
    }
    /// The snapshot's own term too: MemStorage forgets it when it compacts.
    fn term(&self, idx: u64) -> raft::Result<u64> {
        match self.snapshot_at() {
            (index, term) if index > 0 && index == idx => Ok(term),
            _ => self.log.term(idx),
        }
    }
    fn first_index(&self) -> raft::Result<u64> {
        self.log.first_index()
    }
    fn last_index(&self) -> raft::Result<u64> {
        self.log.last_index()
    }
    /// The last snapshot taken (raft-rs asks only once the log before it is gone), unless its
    /// configuration predates the peer asked for: raft-rs would refuse to install it there.
    /// Then it is "temporarily unavailable", and the node takes a newer one (`RaftNode::after`);
    /// TiKV, too, makes snapshots on demand.
    fn snapshot(&self, request_index: u64, to: u64) -> raft::Result<Snapshot> {
        let snapshot = Disk::snapshot(self);
        let (meta, cs) = (
            snapshot.get_metadata(),
            snapshot.get_metadata().get_conf_state(),
        );
        let knows = [
            &cs.voters,
            &cs.voters_outgoing,
            &cs.learners,
            &cs.learners_next,
        ]
        .iter()
        .any(|ids| ids.contains(&to));
        if knows && meta.index >= request_index {
            Ok(snapshot)
        } else {
            Err(raft::Error::Store(
                raft::StorageError::SnapshotTemporarilyUnavailable,
            ))
        }
    }
}
