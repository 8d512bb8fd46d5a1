//! Raft: tikv's raft-rs `RawNode`, driven through its Ready loop, on a crash-surviving disk.
//! - `node`: the replica behind the engine's node interface;
//! - `disk`: its disk, the log and the last snapshot of its state machine;
//! - `ready`: raft-rs's Ready contract, shared with the benchmark's raft-rs-alone replicas;
//! - `requests`: the client requests a node owes an answer;
//! - `view`: the protocol's description, a node's view, message summaries.

mod disk;
mod library_log;
mod node;
mod ready;
mod requests;
mod view;

pub use disk::DiskWrite;
pub use node::{Bug, RaftConfig, RaftNode, RaftNote, ReadMode};
pub use ready::{handle_ready, ReadyApp};
pub(crate) use view::{CONTROLS, GLOSSARY, KIND_LIST, LIBRARY_LOG, ROLE_LIST, TOGGLES};
