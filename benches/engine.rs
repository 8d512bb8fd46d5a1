//! Speed: messages delivered per second by the engine (5-node Raft under a steady client load,
//! trace on, checks on) beside raft-rs driven directly in a tight loop on the same kind of
//! work; and the linearizability checker on a simulated 10,000-operation history and on the
//! shared real histories. `cargo bench --bench engine`; figures go in the README.

use consensus_lab::check::raft_safety::RaftMonitor;
use consensus_lab::check::{history_files, linearizability};
use consensus_lab::engine::{
    Control, Description, KvOp, KvRequest, KvStore, LinkConfig, MsgSummary, Node, NodeId, NodeView,
    Outbox, Rng, Role, Scenario, SimConfig, World,
};
use consensus_lab::protocols::raft::{handle_ready, RaftConfig, RaftNode, RaftNote, ReadyApp};
use criterion::{black_box, criterion_group, BatchSize, Criterion, Throughput};
use raft::eraftpb::{Entry, Message};
use raft::prelude::ConfState;
use raft::storage::MemStorage;
use raft::{RawNode, ReadState, StateRole};
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

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

/// One input the engine handed a Raft node, in the order it did.
#[derive(Clone)]
enum Input {
    Step(Message),
    /// A delivery of the oldest message on the link from this node (replay only).
    Deliver(u64),
    Tick,
    /// A client request: its id and operation.
    Client(u64, KvOp),
    /// The election timeout the node drew from the simulator's RNG after a role change.
    Timeout(usize),
}

/// Inputs in the order the engine handed them to its nodes.
type Inputs = Vec<(NodeId, Input)>;

thread_local! {
    static RECORDING: RefCell<Vec<(NodeId, Input)>> = const { RefCell::new(Vec::new()) };
}

/// A RaftNode that writes down every input it gets, so that raft-rs alone can be given
/// exactly the engine's work (same messages, ticks, proposals, timeouts, in the same order).
struct Recorded {
    id: NodeId,
    inner: RaftNode,
}

impl Recorded {
    fn record(&self, input: Input) {
        RECORDING.with(|r| r.borrow_mut().push((self.id, input)));
    }
    fn around(&mut self, input: Input, f: impl FnOnce(&mut RaftNode)) {
        let before = (self.inner.role(), self.inner.election_timeout());
        self.record(input);
        f(&mut self.inner);
        if (self.inner.role(), self.inner.election_timeout()) != before {
            self.record(Input::Timeout(self.inner.election_timeout()));
        }
    }
}

/// A Raft message as the engine carries it.
type Wire = <RaftNode as Node>::Msg;

impl Node for Recorded {
    type Msg = Wire;
    type Note = RaftNote;
    type Monitor = RaftMonitor;
    type Config = RaftConfig;
    const DESCRIPTION: &'static Description = RaftNode::DESCRIPTION;
    fn validate(cfg: &RaftConfig) -> Result<(), String> {
        RaftNode::validate(cfg)
    }
    fn new(id: NodeId, nodes: usize, cfg: &RaftConfig, rng: &mut Rng) -> Self {
        let r = Recorded {
            id,
            inner: RaftNode::new(id, nodes, cfg, rng),
        };
        r.record(Input::Timeout(r.inner.election_timeout()));
        r
    }
    fn on_message(&mut self, from: NodeId, msg: Wire, out: &mut Outbox<Wire, RaftNote>) {
        self.around(Input::Step((*msg).clone()), |n| {
            n.on_message(from, msg, out)
        });
    }
    fn on_tick(&mut self, out: &mut Outbox<Wire, RaftNote>) {
        self.around(Input::Tick, |n| n.on_tick(out));
    }
    fn on_client(&mut self, req: KvRequest<'_>, out: &mut Outbox<Wire, RaftNote>) {
        self.around(Input::Client(req.id, req.op.clone()), |n| {
            n.on_client(req, out)
        });
    }
    fn on_control(&mut self, _: &Control, _: &mut Outbox<Wire, RaftNote>) {
        unreachable!("the benchmark workload has no user actions")
    }
    fn crash(&mut self) {
        unreachable!("the benchmark workload has no faults")
    }
    fn restart(&mut self, _: &mut Outbox<Wire, RaftNote>) {
        unreachable!("the benchmark workload has no faults")
    }
    fn view(&self) -> NodeView {
        self.inner.view()
    }
    fn role(&self) -> (&'static Role, u64) {
        self.inner.role()
    }
    fn summarize(m: &Wire) -> MsgSummary {
        RaftNode::summarize(m)
    }
    fn describe(m: &Wire) -> Vec<(String, String)> {
        RaftNode::describe(m)
    }
}

/// Runs the engine workload once with recording nodes. Returns the inputs and each node's
/// final (term, commit) for the replay to match.
fn record_engine_inputs() -> (Inputs, Vec<(u64, u64)>) {
    RECORDING.with(|r| r.borrow_mut().clear());
    let mut w = World::<Recorded>::new(engine_scenario()).unwrap();
    w.run_until(SIM_MS);
    let finals = (0..5)
        .map(|i| {
            let v = w.view(i);
            (v.headline, v.log_state.expect("Raft has a log").commit)
        })
        .collect();
    (RECORDING.with(|r| r.take()), finals)
}

/// The recorded inputs with the delivered messages left out: raft-rs alone carries its own
/// messages, so a timed replay does not pay for dropping the recorded copies.
fn without_messages(inputs: &[(NodeId, Input)]) -> Vec<(NodeId, Input)> {
    (inputs.iter())
        .map(|(id, i)| match i {
            Input::Step(m) => (*id, Input::Deliver(m.from)),
            other => (*id, other.clone()),
        })
        .collect()
}

/// One replica of the raft-rs-alone application: the RawNode, its disk, and its state machine.
struct Replica {
    raw: RawNode<MemStorage>,
    store: MemStorage,
    app: Machine,
}

/// The key-value state machine and the client requests it owes an answer.
#[derive(Default)]
struct Machine {
    kv: KvStore,
    pending_writes: BTreeMap<u64, u64>,
    pending_reads: BTreeMap<u64, KvOp>,
    answered: u64,
}

/// What any application does with a Ready: the node's own Ready driver (`handle_ready`) calls
/// this with messages for `post`, committed entries to apply and confirmed reads to answer.
struct Post<'a, P: FnMut(Vec<Message>)> {
    app: &'a mut Machine,
    post: P,
}

impl<P: FnMut(Vec<Message>)> ReadyApp for Post<'_, P> {
    fn send(&mut self, msgs: Vec<Message>) {
        (self.post)(msgs);
    }
    fn apply(&mut self, entries: Vec<Entry>, _term: u64) {
        for e in entries {
            if let Some(op) = KvOp::decode(&e.data) {
                let reply = self.app.kv.apply(&op);
                if self.app.pending_writes.remove(&e.index).is_some() {
                    black_box(reply);
                    self.app.answered += 1;
                }
            }
        }
    }
    fn read_confirmed(&mut self, reads: Vec<ReadState>) {
        for rs in reads {
            let request = u64::from_le_bytes(rs.request_ctx[..8].try_into().unwrap());
            if let Some(op) = self.app.pending_reads.remove(&request) {
                black_box(self.app.kv.get(op.key()));
                self.app.answered += 1;
            }
        }
    }
}

impl Replica {
    fn ready(&mut self, post: impl FnMut(Vec<Message>)) {
        let mut app = Post {
            app: &mut self.app,
            post,
        };
        handle_ready(&mut self.raw, &self.store, &mut app);
    }
}

/// raft-rs alone on the engine's exact work: five RawNodes on MemStorage, configured as the
/// engine's nodes are, fed the recorded inputs in order, each followed by the Ready loop any
/// application needs: persist, apply to a KvStore, answer the client once its write is
/// applied or its read confirmed, and hand the messages to per-link FIFO mailboxes. A
/// delivery steps the oldest message of its link (the benchmark's links keep order: fixed
/// latency, no loss). With `Input::Step` (the recorded messages) it checks that each stepped
/// message is the one the engine delivered.
fn replay_raw(inputs: Vec<(NodeId, Input)>) -> (u64, Vec<(u64, u64)>) {
    let cfg = engine_scenario().protocol;
    let mut nodes = five_replicas(|id| cfg.raft_config(id));
    let mut mail: Vec<VecDeque<Message>> = (0..25).map(|_| VecDeque::new()).collect();
    let mut delivered = 0u64;
    for (id, input) in inputs {
        let r = &mut nodes[id];
        let mut step = |from: u64| {
            let m = mail[(from as usize - 1) * 5 + id].pop_front();
            let m = m.expect("raft-rs alone produced every message the engine delivered");
            delivered += 1;
            m
        };
        match input {
            Input::Step(recorded) => {
                let m = step(recorded.from);
                assert_eq!(
                    m, recorded,
                    "raft-rs alone sends what the engine's node sent"
                );
                let _ = r.raw.step(m);
            }
            Input::Deliver(from) => {
                let m = step(from);
                let _ = r.raw.step(m);
            }
            Input::Tick => {
                r.raw.tick();
            }
            Input::Client(request, op) if r.raw.raft.state == StateRole::Leader => {
                if op.is_read() {
                    r.app.pending_reads.insert(request, op);
                    r.raw.read_index(request.to_le_bytes().to_vec());
                } else if r.raw.propose(vec![], op.encode()).is_ok() {
                    let index = r.raw.raft.raft_log.last_index();
                    r.app.pending_writes.insert(index, request);
                }
            }
            Input::Client(..) => {}
            Input::Timeout(t) => r.raw.raft.set_randomized_election_timeout(t),
        }
        r.ready(|msgs| {
            for m in msgs {
                mail[(m.from as usize - 1) * 5 + m.to as usize - 1].push_back(m);
            }
        });
    }
    let finals = nodes
        .iter()
        .map(|r| (r.raw.raft.term, r.raw.raft.raft_log.committed))
        .collect();
    (delivered, finals)
}

/// Five replicas of a 5-voter cluster on fresh disks, raft-rs configured by `config` for
/// each node (from 0).
fn five_replicas(config: impl Fn(NodeId) -> raft::Config) -> Vec<Replica> {
    let logger = slog::Logger::root(slog::Discard, slog::o!());
    let voters: Vec<u64> = (1..=5).collect();
    (0..5)
        .map(|id| {
            let store = MemStorage::new_with_conf_state(ConfState::from((voters.clone(), vec![])));
            Replica {
                raw: RawNode::new(&config(id), store.clone(), &logger).unwrap(),
                store,
                app: Machine::default(),
            }
        })
        .collect()
}

/// raft-rs alone in a tight loop with batched proposals: the reference point.
fn run_raw(rounds: usize, batch: usize) -> u64 {
    let cfg = RaftConfig::default();
    let mut nodes = five_replicas(|id| cfg.raft_config(id));
    let mut queue: VecDeque<Message> = VecDeque::new();
    let mut delivered = 0u64;
    nodes[0].raw.campaign().unwrap();
    let op = KvOp::Put {
        key: "k1".into(),
        value: "12345".into(),
    }
    .encode();
    for round in 0..rounds {
        if nodes[0].raw.raft.state == StateRole::Leader {
            for _ in 0..batch {
                let _ = nodes[0].raw.propose(vec![], op.clone());
            }
        }
        if round % 5 == 0 {
            nodes.iter_mut().for_each(|n| {
                n.raw.tick();
            });
        }
        loop {
            for r in nodes.iter_mut() {
                r.ready(|msgs| queue.extend(msgs));
            }
            if queue.is_empty() {
                break;
            }
            while let Some(m) = queue.pop_front() {
                let to = m.to as usize - 1;
                let _ = nodes[to].raw.step(m);
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
    let (inputs, engine_finals) = record_engine_inputs();
    let (replayed, finals) = replay_raw(inputs.clone());
    let plan = without_messages(&inputs);
    assert_eq!(
        replayed, messages,
        "the replay steps every message the engine delivered"
    );
    assert_eq!(
        finals, engine_finals,
        "raft-rs alone ends where the engine's nodes ended"
    );
    g.bench_function("raft-rs alone, the engine's exact inputs replayed", |b| {
        b.iter_batched(|| plan.clone(), replay_raw, BatchSize::LargeInput)
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
    let shared = history_files::read_corpus(&dir).expect("../shared/histories");
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
/// Engine against raft-rs alone on the engine's exact inputs, alternated run by run: each
/// engine run is compared with the replay right after it, so the drifting speed of a shared
/// machine hits both sides of every ratio alike. Prints the median of those ratios.
/// Runs first, or alone with `cargo bench --bench engine -- ratio`.
fn ratio() {
    let plan = without_messages(&record_engine_inputs().0);
    let (mut engine, mut raw, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut delivered = 0;
    for _ in 0..21 {
        let t = Instant::now();
        delivered = black_box(run_engine()).0;
        let e = t.elapsed().as_secs_f64() * 1e3;
        let replay = plan.clone();
        let t = Instant::now();
        black_box(replay_raw(replay));
        let r = t.elapsed().as_secs_f64() * 1e3;
        engine.push(e);
        raw.push(r);
        ratios.push(e / r);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (e, r) = (median(&mut engine), median(&mut raw));
    println!(
        "engine {e:.1} ms, raft-rs alone {r:.1} ms for the same {delivered} deliveries (medians of 21 alternated runs); engine {:.2} M messages/s; engine costs {:.2}x raft-rs alone per delivered message (median of the 21 paired ratios)",
        delivered as f64 / e / 1e3,
        median(&mut ratios)
    );
}

fn main() {
    // ONCE=engine or ONCE=replay: one run of one side and nothing else, for a profiler
    // (e.g. `valgrind --tool=callgrind`, which counts instructions exactly on a noisy machine).
    if let Ok(which) = std::env::var("ONCE") {
        if which == "engine" {
            black_box(run_engine());
        } else {
            let plan = without_messages(&record_engine_inputs().0);
            let t = Instant::now();
            black_box(replay_raw(plan));
            eprintln!("{:?}", t.elapsed());
        }
        return;
    }
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if filter
        .as_deref()
        .is_none_or(|f| "ratio".contains(f) || f.contains("ratio"))
    {
        ratio();
    }
    if filter.as_deref() != Some("ratio") {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
}
