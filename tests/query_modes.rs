//! Reads in Consul's three query modes on the Raft store, with the leader cut off from the rest
//! after a new leader has taken a write: a consistent read at the old leader gets no answer (no
//! quorum confirms it leads), a default one is answered there from its own, stale state, and a
//! stale one anywhere. The history checks judge only the consistent reads for linearizability
//! and count the stale answers.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use consensus_lab::check::eventual::StaleReads;
use consensus_lab::check::linearizability::check;
use consensus_lab::engine::{Action, KvOp, Outcome, QueryMode, Sim};
use consensus_lab::link::default_scenario;

fn leader(w: &dyn Sim, among: &[usize]) -> Option<usize> {
    (among.iter().copied()).find(|&n| w.view(n).role.leads)
}

fn request(w: &mut Box<dyn Sim>, node: usize, op: KvOp) {
    w.act(Action::Request {
        node: Some(node),
        op,
    })
    .unwrap();
}

fn put(value: &str) -> KvOp {
    KvOp::Put {
        key: "x".into(),
        value: value.into(),
    }
}

fn get(mode: QueryMode) -> KvOp {
    KvOp::Get {
        key: "x".into(),
        mode,
    }
}

#[test]
fn each_mode_answers_as_it_promises_with_the_leader_cut_off() {
    let mut w = default_scenario("raft", 1).unwrap().build().unwrap();
    w.run_until(1_500);
    let old = leader(w.as_ref(), &[0, 1, 2, 3, 4]).expect("a leader");
    request(&mut w, old, put("1"));
    w.run_until(2_000);
    let rest: Vec<usize> = (0..5).filter(|&n| n != old).collect();
    w.act(Action::Partition {
        groups: vec![vec![old], rest.clone()],
    })
    .unwrap();
    let mut new = None;
    while new.is_none() && w.now() < 10_000 {
        w.run_until(w.now() + 100);
        new = leader(w.as_ref(), &rest);
    }
    let new = new.expect("the majority elects a leader");
    request(&mut w, new, put("2"));
    w.run_until(w.now() + 500);
    let follower = *rest.iter().find(|&&n| n != new).unwrap();
    let first = w.history().len();
    for mode in QueryMode::ALL {
        request(&mut w, old, get(mode));
        request(&mut w, follower, get(mode));
    }
    w.run_until(w.now() + 3_000);
    let h = w.history();
    // The reads in the order made: at the old leader, then at the follower, per mode.
    let answer = |node: usize, mode: QueryMode| {
        let at = QueryMode::ALL.iter().position(|&m| m == mode).unwrap() * 2;
        let o = &h[first + at + usize::from(node != old)];
        assert_eq!(o.op.mode(), mode);
        match &o.outcome {
            Some(Outcome::Ok { value }) => value.clone(),
            _ => None,
        }
    };
    // The cut-off leader: no quorum to confirm a consistent read, its own stale state for the
    // others.
    assert_eq!(answer(old, QueryMode::Consistent), None);
    assert_eq!(answer(old, QueryMode::Default).as_deref(), Some("1"));
    assert_eq!(answer(old, QueryMode::Stale).as_deref(), Some("1"));
    // A follower of the new leader: stale reads answered at once from what it applied; the
    // others sent on to the leader it names, which this pinned request does not follow.
    assert_eq!(answer(follower, QueryMode::Stale).as_deref(), Some("2"));
    let v = check(h);
    assert!(
        v.linearizable,
        "default and stale reads promise nothing linearizable"
    );
    let mut stale = StaleReads::default();
    stale.observe(h);
    let missed: Vec<QueryMode> = (stale.found().iter())
        .map(|&(r, _)| h[r].op.mode())
        .collect();
    assert_eq!(
        missed,
        vec![QueryMode::Default, QueryMode::Stale],
        "the old leader's two"
    );
}

/// Consul's agents register their services, and the leader deregisters a dead one's, as clients
/// of the cluster would: the writes are in the history, so a read of the catalog is checked like any other. A
/// read that saw a dead agent's service after it was deregistered is caught.
#[test]
fn consul_catalog_writes_are_in_the_history_and_reads_of_it_are_checked() {
    let mut scenario = default_scenario("consul", 1).unwrap();
    scenario.sim_mut().nodes = 8;
    let mut w = scenario.build().unwrap();
    w.run_until(3_000);
    w.act(Action::Crash { node: 6 }).unwrap();
    w.run_until(12_000);
    let leader = leader(w.as_ref(), &[0, 1, 2]).expect("a leader");
    request(&mut w, leader, KvOp::get("svc/n6"));
    w.run_until(13_000);
    let h = w.history().clone();
    let writes: Vec<(String, Option<usize>)> = (h.ops.iter())
        .filter(|o| o.op.key() == "svc/n6" && !o.op.is_read())
        .map(|o| (o.op.to_string(), o.node))
        .collect();
    assert_eq!(
        writes,
        vec![
            ("cas svc/n6 →web".into(), Some(leader)),
            ("put svc/n6=".into(), Some(leader))
        ],
        "registered by the agent (sent on to the leader), then deregistered by the leader"
    );
    let read = h.ops.last().unwrap();
    assert_eq!(
        read.outcome,
        Some(Outcome::Ok {
            value: Some(String::new())
        })
    );
    assert!(check(&h).linearizable);
    let mut planted = h.clone();
    planted.ops.last_mut().unwrap().outcome = Some(Outcome::Ok {
        value: Some("web".into()),
    });
    assert!(
        !check(&planted).linearizable,
        "a deregistered service read back is caught"
    );
}
