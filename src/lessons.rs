//! Guided lessons: an entry of the scenario library and steps. A step says what to look at or
//! do, and is done when a condition on the run holds (a leader exists, a newer term began),
//! not when a particular button was pressed: a learner who gets there another way moves on
//! just the same, and one who does something else still reads what to do next.

use crate::engine::{Sim, Status};

/// What a step's condition looks at: the run, and what the history checks found.
pub struct Look<'a> {
    pub sim: &'a dyn Sim,
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
            .map(|n| (n, self.sim.view(n)))
            .filter(|(_, v)| v.role.leads)
            .map(|(n, v)| (n, v.headline))
            .collect()
    }
    fn highest(&self) -> u64 {
        (0..self.sim.node_count())
            .map(|n| self.sim.view(n).headline)
            .max()
            .unwrap_or(0)
    }
    fn role_is(&self, node: usize, role: &str) -> bool {
        self.sim.view(node).role.name == role
    }
    fn all_up(&self) -> bool {
        (0..self.sim.node_count()).all(|n| self.up(n))
    }
    fn no_cut_link(&self) -> bool {
        let n = self.sim.node_count();
        (0..n).all(|a| (0..n).all(|b| a == b || !self.sim.network().is_cut(a, b)))
    }
    fn value(&self, node: usize, key: &str) -> String {
        (self.sim.view(node).kv.iter())
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
                text: "The leader's heartbeats (small circles) reset the followers' timers, so nobody else stands. Now stop the leader: click the gold node, then Crash in the inspector.",
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
                        && (0..l.sim.node_count()).all(|n| l.sim.view(n).headline == leaders[0].1)
                },
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
