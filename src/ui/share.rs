//! Sessions in the URL: `#seed=N[&nodes=K][&protocol=P][&compare=P][&load=1]` for a fresh run
//! (with `compare`, a second cluster of another model runs beside the first), and
//! `#s=<scenario JSON>[&t=<scenario JSON>]` for an exact replay of a shared session (protocol,
//! seed, settings and every recorded action, per cluster).

use super::session::default_scenario;
use crate::engine::Sim;
use crate::protocols::AnyScenario;

fn decode(encoded: &str) -> Result<AnyScenario, String> {
    let json = js_sys::decode_uri_component(encoded)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or("the link is not properly encoded")?;
    serde_json::from_str(&json).map_err(|e| format!("the shared session is not valid: {e}"))
}

/// Parse a location hash (without the leading '#'): the scenarios, or a reason it was refused.
pub fn parse_hash(hash: &str, fallback_seed: u64) -> Result<Option<Vec<AnyScenario>>, String> {
    if hash.is_empty() {
        return Ok(None);
    }
    let (mut seed, mut nodes, mut protocol, mut compare, mut load) =
        (fallback_seed, 5, "raft".to_string(), None, false);
    let mut shared = Vec::new();
    for part in hash.split('&') {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("unrecognised link part {part:?}"))?;
        match k {
            "s" | "t" => shared.push(decode(v)?),
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
            "compare" => compare = Some(v.to_string()),
            "load" => load = v == "1" || v == "on",
            _ => return Err(format!("unrecognised link part {k:?}")),
        }
    }
    if !shared.is_empty() {
        return Ok(Some(shared));
    }
    let mut scenarios = vec![default_scenario(&protocol, seed)?];
    if let Some(other) = compare {
        scenarios.push(default_scenario(&other, seed)?);
    }
    for s in &mut scenarios {
        s.sim_mut().nodes = nodes;
        s.sim_mut().clients.load = load;
    }
    Ok(Some(scenarios))
}

pub fn random_seed() -> u64 {
    (js_sys::Math::random() * 1_000_000.0) as u64 + 1
}

/// The scenarios the page was opened with, and a notice if the link could not be used.
pub fn scenario_from_location() -> (Vec<AnyScenario>, Option<String>) {
    let hash = gloo::utils::window().location().hash().unwrap_or_default();
    let fresh = || vec![default_scenario("raft", random_seed()).expect("raft is a protocol")];
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

pub fn share_link(sims: &[&dyn Sim]) -> String {
    let loc = gloo::utils::window().location();
    let base = format!(
        "{}{}",
        loc.origin().unwrap_or_default(),
        loc.pathname().unwrap_or_default()
    );
    let parts: Vec<String> = sims
        .iter()
        .zip(["s", "t"])
        .map(|(sim, k)| {
            format!(
                "{k}={}",
                String::from(js_sys::encode_uri_component(&sim.scenario_json()))
            )
        })
        .collect();
    format!("{base}#{}", parts.join("&"))
}
