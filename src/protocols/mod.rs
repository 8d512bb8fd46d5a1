//! Protocols plugged into the engine through its `Node` trait: Raft (linearizable), causal
//! broadcast (causal), gossip anti-entropy (eventual), and SWIM failure detection.

pub mod causal;
pub mod consul;
pub mod gossip;
pub mod raft;
pub mod swim;

use crate::engine::{Description, Node, Scenario, Sim, SimConfig, World};
use serde::{Deserialize, Serialize};

/// A scenario of any protocol: what a share link or a saved session holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "protocol", rename_all = "lowercase")]
pub enum AnyScenario {
    Raft(Scenario<raft::RaftConfig>),
    Gossip(Scenario<gossip::GossipConfig>),
    Causal(Scenario<causal::CausalConfig>),
    Swim(Scenario<swim::SwimConfig>),
    Consul(Scenario<consul::ConsulConfig>),
}

/// The protocols a link or the command line can name, in the order the app offers them.
pub const CATALOG: [&Description; 5] = [
    raft::RaftNode::DESCRIPTION,
    causal::CausalNode::DESCRIPTION,
    gossip::GossipNode::DESCRIPTION,
    swim::SwimNode::DESCRIPTION,
    consul::ConsulNode::DESCRIPTION,
];

impl AnyScenario {
    /// A fresh scenario of the named protocol with its default settings.
    pub fn new(protocol: &str, seed: u64, sim: SimConfig) -> Result<Self, String> {
        let fresh = |d: &Description| d.name == protocol;
        Ok(if fresh(raft::RaftNode::DESCRIPTION) {
            AnyScenario::Raft(Scenario::new(seed, sim, Default::default()))
        } else if fresh(gossip::GossipNode::DESCRIPTION) {
            AnyScenario::Gossip(Scenario::new(seed, sim, Default::default()))
        } else if fresh(causal::CausalNode::DESCRIPTION) {
            AnyScenario::Causal(Scenario::new(seed, sim, Default::default()))
        } else if fresh(swim::SwimNode::DESCRIPTION) {
            AnyScenario::Swim(Scenario::new(seed, sim, Default::default()))
        } else if fresh(consul::ConsulNode::DESCRIPTION) {
            AnyScenario::Consul(Scenario::new(seed, sim, Default::default()))
        } else {
            let names: Vec<_> = CATALOG.iter().map(|d| d.name).collect();
            return Err(format!(
                "unknown protocol {:?} ({})",
                crate::engine::limits::clip(protocol, 40),
                names.join(", ")
            ));
        })
    }

    pub fn description(&self) -> &'static Description {
        match self {
            AnyScenario::Raft(_) => raft::RaftNode::DESCRIPTION,
            AnyScenario::Gossip(_) => gossip::GossipNode::DESCRIPTION,
            AnyScenario::Causal(_) => causal::CausalNode::DESCRIPTION,
            AnyScenario::Swim(_) => swim::SwimNode::DESCRIPTION,
            AnyScenario::Consul(_) => consul::ConsulNode::DESCRIPTION,
        }
    }

    pub fn seed(&self) -> u64 {
        match self {
            AnyScenario::Raft(s) => s.seed,
            AnyScenario::Gossip(s) => s.seed,
            AnyScenario::Causal(s) => s.seed,
            AnyScenario::Swim(s) => s.seed,
            AnyScenario::Consul(s) => s.seed,
        }
    }

    /// Set one of the protocol's toggles (`Description::toggles`); others' keys do nothing.
    pub fn toggle(&mut self, key: &str, on: bool) {
        match self {
            AnyScenario::Raft(s) => raft::RaftNode::toggle(&mut s.protocol, key, on),
            AnyScenario::Gossip(s) => gossip::GossipNode::toggle(&mut s.protocol, key, on),
            AnyScenario::Causal(s) => causal::CausalNode::toggle(&mut s.protocol, key, on),
            AnyScenario::Swim(s) => swim::SwimNode::toggle(&mut s.protocol, key, on),
            AnyScenario::Consul(s) => consul::ConsulNode::toggle(&mut s.protocol, key, on),
        }
    }

    /// What `build` would refuse, without building.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            AnyScenario::Raft(s) => World::<raft::RaftNode>::validate(s),
            AnyScenario::Gossip(s) => World::<gossip::GossipNode>::validate(s),
            AnyScenario::Causal(s) => World::<causal::CausalNode>::validate(s),
            AnyScenario::Swim(s) => World::<swim::SwimNode>::validate(s),
            AnyScenario::Consul(s) => World::<consul::ConsulNode>::validate(s),
        }
    }

    pub fn build(self) -> Result<Box<dyn Sim>, String> {
        Ok(match self {
            AnyScenario::Raft(s) => Box::new(World::<raft::RaftNode>::new(s)?),
            AnyScenario::Gossip(s) => Box::new(World::<gossip::GossipNode>::new(s)?),
            AnyScenario::Causal(s) => Box::new(World::<causal::CausalNode>::new(s)?),
            AnyScenario::Swim(s) => Box::new(World::<swim::SwimNode>::new(s)?),
            AnyScenario::Consul(s) => Box::new(World::<consul::ConsulNode>::new(s)?),
        })
    }

    pub fn sim_mut(&mut self) -> &mut SimConfig {
        match self {
            AnyScenario::Raft(s) => &mut s.sim,
            AnyScenario::Gossip(s) => &mut s.sim,
            AnyScenario::Causal(s) => &mut s.sim,
            AnyScenario::Swim(s) => &mut s.sim,
            AnyScenario::Consul(s) => &mut s.sim,
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn a_scenario_round_trips_through_its_json_with_the_protocol() {
        for protocol in ["raft", "gossip", "causal", "swim", "consul"] {
            let sim = AnyScenario::new(protocol, 9, SimConfig::default())
                .unwrap()
                .build()
                .unwrap();
            let json = sim.scenario_json();
            let back: AnyScenario = serde_json::from_str(&json).unwrap();
            assert_eq!(back.description().name, protocol);
            assert_eq!(back.build().unwrap().description().name, protocol);
        }
        assert!(AnyScenario::new("paxos", 1, SimConfig::default()).is_err());
    }

    /// Links made before protocols named their own commands asked a gossip or causal replica
    /// to "Campaign" for a sync: such a link still opens and still syncs at once.
    #[test]
    fn an_older_command_name_still_works() {
        for protocol in ["gossip", "causal"] {
            let json = format!(
                r#"{{"protocol":"{protocol}","seed":2,"settings":{{}},"actions":[{{"do":"control","node":3,"cmd":"Campaign","step":0,"t":0}}]}}"#
            );
            let scenario: AnyScenario = serde_json::from_str(&json).unwrap();
            let mut sim = scenario.build().unwrap();
            sim.step();
            let from_3: Vec<_> = sim.messages().into_iter().filter(|m| m.from == 3).collect();
            assert_eq!(
                from_3.len(),
                1,
                "{protocol}: n3 syncs with one peer at once"
            );
            assert_eq!(from_3[0].sent_at, 0);
        }
        let bad = r#"{"protocol":"gossip","seed":2,"settings":{},"actions":[{"do":"control","node":3,"cmd":"Elect","step":0,"t":0}]}"#;
        let scenario: AnyScenario = serde_json::from_str(bad).unwrap();
        let err = scenario
            .build()
            .err()
            .expect("an unknown command is refused");
        assert!(err.contains("offers no command"), "{err}");
    }

    /// A summary names its kind by code, a position in the protocol's table: every kind of
    /// every protocol sits at its code, and names of roles, kinds and commands are unique.
    #[test]
    fn descriptions_are_consistent() {
        for d in CATALOG {
            for (i, k) in d.kinds.iter().enumerate() {
                assert_eq!(k.code as usize, i, "{}: {}", d.name, k.label);
            }
            let unique = |names: Vec<&str>| {
                let mut sorted = names.clone();
                sorted.sort_unstable();
                sorted.dedup();
                sorted.len() == names.len()
            };
            assert!(
                unique(d.kinds.iter().map(|k| k.label).collect()),
                "{}",
                d.name
            );
            assert!(
                unique(d.roles.iter().map(|r| r.name).collect()),
                "{}",
                d.name
            );
            assert!(
                unique(d.controls.iter().map(|c| c.name).collect()),
                "{}",
                d.name
            );
            assert!(d
                .roles
                .iter()
                .all(|r| r.name != "down" && r.name != "paused"));
        }
    }
}
