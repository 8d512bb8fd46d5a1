//! Each entry of the scenario library reproduces its situation exactly, checked over the
//! engine's views, role changes, history and checks: what its caption says is on screen at
//! its moment, and what playing on shows.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use consensus_lab::check::causal_order::CausalCheck;
use consensus_lab::check::eventual::StaleReads;
use consensus_lab::check::linearizability;
use consensus_lab::engine::{KvOp, Outcome, Sim, Status};
use consensus_lab::library::{entry, LIBRARY};

/// The entry's runs, built and run to `t`.
fn at(name: &str, t: u64) -> Vec<Box<dyn Sim>> {
    let e = entry(name).unwrap_or_else(|| panic!("no entry {name}"));
    (e.scenarios().into_iter())
        .map(|s| {
            let mut w = s.build().expect("a library scenario builds");
            w.run_until(t);
            w
        })
        .collect()
}

fn roles(w: &dyn Sim) -> Vec<(&'static str, u64)> {
    (0..w.node_count())
        .map(|i| (w.view(i).role.name, w.view(i).headline))
        .collect()
}

fn leaders(w: &dyn Sim) -> Vec<(usize, u64)> {
    (0..w.node_count())
        .filter(|&i| w.status(i) == Status::Up && w.view(i).role.name == "leader")
        .map(|i| (i, w.view(i).headline))
        .collect()
}

fn value(w: &dyn Sim, node: usize, key: &str) -> String {
    (w.view(node).kv.iter())
        .find(|(k, _)| k == key)
        .map_or(String::new(), |(_, v)| v.clone())
}

#[test]
fn every_entry_opens_and_names_itself_once() {
    let mut names = std::collections::BTreeSet::new();
    for e in LIBRARY {
        assert!(names.insert(e.name), "{} twice", e.name);
        assert!(!e.caption.is_empty() && e.caption.len() < 400, "{}", e.name);
        let runs = at(e.name, e.at);
        assert!((1..=2).contains(&runs.len()));
        assert!(runs.iter().all(|w| w.now() == e.at));
    }
}

#[test]
fn first_election() {
    let w = &at("first-election", 500)[0];
    assert!(leaders(w.as_ref()).is_empty(), "nobody leads yet");
    let w = &at("first-election", 1_000)[0];
    assert_eq!(leaders(w.as_ref()), vec![(4, 1)], "n4 wins term 1");
}

#[test]
fn leader_crash() {
    let w = &at("leader-crash", 1_501)[0];
    assert_eq!(w.status(4), Status::Down, "the leader n4 is down");
    assert!(leaders(w.as_ref()).is_empty());
    let w = &at("leader-crash", 4_000)[0];
    let l = leaders(w.as_ref());
    assert!(
        l.len() == 1 && l[0].0 != 4 && l[0].1 >= 2,
        "another leads a later term: {l:?}"
    );
}

#[test]
fn split_vote() {
    let w = &at("split-vote", 630)[0];
    let candidates: Vec<usize> = (0..5)
        .filter(|&n| roles(w.as_ref())[n] == ("candidate", 1))
        .collect();
    assert_eq!(candidates, vec![1, 3, 4], "n1, n3 and n4 stand in term 1");
    let w = &at("split-vote", 3_000)[0];
    let changes = w.role_changes();
    assert!(
        !changes.iter().any(|r| r.role == "leader" && r.number == 1),
        "nobody won term 1"
    );
    assert!(
        changes.iter().any(|r| r.role == "leader" && r.number > 1),
        "a later term elected"
    );
}

/// The put the schedule sent to the isolated leader.
fn put_x(w: &dyn Sim) -> Option<Outcome> {
    (w.history().ops.iter())
        .find(|o| matches!(&o.op, KvOp::Put { key, .. } if key == "x"))
        .and_then(|o| o.outcome.clone())
}

#[test]
fn leader_isolated() {
    let w = &at("leader-isolated", 4_400)[0];
    let l = leaders(w.as_ref());
    assert!(
        l.contains(&(4, 1)),
        "n4 still believes it leads term 1: {l:?}"
    );
    assert!(
        l.iter().any(|&(n, t)| n != 4 && t >= 2),
        "the majority elected another: {l:?}"
    );
    assert!(
        put_x(w.as_ref()) != Some(Outcome::Ok { value: None }),
        "the write never committed"
    );
    let w = &at("leader-isolated", 7_000)[0];
    let l = leaders(w.as_ref());
    assert!(l.len() == 1 && l[0].0 != 4, "n4 stepped down: {l:?}");
    // n4's log is the leader's: the uncommitted entry of term 1 was replaced.
    let log = |n: usize| {
        (w.view(n).log.iter())
            .map(|e| (e.index, e.term))
            .collect::<Vec<_>>()
    };
    assert_eq!(log(4), log(l[0].0), "n4's log was repaired");
    assert!(put_x(w.as_ref()) != Some(Outcome::Ok { value: None }));
}

#[test]
fn rejoin_with_and_without_pre_vote() {
    let before = at("rejoin-pre-vote", 4_400);
    assert!(
        before[0].view(2).headline > 1,
        "plain Raft: the cut-off node raised its term"
    );
    assert_eq!(before[1].view(2).headline, 1, "pre-vote: it did not");
    let after = at("rejoin-pre-vote", 7_000);
    let elected_after_heal =
        |w: &dyn Sim| (w.role_changes().iter()).any(|r| r.t > 4_500 && r.role == "leader");
    assert!(
        elected_after_heal(after[0].as_ref()),
        "plain Raft: the leader was forced out"
    );
    assert!(
        !elected_after_heal(after[1].as_ref()),
        "pre-vote: the leader stayed"
    );
    assert_eq!(leaders(after[1].as_ref()), vec![(4, 1)]);
}

#[test]
fn acknowledged_write_lost() {
    let w = &at("ack-before-commit", 6_000)[0];
    assert_eq!(
        put_x(w.as_ref()),
        Some(Outcome::Ok { value: None }),
        "the write was acknowledged"
    );
    assert!(
        w.violations()
            .iter()
            .any(|v| v.property == "acknowledged write lost"),
        "{:?}",
        w.violations()
    );
    assert!(!linearizability::check(w.history()).linearizable);
}

#[test]
fn gossip_stale_read_then_convergence() {
    let w = &at("gossip-stale-read", 1_550)[0];
    let mut stale = StaleReads::default();
    stale.observe(w.history());
    assert_eq!(stale.count(), 1, "the read on n3's side was stale");
    let w = &at("gossip-stale-read", 6_000)[0];
    let reads: Vec<_> = (w.history().ops.iter())
        .filter(|o| o.op.is_read())
        .map(|o| o.outcome.clone())
        .collect();
    assert_eq!(
        reads.last(),
        Some(&Some(Outcome::Ok {
            value: Some("1".into())
        }))
    );
    assert!(
        (0..5).all(|n| value(w.as_ref(), n, "x") == "1"),
        "converged"
    );
}

#[test]
fn gossip_lost_write_and_siblings() {
    let runs = at("gossip-lost-write", 4_000);
    let oks = |w: &dyn Sim| {
        w.history()
            .count(|o| matches!(o.outcome, Some(Outcome::Ok { .. })))
    };
    assert!(
        runs.iter().all(|w| oks(w.as_ref()) == 2),
        "both writes acknowledged in both"
    );
    let lww: Vec<String> = (0..5).map(|n| value(runs[0].as_ref(), n, "x")).collect();
    assert!(
        lww.iter().all(|v| v == &lww[0]) && ["a", "b"].contains(&lww[0].as_str()),
        "{lww:?}"
    );
    let mv: Vec<String> = (0..5).map(|n| value(runs[1].as_ref(), n, "x")).collect();
    assert!(mv.iter().all(|v| v == "a|b"), "{mv:?}");
}

#[test]
fn causal_buffering() {
    let e = entry("causal-buffering").unwrap();
    let w = &at(e.name, e.at)[0];
    // What the caption says: n2 holds n1's update #4 back, waiting for n0's #6.
    let held = (w.held().iter())
        .find(|h| h.from <= e.at && h.until.is_none_or(|u| u > e.at))
        .unwrap_or_else(|| panic!("an update is held back at {}: {:?}", e.at, w.held()));
    assert_eq!((held.node, held.what.as_str()), (2, "n1#4 waits for n0#6"));
    let mut check = CausalCheck::default();
    check.observe(w.history());
    assert!(check.violations().is_empty());
}

#[test]
fn causal_no_wait_is_caught() {
    let e = entry("causal-no-wait").unwrap();
    let w = &at(e.name, e.at)[0];
    let mut check = CausalCheck::default();
    check.finish(w.history());
    let v = check
        .violations()
        .first()
        .expect("the broken order is caught");
    assert_eq!(v.client, 0);
    assert!(
        v.detail
            .starts_with("client 0 had seen k0=\"2\" but then read \"\""),
        "{}",
        v.detail
    );
    assert!(w.history().ops[v.read]
        .complete_t
        .is_some_and(|t| t <= e.at));
}

/// (index, term) of a node's log.
fn log(w: &dyn Sim, n: usize) -> Vec<(u64, u64)> {
    w.view(n).log.iter().map(|e| (e.index, e.term)).collect()
}

#[test]
fn figure_7_missing_and_extra_entries_then_repaired() {
    let w = &at("figure-7", 4_450)[0];
    let leader = log(w.as_ref(), 0);
    assert_eq!(leaders(w.as_ref()).iter().find(|l| l.0 == 0), Some(&(0, 2)));
    assert_eq!(leader, vec![(1, 1), (2, 2), (3, 2), (4, 2), (5, 2)]);
    assert_eq!(w.status(6), Status::Down);
    assert_eq!(log(w.as_ref(), 6), vec![(1, 1), (2, 2)], "n6 lacks entries");
    for n in [3, 4] {
        assert_eq!(
            log(w.as_ref(), n),
            vec![(1, 1), (2, 1), (3, 1)],
            "n{n} holds extra entries of term 1"
        );
    }
    let w = &at("figure-7", 8_000)[0];
    let l = leaders(w.as_ref());
    assert_eq!(l.len(), 1);
    let want = log(w.as_ref(), l[0].0);
    assert!(want.len() >= 5);
    assert!(
        (0..7).all(|n| log(w.as_ref(), n) == want),
        "every log repaired to the leader's"
    );
}

/// Runs a pane to `until`, checking at every event that no leader ever advances its commit
/// index to an entry of an older term than its own: it commits by counting replicas of its own
/// term's entries only.
fn run_checking_commits(w: &mut dyn Sim, until: u64) {
    let commit_of = |w: &dyn Sim, n| w.view(n).log_state.map_or(0, |l| l.commit);
    let mut commit: Vec<u64> = (0..w.node_count()).map(|n| commit_of(w, n)).collect();
    while w.now() < until && w.step() {
        for (n, seen) in commit.iter_mut().enumerate() {
            let (v, c) = (w.view(n), commit_of(w, n));
            if v.role.leads && c > *seen {
                let term = (v.log.iter()).find(|e| e.index == c).map(|e| e.term);
                assert_eq!(term, Some(v.headline), "n{n} committed {c} at {}", w.now());
            }
            *seen = c;
        }
    }
}

#[test]
fn figure_8_an_older_term_entry_on_a_majority_is_not_committed() {
    let mut panes = at("figure-8", 1_980);
    assert_eq!(panes.len(), 2);
    // Panel (c), in both: n4 leads term 3; index 2 of term 1 is on n4, n3 and n2, a majority,
    // and n4 knows it; its own index 3 is not on a majority; nothing after index 1 commits.
    for w in &panes {
        let w = w.as_ref();
        assert_eq!(leaders(w), vec![(4, 3)]);
        assert_eq!(log(w, 4), vec![(1, 1), (2, 1), (3, 3)]);
        assert_eq!(log(w, 3), vec![(1, 1), (2, 1), (3, 3)]);
        assert_eq!(log(w, 2), vec![(1, 1), (2, 1)]);
        let holders = (0..5).filter(|&n| log(w, n).contains(&(2, 1))).count();
        assert_eq!(holders, 3, "a majority holds the term-1 entry");
        let known = (w.view(4).peers.iter()).filter(|p| p.matched >= 2).count();
        assert_eq!(known, 2, "the leader has heard n3 and n2 hold it");
        for n in 0..5 {
            assert_eq!(w.view(n).log_state.map(|l| l.commit), Some(1), "n{n}");
        }
    }
    for w in &mut panes {
        run_checking_commits(w.as_mut(), 4_000);
        assert!(w.violations().is_empty(), "{:?}", w.violations());
        let l = leaders(w.as_ref());
        assert_eq!(l.len(), 1);
        let want = log(w.as_ref(), l[0].0);
        assert!((0..5).all(|n| log(w.as_ref(), n) == want), "logs repaired");
    }
    // (d), left: n0 won term 4 and overwrote index 2; the write was never acknowledged.
    let left = panes[0].as_ref();
    assert_eq!(leaders(left)[0], (0, 4));
    assert_eq!(log(left, 0)[1], (2, 2), "index 2 of term 1 is gone");
    assert!(put_x(left) != Some(Outcome::Ok { value: None }));
    assert_eq!(value(left, 0, "x"), "");
    // (e), right: index 3 reached a majority first, so 2 and 3 committed and n0 could not win.
    let right = panes[1].as_ref();
    assert_ne!(leaders(right)[0].0, 0);
    assert_eq!(&log(right, 0)[..3], &[(1, 1), (2, 1), (3, 3)]);
    assert_eq!(put_x(right), Some(Outcome::Ok { value: None }));
    assert_eq!(value(right, 0, "x"), "1");
}

fn member(w: &dyn Sim, n: usize) -> (&'static str, Vec<usize>, Vec<usize>) {
    let m = w
        .view(n)
        .member
        .expect("a Raft node reports its membership");
    (m.kind.name(), m.voters, m.outgoing)
}

fn last(w: &dyn Sim, n: usize) -> u64 {
    w.view(n).log_state.map_or(0, |l| l.last)
}

#[test]
fn add_fifth_node_catches_up_as_a_learner_then_votes() {
    let w = &at("add-fifth-node", 1_650)[0];
    let w = w.as_ref();
    assert_eq!(leaders(w), vec![(1, 1)]);
    let leader = w.view(1).member.unwrap();
    assert_eq!(
        (leader.voters, leader.learners),
        (vec![0, 1, 2, 3], vec![4])
    );
    assert_eq!(last(w, 4), 0, "n4 starts empty");
    assert_eq!(member(w, 4).0, "none", "n4 has not heard of the change yet");
    let w = &at("add-fifth-node", 2_000)[0];
    assert_eq!(member(w.as_ref(), 4).0, "learner");
    assert_eq!(log(w.as_ref(), 4), log(w.as_ref(), 1), "caught up");
    let w = &at("add-fifth-node", 3_500)[0];
    for n in 0..5 {
        assert_eq!(
            member(w.as_ref(), n),
            ("voter", vec![0, 1, 2, 3, 4], vec![])
        );
    }
    assert!(w.violations().is_empty());
}

#[test]
fn remove_leader_then_the_four_elect_another() {
    let w = &at("remove-leader", 1_640)[0];
    let w = w.as_ref();
    assert_eq!(w.view(4).role.name, "removed");
    assert_eq!(member(w, 4).0, "none");
    for n in 0..4 {
        assert_eq!(member(w, n), ("voter", vec![0, 1, 2, 3], vec![]));
    }
    assert!(leaders(w).is_empty(), "nobody leads");
    let w = &at("remove-leader", 3_000)[0];
    let l = leaders(w.as_ref());
    assert!(l.len() == 1 && l[0].0 < 4 && l[0].1 >= 2, "{l:?}");
    assert!(w.violations().is_empty());
}

#[test]
fn snapshot_catch_up_brings_a_follower_back() {
    let w = &at("snapshot-catch-up", 3_160)[0];
    let w = w.as_ref();
    let snap = |n: usize| w.view(n).log_state.and_then(|l| l.snapshot);
    assert_eq!(snap(4), Some((60, 1)), "the leader compacted to 60");
    assert_eq!((last(w, 0), snap(0)), (1, None), "n0 holds index 1 only");
    let in_flight = w
        .messages()
        .into_iter()
        .find(|m| m.msg.kind.label == "snapshot");
    let m = in_flight.expect("the snapshot is in flight");
    assert_eq!((m.from, m.to), (4, 0));
    let w = &at("snapshot-catch-up", 3_500)[0];
    let w = w.as_ref();
    assert_eq!(w.view(0).log_state.unwrap().snapshot, Some((60, 1)));
    assert_eq!(last(w, 0), last(w, 4));
    assert_eq!(w.view(0).kv, w.view(4).kv);
    assert!(w.violations().is_empty());
}

#[test]
fn joint_leader_crash_needs_both_majorities_then_finishes_the_change() {
    let w = &at("joint-leader-crash", 1_640)[0];
    let w = w.as_ref();
    assert_eq!(w.status(4), Status::Down);
    for n in 0..4 {
        assert_eq!(
            member(w, n),
            ("voter", vec![0, 1, 2], vec![0, 1, 2, 3, 4]),
            "n{n}"
        );
    }
    assert_eq!((0..4).map(|n| last(w, n)).collect::<Vec<_>>(), [3, 4, 4, 3]);
    assert!(leaders(w).is_empty());
    let mut w = at("joint-leader-crash", 1_640).remove(0);
    // A candidate counts its votes in both configurations: of the new three and the old five.
    while !(0..4).any(|n| w.view(n).votes.is_some()) && w.step() {}
    let votes = (0..4).find_map(|n| w.view(n).votes).unwrap();
    assert_eq!(
        (votes.of, votes.old.map(|o| o.1)),
        (3, Some(5)),
        "{votes:?}"
    );
    run_checking_commits(w.as_mut(), 6_000);
    let w = w.as_ref();
    let l = leaders(w);
    assert!(l.len() == 1 && [1, 2].contains(&l[0].0), "{l:?}");
    for n in 0..3 {
        assert_eq!(member(w, n), ("voter", vec![0, 1, 2], vec![]), "n{n}");
    }
    assert_eq!(w.view(3).role.name, "removed");
    assert!(w.violations().is_empty());
}

/// How each member sees member `m`: a letter per member (alive, suspect, dead).
fn seen(w: &dyn Sim, m: usize) -> String {
    (0..w.node_count())
        .map(|n| match w.view(n).members[m].health.name() {
            "alive" => 'a',
            "suspect" => 's',
            _ => 'd',
        })
        .collect()
}

#[test]
fn consul_agent_failure() {
    let mut w = at("consul-agent-failure", 5_200).remove(0);
    assert_eq!(leaders(w.as_ref()), vec![(2, 1)], "n2 leads");
    assert_eq!(w.status(6), Status::Down);
    let now = seen(w.as_ref(), 6);
    assert!(
        now.contains('s') && !now.contains('d'),
        "suspected, not yet dead: {now}"
    );
    assert!(
        (0..3).all(|s| value(w.as_ref(), s, "svc/n6") == "web"),
        "still listed"
    );
    w.run_until(12_000);
    let later = seen(w.as_ref(), 6);
    assert!(
        later.char_indices().all(|(n, c)| n == 6 || c == 'd'),
        "dead everywhere: {later}"
    );
    assert!(
        (0..3).all(|s| value(w.as_ref(), s, "svc/n6").is_empty()),
        "deregistered"
    );
    assert!(
        (0..3).all(|s| value(w.as_ref(), s, "svc/n5") == "web"),
        "n5 stays"
    );
}

#[test]
fn consul_false_suspicion() {
    let mut w = at("consul-false-suspicion", 3_800).remove(0);
    assert_eq!(w.status(7), Status::Up, "n7 is running");
    assert_eq!(seen(w.as_ref(), 7), "assasasa", "four suspect it");
    assert_eq!(w.view(7).headline, 0, "incarnation 0 so far");
    w.run_until(12_000);
    assert_eq!(w.view(7).headline, 1, "refuted at incarnation 1");
    assert_eq!(seen(w.as_ref(), 7), "aaaaaaaa", "alive everywhere again");
    let incarnations: Vec<u64> = (0..8).map(|n| w.view(n).members[7].incarnation).collect();
    assert!(incarnations.iter().all(|&i| i == 1), "{incarnations:?}");
}

#[test]
fn consul_stale_read() {
    let w = &at("consul-stale-read", 4_000)[0];
    let h = w.history();
    let reads: Vec<(Option<usize>, String, Option<Outcome>)> = (h.ops.iter())
        .filter(|o| o.op.is_read())
        .map(|o| (o.node, o.op.to_string(), o.outcome.clone()))
        .collect();
    let ok = |v: &str| {
        Some(Outcome::Ok {
            value: Some(v.into()),
        })
    };
    assert_eq!(
        reads[0],
        (Some(0), "get x (stale)".into(), ok("1")),
        "{reads:?}"
    );
    assert_eq!(
        reads[1].2,
        Some(Outcome::Fail),
        "no leader confirms n0: {reads:?}"
    );
    assert_eq!(reads[2], (Some(2), "get x".into(), ok("2")), "{reads:?}");
    let mut stale = StaleReads::default();
    stale.observe(h);
    assert_eq!(stale.count(), 1);
    assert!(linearizability::check(h).linearizable);
}

#[test]
fn consul_pause_past_lease() {
    let mut w = at("consul-pause-past-lease", 6_050).remove(0);
    assert_eq!(
        leaders(w.as_ref()),
        vec![(0, 2), (2, 1)],
        "n2 still believes it leads"
    );
    // The three reads at n2, the run's only reads.
    let answers = |w: &dyn Sim| -> Vec<(String, Option<Outcome>)> {
        (w.history().ops.iter())
            .filter(|o| o.op.is_read())
            .map(|o| (o.op.to_string(), o.outcome.clone()))
            .collect()
    };
    let read = |v: &str| {
        Some(Outcome::Ok {
            value: Some(v.into()),
        })
    };
    assert_eq!(
        answers(w.as_ref()),
        vec![
            ("get x (default)".into(), read("1")),
            ("get x".into(), None),
            ("get x (stale)".into(), read("1")),
        ]
    );
    let mut stale = StaleReads::default();
    stale.observe(w.history());
    assert_eq!(stale.count(), 2, "x=2 was acknowledged before both began");
    w.run_until(7_500);
    assert_eq!(leaders(w.as_ref()), vec![(0, 2)], "n2 stepped down");
    assert_eq!(
        answers(w.as_ref())[1],
        ("get x".into(), Some(Outcome::Fail))
    );
    assert!(linearizability::check(w.history()).linearizable);
}

#[test]
fn consul_read_modes_compared() {
    use consensus_lab::check::read_modes::{ModeReads, ReadModes};
    use consensus_lab::engine::QueryMode::{Consistent, Default, Stale};
    // Per mode: (answered, refused, stale answers) of its six reads, three at n2, three at n0.
    let tally = |w: &dyn Sim| {
        let (mut modes, mut stale) = (ReadModes::default(), StaleReads::default());
        modes.observe(w.history());
        stale.observe(w.history());
        [Consistent, Default, Stale].map(|m| {
            let ModeReads {
                reads,
                answered,
                refused,
                timed_out,
            } = modes.get(m);
            assert_eq!((reads, timed_out), (6, 0), "{m:?}");
            (answered, refused, stale.count_in(m))
        })
    };
    let sides = at("consul-read-modes", 10_000);
    // Cut off: n2 stepped down (check-quorum), so it refuses consistent and default reads;
    // its stale reads answer x=1, overwritten.
    assert_eq!(tally(sides[0].as_ref()), [(3, 3, 0), (3, 3, 0), (6, 0, 3)]);
    // Paused past its lease: on resuming n2 still believes it leads and answers its first
    // default read x=1, stale, then notices and refuses.
    assert_eq!(tally(sides[1].as_ref()), [(3, 3, 0), (4, 2, 1), (6, 0, 3)]);
    for w in &sides {
        assert!(linearizability::check(w.history()).linearizable);
    }
}
