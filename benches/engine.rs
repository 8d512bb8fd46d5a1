//! Speed: messages delivered per second by the engine (5-node Raft under a steady client load,
//! trace on, checks on) beside raft-rs driven directly in a tight loop on the same kind of
//! work; and the linearizability checker on a simulated 10,000-operation history and on the
//! shared real histories. `cargo bench --bench engine`; figures go in the README.

use consensus_lab::check::{history_files, linearizability};
use consensus_lab::engine::{KvOp, KvStore, LinkConfig, Scenario, SimConfig, World};
use consensus_lab::protocols::raft::{RaftConfig, RaftNode};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use raft::eraftpb::Message;
use raft::prelude::ConfState;
use raft::storage::MemStorage;
use raft::{RawNode, StateRole};
use std::collections::VecDeque;
use std::time::Duration;

const SIM_MS: u64 = 2_000;

/// The engine's workload: 5 nodes, 1 ms links, 40 clients each keeping one write or read in
/// flight, so the leader is always replicating.
fn engine_scenario() -> Scenario<RaftConfig> {
    let mut sim = SimConfig {
        nodes: 5,
        ..SimConfig::default()
    };
    sim.link = LinkConfig {
        latency_ms: 1,
        jitter_ms: 0,
        ..LinkConfig::default()
    };
    sim.clients.count = 40;
    sim.clients.keys = 10;
    sim.clients.load = true;
    sim.clients.think_ms = (0, 1);
    sim.clients.latency_ms = 1;
    Scenario::new(1, sim, RaftConfig::default())
}

fn run_engine() -> (u64, u64) {
    let mut w = World::<RaftNode>::new(engine_scenario()).unwrap();
    if std::env::var_os("NOTRACE").is_some() {
        w.set_tracing(false);
    }
    w.run_until(SIM_MS);
    assert!(w.violations().is_empty());
    let appends = w.stats().messages_delivered;
    (appends, w.history().ops.len() as u64)
}

/// raft-rs alone: five RawNodes on MemStorage, a ready loop that persists, applies to a KvStore
/// and hands messages over through a queue, `batch` proposals per round, ticks every 5 rounds.
fn run_raw(rounds: usize, batch: usize) -> u64 {
    let logger = slog::Logger::root(slog::Discard, slog::o!());
    let voters: Vec<u64> = (1..=5).collect();
    let mut nodes: Vec<(RawNode<MemStorage>, MemStorage, KvStore)> = (1..=5)
        .map(|id| {
            let store = MemStorage::new_with_conf_state(ConfState::from((voters.clone(), vec![])));
            let cfg = raft::Config {
                id,
                election_tick: 10,
                heartbeat_tick: 2,
                ..Default::default()
            };
            (
                RawNode::new(&cfg, store.clone(), &logger).unwrap(),
                store,
                KvStore::default(),
            )
        })
        .collect();
    let mut queue: VecDeque<Message> = VecDeque::new();
    let mut delivered = 0u64;
    nodes[0].0.campaign().unwrap();
    let op = KvOp::Put {
        key: "k1".into(),
        value: "12345".into(),
    }
    .encode();
    for round in 0..rounds {
        if nodes[0].0.raft.state == StateRole::Leader {
            for _ in 0..batch {
                let _ = nodes[0].0.propose(vec![], op.clone());
            }
        }
        if round % 5 == 0 {
            nodes.iter_mut().for_each(|n| {
                n.0.tick();
            });
        }
        loop {
            for (raw, store, kv) in nodes.iter_mut() {
                while raw.has_ready() {
                    let mut rd = raw.ready();
                    queue.extend(rd.take_messages());
                    for e in rd.take_committed_entries() {
                        if let Some(op) = KvOp::decode(&e.data) {
                            kv.apply(&op);
                        }
                    }
                    if !rd.entries().is_empty() {
                        store.wl().append(rd.entries()).unwrap();
                    }
                    if let Some(hs) = rd.hs() {
                        store.wl().set_hardstate(hs.clone());
                    }
                    queue.extend(rd.take_persisted_messages());
                    let mut light = raw.advance(rd);
                    if let Some(c) = light.commit_index() {
                        store.wl().mut_hard_state().set_commit(c);
                    }
                    queue.extend(light.take_messages());
                    for e in light.take_committed_entries() {
                        if let Some(op) = KvOp::decode(&e.data) {
                            kv.apply(&op);
                        }
                    }
                    raw.advance_apply();
                }
            }
            if queue.is_empty() {
                break;
            }
            while let Some(m) = queue.pop_front() {
                let to = m.to as usize - 1;
                let _ = nodes[to].0.step(m);
                delivered += 1;
            }
        }
    }
    delivered
}

fn bench(c: &mut Criterion) {
    let (messages, ops) = run_engine();
    println!("engine workload: {messages} messages delivered, {ops} client operations in {SIM_MS} ms simulated");
    let mut g = c.benchmark_group("deliver");
    g.throughput(Throughput::Elements(messages));
    g.bench_function("engine (5 raft nodes, clients, trace and checks on)", |b| {
        b.iter(run_engine)
    });
    let raw_messages = run_raw(4_000, 4);
    println!("raft-rs alone: {raw_messages} messages delivered");
    g.throughput(Throughput::Elements(raw_messages));
    g.bench_function("raft-rs alone (tight loop, batched proposals)", |b| {
        b.iter(|| run_raw(4_000, 4))
    });
    g.finish();

    let mut g = c.benchmark_group("linearizability");
    let mut sim = engine_scenario();
    sim.sim.clients.count = 5;
    sim.sim.clients.think_ms = (0, 5);
    let mut w = World::<RaftNode>::new(sim).unwrap();
    while w.history().ops.len() < 10_000 {
        let t = w.now() + 1_000;
        w.run_until(t);
    }
    let history = w.history().clone();
    assert!(linearizability::check(&history).linearizable);
    println!(
        "simulated history: {} operations, 5 clients, 10 keys",
        history.ops.len()
    );
    g.bench_function("10k-op simulated history", |b| {
        b.iter(|| linearizability::check(&history))
    });

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/histories");
    let mut shared = Vec::new();
    for sub in ["jepsen-etcd", "kv"] {
        for e in std::fs::read_dir(dir.join(sub)).expect("../shared/histories") {
            let p = e.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap();
            let h = match sub {
                "kv" => history_files::parse_edn_kv(&text),
                _ if p.extension().is_some_and(|x| x == "log") => {
                    history_files::parse_jepsen_register(&text)
                }
                _ => continue,
            };
            shared.push((
                p.file_name().unwrap().to_string_lossy().to_string(),
                h.unwrap(),
            ));
        }
    }
    g.bench_function(format!("all {} shared histories", shared.len()), |b| {
        b.iter(|| {
            shared
                .iter()
                .map(|(_, h)| linearizability::check(h).linearizable as usize)
                .sum::<usize>()
        })
    });
    for name in ["etcd_002.log", "etcd_007.log"] {
        let h = &shared.iter().find(|(n, _)| n == name).unwrap().1;
        g.bench_function(name, |b| b.iter(|| linearizability::check(h)));
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
