//! Sessions in the URL: `#seed=N[&nodes=K]` for a fresh run, `#s=<scenario JSON>` for an exact
//! replay of a shared session (seed, settings and every recorded action).

use super::session::default_scenario;
use crate::engine::Scenario;
use crate::protocols::raft::RaftConfig;

/// Parse a location hash (without the leading '#'): the scenario, or a reason it was refused.
pub fn parse_hash(hash: &str, fallback_seed: u64) -> Result<Option<Scenario<RaftConfig>>, String> {
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
    let mut scenario = default_scenario(fallback_seed);
    for part in hash.split('&') {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("unrecognised link part {part:?}"))?;
        match k {
            "seed" => {
                scenario.seed = v
                    .parse()
                    .map_err(|_| format!("seed must be a whole number, got {v:?}"))?
            }
            "nodes" => {
                let n: usize = v
                    .parse()
                    .map_err(|_| format!("nodes must be a whole number, got {v:?}"))?;
                if !(3..=9).contains(&n) {
                    return Err(format!("nodes must be between 3 and 9, got {n}"));
                }
                scenario.sim.nodes = n;
            }
            "load" => scenario.sim.clients.load = v == "1" || v == "on",
            _ => return Err(format!("unrecognised link part {k:?}")),
        }
    }
    Ok(Some(scenario))
}

pub fn random_seed() -> u64 {
    (js_sys::Math::random() * 1_000_000.0) as u64 + 1
}

/// The scenario the page was opened with, and a notice if the link could not be used.
pub fn scenario_from_location() -> (Scenario<RaftConfig>, Option<String>) {
    let hash = gloo::utils::window().location().hash().unwrap_or_default();
    let hash = hash.trim_start_matches('#');
    match parse_hash(hash, random_seed()) {
        Ok(Some(s)) => (s, None),
        Ok(None) => (default_scenario(random_seed()), None),
        Err(e) => (
            default_scenario(random_seed()),
            Some(format!(
                "Could not open the link ({e}); started a new run instead."
            )),
        ),
    }
}

pub fn share_link(scenario: &Scenario<RaftConfig>) -> String {
    let json = serde_json::to_string(scenario).expect("scenarios serialize");
    let loc = gloo::utils::window().location();
    let base = format!(
        "{}{}",
        loc.origin().unwrap_or_default(),
        loc.pathname().unwrap_or_default()
    );
    format!(
        "{base}#s={}",
        String::from(js_sys::encode_uri_component(&json))
    )
}
