//! The scenario library: the classic situations, each a named starting point that replays
//! exactly. An entry is a protocol's default run on a seed found with the real simulator, a
//! schedule of faults and client requests at fixed moments, the moment where the situation
//! shows (the page opens there, paused), and a caption that says what is on screen.
//! `tests/scenario_library.rs` checks that each still reproduces its situation.

use crate::engine::{Action, Control, KvOp, TimedAction};
use crate::link::default_scenario;
use crate::protocols::causal::CausalBug;
use crate::protocols::raft::Bug;
use crate::protocols::AnyScenario;

pub struct Entry {
    /// Its name in `#scenario=NAME` links and the menu's `data-scenario` hook.
    pub name: &'static str,
    pub title: &'static str,
    /// What is on screen at `at`, and what playing on shows.
    pub caption: &'static str,
    /// The moment the page opens at, paused.
    pub at: u64,
    build: fn() -> Vec<AnyScenario>,
}

impl Entry {
    /// The run (or the two side by side) this entry replays.
    pub fn scenarios(&self) -> Vec<AnyScenario> {
        (self.build)()
    }
}

/// The entry of this name.
pub fn entry(name: &str) -> Option<&'static Entry> {
    LIBRARY.iter().find(|e| e.name == name)
}

/// A protocol's default run on a seed, with these actions at these moments.
fn run(protocol: &str, seed: u64, schedule: &[(u64, Action)]) -> AnyScenario {
    let mut s = default_scenario(protocol, seed).expect("a protocol of the catalog");
    let timed = schedule.iter().map(|(t, a)| TimedAction {
        t: *t,
        action: a.clone(),
    });
    match &mut s {
        AnyScenario::Raft(r) => r.schedule.extend(timed),
        AnyScenario::Gossip(g) => g.schedule.extend(timed),
        AnyScenario::Causal(c) => c.schedule.extend(timed),
        AnyScenario::Swim(m) => m.schedule.extend(timed),
        AnyScenario::Consul(c) => c.schedule.extend(timed),
    }
    s
}

fn isolate(node: usize, nodes: usize) -> Action {
    Action::Partition {
        groups: vec![vec![node], (0..nodes).filter(|&n| n != node).collect()],
    }
}

fn split_2_3() -> Action {
    Action::Partition {
        groups: vec![vec![0, 1], vec![2, 3, 4]],
    }
}

fn put(node: usize, key: &str, value: &str) -> Action {
    Action::Request {
        node: Some(node),
        op: KvOp::Put {
            key: key.into(),
            value: value.into(),
        },
    }
}

fn get(node: Option<usize>, key: &str) -> Action {
    Action::Request {
        node,
        op: KvOp::get(key),
    }
}

/// In the Raft runs on seed 1, n4 wins the first election (term 1, at 592 ms).
const LEADER: usize = 4;

fn raft_with(
    seed: u64,
    schedule: &[(u64, Action)],
    set: impl Fn(&mut crate::protocols::raft::RaftConfig),
) -> AnyScenario {
    let mut s = run("raft", seed, schedule);
    if let AnyScenario::Raft(r) = &mut s {
        set(&mut r.protocol);
    }
    s
}

fn leader_isolated() -> Vec<AnyScenario> {
    vec![run(
        "raft",
        1,
        &[
            (1_500, isolate(LEADER, 5)),
            (1_600, put(LEADER, "x", "1")),
            (4_500, Action::Heal),
        ],
    )]
}

/// The Raft paper's figure 7, reached by real faults on 7 nodes: n4 (leading term 1) and n3 are
/// cut off and take two writes the others never see; the majority elects n0 in term 2, and
/// commits three writes while n6 is down.
fn figure_7() -> Vec<AnyScenario> {
    let mut s = run(
        "raft",
        1,
        &[
            (
                1_500,
                Action::Partition {
                    groups: vec![vec![4, 3], vec![0, 1, 2, 5, 6]],
                },
            ),
            (1_600, put(4, "x", "1")),
            (1_700, put(4, "x", "2")),
            (3_000, Action::Crash { node: 6 }),
            (3_100, put(0, "y", "1")),
            (3_200, put(0, "y", "2")),
            (3_300, put(0, "y", "3")),
            (4_500, Action::Heal),
            (4_600, Action::Restart { node: 6 }),
        ],
    );
    s.sim_mut().nodes = 7;
    vec![s]
}

fn cut(from: usize, to: &[usize], cut: bool) -> Vec<Action> {
    (to.iter())
        .map(|&to| Action::Cut { from, to, cut })
        .collect()
}

fn campaign(node: usize) -> Action {
    Action::Control {
        node,
        cmd: Control {
            name: "Campaign".into(),
            peer: None,
            list: vec![],
        },
    }
}

/// The Raft paper's figure 8, reached by real faults on seed 1 (the paper's S1..S5 are n4, n3,
/// n2, n1, n0), side by side: the same run up to panel (c), then left its panel (d), right (e).
/// A leader's appends carry one entry each, as in the paper's drawing, so that a follower can
/// take an older entry without the leader's newest one.
fn figure_8() -> Vec<AnyScenario> {
    let (s1, s2, s3, s4, s5) = (4, 3, 2, 1, 0);
    let mut schedule = vec![];
    let mut at = |t: u64, actions: Vec<Action>| {
        schedule.extend(actions.into_iter().map(|a| (t, a)));
    };
    // (a) S1 leads term 1; only S2 hears it take x=1 at index 2.
    at(1_500, cut(s1, &[s3, s4, s5], true));
    at(1_510, vec![put(s1, "x", "1")]);
    // (b) S5 is elected in term 2 by S3 and S4, and cut off before its index 2 leaves it.
    at(1_620, vec![campaign(s5)]);
    at(1_690, cut(s5, &[s1, s2, s3, s4], true));
    // (c) S1 is elected in term 3 and copies index 2 to S3; S4 and S5 hear none of it.
    at(1_700, cut(s1, &[s3, s4, s5], false));
    at(1_720, vec![campaign(s1)]);
    at(1_775, cut(s1, &[s4, s5], true));
    let mut right = schedule.clone();
    // (d), left: S1's index 3 never reaches S3; S1 crashes, S5 wins term 4 with S3 and S4 and
    // overwrites index 2. (e), right: S1 gets index 3 to S3 first, committing 2 and 3.
    schedule.push((
        1_940,
        Action::Cut {
            from: s1,
            to: s3,
            cut: true,
        },
    ));
    for s in [&mut schedule, &mut right] {
        s.extend([
            (2_100, Action::Crash { node: s1 }),
            (2_100, Action::Heal),
            (2_100, campaign(s5)),
            (2_600, Action::Restart { node: s1 }),
        ]);
    }
    [schedule, right]
        .iter()
        .map(|schedule| {
            let mut s = run("raft", 1, schedule);
            if let AnyScenario::Raft(r) = &mut s {
                r.protocol.max_append_bytes = 0;
            }
            s
        })
        .collect()
}

fn command(node: usize, name: &str, peer: Option<usize>, list: Vec<usize>) -> Action {
    let name = name.into();
    Action::Control {
        node,
        cmd: Control { name, peer, list },
    }
}

/// Four voters on seed 1 (n1 leads term 1) take writes; a fifth node is started at 1.5 s, the
/// leader adds it as a learner, and promotes it once it has caught up.
fn add_fifth_node() -> Vec<AnyScenario> {
    let mut schedule: Vec<(u64, Action)> = (0..6)
        .map(|i| (1_000 + 50 * i, put(1, &format!("k{i}"), "1")))
        .collect();
    schedule.extend([
        (1_500, Action::AddNode),
        (1_501, command(1, "AddLearner", Some(4), vec![])),
        (3_000, command(1, "Promote", Some(4), vec![])),
    ]);
    let mut s = run("raft", 1, &schedule);
    s.sim_mut().nodes = 4;
    vec![s]
}

/// n4, leading five voters, is asked to remove itself.
fn remove_leader() -> Vec<AnyScenario> {
    vec![run(
        "raft",
        1,
        &[
            (1_000, put(LEADER, "x", "1")),
            (1_500, command(LEADER, "Remove", Some(LEADER), vec![])),
        ],
    )]
}

/// Logs compacted every 20 entries; n0 is down while 60 writes go by, and on its restart the
/// leader has no log old enough to send it: it sends its snapshot.
fn snapshot_catch_up() -> Vec<AnyScenario> {
    let mut schedule = vec![(1_000, Action::Crash { node: 0 })];
    schedule.extend((0..60).map(|i| {
        (
            1_200 + 20 * i,
            put(LEADER, &format!("k{}", i % 5), &i.to_string()),
        )
    }));
    schedule.push((3_000, Action::Restart { node: 0 }));
    vec![raft_with(1, &schedule, |c| c.compact_after = 20)]
}

/// n4, leading five voters, is asked to shrink the cluster to n0 n1 n2 in one change (joint
/// consensus), and crashes as the joint configuration takes effect.
fn joint_change_leader_crash() -> Vec<AnyScenario> {
    vec![run(
        "raft",
        1,
        &[
            (1_000, put(LEADER, "x", "1")),
            (1_500, command(LEADER, "SetVoters", None, vec![0, 1, 2])),
            (1_600, Action::Crash { node: LEADER }),
        ],
    )]
}

fn rejoin_with_and_without_pre_vote() -> Vec<AnyScenario> {
    let schedule = [(1_500, isolate(2, 5)), (4_500, Action::Heal)];
    vec![
        raft_with(1, &schedule, |_| {}),
        raft_with(1, &schedule, |c| {
            c.pre_vote = true;
            c.check_quorum = true;
        }),
    ]
}

fn acknowledged_write_lost() -> Vec<AnyScenario> {
    let schedule = [
        (1_500, isolate(LEADER, 5)),
        (1_600, put(LEADER, "x", "1")),
        (4_500, Action::Heal),
        (5_500, get(None, "x")),
    ];
    vec![raft_with(1, &schedule, |c| {
        c.bug = Some(Bug::AckBeforeCommit)
    })]
}

fn gossip_stale_read() -> Vec<AnyScenario> {
    vec![run(
        "gossip",
        1,
        &[
            (1_000, split_2_3()),
            (1_100, put(0, "x", "1")),
            (1_500, get(Some(3), "x")),
            (3_000, Action::Heal),
            (5_000, get(Some(3), "x")),
        ],
    )]
}

fn gossip_lost_write_and_siblings() -> Vec<AnyScenario> {
    let schedule = [
        (1_000, split_2_3()),
        (1_100, put(0, "x", "a")),
        (1_200, put(3, "x", "b")),
        (2_500, Action::Heal),
    ];
    let mut siblings = run("gossip", 1, &schedule);
    if let AnyScenario::Gossip(g) = &mut siblings {
        g.protocol.multi_value = true;
    }
    vec![run("gossip", 1, &schedule), siblings]
}

/// Causal broadcast under a steady load, its links losing 30% of messages.
fn causal_lossy(seed: u64, bug: Option<CausalBug>) -> AnyScenario {
    let mut s = run("causal", seed, &[]);
    if let AnyScenario::Causal(c) = &mut s {
        c.sim.clients.load = true;
        c.sim.link.loss = 0.3;
        c.protocol.bug = bug;
    }
    s
}

/// Consul on seed 1 with eight nodes: servers n0 to n2 (n2 wins the first election, before
/// 1 s), agents n3 to n7 (each registers its service between 1 and 2 s).
fn consul(schedule: &[(u64, Action)]) -> Vec<AnyScenario> {
    let mut s = run("consul", 1, schedule);
    s.sim_mut().nodes = 8;
    vec![s]
}

const CONSUL_LEADER: usize = 2;

fn lossy_links(node: usize, loss: f64) -> [Action; 2] {
    let link = crate::engine::LinkConfig {
        loss,
        ..crate::engine::LinkConfig::default()
    };
    [
        Action::SetLink {
            from: Some(node),
            to: None,
            link,
        },
        Action::SetLink {
            from: None,
            to: Some(node),
            link,
        },
    ]
}

fn consul_false_suspicion() -> Vec<AnyScenario> {
    let [out, back] = lossy_links(7, 0.5);
    let [heal_out, heal_back] = lossy_links(7, 0.0);
    consul(&[
        (2_000, out),
        (2_000, back),
        (6_500, heal_out),
        (6_500, heal_back),
    ])
}

fn consul_stale_read() -> Vec<AnyScenario> {
    let stale = |node| Action::Request {
        node: Some(node),
        op: KvOp::Get {
            key: "x".into(),
            mode: crate::engine::QueryMode::Stale,
        },
    };
    consul(&[
        (1_500, put(CONSUL_LEADER, "x", "1")),
        (
            2_000,
            Action::Partition {
                groups: vec![vec![0], (1..8).collect()],
            },
        ),
        (2_500, put(CONSUL_LEADER, "x", "2")),
        (3_000, stale(0)),
        (3_000, get(Some(0), "x")),
        (3_000, get(Some(CONSUL_LEADER), "x")),
    ])
}

/// Consul on seed 1 with five nodes (servers n0 to n2, n2 leading term 1): n2 cut off and
/// paused for 4 s, longer than its lease, while n0 is elected and takes x=2; reads at n2 in
/// the three modes as it resumes.
fn consul_pause_past_lease() -> Vec<AnyScenario> {
    let read = |mode| Action::Request {
        node: Some(2),
        op: KvOp::Get {
            key: "x".into(),
            mode,
        },
    };
    use crate::engine::QueryMode::{Consistent, Default, Stale};
    vec![run(
        "consul",
        1,
        &[
            (1_500, put(2, "x", "1")),
            (
                2_000,
                Action::Partition {
                    groups: vec![vec![2], vec![0, 1, 3, 4]],
                },
            ),
            (2_000, Action::Pause { node: 2 }),
            (5_000, put(0, "x", "2")),
            (6_000, Action::Resume { node: 2 }),
            (6_000, read(Default)),
            (6_000, read(Consistent)),
            (6_000, read(Stale)),
        ],
    )]
}

/// The same reads in the three modes against two faults of Consul's leader n2 (seed 1, five
/// nodes): left, cut off; right, cut off and paused past its lease. Both sides write x=1
/// before and x=2 at the majority's new leader during; each second from 6 s to 8 s the old
/// leader n2 and the majority's n0 are read in every mode; at 9 s the links heal.
fn consul_read_modes() -> Vec<AnyScenario> {
    use crate::engine::QueryMode;
    let mut both = vec![
        (1_500, put(2, "x", "1")),
        (
            2_000,
            Action::Partition {
                groups: vec![vec![2], vec![0, 1, 3, 4]],
            },
        ),
        (5_000, put(0, "x", "2")),
        (9_000, Action::Heal),
    ];
    for t in [6_000, 7_000, 8_000] {
        for node in [2, 0] {
            both.extend(QueryMode::ALL.map(|mode| {
                let op = KvOp::Get {
                    key: "x".into(),
                    mode,
                };
                let node = Some(node);
                (t, Action::Request { node, op })
            }));
        }
    }
    let mut paused = both.clone();
    paused.extend([
        (2_000, Action::Pause { node: 2 }),
        (6_000, Action::Resume { node: 2 }),
    ]);
    paused.sort_by_key(|&(t, _)| t);
    vec![run("consul", 1, &both), run("consul", 1, &paused)]
}

pub const LIBRARY: &[Entry] = &[
    Entry {
        name: "first-election",
        title: "Raft: the first election",
        caption: "No node leads yet; each waits a random election timeout (the arc). n4's runs out first: it becomes a candidate for term 1, asks the others for votes and wins with a majority. Press play.",
        at: 500,
        build: || vec![run("raft", 1, &[])],
    },
    Entry {
        name: "leader-crash",
        title: "Raft: the leader crashes, another is elected",
        caption: "n4 led term 1 and has just crashed. The followers hear nothing more; the first whose timer runs out stands for term 2 and wins. Press play.",
        at: 1_501,
        build: || vec![run("raft", 1, &[(1_500, Action::Crash { node: LEADER })])],
    },
    Entry {
        name: "split-vote",
        title: "Raft: a split vote",
        caption: "n4, n3 and n1 timed out almost together and all stand in term 1; the votes are split and none reaches a majority. Each waits a new random timeout and a later term elects a leader. Press play.",
        at: 630,
        build: || vec![run("raft", 3, &[])],
    },
    Entry {
        name: "leader-isolated",
        title: "Raft: the leader cut off in a minority",
        caption: "n4 leads term 1 but was cut off from the others at 1.5 s, and a client's write x=1 has just reached it. It cannot commit that write (dashed in its log). Play: the majority elects a new leader in term 2; at 4.5 s the links heal, n4 steps down and its uncommitted entry is replaced.",
        at: 1_650,
        build: leader_isolated,
    },
    Entry {
        name: "figure-7",
        title: "Raft: followers with missing and extra entries (the paper's figure 7)",
        caption: "n0 leads term 2 with entries 1 to 5. n6, down since 3 s, lacks 3 to 5; n4 and n3, cut off, hold entries 2 and 3 of term 1 that nobody committed. At 4.5 s the links heal and n6 restarts: play, and watch the Logs view as the leader's next index for each backs off until their logs agree, then overwrites the extra entries and sends the missing ones.",
        at: 4_450,
        build: figure_7,
    },
    Entry {
        name: "figure-8",
        title: "Raft: why a leader does not count replicas of an older term (the paper's figure 8)",
        caption: "Both sides: n4 leads term 3 and has copied x=1, its entry of term 1 at index 2, to n3 and n2. A majority holds it, yet n4 does not commit it: it is of an older term. Play. Left, n4 crashes and n0 wins term 4 and overwrites index 2: had it counted as committed, it would be lost. Right, n4 first gets its own index 3 to a majority, committing both, and n0 cannot win.",
        at: 1_980,
        build: figure_8,
    },
    Entry {
        name: "add-fifth-node",
        title: "Raft: a fifth node joins a four-node cluster",
        caption: "n4 was started empty at 1.5 s, and n1, leader of four voters, has added it as a learner (index 8, committed). Play: the leader sends n4 the log; a learner takes it but neither votes nor counts toward a commit. At 3 s n1 promotes it: five voters, a majority is still 3, and now two may fail.",
        at: 1_650,
        build: add_fifth_node,
    },
    Entry {
        name: "remove-leader",
        title: "Raft: the leader removes itself",
        caption: "n4 led five voters in term 1 and proposed its own removal. The change committed at 1.59 s: n4 stepped down and is drawn apart, no longer a member, and the other four know it. Nobody leads: play, and the first whose timer runs out stands for term 2 and needs 3 of the 4 votes.",
        at: 1_640,
        build: remove_leader,
    },
    Entry {
        name: "snapshot-catch-up",
        title: "Raft: a follower brought back by a snapshot",
        caption: "Logs are compacted every 20 entries. n0 was down from 1 s while 60 writes committed, and restarted at 3 s holding only index 1. The leader n4 no longer has entries 2 to 60 (they are in its snapshot at 60), so it sends the snapshot, in flight now. Play: n0 installs it (the Logs view's compacted block) and takes entry 61 by append.",
        at: 3_160,
        build: snapshot_catch_up,
    },
    Entry {
        name: "joint-leader-crash",
        title: "Raft: the leader crashes in the middle of a joint change",
        caption: "n4, leading five voters, proposed shrinking to n0 n1 n2 in one change. That joint configuration is in force: each decision needs a majority of the old five and of the new three. n4 then crashed; its entry leaving joint (index 4) reached only n1 and n2. Play: a winner needs 3 old and 2 new votes, so only n1 or n2 can win; it finishes the change and n3 is out.",
        at: 1_640,
        build: joint_change_leader_crash,
    },
    Entry {
        name: "rejoin-pre-vote",
        title: "Raft: a rejoining node, without and with pre-vote",
        caption: "n2 was cut off at 1.5 s. Left, plain Raft: it kept standing for election, its term rising. Right, pre-vote: it asked first and, hearing no majority, did not raise its term. At 4.5 s the links heal: play and see the left leader forced to step down by the higher term while the right one stays.",
        at: 4_400,
        build: rejoin_with_and_without_pre_vote,
    },
    Entry {
        name: "ack-before-commit",
        title: "A broken Raft node loses an acknowledged write",
        caption: "This Raft answers a write as soon as it is proposed. Its leader n4, cut off at 1.5 s, acknowledged x=1 without a majority; the majority's new leader wrote over that entry, and a read at 5.5 s returns x = \"\". The live checks report the lost write and the non-linearizable history.",
        at: 6_000,
        build: acknowledged_write_lost,
    },
    Entry {
        name: "gossip-stale-read",
        title: "Gossip: a stale read in a partition, then convergence",
        caption: "The replicas were split 2|3 at 1 s; x=1 was written on n0's side, and a read on n3's side has just returned the old value: a stale read, as eventual consistency allows. Play: at 3 s the links heal, anti-entropy spreads x=1 and a read at 5 s returns it.",
        at: 1_550,
        build: gossip_stale_read,
    },
    Entry {
        name: "gossip-lost-write",
        title: "Gossip: a write lost to last-writer-wins, kept as siblings",
        caption: "Split 2|3, x=a was written on one side and x=b on the other, both acknowledged. After the heal, left (last writer wins) every replica keeps one of them and the other acknowledged write is silently gone; right (multi-value) the replicas keep both as siblings for a client to resolve.",
        at: 4_000,
        build: gossip_lost_write_and_siblings,
    },
    Entry {
        name: "causal-buffering",
        title: "Causal: an effect held back until its cause arrives",
        caption: "Causal broadcast under a steady load with 30% of messages lost. n2 has received n1's update #4 before n0's update #6, which it depends on, and holds it back (\"holds … back\" under n2; a gold bar on its lane in the space-time view) until the cause arrives by a later sync. Press play.",
        at: 5_200,
        build: || vec![causal_lossy(1, None)],
    },
    Entry {
        name: "causal-no-wait",
        title: "Causal: a broken node that does not wait, caught",
        caption: "A lossy run like the one before, with replicas that apply an update as soon as it arrives instead of holding it back. Client 0 had seen k0 = \"2\" and then read the older \"\" from its replica: the live check reports the broken causal order.",
        at: 3_700,
        build: || vec![causal_lossy(6, Some(CausalBug::NoDependencyWait))],
    },
    Entry {
        name: "consul-agent-failure",
        title: "Consul: an agent fails, is detected, and its service deregistered",
        caption: "Servers n0–n2 run Raft (n2 leads); every node is in one SWIM pool. Agent n6 crashed at 3 s. Its probers got no ack, asked others to probe it, got none either, and now suspect it (the Logs view's membership lists). Play: the suspicion times out, n6 is declared dead everywhere, and the leader drops svc/n6 from the catalog through Raft.",
        at: 5_200,
        build: || consul(&[(3_000, Action::Crash { node: 6 })]),
    },
    Entry {
        name: "consul-false-suspicion",
        title: "Consul: a false suspicion under loss, refuted by its incarnation",
        caption: "From 2 s half the messages to and from agent n7 are lost. It is running, but pings to it and their acks went missing, and n1, n2, n4 and n6 now suspect it. Play: n7 hears the suspicion piggybacked on a message, raises its incarnation to 1 and says so; news of incarnation 1 overrides the suspicion everywhere.",
        at: 3_800,
        build: consul_false_suspicion,
    },
    Entry {
        name: "consul-stale-read",
        title: "Consul: a stale read from a partitioned server",
        caption: "x=1 was written, then server n0 was cut off from everyone and the leader n2 wrote x=2. At 3 s three reads went out: stale mode at n0, consistent at n0, consistent at n2. Play: n0 answers the stale read from its own state, x=1 (marked stale in the history); the consistent read at n0 gets no leader's confirmation and fails; n2 answers x=2.",
        at: 3_000,
        build: consul_stale_read,
    },
    Entry {
        name: "consul-pause-past-lease",
        title: "Consul: a leader paused past its lease answers a default read stale",
        caption: "n2 led term 1 and wrote x=1; then it was cut off and paused for 4 s, longer than its lease, while n0 was elected (term 2) and wrote x=2. n2 has just resumed and, not having ticked since, still believes it leads: a default read there answered x=1, stale, and so did a stale one. Play: its consistent read gets no quorum, and check-quorum makes it step down.",
        at: 6_050,
        build: consul_pause_past_lease,
    },
    Entry {
        name: "consul-read-modes",
        title: "Consul: the three read modes against the same faults",
        caption: "Leader n2 wrote x=1 and was cut off at 2 s; n0 was elected and wrote x=2. Right, n2 was also paused until 6 s, past its lease. At 6, 7 and 8 s n2 and n0 are read in each mode. Play and compare the Checks tables: consistent reads are never stale, but n2 cannot answer them; stale reads always answer (x=1 at n2); default reads at n2 are refused left, once stale right.",
        at: 5_900,
        build: consul_read_modes,
    },
];
