//! Guided lessons: an entry of the scenario library and steps. A step says what to look at or
//! do, and is done when a condition on the run holds (a leader exists, a newer term began),
//! not when a particular button was pressed: a learner who gets there another way moves on
//! just the same, and one who does something else still reads what to do next.

use crate::engine::{NodeView, Outcome, Sim, Status};

/// What a step's condition looks at: the run, its nodes' views as the page built them for this
/// update (building them again for each condition would cost a frame that much more), and
/// what the history checks found.
pub struct Look<'a> {
    pub sim: &'a dyn Sim,
    pub views: &'a [NodeView],
    pub stale_reads: usize,
}

impl Look<'_> {
    fn up(&self, node: usize) -> bool {
        self.sim.status(node) == Status::Up
    }
    /// Nodes up and in a role that leads, with their headline number (Raft's term).
    fn leaders(&self) -> Vec<(usize, u64)> {
        (0..self.sim.node_count())
            .filter(|&n| self.up(n))
            .map(|n| (n, &self.views[n]))
            .filter(|(_, v)| v.role.leads)
            .map(|(n, v)| (n, v.headline))
            .collect()
    }
    fn highest(&self) -> u64 {
        (0..self.sim.node_count())
            .map(|n| self.views[n].headline)
            .max()
            .unwrap_or(0)
    }
    fn role_is(&self, node: usize, role: &str) -> bool {
        self.views[node].role.name == role
    }
    fn all_up(&self) -> bool {
        (0..self.sim.node_count()).all(|n| self.up(n))
    }
    fn no_cut_link(&self) -> bool {
        let n = self.sim.node_count();
        (0..n).all(|a| (0..n).all(|b| a == b || !self.sim.network().is_cut(a, b)))
    }
    fn commit(&self, node: usize) -> u64 {
        self.views[node].log_state.map_or(0, |l| l.commit)
    }
    /// One leader, and every node has committed what it has.
    fn caught_up(&self) -> bool {
        let leaders = self.leaders();
        leaders.len() == 1
            && (0..self.sim.node_count()).all(|n| self.commit(n) == self.commit(leaders[0].0))
    }
    /// Writes to `key` a client was told succeeded.
    fn acknowledged(&self, key: &str) -> usize {
        (self.sim.history()).count(|o| {
            !o.op.is_read() && o.op.key() == key && matches!(o.outcome, Some(Outcome::Ok { .. }))
        })
    }
    fn value(&self, node: usize, key: &str) -> String {
        (self.views[node].kv.iter())
            .find(|(k, _)| k == key)
            .map_or(String::new(), |(_, v)| v.clone())
    }
}

pub struct Step {
    /// What to look at or do.
    pub text: &'static str,
    /// Said beside it: another way there, or what the learner may have missed.
    pub hint: &'static str,
    /// Elements to outline on the page while the step is on (a CSS selector), if any.
    pub highlight: Option<&'static str>,
    pub done: fn(&Look) -> bool,
}

pub struct Lesson {
    /// Its name in the menu's and the panel's hooks.
    pub name: &'static str,
    pub title: &'static str,
    /// The library entry it starts from.
    pub scenario: &'static str,
    pub steps: &'static [Step],
}

/// The lesson of this name.
pub fn lesson(name: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.name == name)
}

pub const LESSONS: &[Lesson] = &[
    Lesson {
        name: "raft-elections",
        title: "Raft: elections",
        scenario: "first-election",
        steps: &[
            Step {
                text: "No node leads yet. Each waits a random election timeout, drawn as the arc around it. Press ▶ Play and watch whose arc runs out first.",
                hint: "Space also plays and pauses. Step › runs one event at a time.",
                highlight: Some("[data-action=\"play\"]"),
                done: |l| (0..l.sim.node_count()).any(|n| l.role_is(n, "candidate") || l.role_is(n, "leader")),
            },
            Step {
                text: "A node whose timer ran out became a candidate (red) for term 1 and asks the others for their votes (squares). With the votes of a majority, 3 of 5, it becomes the leader (gold).",
                hint: "Too fast? Pick a slower speed in the top bar, or drag the timeline back.",
                highlight: Some("[data-node][data-role=\"candidate\"]"),
                done: |l| !l.leaders().is_empty(),
            },
            Step {
                text: "The leader's heartbeats (small circles) reset the followers' timers, so nobody else stands. Now stop the leader: click the gold node, then Crash on the bar beside it.",
                hint: "Cutting the leader off with \"Isolate leader\" in the Network panel works too.",
                highlight: Some("[data-node][data-role=\"leader\"]"),
                done: |l| l.highest() >= 2,
            },
            Step {
                text: "Without heartbeats a follower's timer ran out and it stood for term 2: a new term begins whenever an election starts. Play on until a leader of term 2 or later is elected.",
                hint: "Every node's number is its term; the new leader's is higher than the old one's.",
                highlight: None,
                done: |l| l.leaders().iter().any(|&(_, t)| t >= 2),
            },
            Step {
                text: "Bring the old leader back: click it and Restart (or Heal links if you cut it off). It hears the higher term, follows the new leader, and catches up with the log.",
                hint: "A node in a lower term never wins against a higher one: its term is out of date.",
                highlight: Some("[data-node][data-role=\"down\"]"),
                done: |l| {
                    let leaders = l.leaders();
                    l.all_up()
                        && l.no_cut_link()
                        && leaders.len() == 1
                        && l.views.iter().all(|v| v.headline == leaders[0].1)
                },
            },
        ],
    },
    Lesson {
        name: "raft-replication",
        title: "Raft: log replication and commitment",
        scenario: "first-election",
        steps: &[
            Step {
                text: "Press ▶ Play and wait for a leader (gold). Only the leader takes writes; the Logs view under the cluster shows every node's log.",
                hint: "Each entry is drawn in its term's colour; the leader's first entry is an empty one of its own term.",
                highlight: Some("[data-action=\"play\"]"),
                done: |l| !l.leaders().is_empty(),
            },
            Step {
                text: "Write through the leader: in the Clients panel, Put x = 1 (via leader). The leader appends it to its log and sends it to the followers; once a majority (3 of 5) has it, it is committed (solid, no longer dashed) and the client is told ok.",
                hint: "Slow the speed down to watch the append messages carry the entry.",
                highlight: Some("[data-panel=\"clients\"]"),
                done: |l| l.acknowledged("x") >= 1,
            },
            Step {
                text: "A majority is enough: crash a follower (click a blue node, then Crash), then Put x = 2. It still commits, with 4 of 5.",
                hint: "Crash two followers and a third write can still commit; crash three and it cannot.",
                highlight: Some("[data-node][data-role=\"follower\"]"),
                done: |l| l.acknowledged("x") >= 2 && !l.all_up(),
            },
            Step {
                text: "Restart the crashed follower (click it, Restart). The leader finds where its log stops matching and sends what it missed: watch its row in the Logs view fill in to the leader's commit.",
                hint: "The follower kept what it had written to its disk; only what it missed is sent.",
                highlight: Some("[data-node][data-role=\"down\"]"),
                done: |l| l.all_up() && l.caught_up(),
            },
        ],
    },
    Lesson {
        name: "raft-partitions",
        title: "Raft: partitions and safety",
        scenario: "leader-isolated",
        steps: &[
            Step {
                text: "n4 leads term 1 but is cut off from the others (red dashed links), and a client's x = 1 has reached it: it cannot commit it without a majority (dashed in its log). Press ▶ Play: the majority elects a new leader.",
                hint: "The majority side has 4 nodes; 3 make a majority of 5.",
                highlight: Some("[data-action=\"play\"]"),
                done: |l| l.leaders().iter().any(|&(_, t)| t >= 2),
            },
            Step {
                text: "Two nodes say leader, but n4's term is old: it can commit nothing. Write through the new leader: Put y = 2 \"via leader\" or to the new leader. It commits.",
                hint: "A write sent to n4 would never be acknowledged: try it, it times out.",
                highlight: Some("[data-panel=\"clients\"]"),
                done: |l| l.acknowledged("y") >= 1,
            },
            Step {
                text: "Heal the links (Network: Heal links; it is also scheduled at 4.5 s). n4 hears the higher term, steps down, and its uncommitted x = 1 is replaced by the new leader's entries: nothing committed is ever lost.",
                hint: "Compare n4's row in the Logs view before and after the heal.",
                highlight: Some("[data-action=\"heal\"]"),
                done: |l| l.no_cut_link() && l.caught_up(),
            },
        ],
    },
    Lesson {
        name: "raft-pre-vote",
        title: "Raft: pre-vote",
        scenario: "rejoin-pre-vote",
        steps: &[
            Step {
                text: "Two clusters, the same run: left plain Raft, right with pre-vote. n2 was cut off at 1.5 s. Left, it stood for election again and again and its term rose; right, it first asked whether it could win, heard no majority, and kept term 1. Press ▶ Play: the links heal at 4.5 s.",
                hint: "Each node's number is its term: compare n2 on both sides.",
                highlight: Some("[data-action=\"play\"]"),
                done: |l| l.no_cut_link(),
            },
            Step {
                text: "Left, n2's higher term reached the leader, which stepped down: the cluster held a needless election. Right, nothing happened: the leader kept leading. Play on until the left elects a leader again.",
                hint: "That is why etcd and TiKV run Raft with pre-vote and check-quorum.",
                highlight: None,
                done: |l| l.leaders().iter().any(|&(_, t)| t > 1),
            },
        ],
    },
    Lesson {
        name: "linearizability",
        title: "Linearizability, and what breaks it",
        scenario: "ack-before-commit",
        steps: &[
            Step {
                text: "This Raft has a bug: it answers a write as soon as it is proposed. Open the History view (the tab below the cluster). x = 1 was acknowledged (green), yet the read at 5.5 s returned x = ∅: no order of the operations explains both, so it is red and the sentence above says why. Click the red bar to go back to that read.",
                hint: "Dragging the timeline back to 5.5 s does the same.",
                highlight: Some("[data-action=\"view-history\"]"),
                done: |l| l.sim.now() <= 5_600,
            },
            Step {
                text: "The read went to the new leader, whose log never held x = 1: n4 had acknowledged it alone, while cut off. A correct Raft answers only once a majority holds the entry. Press ▶ Play to the violation again; then compare with the scenario \"Raft: the leader cut off in a minority\", where the same write is never acknowledged.",
                hint: "The Checks panel names the lost write; linearizability fails with it.",
                highlight: Some("[data-action=\"play\"]"),
                done: |l| l.sim.now() >= 6_000,
            },
        ],
    },
    Lesson {
        name: "causal-consistency",
        title: "Causal consistency",
        scenario: "causal-buffering",
        steps: &[
            Step {
                text: "Open the Space-time view (the tab below the cluster): every message is an arrow, and the gold bar under n2's lane is n1's update #4, which n2 holds back because it depends on n0's #6, lost on the way. Press ▶ Play.",
                hint: "Hover the gold bar to read what it waits for.",
                highlight: Some("[data-action=\"view-spacetime\"]"),
                done: |l| (l.sim.held().iter()).any(|h| h.node == 2 && h.until.is_some() && h.what.starts_with("n1#4")),
            },
            Step {
                text: "A later sync brought n0's #6, and n2 applied both in causal order: no client of n2 could see the effect before its cause. Watch a few more held updates come and go, then pick the scenario \"Causal: a broken node that does not wait\" to see what happens without the wait.",
                hint: "The Checks panel says whether any client saw an effect before its cause.",
                highlight: Some("[data-action=\"scenarios\"]"),
                done: |l| (l.sim.held().iter()).filter(|h| h.until.is_some()).count() >= 12,
            },
        ],
    },
    Lesson {
        name: "gossip-eventual",
        title: "Gossip: eventual consistency",
        scenario: "gossip-stale-read",
        steps: &[
            Step {
                text: "The replicas are split 2|3 (red dashed links). x=1 was written on n0's side, and a read on n3's side just returned the old, empty value: see the Clients panel. Every replica accepts reads and writes alone, so it stays available, and may be stale. Press ▶ Play.",
                hint: "The state table under the cluster shows what each replica holds.",
                highlight: Some("[data-panel=\"clients\"]"),
                done: |l| l.no_cut_link(),
            },
            Step {
                text: "The links healed. Anti-entropy rounds (green circles) carry x=1 to the other side: watch the state table until every replica holds x = 1.",
                hint: "If you split the replicas again, they cannot converge until you heal them.",
                highlight: Some("[data-panel=\"state\"]"),
                done: |l| (0..l.sim.node_count()).all(|n| l.value(n, "x") == "1"),
            },
            Step {
                text: "Converged: that is all eventual consistency promises. Make a stale read yourself: Split minority|majority in the Network panel, Put a new x on one side (\"to n0\"), then Get it on the other (\"to n3\").",
                hint: "The Checks panel counts stale reads; a gossip store does not promise linearizability, so this is expected, not a bug.",
                highlight: Some("[data-panel=\"network\"]"),
                done: |l| l.stale_reads >= 2,
            },
        ],
    },
];

/// Where a learner is in a lesson: the step on, and the moment each step was reached (Back
/// returns to that moment, a replay).
#[derive(Clone, Debug)]
pub struct Progress {
    pub lesson: &'static Lesson,
    pub step: usize,
    reached: Vec<u64>,
}

impl std::fmt::Debug for Lesson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl Progress {
    /// A lesson begun at moment `now` of its scenario.
    pub fn new(lesson: &'static Lesson, now: u64) -> Self {
        Progress {
            lesson,
            step: 0,
            reached: vec![now],
        }
    }

    /// Whether every step is done.
    pub fn finished(&self) -> bool {
        self.step == self.lesson.steps.len()
    }

    /// The step on, unless the lesson is finished.
    pub fn current(&self) -> Option<&'static Step> {
        self.lesson.steps.get(self.step)
    }

    /// Move past every step whose condition holds now.
    pub fn advance(&mut self, look: &Look, now: u64) {
        while let Some(step) = self.current() {
            if !(step.done)(look) {
                break;
            }
            self.step += 1;
            self.reached.push(now);
        }
    }

    /// Go back a step: the moment it was reached, to replay to.
    pub fn back(&mut self) -> Option<u64> {
        if self.step == 0 {
            return None;
        }
        self.step -= 1;
        self.reached.truncate(self.step + 1);
        self.reached.last().copied()
    }
}
