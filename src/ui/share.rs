//! Sessions in the URL: `#seed=N[&nodes=K][&protocol=raft|gossip|causal][&load=1]` for a fresh
//! run, `#s=<scenario JSON>` for an exact replay of a shared session (protocol, seed, settings
//! and every recorded action).

use super::session::default_scenario;
use crate::engine::Sim;
use crate::protocols::AnyScenario;

/// Parse a location hash (without the leading '#'): the scenario, or a reason it was refused.
pub fn parse_hash(hash: &str, fallback_seed: u64) -> Result<Option<AnyScenario>, String> {
    if hash.is_empty() {
        return Ok(None);
    }
    if let Some(encoded) = hash.strip_prefix("s=") {
        let json = js_sys::decode_uri_component(encoded)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or("the link is not properly encoded")?;
        return serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| format!("the shared session is not valid: {e}"));
    }
    let (mut seed, mut nodes, mut protocol, mut load) =
        (fallback_seed, 5, "raft".to_string(), false);
    for part in hash.split('&') {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("unrecognised link part {part:?}"))?;
        match k {
            "seed" => {
                seed = v
                    .parse()
                    .map_err(|_| format!("seed must be a whole number, got {v:?}"))?
            }
            "nodes" => {
                nodes = v
                    .parse()
                    .map_err(|_| format!("nodes must be a whole number, got {v:?}"))?;
                if !(3..=64).contains(&nodes) {
                    return Err(format!("nodes must be between 3 and 64, got {nodes}"));
                }
            }
            "protocol" => protocol = v.to_string(),
            "load" => load = v == "1" || v == "on",
            _ => return Err(format!("unrecognised link part {k:?}")),
        }
    }
    let mut scenario = default_scenario(&protocol, seed)?;
    scenario.sim_mut().nodes = nodes;
    scenario.sim_mut().clients.load = load;
    Ok(Some(scenario))
}

pub fn random_seed() -> u64 {
    (js_sys::Math::random() * 1_000_000.0) as u64 + 1
}

/// The scenario the page was opened with, and a notice if the link could not be used.
pub fn scenario_from_location() -> (AnyScenario, Option<String>) {
    let hash = gloo::utils::window().location().hash().unwrap_or_default();
    let fresh = || default_scenario("raft", random_seed()).expect("raft is a protocol");
    match parse_hash(hash.trim_start_matches('#'), random_seed()) {
        Ok(Some(s)) => (s, None),
        Ok(None) => (fresh(), None),
        Err(e) => (
            fresh(),
            Some(format!(
                "Could not open the link ({e}); started a new run instead."
            )),
        ),
    }
}

pub fn share_link(sim: &dyn Sim) -> String {
    let loc = gloo::utils::window().location();
    let base = format!(
        "{}{}",
        loc.origin().unwrap_or_default(),
        loc.pathname().unwrap_or_default()
    );
    format!(
        "{base}#s={}",
        String::from(js_sys::encode_uri_component(&sim.scenario_json()))
    )
}
