//! What a link to the app holds, in its URL fragment:
//! - `seed=N[&nodes=K][&protocol=P][&compare=P][&load=1]`: a fresh run (with `compare`, a
//!   second cluster of another model runs beside the first);
//! - `s=<scenario JSON>[&t=<scenario JSON>]`: an exact replay of a shared session (protocol,
//!   seed, settings and every recorded action, per cluster), percent-encoded;
//!   Share adds `&at=MS`, the moment it was made at, where the page opens, paused;
//! - `scenario=NAME`: an entry of the scenario library (`crate::library`).
//!
//! Plain Rust, so that the links people saved can be opened and checked natively.

use crate::engine::limits::{clip, within, MAX_SCENARIO_BYTES, MAX_TIME_MS, NODES};
use crate::engine::SimConfig;
use crate::library::{entry, Entry, LIBRARY};
use crate::protocols::{AnyScenario, CATALOG};

/// The app's session of a protocol when a link names no more: chosen so that a first visit
/// sees an election (or a gossip round) within seconds.
pub fn default_scenario(protocol: &str, seed: u64) -> Result<AnyScenario, String> {
    let mut sim = SimConfig::default();
    sim.link.latency_ms = 30;
    sim.link.jitter_ms = 20;
    sim.clients.think_ms = (300, 900);
    sim.clients.latency_ms = 10;
    let mut s = AnyScenario::new(protocol, seed, sim)?;
    // A store that promises causal consistency keeps each client's session on one replica.
    s.sim_mut().clients.sticky = s.description().consistency.needs_sessions();
    // A failure detector keeps no data: no clients.
    if !s.description().clients {
        s.sim_mut().clients.count = 0;
    }
    Ok(s)
}

fn decode(encoded: &str) -> Result<AnyScenario, String> {
    let json = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .map_err(|_| "the link is not properly encoded")?;
    read_scenario(&json).map_err(|e| format!("the shared session {e}"))
}

/// A scenario written as JSON (a share link's, or a scenario file), checked as `World::new`
/// checks it so that it is refused here, with its reason, rather than later.
pub fn read_scenario(json: &str) -> Result<AnyScenario, String> {
    if json.len() > MAX_SCENARIO_BYTES {
        return Err(format!(
            "is {} bytes long; at most {MAX_SCENARIO_BYTES} are read",
            json.len()
        ));
    }
    let scenario: AnyScenario = serde_json::from_str(json)
        .map_err(|e| format!("is not valid: {}", clip(&e.to_string(), 200)))?;
    scenario
        .validate()
        .map_err(|e| format!("cannot be run: {e}"))?;
    Ok(scenario)
}

/// A scenario file (what Export writes): one scenario, or the two of a side-by-side session,
/// each as its share link holds it.
pub fn read_scenario_file(text: &str) -> Result<Vec<AnyScenario>, String> {
    if text.len() > 2 * MAX_SCENARIO_BYTES {
        return Err(format!(
            "the file is {} bytes long; at most {} are read",
            text.len(),
            2 * MAX_SCENARIO_BYTES
        ));
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("the file is not a scenario: {}", clip(&e.to_string(), 200)))?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        one => vec![one],
    };
    if !(1..=2).contains(&items.len()) {
        return Err(format!(
            "a scenario file holds one scenario, or two side by side; this one holds {}",
            items.len()
        ));
    }
    (items.iter())
        .map(|s| read_scenario(&s.to_string()).map_err(|e| format!("the scenario {e}")))
        .collect()
}

/// The file Export writes for a session's scenarios (each as JSON, as `Sim::scenario_json`).
pub fn scenario_file(scenarios: &[String]) -> String {
    match scenarios {
        [one] => one.clone(),
        all => format!("[{}]", all.join(",")),
    }
}

/// The moment in `at=MS`: a whole number of virtual ms within a run's limits.
fn moment(v: &str) -> Result<u64, String> {
    let t = (v.parse::<u64>())
        .map_err(|_| format!("at must be a whole number of ms, got {:?}", clip(v, 40)))?;
    within("at", t, 0, MAX_TIME_MS)?;
    Ok(t)
}

/// The moment a shared session was made at (`&at=MS`, which Share adds): the page opens there,
/// paused. Links made before it had none and open playing from the start.
pub fn fragment_moment(hash: &str) -> Option<u64> {
    hash.split('&')
        .find_map(|p| p.strip_prefix("at="))
        .and_then(|v| moment(v).ok())
}

/// The library entry a `scenario=NAME` fragment names, if it is one; or why it cannot be opened.
pub fn library_link(hash: &str) -> Option<Result<&'static Entry, String>> {
    let name = hash.strip_prefix("scenario=")?;
    Some(entry(name).ok_or_else(|| {
        let names: Vec<&str> = LIBRARY.iter().map(|e| e.name).collect();
        format!(
            "there is no scenario {:?} (there are {})",
            clip(name, 40),
            names.join(", ")
        )
    }))
}

/// Parse a fragment (without the leading '#'): the scenarios, none for an empty fragment, or a
/// reason it was refused.
pub fn parse_fragment(hash: &str, fallback_seed: u64) -> Result<Option<Vec<AnyScenario>>, String> {
    if hash.is_empty() {
        return Ok(None);
    }
    if hash.len() > 3 * MAX_SCENARIO_BYTES {
        return Err(format!(
            "the link is {} characters long; at most {} are read",
            hash.len(),
            3 * MAX_SCENARIO_BYTES
        ));
    }
    let (mut seed, mut nodes, mut protocol, mut compare, mut load) =
        (fallback_seed, 5, CATALOG[0].name.to_string(), None, false);
    let mut shared = Vec::new();
    for part in hash.split('&') {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("unrecognised link part {:?}", clip(part, 40)))?;
        match k {
            "s" | "t" => shared.push(decode(v)?),
            "seed" => {
                seed = v
                    .parse()
                    .map_err(|_| format!("seed must be a whole number, got {:?}", clip(v, 40)))?
            }
            "nodes" => {
                nodes = v
                    .parse()
                    .map_err(|_| format!("nodes must be a whole number, got {:?}", clip(v, 40)))?;
                within("nodes", nodes, NODES.0, NODES.1)?;
            }
            "protocol" => protocol = v.to_string(),
            "compare" => compare = Some(v.to_string()),
            "load" => load = v == "1" || v == "on",
            "scenario" => {
                return library_link(part)
                    .expect("a scenario= part")
                    .map(|e| Some(e.scenarios()))
            }
            // The moment a shared session was made at (see `fragment_moment`).
            "at" => {
                moment(v)?;
            }
            _ => return Err(format!("unrecognised link part {:?}", clip(k, 40))),
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

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn fresh_runs_shared_sessions_and_bad_links() {
        assert_eq!(parse_fragment("", 1), Ok(None));
        let two = parse_fragment("seed=4&protocol=gossip&compare=raft&nodes=7", 1)
            .unwrap()
            .unwrap();
        let names: Vec<_> = two.iter().map(|s| s.description().name).collect();
        assert_eq!(names, ["gossip", "raft"]);
        assert!(two.iter().all(|s| s.seed() == 4));
        let shared = format!(
            "s={}",
            percent_encoding::utf8_percent_encode(
                &two[0].clone().build().unwrap().scenario_json(),
                percent_encoding::NON_ALPHANUMERIC
            )
        );
        assert_eq!(parse_fragment(&shared, 1).unwrap().unwrap()[0], two[0]);
        // A shared session opens at the moment it was made; links made before say none.
        let at = format!("{shared}&at=1234");
        assert_eq!(parse_fragment(&at, 1).unwrap().unwrap()[0], two[0]);
        assert_eq!(
            (fragment_moment(&at), fragment_moment(&shared)),
            (Some(1234), None)
        );
        // A library entry by name.
        let split = parse_fragment("scenario=split-vote", 1).unwrap().unwrap();
        assert_eq!(split[0].seed(), 3);
        for bad in [
            "seed=x",
            "nodes=2",
            "protocol=paxos",
            "what",
            "zzz=1",
            "s=%7B",
            "seed=1&at=soon",
            "seed=1&at=99999999999999",
            "scenario=nope",
        ] {
            assert!(parse_fragment(bad, 1).is_err(), "{bad} is refused");
        }
    }

    /// A scenario file holds what Export wrote: one scenario or two side by side, read back
    /// as they were; anything else is refused with its reason.
    #[test]
    fn scenario_files_round_trip_and_bad_ones_are_refused() {
        let two = parse_fragment("seed=9&protocol=raft&compare=gossip", 1)
            .unwrap()
            .unwrap();
        let jsons: Vec<String> = (two.iter())
            .map(|s| s.clone().build().unwrap().scenario_json())
            .collect();
        assert_eq!(read_scenario_file(&scenario_file(&jsons)).unwrap(), two);
        assert_eq!(
            read_scenario_file(&scenario_file(&jsons[..1])).unwrap(),
            two[..1]
        );
        let three = format!("[{0},{0},{0}]", jsons[0]);
        for (bad, why) in [
            ("", "not a scenario"),
            ("[]", "holds 0"),
            (three.as_str(), "holds 3"),
            (
                r#"{"protocol":"raft","seed":1,"settings":{"heartbeat_tick":0}}"#,
                "heartbeat_tick",
            ),
            ("jepsen.util - 1 :invoke :read nil", "not a scenario"),
        ] {
            let e = read_scenario_file(bad).unwrap_err();
            assert!(e.contains(why), "{bad:.40}: {e}");
        }
        let huge = " ".repeat(2 * MAX_SCENARIO_BYTES + 1);
        assert!(read_scenario_file(&huge).unwrap_err().contains("at most"));
    }
}
