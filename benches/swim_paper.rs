//! SWIM against its paper (Das, Gupta, Motivala: "SWIM: Scalable Weakly-consistent
//! Infection-style Process Group Membership Protocol", DSN 2002), as a measurement, not a test:
//! `cargo bench --bench swim_paper` (or `./dev.sh bench`) prints two tables.
//!
//! 1. First detection: a member crashes at a random moment of a quiet pool; the time until
//!    some member suspects it (the paper's first detection), and until one declares it dead,
//!    in protocol periods, with probe targets picked at random (the paper's basic protocol, and
//!    its analysis) and by shuffled round-robin (its section 4.3, and memberlist). The paper
//!    expects 1/(1-e^(-q_f)) periods with random targets, q_f the fraction of members alive
//!    (section 3.1); that reasoning counts whole periods all members start together, from the
//!    start of the one the crash falls in. Here each member's periods have their own phase and
//!    the crash falls anywhere: the same reasoning then gives one period (a probe's timeout and
//!    its indirect probes fill its period) after the first probe that starts after the crash,
//!    which comes after [1-(1-p)^(m+1)] / [p (m+1) (1-(1-p)^m)] periods with m = n-1 probers
//!    each picking the crashed member with p = 1/(n-1), and after (n-1)/n periods with
//!    round-robin (each prober reaches it at a uniform moment of its n-1 period pass).
//! 2. False suspicions under message loss: no crashes, every message lost with probability q;
//!    distinct suspicions per member per period against the chance that one probe and all k
//!    of its indirect probes fail, (1-(1-q)^2)(1-(1-q)^4)^k (the paper's section 3.1 reasoning
//!    with this implementation's k = 3), and the deaths declared of running members.
//!
//! Lifeguard is off, as in the paper; the pool's other settings are memberlist's (1 s periods,
//! 500 ms probe timeout, 3 indirect probes, suspicion multiplier 4). Every figure is simulated
//! time, the same on every machine.

use consensus_lab::engine::{Action, Scenario, SimConfig, World};
use consensus_lab::protocols::swim::{SwimConfig, SwimNode};

const PERIOD_MS: f64 = 1_000.0;

fn pool(nodes: usize, seed: u64, loss: f64, random_targets: bool) -> World<SwimNode> {
    let mut sim = SimConfig {
        nodes,
        ..SimConfig::default()
    };
    sim.link.loss = loss;
    let cfg = SwimConfig {
        lifeguard: false,
        random_targets,
        ..SwimConfig::default()
    };
    World::new(Scenario::new(seed, sim, cfg)).expect("a valid pool")
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len().max(1) as f64
}

fn quantile(xs: &[f64], q: f64) -> f64 {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    s[((s.len() - 1) as f64 * q).round() as usize]
}

fn first_detection(nodes: usize, trials: u64, random_targets: bool) {
    let (mut suspected, mut dead) = (Vec::new(), Vec::new());
    for seed in 1..=trials {
        let mut w = pool(nodes, seed, 0.0, random_targets);
        // After a quiet start, at a moment spread over two periods.
        w.run_until(10_000 + seed * 7919 % 2_000);
        w.act(Action::Crash {
            node: (seed as usize * 31) % nodes,
        })
        .expect("a crash");
        let until = w.now() + 60_000;
        while w.monitor().detection_ms.is_empty() && w.now() < until {
            w.run_until(w.now() + 100);
        }
        let m = w.monitor();
        suspected.extend(m.suspicion_ms.iter().map(|&ms| ms as f64 / PERIOD_MS));
        dead.extend(m.detection_ms.iter().map(|&ms| ms as f64 / PERIOD_MS));
    }
    let n = nodes as f64;
    let (m, p) = (n - 1.0, 1.0 / (n - 1.0));
    let paper = 1.0 / (1.0 - (-(n - 1.0) / n).exp());
    let unaligned = 1.0
        + if random_targets {
            (1.0 - (1.0 - p).powf(m + 1.0)) / (p * (m + 1.0) * (1.0 - (1.0 - p).powf(m)))
        } else {
            (n - 1.0) / n
        };
    println!(
        "| {nodes} | {} | {trials} | {:.2} / {:.2} / {:.2} | {paper:.2} | {unaligned:.2} | {} | {:.2} / {:.2} |",
        if random_targets { "random" } else { "round-robin" },
        mean(&suspected),
        quantile(&suspected, 0.99),
        suspected.iter().copied().fold(0.0, f64::max),
        2 * nodes - 1,
        mean(&dead),
        quantile(&dead, 0.99),
    );
}

fn false_suspicions(nodes: usize, loss: f64, seconds: u64) {
    let mut w = pool(nodes, 1, loss, false);
    w.run_until(seconds * 1_000);
    let m = w.monitor();
    let member_periods = nodes as f64 * seconds as f64 * 1_000.0 / PERIOD_MS;
    let ok = 1.0 - loss;
    let expected = (1.0 - ok.powi(2)) * (1.0 - ok.powi(4)).powi(3);
    println!(
        "| {nodes} | {:.0}% | {seconds} s | {} | {:.2e} | {:.2e} | {} |",
        loss * 100.0,
        m.false_suspicions,
        m.false_suspicions as f64 / member_periods,
        expected,
        m.false_deaths,
    );
}

fn main() {
    println!("First detection of a crash, in protocol periods (1 s):");
    println!("| members | targets | crashes | first suspicion: mean / p99 / max | paper: 1/(1-e^-q_f) | same reasoning, unaligned periods | paper: round-robin bound | declared dead: mean / p99 |");
    println!("|---|---|---|---|---|---|---|---|");
    for nodes in [8, 16, 32, 64] {
        for random_targets in [true, false] {
            first_detection(nodes, 400, random_targets);
        }
    }
    println!();
    println!("False suspicions of running members under message loss:");
    println!("| members | loss | run | suspicions | per member-period | expected per probe | deaths declared |");
    println!("|---|---|---|---|---|---|---|");
    for nodes in [8, 16, 32, 64] {
        for loss in [0.01, 0.05, 0.1] {
            false_suspicions(nodes, loss, 600);
        }
    }
}
