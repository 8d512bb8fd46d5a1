//! Checks: Raft's safety properties over what nodes report, and linearizability of histories.

pub mod causal_order;
pub mod eventual;
mod growth;
pub mod history_files;
pub mod linearizability;
mod log_tail;
mod open_set;
pub mod raft_safety;
pub mod random_history;
pub mod read_modes;
pub mod report;
#[cfg(test)]
pub(crate) mod test_ops;
