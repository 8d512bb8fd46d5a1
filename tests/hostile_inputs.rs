//! Nothing a link or a scenario file holds can panic the page or stall it (issue 15): every
//! input goes through the code the page uses (`parse_fragment`, which reads and validates the
//! scenarios, then `build` and a run), and is either refused with a message or built and run
//! for one simulated second.
//!
//! - every reproducer found by hand, each with the reason it must be refused for;
//! - 100,000 generated inputs, links and (5 in 12 of them) files as Import reads them: the
//!   saved share links, the reproducers and each protocol's default scenario, mutated as JSON
//!   (a value swapped for an extreme one, a field dropped or added, actions repeated) and as
//!   text (bytes flipped, cut, inserted), fragments of random parts, and shared Jepsen and
//!   Porcupine histories damaged or cut short (an accepted one is checked and reported on).
//!   Deterministic: the same inputs on every run.
//!
//! The bound on a run: one simulated second of any accepted scenario stays under
//! `EVENTS_PER_SECOND` events (a stalled clock, such as requests answered at once forever at
//! one instant, would exceed it).

#![cfg(not(target_arch = "wasm32"))]

use consensus_lab::check::linearizability::Checker;
use consensus_lab::check::report::Report;
use consensus_lab::engine::{HistoryOp, Outcome};
use consensus_lab::import::{read_import, Imported};
use consensus_lab::link::{default_scenario, parse_fragment};
use consensus_lab::protocols::AnyScenario;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

const FIXTURES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/share-links.json"
));

/// More visible events than any accepted scenario makes in one simulated second.
const EVENTS_PER_SECOND: u64 = 2_000_000;

/// The worst the limits allow (64 nodes, 1 ms ticks, zero latencies, every message duplicated,
/// 64 clients that never wait) is far above that, and still has a bound: the page runs such a
/// scenario slower than asked, in frame-sized slices, and says so.
const COSTLIEST_EVENTS_PER_MS: u64 = 100_000;

fn link(scenario: &Value) -> String {
    format!(
        "s={}",
        utf8_percent_encode(&scenario.to_string(), NON_ALPHANUMERIC)
    )
}

fn scenario(protocol: &str) -> Value {
    let s = default_scenario(protocol, 5).unwrap().build().unwrap();
    serde_json::from_str(&s.scenario_json()).unwrap()
}

fn with(mut v: Value, path: &[&str], new: Value) -> Value {
    let mut at = &mut v;
    for p in path {
        at = &mut at[*p];
    }
    *at = new;
    v
}

/// Open a fragment as the page does: the reason it is refused, or the number of events one
/// simulated second of it took.
fn open(hash: &str) -> Result<u64, String> {
    run_for(hash, 1_000, EVENTS_PER_SECOND)
}

/// Open a fragment and run it for `ms` simulated milliseconds, failing past `bound` events.
fn run_for(hash: &str, ms: u64, bound: u64) -> Result<u64, String> {
    let Some(scenarios) = parse_fragment(hash, 1)? else {
        return Ok(0);
    };
    run_scenarios(scenarios, hash, ms, bound)
}

/// Open a file as Import does: a scenario file is run for one simulated second; a history
/// is checked for a slice of the search, as a frame of the page does, and reported on.
fn open_file(text: &str) -> Result<Option<u64>, String> {
    match read_import(text)? {
        Imported::Run(scenarios) => {
            run_scenarios(scenarios, text, 1_000, EVENTS_PER_SECOND).map(Some)
        }
        Imported::History(_, h) => {
            let mut checker = Checker::new(&h);
            if let Some(v) = checker.run(2_000) {
                let r = Report::linearizability(&h, &checker, &v, &|t| t.to_string());
                assert!(r.placed.keys().all(|&i| i < h.len()));
                // A linearizable history's order places every operation that took effect.
                let took_effect = |o: &HistoryOp| matches!(o.outcome, Some(Outcome::Ok { .. }));
                if v.linearizable {
                    assert!((h.iter()).all(|(i, o)| !took_effect(o) || r.placed.contains_key(&i)));
                }
            }
            Ok(None)
        }
    }
}

/// A few of the shared Jepsen and Porcupine histories, as text to damage.
fn shared_histories() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/histories");
    let mut files: Vec<_> = ["etcd_000.log", "etcd_002.log", "etcd_017.log"]
        .map(|f| dir.join("jepsen-etcd").join(f))
        .into();
    files.extend(["c01-ok.txt", "c01-bad.txt", "c10-ok.txt"].map(|f| dir.join("kv").join(f)));
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("a shared history"))
        .collect()
}

fn run_scenarios(
    scenarios: Vec<AnyScenario>,
    hash: &str,
    ms: u64,
    bound: u64,
) -> Result<u64, String> {
    let mut events = 0;
    for s in scenarios {
        let mut world = s
            .build()
            .expect("a scenario that was read and checked builds");
        while world.now() < ms && world.step() {
            events += 1;
            assert!(
                events <= bound,
                "{ms} simulated ms of {} take over {bound} events (stuck at {} ms)",
                clip(hash),
                world.now()
            );
        }
    }
    Ok(events)
}

fn clip(text: &str) -> String {
    consensus_lab::engine::limits::clip(text, 300)
}

fn refused(hash: &str, because: &str) {
    match open(hash) {
        Ok(_) => panic!("{} was accepted; it must be refused", clip(hash)),
        Err(e) => assert!(
            e.contains(because),
            "{} is refused, saying {e:?}, which does not name {because:?}",
            clip(hash)
        ),
    }
}

/// The links the issue found, by hand, that panicked the page or went through unchecked.
fn reproducers() -> Vec<(String, &'static str)> {
    let raft = scenario("raft");
    let request = json!({"t": 10, "step": 2, "do": "request", "node": null,
                         "op": {"f": "put", "key": "k0", "value": "0"}});
    let long_key = json!({"t": 10, "step": 2, "do": "request", "node": null,
                          "op": {"f": "put", "key": "k".repeat(500_000), "value": "0"}});
    let bare = |s: &str| format!("s={}", utf8_percent_encode(s, NON_ALPHANUMERIC));
    vec![
        (
            bare(r#"{"protocol":"raft","seed":5,"settings":{"heartbeat_tick":0}}"#),
            "heartbeat_tick",
        ),
        (
            link(&with(
                raft.clone(),
                &["settings", "election_tick"],
                json!(2),
            )),
            "election_tick",
        ),
        (
            link(&with(
                raft.clone(),
                &["settings", "election_tick"],
                json!(1),
            )),
            "election_tick",
        ),
        (
            bare(r#"{"protocol":"causal","seed":5,"settings":{"sync_ticks":4294967295}}"#),
            "sync_ticks",
        ),
        (
            bare(r#"{"protocol":"gossip","seed":5,"settings":{"interval_ticks":4294967295}}"#),
            "interval_ticks",
        ),
        (
            link(&with(scenario("gossip"), &["settings", "fanout"], json!(0))),
            "fanout",
        ),
        (
            link(&with(raft.clone(), &["sim", "nodes"], json!(0))),
            "nodes",
        ),
        (
            link(&with(raft.clone(), &["sim", "nodes"], json!(2))),
            "nodes",
        ),
        (
            link(&with(raft.clone(), &["sim", "nodes"], json!(65))),
            "nodes",
        ),
        (
            link(&with(raft.clone(), &["sim", "tick_ms"], json!(0))),
            "tick_ms",
        ),
        (
            link(&with(
                raft.clone(),
                &["sim", "link", "latency_ms"],
                json!(60001),
            )),
            "latency_ms",
        ),
        (
            link(&with(raft.clone(), &["actions"], json!([long_key]))),
            "key must be at most 64 bytes",
        ),
        (
            link(&with(
                raft.clone(),
                &["actions"],
                json!([{"t": 10, "step": 2, "do": "crash", "node": 9}]),
            )),
            "node",
        ),
        (
            link(&with(
                raft.clone(),
                &["actions"],
                json!(vec![request; 20_001]),
            )),
            "at most 20000 actions",
        ),
        (
            link(&with(
                raft.clone(),
                &["actions"],
                json!([{"t": u64::MAX, "step": 2, "do": "heal"}]),
            )),
            "time",
        ),
        ("nodes=2".into(), "nodes"),
        ("nodes=65".into(), "nodes"),
        ("seed=18446744073709551616".into(), "seed"),
        ("protocol=paxos".into(), "paxos"),
        (format!("s={}", "%7B".repeat(5_000_000)), "at most"),
    ]
}

/// The burst of requests that froze the page's check, with the steady load on: it must run.
fn burst() -> String {
    let many: Vec<Value> = (0..150)
        .map(|i| {
            json!({"t": 10, "step": 2, "do": "request", "node": null,
                   "op": {"f": "put", "key": format!("k{}", i % 3), "value": "0"}})
        })
        .collect();
    let s = with(scenario("raft"), &["sim", "clients", "load"], json!(true));
    link(&with(s, &["actions"], json!(many)))
}

#[test]
fn every_reproducer_is_refused_with_its_reason() {
    for (hash, because) in reproducers() {
        refused(&hash, because);
    }
}

/// 150 requests at one step with the steady load on froze the page's linearizability check
/// for minutes and then overflowed its table. It runs, and the page's check (its memo limit,
/// its slices) answers in bounded work: a verdict or "unknown".
#[test]
fn a_burst_of_requests_runs_and_its_check_answers() {
    let mut world = parse_fragment(&burst(), 1)
        .unwrap()
        .unwrap()
        .remove(0)
        .build()
        .unwrap();
    world.run_until(20_000);
    assert!(
        world.history().ops.len() > 150,
        "the requests and the load ran"
    );
    let mut checker = Checker::new(world.history()).with_memo_limit(1 << 20);
    let verdict = (0..2_000)
        .find_map(|_| checker.run(10_000))
        .expect("the page's check answers within 2,000 slices");
    assert!(verdict.linearizable || verdict.unknown.is_some() || verdict.failure.is_some());
}

const EXTREMES: [fn() -> Value; 18] = [
    || json!(0),
    || json!(1),
    || json!(-1),
    || json!(2),
    || json!(64),
    || json!(65),
    || json!(u32::MAX),
    || json!(u64::MAX),
    || json!(1e300),
    || json!(0.5),
    || json!(-0.5),
    || json!(""),
    || json!("x".repeat(65)),
    || json!("é".repeat(300)),
    || json!(null),
    || json!([]),
    || json!({}),
    || json!(true),
];

/// A random leaf (or inner value) of `v`.
fn pick<'a>(v: &'a mut Value, rng: &mut ChaCha8Rng) -> &'a mut Value {
    let children = match v {
        Value::Object(m) => m.len(),
        Value::Array(a) => a.len(),
        _ => 0,
    };
    if children == 0 || rng.gen_ratio(1, 6) {
        return v;
    }
    let i = rng.gen_range(0..children);
    match v {
        Value::Object(m) => pick(m.values_mut().nth(i).unwrap(), rng),
        Value::Array(a) => pick(&mut a[i], rng),
        _ => unreachable!(),
    }
}

fn mutate_json(mut v: Value, rng: &mut ChaCha8Rng) -> Value {
    for _ in 0..rng.gen_range(1..4) {
        match rng.gen_range(0..10) {
            0 => {
                // Drop a field.
                if let Value::Object(m) = pick(&mut v, rng) {
                    if let Some(k) = m.keys().next().cloned() {
                        m.remove(&k);
                    }
                }
            }
            1 => {
                // Repeat an action many times.
                if let Some(Value::Array(a)) = v.get_mut("actions") {
                    if let Some(first) = a.first().cloned() {
                        let n = rng.gen_range(1..300);
                        a.extend(std::iter::repeat_n(first, n));
                    }
                }
            }
            2 => *pick(&mut v, rng) = json!(rng.gen_range(0..100)),
            3 => {
                // One of the actions every protocol knows, at a random node and time.
                let node = rng.gen_range(0..8);
                let action = match rng.gen_range(0..6) {
                    0 => json!({"do": "crash", "node": node}),
                    1 => json!({"do": "restart", "node": node}),
                    2 => json!({"do": "pause", "node": node}),
                    3 => json!({"do": "partition", "groups": [[node], [0, 1]]}),
                    4 => json!({"do": "drop", "msg": rng.gen_range(0..50)}),
                    _ => json!({"do": "request", "node": null,
                                "op": {"f": "cas", "key": "x", "from": "a", "to": "b"}}),
                };
                let mut action = action;
                action["t"] = json!(rng.gen_range(0..1_200));
                action["step"] = json!(rng.gen_range(0..100));
                if let Some(Value::Array(a)) = v.get_mut("actions") {
                    a.push(action);
                }
            }
            _ => *pick(&mut v, rng) = EXTREMES[rng.gen_range(0..EXTREMES.len())](),
        }
    }
    v
}

const INSERTS: &[u8] = b"{}[],:\"0-9e%\\\xff";

fn mutate_text(text: &str, rng: &mut ChaCha8Rng) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..rng.gen_range(1..4) {
        let at = rng.gen_range(0..=bytes.len());
        match rng.gen_range(0..3) {
            0 => bytes.truncate(at),
            1 => bytes.insert(at, INSERTS[rng.gen_range(0..INSERTS.len())]),
            _ => {
                if at < bytes.len() {
                    bytes[at] ^= 1 << rng.gen_range(0..8);
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn random_fragment(rng: &mut ChaCha8Rng) -> String {
    const PARTS: [&str; 8] = [
        "seed", "nodes", "protocol", "compare", "load", "s", "t", "zz",
    ];
    const VALUES: [&str; 12] = [
        "0",
        "3",
        "5",
        "64",
        "65",
        "-1",
        "18446744073709551615",
        "raft",
        "gossip",
        "causal",
        "1",
        "%ff",
    ];
    (0..rng.gen_range(1..5))
        .map(|_| {
            let k = PARTS[rng.gen_range(0..PARTS.len())];
            let v = VALUES[rng.gen_range(0..VALUES.len())];
            match rng.gen_range(0..8) {
                0 => k.to_string(),
                _ => format!("{k}={v}"),
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// One share of the 100,000 inputs (four tests, so that they run side by side).
fn fuzz(part: u64) {
    let mut seeds: Vec<Value> = ["raft", "gossip", "causal"].map(scenario).into();
    let fixtures: Vec<Value> = serde_json::from_str(FIXTURES).unwrap();
    for f in &fixtures {
        let hash = f["hash"].as_str().unwrap().trim_start_matches('#');
        for s in parse_fragment(hash, 1).unwrap().unwrap() {
            seeds.push(serde_json::from_str(&s.build().unwrap().scenario_json()).unwrap());
        }
    }
    let texts: Vec<String> = (reproducers().into_iter().map(|(h, _)| h))
        .filter(|h| h.len() < 100_000)
        .chain([burst()])
        .collect();
    let histories = shared_histories();
    let mut rng = ChaCha8Rng::seed_from_u64(15 + part);
    let (mut accepted, mut events_max, mut histories_checked) = (0, 0, 0);
    for _ in 0..25_000 {
        let pick = |rng: &mut ChaCha8Rng| seeds[rng.gen_range(0..seeds.len())].clone();
        // A scenario file (one or two scenarios), damaged as JSON or as text.
        let file = match rng.gen_range(0..12) {
            0 => Some(
                json!([
                    mutate_json(pick(&mut rng), &mut rng),
                    mutate_json(pick(&mut rng), &mut rng)
                ])
                .to_string(),
            ),
            1 => Some(mutate_json(pick(&mut rng), &mut rng).to_string()),
            2 => Some(mutate_text(&pick(&mut rng).to_string(), &mut rng)),
            // A history, damaged or cut short.
            3 => Some(mutate_text(
                &histories[rng.gen_range(0..histories.len())],
                &mut rng,
            )),
            4 => {
                let h = &histories[rng.gen_range(0..histories.len())];
                let mut cut = rng.gen_range(0..h.len());
                while !h.is_char_boundary(cut) {
                    cut -= 1;
                }
                Some(h[..cut].to_string())
            }
            _ => None,
        };
        if let Some(text) = file {
            match open_file(&text) {
                Ok(Some(events)) => {
                    accepted += 1;
                    events_max = events_max.max(events);
                }
                Ok(None) => histories_checked += 1,
                Err(e) => assert!(
                    !e.is_empty() && e.len() < 1_000,
                    "a short message: {}",
                    clip(&e)
                ),
            }
            continue;
        }
        let hash = match rng.gen_range(0..10) {
            0 => random_fragment(&mut rng),
            1 => mutate_text(&texts[rng.gen_range(0..texts.len())], &mut rng),
            2 => format!(
                "seed=3&{}",
                link(&mutate_json(
                    seeds[rng.gen_range(0..seeds.len())].clone(),
                    &mut rng
                ))
            ),
            3 => {
                let text = seeds[rng.gen_range(0..seeds.len())].to_string();
                format!(
                    "s={}",
                    utf8_percent_encode(&mutate_text(&text, &mut rng), NON_ALPHANUMERIC)
                )
            }
            _ => link(&mutate_json(
                seeds[rng.gen_range(0..seeds.len())].clone(),
                &mut rng,
            )),
        };
        match open(&hash) {
            Ok(events) => {
                accepted += 1;
                events_max = events_max.max(events);
            }
            Err(e) => {
                assert!(
                    !e.is_empty() && e.len() < 1_000,
                    "a short message: {}",
                    clip(&e)
                );
            }
        }
    }
    println!("part {part}: 25000 links and files, {accepted} runs accepted and run for a simulated second (at most {events_max} events), {histories_checked} histories read and checked, the rest refused with a message");
    assert!(
        accepted > 2_500,
        "the mutations keep enough inputs valid to reach the runs"
    );
}

#[test]
fn fuzz_links_0() {
    fuzz(0);
}
#[test]
fn fuzz_links_1() {
    fuzz(1);
}
#[test]
fn fuzz_links_2() {
    fuzz(2);
}
#[test]
fn fuzz_links_3() {
    fuzz(3);
}

/// The most work a valid scenario can ask for in a second: the largest cluster, the shortest
/// tick, every client issuing with no think time or latency, gossip to every peer every tick.
/// It must still advance the clock (no request answered at once forever at one instant) and
/// stay under the bound.
#[test]
fn the_costliest_valid_settings_run_within_the_bound() {
    for protocol in ["raft", "gossip", "causal"] {
        let mut s = scenario(protocol);
        s["sim"]["nodes"] = json!(64);
        s["sim"]["tick_ms"] = json!(1);
        s["sim"]["link"] = json!({"latency_ms": 0, "jitter_ms": 0, "loss": 0.0, "duplicate": 1.0, "reorder": true});
        let clients = &mut s["sim"]["clients"];
        clients["count"] = json!(64);
        clients["think_ms"] = json!([0, 0]);
        clients["latency_ms"] = json!(0);
        clients["load"] = json!(true);
        match protocol {
            "gossip" => {
                s["settings"]["fanout"] = json!(63);
                s["settings"]["interval_ticks"] = json!(1);
            }
            "causal" => s["settings"]["sync_ticks"] = json!(1),
            _ => {
                s["settings"]["heartbeat_tick"] = json!(1);
                s["settings"]["election_tick"] = json!(2);
            }
        }
        let started = std::time::Instant::now();
        let events = run_for(&link(&s), 100, COSTLIEST_EVENTS_PER_MS * 100)
            .unwrap_or_else(|e| panic!("{protocol}: refused: {e}"));
        println!(
            "{protocol}: {events} events in 100 simulated ms ({:?})",
            started.elapsed()
        );
        assert!(events > 0);
    }
}
