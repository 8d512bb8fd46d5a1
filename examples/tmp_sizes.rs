use consensus_lab::engine::*;
use consensus_lab::protocols::raft::*;
fn main() {
    println!("TraceEvent {}", std::mem::size_of::<TraceEvent<RaftNote>>());
    println!("RaftNote {}", std::mem::size_of::<RaftNote>());
    println!("Message {}", std::mem::size_of::<raft::eraftpb::Message>());
    println!(
        "Envelope {}",
        std::mem::size_of::<Envelope<raft::eraftpb::Message>>()
    );
    println!("MsgSummary {}", std::mem::size_of::<MsgSummary>());
    println!(
        "KvOp {} KvReply {} Action {}",
        std::mem::size_of::<KvOp>(),
        std::mem::size_of::<KvReply>(),
        std::mem::size_of::<Action>()
    );
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
    let mut w = World::<RaftNode>::new(Scenario::new(1, sim, RaftConfig::default())).unwrap();
    w.run_until(2000);
    let mut c = std::collections::BTreeMap::new();
    for e in w.trace() {
        let k = match &e.kind {
            TraceKind::Note { note, .. } => format!("note {:?}", std::mem::discriminant(note)),
            k => serde_json::to_value(k).unwrap()["type"].to_string(),
        };
        *c.entry(k).or_insert(0) += 1;
    }
    println!("{} events {:?}", w.trace().len(), c);
    println!(
        "json bytes {}",
        serde_json::to_string(w.trace()).unwrap().len()
    );
}
