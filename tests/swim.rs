//! SWIM failure detection on the engine: a crash is detected by every member, a restarted
//! member comes back with a higher incarnation, indirect probes keep a member whose direct
//! link is cut from being suspected (and without them it is), a suspicion is refuted, and the
//! same seed gives the same run; the paper's random probe targets detect a crash too.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use consensus_lab::engine::{Action, Scenario, Sim, SimConfig, World};
use consensus_lab::protocols::swim::{SwimConfig, SwimNode};

fn pool(nodes: usize, seed: u64, cfg: SwimConfig) -> World<SwimNode> {
    let sim = SimConfig {
        nodes,
        ..SimConfig::default()
    };
    World::new(Scenario::new(seed, sim, cfg)).unwrap()
}

/// What member `n` believes of member `m`: "alive", "suspect" or "dead".
fn health(w: &World<SwimNode>, n: usize, m: usize) -> &'static str {
    w.view(n).members[m].health.name()
}

#[test]
fn a_crash_is_detected_by_every_member_and_a_restart_comes_back_alive() {
    let mut w = pool(8, 1, SwimConfig::default());
    w.run_until(5_000);
    w.act(Action::Crash { node: 3 }).unwrap();
    // At most: a period to probe it (at worst last in the round), the probe timeout, the
    // suspicion timeout (4 periods at 8 members), and dissemination.
    w.run_until(5_000 + 8 * 1_000 + 4_000 + 4_000);
    for n in (0..8).filter(|&n| n != 3) {
        assert_eq!(health(&w, n, 3), "dead", "n{n} sees n3 dead");
    }
    let m = w.monitor();
    assert_eq!(m.detection_ms.len(), 1);
    assert!(
        (5_000..=12_000).contains(&m.detection_ms[0]),
        "{:?}",
        m.detection_ms
    );
    assert_eq!((m.false_suspicions, m.false_deaths), (0, 0));
    // Every running member has it dead, no sooner than the first and by the time checked.
    assert_eq!(m.everyone_ms.len(), 1);
    assert!(
        (m.detection_ms[0]..=16_000).contains(&m.everyone_ms[0]),
        "{:?}",
        m.everyone_ms
    );
    w.act(Action::Restart { node: 3 }).unwrap();
    w.run_until(w.now() + 10_000);
    for n in 0..8 {
        assert_eq!(health(&w, n, 3), "alive", "n{n} sees n3 back");
    }
    assert_eq!(w.view(3).headline, 1, "n3 came back at incarnation 1");
    assert_eq!(w.monitor().false_deaths, 0);
}

/// n0 and n3 cannot reach each other; everyone else can reach both. With indirect probes the
/// others vouch for each and nobody is suspected; without them each suspects the other, a
/// false suspicion the monitor counts (and that the suspect refutes).
#[test]
fn indirect_probes_keep_a_member_behind_a_cut_link_from_being_suspected() {
    let cut = |w: &mut World<SwimNode>| {
        for (from, to) in [(0, 3), (3, 0)] {
            w.act(Action::Cut {
                from,
                to,
                cut: true,
            })
            .unwrap();
        }
    };
    let mut with = pool(8, 2, SwimConfig::default());
    cut(&mut with);
    with.run_until(60_000);
    assert_eq!(with.monitor().false_suspicions, 0);
    let mut without = pool(
        8,
        2,
        SwimConfig {
            indirect: 0,
            ..SwimConfig::default()
        },
    );
    cut(&mut without);
    without.run_until(60_000);
    assert!(
        without.monitor().false_suspicions > 0,
        "a direct probe alone fails"
    );
    assert!(
        without.view(0).headline > 0 && without.view(3).headline > 0,
        "each suspect refuted it by raising its incarnation"
    );
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let run = |seed| {
        let mut w = pool(16, seed, SwimConfig::default());
        w.act(Action::Crash { node: 5 }).unwrap();
        w.run_until(20_000);
        w.trace_json()
    };
    assert_eq!(run(4), run(4));
    assert_ne!(run(4), run(5));
}

/// The paper's basic protocol picks each probe's target at random: no bound on when a crashed
/// member is first probed, but every member still learns it is dead.
#[test]
fn random_probe_targets_detect_a_crash_everywhere() {
    let cfg = SwimConfig {
        random_targets: true,
        ..SwimConfig::default()
    };
    let mut w = pool(16, 3, cfg);
    w.run_until(5_000);
    w.act(Action::Crash { node: 9 }).unwrap();
    w.run_until(40_000);
    for n in (0..16).filter(|&n| n != 9) {
        assert_eq!(health(&w, n, 9), "dead", "n{n} sees n9 dead");
    }
    let m = w.monitor();
    assert_eq!((m.everyone_ms.len(), m.false_suspicions), (1, 0));
}
