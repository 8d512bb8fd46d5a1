//! Raft: tikv's raft-rs `RawNode`, driven through its Ready loop, on a crash-surviving disk.

mod library_log;
mod node;

pub use node::{Bug, RaftConfig, RaftNode, RaftNote, ReadMode, VIEW_LOG_TAIL};
