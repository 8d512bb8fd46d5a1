//! The app's state: one simulation (any protocol), or two side by side driven by the same
//! seed, clients and faults; the playback position; the selection. Every user action goes
//! through `Session::update`; components only read.

use crate::check::causal_order::CausalCheck;
use crate::check::eventual::{CausalViolation, StaleReads};
use crate::check::linearizability::{Checker, Verdict};
use crate::check::read_modes::{ModeReads, ReadModes};
use crate::check::report::Report;
use crate::engine::{Action, Consistency, History, Mark, MsgId, NodeId, NodeView, QueryMode, Sim};
use crate::import::HistoryFormat;
use crate::lessons::{Lesson, Look, Progress};
use crate::library::{self, Entry};
use crate::protocols::AnyScenario;
use std::cell::RefCell;
use std::rc::Rc;
use yew::Reducible;

/// What the history of the run so far shows, for the model at hand.
pub struct HistoryChecks {
    /// How many completed operations were checked.
    pub ops: usize,
    /// None while the search is still running (it runs a slice per update: see `CHECK_SLICE`).
    pub linearizability: Option<Verdict>,
    pub stale_reads: usize,
    /// Reads by query mode with each mode's stale answers, once a read asked for a mode
    /// weaker than consistent.
    pub modes: Option<[(QueryMode, ModeReads, usize); 3]>,
    /// Checked where causal consistency is promised.
    pub causal: Vec<CausalViolation>,
}

/// What the inspector shows. Nodes and links are the same in both panes; a message belongs
/// to the pane it flies in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Selection {
    None,
    Node(usize, NodeId),
    Message(usize, MsgId),
    Link(NodeId, NodeId),
}

/// Slow motion: 1/20x for the first 150 ms of a passing role, time for a round of votes to
/// go out and come back (a hop of 30 to 50 ms then takes about a second). A split vote's
/// candidates then wait out their timeouts at the chosen speed.
pub const SLOW_MOTION: f64 = 0.05;
const SLOW_MOTION_MS: u64 = 150;

pub const SPEEDS: [(f64, &str); 9] = [
    (100.0, "100x"),
    (10.0, "10x"),
    (1.0, "1x"),
    (0.5, "1/2x"),
    (0.25, "1/4x"),
    (0.1, "1/10x"),
    (0.05, "1/20x"),
    (0.01, "1/100x"),
    (0.001, "1/1000x"),
];

/// One cluster on screen.
pub struct Pane {
    /// Tells it apart from any other run shown in this page (a view memoizes by it).
    pub id: u64,
    pub world: Box<dyn Sim>,
    /// The world a rewind left, further on in the same run: what the run recorded up to the
    /// end of the timeline. The world replays to exactly the same events unless the user
    /// acts, so the views of the whole run and the checks keep to this one.
    future: Option<Box<dyn Sim>>,
    /// Bumped whenever the history checks change (a view memoizes what it derives from them).
    pub checks_version: u64,
    /// Every node's view at the current time, built once per update for all panels.
    pub views: Vec<NodeView>,
    pub checks: Option<HistoryChecks>,
    checked_at: u64,
    observed: usize,
    /// The history checks, following the history as it grows: each check costs what changed
    /// since the last, not the whole history.
    checker: Checker,
    stale: StaleReads,
    modes: ReadModes,
    causal: CausalCheck,
    /// The linearizability search has not caught up with what it was last given.
    searching: bool,
    /// The marks of the run up to the end of the timeline: a rewound world has made only
    /// those up to now, and replays the rest identically unless the user acts.
    pub timeline: Vec<Mark>,
}

/// Wall time a frame may spend running the simulation, and the events run between looks at
/// the clock (a few hundred microseconds' worth).
const FRAME_BUDGET_MS: f64 = 8.0;
const FRAME_SLICE: u64 = 500;
/// A replay (a rewind) may take more of a frame: nothing moves smoothly meanwhile, and the
/// sooner it is done the better.
const REPLAY_BUDGET_MS: f64 = 12.0;

/// Steps of the linearizability search per update (an animation frame while it runs): a few
/// milliseconds at most, so that a hard history never blocks a frame.
const CHECK_SLICE: u64 = 10_000;

/// What the search may remember in the page (a few tens of MB); past that it answers unknown.
const CHECK_MEMO: usize = 1 << 20;

/// The client operations the page keeps of each run beyond what its checks still need: the
/// latest few minutes under load, for the history view. Older ones the checks have settled
/// are let go, a chunk at a time, so that a long session's memory stays flat (it does not
/// once a check has found a problem: what it found stays to be looked at).
const HISTORY_KEPT: usize = 2_000;
const HISTORY_CHUNK: usize = 500;

/// The trace the page keeps of each run (its latest events, about 0.8 MB a simulated minute
/// for 9 Raft nodes under load): a long run forgets older detail instead of growing, and
/// a rewind replays it.
const TRACE_WINDOW: usize = 8 << 20;

impl Pane {
    /// The node that leads the newest term among those that say they lead, if any.
    pub fn leader(&self) -> Option<NodeId> {
        (self.views.iter().enumerate())
            .filter(|(_, v)| v.role.leads)
            .max_by_key(|(_, v)| v.headline)
            .map(|(i, _)| i)
    }

    fn new(mut world: Box<dyn Sim>) -> Self {
        world.set_trace_window(Some(TRACE_WINDOW));
        let views = (0..world.node_count()).map(|i| world.view(i)).collect();
        let mut pane = Pane {
            id: fresh_id(),
            world,
            future: None,
            checks_version: 0,
            views,
            checks: None,
            checked_at: 0,
            observed: 0,
            checker: Checker::new(&History::default()),
            stale: StaleReads::default(),
            modes: ReadModes::default(),
            causal: CausalCheck::default(),
            searching: false,
            timeline: Vec::new(),
        };
        pane.forget_checks();
        pane
    }

    /// Start the history checks over (the run was rebuilt).
    fn forget_checks(&mut self) {
        self.checks_version += 1;
        self.checks = None;
        self.observed = 0;
        self.checker = Checker::new(&History::default()).with_memo_limit(CHECK_MEMO);
        self.stale = StaleReads::default();
        self.modes = ReadModes::default();
        self.causal = CausalCheck::default();
        self.searching = false;
    }

    /// Broken promises of the protocol at hand: the properties its monitor checks, and the
    /// consistency model it promises. What it does not promise (a gossip store's stale reads
    /// and non-linearizable histories) is expected, not a problem.
    pub fn problems(&self) -> usize {
        self.world.violations().len() + self.broken_promises().len()
    }

    /// When the history broke the model the protocol promises: the return of the operation
    /// that cannot be linearized, or of each read that went back in causal time.
    pub fn broken_promises(&self) -> Vec<u64> {
        let Some(c) = &self.checks else {
            return Vec::new();
        };
        let history = self.recorded().history();
        let at = |i: usize| history.get(i).map(|o| o.complete_t.unwrap_or(o.invoke_t));
        match self.world.description().consistency {
            Consistency::Linearizable => (c.linearizability.as_ref())
                .and_then(|v| v.failure.as_ref())
                .and_then(|f| f.stuck.first())
                .and_then(|&i| at(i))
                .into_iter()
                .collect(),
            Consistency::Causal => c.causal.iter().filter_map(|v| at(v.read)).collect(),
            Consistency::Eventual => Vec::new(),
        }
    }

    /// The run as recorded up to the end of the timeline (the world on screen, unless it was
    /// rewound): its history, marks and trace are the whole run's.
    pub fn recorded(&self) -> &dyn Sim {
        self.future.as_deref().unwrap_or(self.world.as_ref())
    }

    /// What the history checks found, operation by operation (see `check::report`). Built on
    /// demand: only a view of the history needs it.
    pub fn report(&self) -> Report {
        let history = self.recorded().history();
        let Some(c) = &self.checks else {
            return Report::default();
        };
        let mut r = match &c.linearizability {
            Some(v) if v.unknown.is_none() => {
                Report::linearizability(history, &self.checker, v, &super::format_time)
            }
            _ => Report::default(),
        };
        match self.world.description().consistency {
            Consistency::Linearizable => {}
            Consistency::Causal => {
                let causal = Report::causal(history, &self.causal);
                (r.violating, r.why) = (causal.violating, causal.why);
            }
            // Not promised: the order found, or why there is none, breaks nothing.
            Consistency::Eventual => r.violating.clear(),
        }
        r.stale = self.stale.found().to_vec();
        r
    }

    fn refresh(&mut self, playing: bool) {
        // A replay that has caught up with the recorded run is that run again.
        if self
            .future
            .as_ref()
            .is_some_and(|f| self.world.now() >= f.now())
        {
            self.future = None;
        }
        self.views = (0..self.world.node_count())
            .map(|i| self.world.view(i))
            .collect();
        let marks = self.world.marks();
        if marks.len() > self.timeline.len() {
            self.timeline
                .extend_from_slice(&marks[self.timeline.len()..]);
        }
        super::timed("check", || self.check(playing));
    }

    /// Hand the checks what the history gained (at most every 250 ms of virtual time while
    /// playing, not every frame), and run a slice of the search.
    fn check(&mut self, playing: bool) {
        let recorded = self.future.as_deref().unwrap_or(self.world.as_ref());
        let history = recorded.history();
        let now = recorded.now();
        let due = self.checks.is_none()
            || history.len() != self.observed
            || (now != self.checked_at && (!playing || now >= self.checked_at + 250));
        if due {
            self.checked_at = now;
            self.observed = history.len();
            self.checker.settle(history);
            self.checker.observe(history);
            self.stale.observe(history);
            self.modes.observe(history);
            let causal = self.world.description().consistency == Consistency::Causal;
            if causal {
                self.causal.observe(history);
            }
            self.searching = true;
            self.checks_version += 1;
            self.checks = Some(HistoryChecks {
                ops: self.stale.settled(),
                linearizability: None,
                stale_reads: self.stale.count(),
                modes: self.modes.any_weaker().then(|| {
                    QueryMode::ALL.map(|m| (m, self.modes.get(m), self.stale.count_in(m)))
                }),
                causal: if causal {
                    self.causal.violations().to_vec()
                } else {
                    Vec::new()
                },
            });
            self.forget_settled();
        }
        self.advance_check();
    }

    /// Let the recorded run's history go up to where every check has settled it, keeping the
    /// latest `HISTORY_KEPT` operations.
    fn forget_settled(&mut self) {
        let found = self.checker.failed() || !self.causal.violations().is_empty();
        let causal = self.world.description().consistency == Consistency::Causal;
        let recorded = self.future.as_deref_mut().unwrap_or(self.world.as_mut());
        let history = recorded.history();
        let mut keep = (self.checker.needed_from())
            .min(self.stale.needed_from())
            .min(self.modes.needed_from())
            .min(history.len().saturating_sub(HISTORY_KEPT));
        if causal {
            keep = keep.min(self.causal.needed_from());
        }
        if !found && keep >= history.forgotten + HISTORY_CHUNK {
            recorded.forget_history_before(keep);
        }
    }

    /// Whether the linearizability search is still running.
    pub fn checking(&self) -> bool {
        self.searching
    }

    /// Run one slice of the linearizability search, if it has not caught up.
    fn advance_check(&mut self) {
        if !self.searching {
            return;
        }
        if let Some(v) = self.checker.run(CHECK_SLICE) {
            self.searching = false;
            self.checks_version += 1;
            if let Some(c) = self.checks.as_mut() {
                c.linearizability = Some(v);
            }
        }
    }
}

/// A number no other pane or opened history of this page has had.
fn fresh_id() -> u64 {
    thread_local!(static NEXT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) });
    NEXT.with(|n| {
        n.set(n.get() + 1);
        n.get()
    })
}

/// A history opened from a file: checked in the page, with no cluster attached.
pub struct OpenedHistory {
    /// Tells it apart from any other history shown in this page.
    pub id: u64,
    pub name: String,
    pub format: HistoryFormat,
    pub history: History,
    checker: Checker,
    /// None while the search runs (a slice per animation frame).
    pub verdict: Option<Verdict>,
}

impl OpenedHistory {
    fn new(name: String, format: HistoryFormat, history: History) -> Self {
        let checker = Checker::new(&history).with_memo_limit(CHECK_MEMO);
        OpenedHistory {
            id: fresh_id(),
            name,
            format,
            history,
            checker,
            verdict: None,
        }
    }

    fn advance(&mut self) {
        if self.verdict.is_none() {
            self.verdict = self.checker.run(CHECK_SLICE);
        }
    }

    /// What the search found, operation by operation; a file's times are its line numbers.
    pub fn report(&self) -> Report {
        match &self.verdict {
            Some(v) if v.unknown.is_none() => {
                Report::linearizability(&self.history, &self.checker, v, &|t| format!("line {t}"))
            }
            _ => Report::default(),
        }
    }
}

/// The views of the run in time below the cluster, each shown or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Log,
    History,
    SpaceTime,
}

impl View {
    pub const ALL: [View; 3] = [View::Log, View::History, View::SpaceTime];
    pub fn label(self) -> &'static str {
        match self {
            View::Log => "Logs",
            View::History => "History",
            View::SpaceTime => "Space-time",
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            View::Log => "log",
            View::History => "history",
            View::SpaceTime => "spacetime",
        }
    }
}

pub struct Session {
    /// The first pane drives time; a second one, if any, follows it.
    pub panes: Vec<Pane>,
    /// A history opened from a file, shown in the history view instead of the panes'.
    pub opened: Option<OpenedHistory>,
    /// The views shown below the cluster.
    pub shown: Vec<View>,
    /// The library entry this run was opened from, while its caption is shown.
    pub caption: Option<&'static Entry>,
    /// The lesson under way, if one is.
    pub lesson: Option<Progress>,
    /// The first screen for a newcomer is shown.
    pub welcome: bool,
    /// Virtual time shown, in ms; fractional so that messages glide between events.
    pub vt: f64,
    /// The furthest time this session has reached: the end of the timeline.
    pub horizon: u64,
    pub playing: bool,
    pub speed: f64,
    /// Play at most at `SLOW_MOTION` while a node is in a passing role (an election), at the
    /// speeds meant for watching.
    pub slow_motion: bool,
    last_frame: Option<f64>,
    pub selected: Selection,
    /// A message for the user (bad input, a refused action); cleared by the next action.
    pub notice: Option<String>,
    pub help: bool,
    /// The last frame could not run all the simulation its speed asked for.
    pub behind: bool,
    /// A rewind under way: the time the run is being replayed to, a frame's budget at a time
    /// (a long session takes seconds to replay, which no single frame may block for).
    pub replaying: Option<u64>,
    /// The violation count the user has seen (a new one pauses the run).
    seen_problems: usize,
}

pub enum Msg {
    /// An animation frame at this wall-clock time (ms).
    Frame(f64),
    Play,
    Pause,
    TogglePlay,
    /// Close the help or clear the selection.
    Escape,
    /// Run exactly one visible event (of the first pane; the second follows to the same time).
    Step,
    /// Run until something a reader cares about happens (a leader elected, an entry committed).
    StepInteresting,
    SetSpeed(f64),
    SetSlowMotion(bool),
    /// Rebuild the run and show it at this time.
    Seek(u64),
    /// Go to a moment picked on a view (a mark, an operation) and stay there, paused.
    GoTo(u64),
    /// Do this in every pane: the same fault or client request hits both clusters.
    Act(Action),
    /// Do this in one pane only (an action on one of its messages).
    ActOn(usize, Action),
    Select(Selection),
    /// Show the run at this time with this selected (a message at its send).
    SeekAndSelect(u64, Selection),
    /// Start over with new scenarios (one per pane).
    Reset(Vec<AnyScenario>),
    Notice(Option<String>),
    ToggleHelp,
    /// Open an entry of the scenario library at its moment, paused, with its caption.
    OpenScenario(&'static Entry),
    /// Run to this moment and stand there, paused (a shared session's).
    StandAt(u64),
    /// Begin a lesson at its scenario's moment.
    StartLesson(&'static Lesson),
    /// Back to the moment the previous step was reached.
    LessonBack,
    /// Leave the lesson; the run goes on as a sandbox.
    LeaveLesson,
    CloseWelcome,
    CloseCaption,
    /// Show a history read from a file (its name) in the history view.
    OpenHistory(String, HistoryFormat, History),
    /// Back to the runs' own histories.
    CloseHistory,
    ToggleView(View),
}

impl Session {
    pub fn new(scenarios: Vec<AnyScenario>) -> Result<Self, String> {
        let sims = (scenarios.into_iter())
            .map(AnyScenario::build)
            .collect::<Result<Vec<_>, _>>()?;
        Session::of(sims)
    }

    /// A session of simulations of any protocols, built by the caller.
    pub fn of(sims: Vec<Box<dyn Sim>>) -> Result<Self, String> {
        if !(1..=2).contains(&sims.len()) {
            return Err("a session shows one or two clusters".into());
        }
        let panes: Vec<Pane> = sims.into_iter().map(Pane::new).collect();
        if panes
            .iter()
            .any(|p| p.world.node_count() != panes[0].world.node_count())
        {
            return Err("clusters compared side by side must have the same number of nodes".into());
        }
        Ok(Session {
            panes,
            opened: None,
            shown: vec![View::Log],
            caption: None,
            lesson: None,
            welcome: false,
            vt: 0.0,
            horizon: 0,
            playing: true,
            speed: 0.25,
            slow_motion: true,
            last_frame: None,
            selected: Selection::None,
            notice: None,
            help: false,
            behind: false,
            replaying: None,
            seen_problems: 0,
        })
    }

    /// The speed the run plays at now: the one chosen, or slow motion through a passing role.
    pub fn effective_speed(&self) -> f64 {
        if self.slow_motion && self.speed <= 1.0 && self.in_passing_role() {
            self.speed.min(SLOW_MOTION)
        } else {
            self.speed
        }
    }

    /// Whether a node entered a passing role less than `SLOW_MOTION_MS` ago and holds it still.
    fn in_passing_role(&self) -> bool {
        (self.panes.iter()).any(|p| {
            let w = p.world.as_ref();
            let since = |node| (w.role_changes().iter().rev()).find(|c| c.node == node);
            (0..w.node_count()).any(|n| {
                w.role(n).0.passing
                    && since(n).is_some_and(|c| w.now().saturating_sub(c.t) < SLOW_MOTION_MS)
            })
        })
    }

    pub fn lead(&self) -> &dyn Sim {
        self.panes[0].world.as_ref()
    }

    pub fn now(&self) -> u64 {
        self.lead().now()
    }

    pub fn seed(&self) -> u64 {
        self.lead().seed()
    }

    pub fn node_count(&self) -> usize {
        self.lead().node_count()
    }

    pub fn problems(&self) -> usize {
        self.panes.iter().map(Pane::problems).sum()
    }

    /// Run every pane toward `t` for at most `budget` ms of wall time (a heavy run at a high
    /// speed has more events than a frame has time for): whether they all got there.
    /// Where it stops depends on the machine, what the run does does not.
    fn run_toward(&mut self, t: u64, budget: f64) -> bool {
        let start = super::now_ms();
        let over = || match (start, super::now_ms()) {
            (Some(a), Some(b)) => b - a > budget,
            _ => false,
        };
        loop {
            let reached = self.panes[0].world.run_toward(t, FRAME_SLICE);
            self.follow();
            if reached {
                return true;
            }
            if over() {
                return false;
            }
        }
    }

    /// Bring the other panes to the first pane's time.
    fn follow(&mut self) {
        let t = self.now();
        self.panes
            .iter_mut()
            .skip(1)
            .for_each(|p| p.world.run_until(t));
    }

    pub fn update(&mut self, msg: Msg) {
        if !matches!(msg, Msg::Frame(_) | Msg::Notice(_)) {
            self.notice = None;
        }
        // Whatever acts on the run acts on it at the moment the user sought: the rest of a
        // replay is run at once.
        if matches!(
            msg,
            Msg::Step | Msg::StepInteresting | Msg::Act(_) | Msg::ActOn(..)
        ) {
            self.finish_replay();
        }
        if let Some(o) = &mut self.opened {
            super::timed("check", || o.advance());
        }
        // Problems a replay meets were seen before the rewind.
        let rewinding = matches!(msg, Msg::Seek(_) | Msg::GoTo(_) | Msg::SeekAndSelect(..))
            || self.replaying.is_some();
        match msg {
            Msg::Frame(_) if self.replaying.is_some() => {
                self.last_frame = None;
                self.advance_replay();
            }
            Msg::Frame(wall) => {
                if !self.playing {
                    // Frames come while paused only for a check that is still running.
                    self.last_frame = None;
                    super::timed("check", || {
                        self.panes.iter_mut().for_each(Pane::advance_check)
                    });
                    self.pause_on_new_problems();
                    return;
                }
                // A long gap (tab hidden, debugger) must not turn into a jump in virtual time.
                let dt = self
                    .last_frame
                    .map_or(0.0, |last| (wall - last).clamp(0.0, 100.0));
                self.last_frame = Some(wall);
                self.vt += dt * self.effective_speed();
                let t = self.vt as u64;
                self.behind = !self.run_toward(t, FRAME_BUDGET_MS);
                if self.behind {
                    self.vt = self.now() as f64;
                }
            }
            Msg::Play => {
                self.playing = true;
                self.last_frame = None;
            }
            Msg::Pause => self.playing = false,
            Msg::TogglePlay => {
                self.playing = !self.playing;
                self.last_frame = None;
            }
            Msg::Escape => {
                if self.help {
                    self.help = false;
                } else {
                    self.selected = Selection::None;
                }
            }
            Msg::Step => {
                self.playing = false;
                if self.panes[0].world.step() {
                    self.follow();
                    self.vt = self.now() as f64;
                } else {
                    self.notice = Some("Nothing left to run.".into());
                }
            }
            Msg::StepInteresting => {
                self.playing = false;
                let limit = self.now() + 60_000;
                self.panes[0].world.step_to_milestone(limit);
                self.follow();
                self.vt = self.now() as f64;
            }
            Msg::SetSpeed(s) => self.speed = s.clamp(0.0001, 100.0),
            Msg::SetSlowMotion(on) => self.slow_motion = on,
            Msg::Seek(t) => self.seek(t),
            Msg::GoTo(t) => {
                self.playing = false;
                self.seek(t);
            }
            Msg::Act(action) => {
                self.fork();
                for p in &mut self.panes {
                    if let Err(e) = p.world.act(action.clone()) {
                        self.notice = Some(e);
                    }
                }
                // Acting in the past discards the recorded future.
                self.horizon = self.now();
            }
            Msg::ActOn(pane, action) => {
                self.fork();
                if let Some(Err(e)) = self.panes.get_mut(pane).map(|p| p.world.act(action)) {
                    self.notice = Some(e);
                }
                self.horizon = self.now();
            }
            Msg::Select(s) => self.selected = s,
            Msg::SeekAndSelect(t, s) => {
                self.playing = false;
                self.seek(t);
                self.selected = s;
            }
            Msg::Reset(scenarios) => match Session::new(scenarios) {
                Ok(mut fresh) => {
                    fresh.speed = self.speed;
                    fresh.shown = std::mem::take(&mut self.shown);
                    *self = fresh;
                }
                Err(e) => {
                    self.notice = Some(format!(
                        "Could not open that ({e}); the run on screen goes on."
                    ))
                }
            },
            Msg::Notice(n) => self.notice = n,
            Msg::ToggleHelp => self.help = !self.help,
            Msg::OpenHistory(name, format, history) => {
                self.opened = Some(OpenedHistory::new(name, format, history));
                if !self.shown.contains(&View::History) {
                    self.shown.push(View::History);
                }
            }
            Msg::CloseHistory => self.opened = None,
            Msg::OpenScenario(e) => match Session::new(e.scenarios()) {
                Ok(mut fresh) => {
                    fresh.speed = self.speed;
                    fresh.shown = std::mem::take(&mut self.shown);
                    *self = fresh;
                    self.open_at(e);
                }
                Err(err) => self.notice = Some(format!("Could not open the scenario ({err}).")),
            },
            Msg::CloseCaption => self.caption = None,
            Msg::StandAt(t) => self.stand_at(t),
            Msg::StartLesson(l) => {
                match library::entry(l.scenario).map(|e| (e, Session::new(e.scenarios()))) {
                    Some((e, Ok(mut fresh))) => {
                        fresh.speed = self.speed;
                        fresh.shown = std::mem::take(&mut self.shown);
                        *self = fresh;
                        self.stand_at(e.at);
                        self.lesson = Some(Progress::new(l, e.at));
                    }
                    _ => self.notice = Some(format!("Could not start the lesson {:?}.", l.title)),
                }
            }
            Msg::LessonBack => {
                if let Some(t) = self.lesson.as_mut().and_then(Progress::back) {
                    // Paused there, to read the step again.
                    self.playing = false;
                    self.seek(t);
                }
            }
            Msg::LeaveLesson => self.lesson = None,
            Msg::CloseWelcome => self.welcome = false,
            Msg::ToggleView(v) => {
                if let Some(at) = self.shown.iter().position(|&s| s == v) {
                    self.shown.remove(at);
                } else {
                    self.shown.push(v);
                    self.shown
                        .sort_by_key(|s| View::ALL.iter().position(|a| a == s));
                }
            }
        }
        self.vt = self.vt.max(self.now() as f64);
        self.horizon = self.horizon.max(self.now());
        let playing = self.playing;
        self.panes.iter_mut().for_each(|p| p.refresh(playing));
        if rewinding {
            self.seen_problems = self.problems();
        }
        // A lesson moves on when what its step asks for holds on screen (not midway through a
        // replay, which passes through earlier states).
        if let (Some(p), None) = (self.lesson.as_mut(), self.replaying) {
            let pane = &self.panes[0];
            let look = Look {
                sim: pane.world.as_ref(),
                views: &pane.views,
                stale_reads: pane.checks.as_ref().map_or(0, |c| c.stale_reads),
            };
            p.advance(&look, pane.world.now());
        }
        self.pause_on_new_problems();
    }

    /// A problem the user has not seen yet pauses the run.
    fn pause_on_new_problems(&mut self) {
        if self.problems() > self.seen_problems {
            self.seen_problems = self.problems();
            self.playing = false;
        }
    }

    /// Whether anything needs animation frames: playing, a linearizability search still
    /// running, a replay under way.
    pub fn busy(&self) -> bool {
        self.playing
            || self.replaying.is_some()
            || self.panes.iter().any(Pane::checking)
            || self.opened.as_ref().is_some_and(|o| o.verdict.is_none())
    }

    /// Stand at a library entry's moment, paused, with its caption.
    pub fn open_at(&mut self, e: &'static Entry) {
        self.stand_at(e.at);
        self.caption = Some(e);
    }

    /// Run to `t` and stand there, paused, with the run before it to rewind through (a shared
    /// session opens at the moment it was made; a long one replays over several frames).
    pub fn stand_at(&mut self, t: u64) {
        self.playing = false;
        self.horizon = t;
        self.replaying = Some(t);
        self.advance_replay();
        self.panes.iter_mut().for_each(|p| p.refresh(false));
    }

    /// Show the run at time t: replay the scenarios (seed + recorded actions) from scratch,
    /// as far as a frame's budget goes; frames go on with the rest.
    fn seek(&mut self, t: u64) {
        let t = t.min(self.horizon);
        for p in &mut self.panes {
            if t < p.world.now() {
                match p.world.rebuild() {
                    Ok(w) => {
                        let left = std::mem::replace(&mut p.world, w);
                        // Keep the furthest world of the run: the views and checks stay on it.
                        if p.future.is_none() {
                            p.future = Some(left);
                        }
                    }
                    Err(e) => {
                        self.notice = Some(e);
                        return;
                    }
                }
            }
        }
        self.replaying = Some(t);
        self.advance_replay();
    }

    /// Replay toward the time sought for a frame's budget.
    fn advance_replay(&mut self) {
        let Some(t) = self.replaying else {
            return;
        };
        if self.run_toward(t, REPLAY_BUDGET_MS) {
            self.replaying = None;
            self.vt = t as f64;
        } else {
            self.vt = self.now() as f64;
        }
    }

    /// The recorded future is about to be replaced: forget its marks, and check the history
    /// the run now makes.
    fn fork(&mut self) {
        for p in &mut self.panes {
            p.timeline.truncate(p.world.marks().len());
            if p.future.take().is_some() {
                p.forget_checks();
            }
        }
    }

    /// Run the rest of a replay under way at once.
    fn finish_replay(&mut self) {
        if let Some(t) = self.replaying.take() {
            self.panes[0].world.run_until(t);
            self.follow();
            self.vt = t as f64;
        }
    }
}

/// The reducer handle components share. The session is not Clone (it owns raft-rs nodes), so
/// the reducer mutates it in place and bumps a version that components compare.
#[derive(Clone)]
pub struct Model {
    pub session: Rc<RefCell<Session>>,
    version: u64,
}

impl Model {
    pub fn new(session: Session) -> Self {
        super::remember_run(&session);
        Model {
            session: Rc::new(RefCell::new(session)),
            version: 0,
        }
    }
}

impl PartialEq for Model {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && Rc::ptr_eq(&self.session, &other.session)
    }
}

impl Reducible for Model {
    type Action = Msg;
    fn reduce(self: Rc<Self>, msg: Msg) -> Rc<Self> {
        // Only these change what a share link holds.
        let acted = matches!(msg, Msg::Act(_) | Msg::ActOn(..) | Msg::Reset(_));
        {
            let mut session = self.session.borrow_mut();
            if super::test_panic_requested() {
                panic!("a test asked for a panic (window.__labTestPanic)");
            }
            session.update(msg);
        }
        if acted {
            super::remember_run(&self.session.borrow());
        }
        Rc::new(Model {
            session: self.session.clone(),
            version: self.version + 1,
        })
    }
}
