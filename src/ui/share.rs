//! Sessions in the address bar: reads the page's link (see `crate::link` for what it holds)
//! and makes the link that the Share button puts there.

use crate::engine::Sim;
use crate::link::{default_scenario, parse_fragment};
use crate::protocols::{AnyScenario, CATALOG};

pub fn random_seed() -> u64 {
    (js_sys::Math::random() * 1_000_000.0) as u64 + 1
}

/// A fresh run of the first protocol, with a random seed.
pub fn fresh_run() -> Vec<AnyScenario> {
    vec![default_scenario(CATALOG[0].name, random_seed()).expect("a protocol of the catalog")]
}

/// The library entry the page's link names (`#scenario=NAME`), if it names one.
pub fn library_from_location() -> Option<Result<&'static crate::library::Entry, String>> {
    let hash = gloo::utils::window().location().hash().unwrap_or_default();
    crate::link::library_link(hash.trim_start_matches('#'))
}

/// The scenarios the page's link holds (none for an empty fragment), or why it was refused.
pub fn scenario_from_location() -> Result<Option<Vec<AnyScenario>>, String> {
    let hash = gloo::utils::window().location().hash().unwrap_or_default();
    parse_fragment(hash.trim_start_matches('#'), random_seed())
}

/// The moment the page's link was made at, if it says.
pub fn moment_from_location() -> Option<u64> {
    let hash = gloo::utils::window().location().hash().unwrap_or_default();
    crate::link::fragment_moment(hash.trim_start_matches('#'))
}

/// A link that replays these runs and opens at their current moment, paused.
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
    let at = sims.first().map_or(0, |s| s.now());
    format!("{base}#{}&at={at}", parts.join("&"))
}
