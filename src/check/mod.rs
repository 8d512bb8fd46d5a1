//! Checks: Raft's safety properties over what nodes report, and linearizability of histories.

pub mod eventual;
pub mod history_files;
pub mod linearizability;
pub mod raft_safety;
pub mod random_history;
