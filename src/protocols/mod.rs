//! Protocols plugged into the engine through its `Node` trait: Raft (linearizable), causal
//! broadcast (causal) and gossip anti-entropy (eventual).

pub mod causal;
pub mod gossip;
pub mod raft;
