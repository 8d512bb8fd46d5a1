//! Protocols plugged into the engine through its `Node` trait.

pub mod raft;
