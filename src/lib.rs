//! consensus-lab: real consensus and replication protocols in a deterministic simulator.
//!
//! Layers, each depending only on the ones below it:
//! - [`ui`] (wasm32 only): Yew components that render engine views and send actions.
//! - [`runner`]: headless runs and seed exploration (used by the `lab` binary and the tests).
//! - [`protocols`]: nodes behind the engine's sans-IO [`engine::Node`] trait (Raft on raft-rs).
//! - [`link`]: what a link to the app holds (used by the app and the tests); [`import`] and
//!   [`export`]: what the page reads from files and writes to them.
//! - [`check`]: safety checks over what nodes report, linearizability of client histories.
//! - [`engine`]: virtual time, event queue, seeded RNG, the faulty network, clients, trace.

pub mod check;
pub mod engine;
pub mod export;
pub mod import;
pub mod lessons;
pub mod library;
pub mod link;
pub mod protocols;
pub mod runner;
#[cfg(target_arch = "wasm32")]
pub mod ui;
