//! Linearizability of a key-value history, per key (keys are independent, so a history is
//! linearizable iff each key's sub-history is). The search is Wing & Gong's with Lowe's
//! memoization of (linearized set, state), as in Porcupine: a configuration already seen is
//! never explored twice.
//!
//! The linearized set is keyed by a 128-bit Zobrist hash (XOR of per-operation random words)
//! rather than the bitset itself: no allocation per step, and a collision among the millions of
//! configurations a hard history visits has a probability around 2^-80. A key's value is kept
//! as a hash of the string and its length, so an append computes its new state in a few
//! multiplications instead of building and keeping a new string.
//!
//! The search is resumable: a `Checker` runs a given number of steps and can be asked again, so
//! a caller can bound its time (the `lab` command's `--timeout`) or spread it over animation
//! frames. Keys take turns, and the first key found not linearizable ends the search.
//!
//! A checker following a long session settles what is behind it (`Checker::settle`): where an
//! operation that fixes the key's value (a write, a read, a compare-and-set that swapped) had
//! nothing else on the key overlapping it, every order must pass through that value there,
//! so the operations before it are let go and the search goes on from the value. Timed-out
//! operations from before may still take effect at any later time: they are kept.
//!
//! Semantics: an `Info` (timed-out) write may take effect at any point after its invocation or
//! never; a `Fail` operation never took effect and is left out; a failed compare-and-set ran and
//! found another value; an absent key reads as "". A read that asked for a default or stale
//! answer promised nothing linearizable and is left out (its staleness is counted elsewhere).

use super::open_set::OpenSet;
use crate::engine::{History, HistoryOp, KvOp, Outcome, QueryMode};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub linearizable: bool,
    pub keys: usize,
    pub ops: usize,
    /// For a non-linearizable history: the key, and the operations that cannot be ordered.
    pub failure: Option<Failure>,
    /// For a search stopped before it decided: where it was.
    pub unknown: Option<Unknown>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub key: String,
    /// How many of the key's operations the longest attempt managed to order.
    pub linearized: usize,
    pub of: usize,
    /// Indices into the history: the operation that could not be placed first, then the
    /// operations that were candidates at that point.
    pub stuck: Vec<usize>,
    /// The longest attempt itself: history indices in the order it placed them.
    #[serde(skip)]
    pub prefix: Vec<usize>,
}

/// The search gave up before it could decide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unknown {
    /// A key still undecided (the one with the most configurations explored).
    pub key: String,
    /// Configurations explored over all keys.
    pub configurations: u64,
}

/// A string as the search sees it: a hash of its bytes and its length. Appending is a few
/// multiplications: h(s + t) = h(s) * B^len(t) + h(t), modulo the prime 2^61 - 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Str {
    hash: u64,
    len: u64,
}

const P: u64 = (1 << 61) - 1;
const B: u64 = 0x1f3d_5b79_a3c1_e2d5 % P;

fn mul(a: u64, b: u64) -> u64 {
    let x = u128::from(a) * u128::from(b);
    let folded = (x as u64 & P) + (x >> 61) as u64;
    if folded >= P {
        folded - P
    } else {
        folded
    }
}

fn add(a: u64, b: u64) -> u64 {
    let s = a + b;
    if s >= P {
        s - P
    } else {
        s
    }
}

impl Str {
    const EMPTY: Str = Str { hash: 0, len: 0 };
    fn of(s: &str) -> (Str, u64) {
        let (mut hash, mut pow) = (0, 1);
        for &b in s.as_bytes() {
            hash = add(mul(hash, B), u64::from(b) + 1);
            pow = mul(pow, B);
        }
        (
            Str {
                hash,
                len: s.len() as u64,
            },
            pow,
        )
    }
}

#[derive(Clone, Copy, Debug)]
enum Input {
    /// None: the value read is unknown.
    Read(Option<Str>),
    Write(Str),
    Cas {
        from: Str,
        to: Str,
        swapped: Option<bool>,
    },
    /// The suffix, and B to the power of its length.
    Append(Str, u64),
}

impl Input {
    /// Whether every order leaves the key at one value after it, whatever came before.
    fn forces(self) -> bool {
        matches!(
            self,
            Input::Write(_)
                | Input::Read(Some(_))
                | Input::Cas {
                    swapped: Some(true),
                    ..
                }
        )
    }

    /// One step of the model: is the operation consistent at `state`, and the state after.
    fn step(self, state: Str) -> Option<Str> {
        match self {
            Input::Read(v) => v.is_none_or(|v| v == state).then_some(state),
            Input::Write(v) => Some(v),
            Input::Cas { from, to, swapped } => {
                let matches = state == from;
                swapped
                    .is_none_or(|s| s == matches)
                    .then_some(if matches { to } else { state })
            }
            Input::Append(suffix, pow) => Some(Str {
                hash: add(mul(state.hash, pow), suffix.hash),
                len: state.len + suffix.len,
            }),
        }
    }
}

/// Decide the whole history, however long it takes.
pub fn check(history: &History) -> Verdict {
    let mut c = Checker::new(history);
    loop {
        if let Some(v) = c.run(u64::MAX) {
            return v;
        }
    }
}

/// A linearizability search that runs in slices and follows a growing history.
///
/// `observe` hands it what the history gained since the last call (new operations, and
/// outcomes of ones that were pending); `run` continues the search from where it stood. A
/// pending operation is one that may take effect at any time after its call, or never (a read
/// of an unknown value), so each new outcome only adds constraints: a configuration the search
/// found to be a dead end stays one, and the search goes on from its current linearization
/// instead of starting over. Only what the new outcomes contradict is undone. The cost of a
/// check is that of what changed, not of the history's length.
pub struct Checker {
    keys: Vec<KeySearch>,
    key_of: FxHashMap<String, usize>,
    /// Operations of the history seen so far.
    observed: usize,
    /// History index of each operation still pending when last seen: its key and its index
    /// there.
    pending: FxHashMap<usize, (usize, usize)>,
    /// The key whose turn it is.
    turn: usize,
    configurations: u64,
    /// Configurations the search may remember, over all keys; beyond, it gives up.
    memo_limit: usize,
    /// A key that has caught up with its history forgets what it remembers past this many:
    /// a growing history (a long session in the page) would otherwise fill the memo over
    /// time and be given up on, however easy.
    forget_at: usize,
    /// Operations let go by settling, kept only where they timed out (see `settle`).
    carried: FxHashMap<usize, HistoryOp>,
    /// The first key found not linearizable, and why: the answer for good as the history
    /// grows in time (later outcomes only add constraints), unless operations arrive out of
    /// time order (a file read in pieces) and that key is laid out again.
    failure: Option<(usize, Failure)>,
}

/// How many configurations a search remembers at most; past that it answers unknown. Each takes
/// 33 bytes of its table, which doubles as it grows: at this limit the checker stays under
/// about 420 MB whatever the history (`cargo bench --bench checker` measures the peak).
pub const MEMO_LIMIT: usize = 1 << 22;

/// What a key that caught up may keep remembering, as a part of the memo limit. Forgetting
/// costs no soundness (what is remembered only saves the search from going where it has been),
/// only work if the search ever backtracks past the point where it forgot.
const FORGET_FRACTION: usize = 16;

/// How many of the latest operations placed `settle` considers as a point to cut at.
const SETTLE_TRIES: usize = 8;

/// Steps one key runs before the next takes its turn: the first key to fail ends the search,
/// so a hard key that would pass does not hide an easy one that fails.
const TURN: u64 = 1 << 14;

/// What `observe` found for one key, in time order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Change {
    t: u64,
    /// Calls sort before returns at equal times: operations that touch in time count as
    /// concurrent.
    kind: ChangeKind,
    hist: usize,
    /// The operation's index in its key, once it has one.
    local: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ChangeKind {
    Call,
    Return,
    /// It failed: it never took effect.
    Gone,
}

impl Checker {
    pub fn new(history: &History) -> Self {
        let mut c = Checker {
            keys: Vec::new(),
            key_of: FxHashMap::default(),
            observed: 0,
            pending: FxHashMap::default(),
            turn: 0,
            configurations: 0,
            memo_limit: MEMO_LIMIT,
            forget_at: MEMO_LIMIT / FORGET_FRACTION,
            carried: FxHashMap::default(),
            failure: None,
        };
        c.observe(history);
        c
    }

    /// The same search, remembering at most `limit` configurations.
    pub fn with_memo_limit(mut self, limit: usize) -> Self {
        self.memo_limit = limit;
        self.forget_at = limit / FORGET_FRACTION;
        self
    }

    /// Whether a key was found not linearizable.
    pub fn failed(&self) -> bool {
        self.failure.is_some()
    }

    /// Configurations explored so far.
    pub fn configurations(&self) -> u64 {
        self.configurations
    }

    /// Let go of what every key has behind it (see the module's notes): a key that has
    /// caught up cuts its linearization at the latest operation that fixed its value with
    /// nothing overlapping it. What it let go of is still counted and its verdicts are the
    /// same; the history before `needed_from` is no longer looked at. `history` is the one last
    /// observed, or that one grown.
    pub fn settle(&mut self, history: &History) {
        for k in &mut self.keys {
            if !k.caught_up || k.failed {
                continue;
            }
            let is_pending = |hist: usize| self.pending.contains_key(&hist);
            if let Some(kept) = k.settle(history, is_pending, &mut self.carried) {
                for (hist, local) in kept {
                    if let Some(p) = self.pending.get_mut(&hist) {
                        p.1 = local;
                    }
                }
            }
        }
    }

    /// The first operation of the history the checker may still look at: the history before
    /// it can be forgotten.
    pub fn needed_from(&self) -> usize {
        let held = (self.keys.iter())
            .flat_map(|k| k.ops.iter().filter(|o| !o.carried).map(|o| o.hist))
            .min();
        held.map_or(self.observed, |h| h.min(self.observed))
    }

    /// An operation by its history index, from `history` or, let go of there, from what the
    /// checker kept of it (a timed-out one it still holds).
    pub fn op<'a>(&'a self, history: &'a History, i: usize) -> Option<&'a HistoryOp> {
        history.get(i).or_else(|| self.carried.get(&i))
    }

    /// Take in what the history gained since the last call: the history must be this one
    /// grown (operations are only appended, and only a pending one changes). A shorter one
    /// starts the search over.
    pub fn observe(&mut self, history: &History) {
        if history.len() < self.observed {
            *self = Checker::new(history).with_memo_limit(self.memo_limit);
            return;
        }
        let mut changes: Vec<(usize, Change)> = Vec::new();
        let mut resolved = Vec::new();
        for (&hist, &(key, local)) in &self.pending {
            let h = &history[hist];
            if h.outcome.is_none() {
                continue;
            }
            resolved.push(hist);
            if let Some(kind) = resolution(h) {
                let t = h.complete_t.unwrap_or(h.invoke_t);
                changes.push((
                    key,
                    Change {
                        t,
                        kind,
                        hist,
                        local,
                    },
                ));
            }
        }
        for hist in resolved {
            self.pending.remove(&hist);
        }
        for (hist, h) in history
            .iter()
            .skip(self.observed.saturating_sub(history.forgotten))
        {
            let key = match self.key_of.get(h.op.key()) {
                Some(&k) => k,
                None => {
                    let k = self.keys.len();
                    self.keys.push(KeySearch::new(h.op.key().to_string()));
                    self.key_of.insert(h.op.key().to_string(), k);
                    k
                }
            };
            if told_nothing(h) {
                continue;
            }
            let call = Change {
                t: h.invoke_t,
                kind: ChangeKind::Call,
                hist,
                local: usize::MAX,
            };
            changes.push((key, call));
            match h.outcome {
                None => {
                    self.pending.insert(hist, (key, usize::MAX));
                }
                Some(_) => {
                    if let Some(kind) = resolution(h) {
                        let t = h.complete_t.unwrap_or(h.invoke_t);
                        changes.push((
                            key,
                            Change {
                                t,
                                kind,
                                hist,
                                local: usize::MAX,
                            },
                        ));
                    }
                }
            }
        }
        self.observed = history.len();
        changes.sort_unstable();
        for group in changes.chunk_by(|a, b| a.0 == b.0) {
            let key = group[0].0;
            let (added, restarted) = self.keys[key].apply(group.iter().map(|&(_, c)| c), history);
            if restarted && self.failure.as_ref().is_some_and(|f| f.0 == key) {
                self.failure = None;
            }
            for (hist, local) in added {
                if let Some(p) = self.pending.get_mut(&hist) {
                    p.1 = local;
                }
            }
        }
    }

    /// Run at most about `steps` steps of the search; the verdict if it is decided by then
    /// (for a growing history: linearizable so far, until `observe` brings more).
    pub fn run(&mut self, steps: u64) -> Option<Verdict> {
        let mut left = steps;
        loop {
            if let Some((_, f)) = &self.failure {
                return Some(self.verdict(false, Some(f.clone())));
            }
            let open: Vec<usize> = (0..self.keys.len())
                .filter(|&k| !self.keys[k].caught_up)
                .collect();
            let Some(&k) = open.iter().find(|&&k| k >= self.turn).or(open.first()) else {
                return Some(self.verdict(true, None));
            };
            if left == 0 {
                return None;
            }
            let remembered: usize = self.keys.iter().map(|k| k.seen.len()).sum();
            let Some(room) = self.memo_limit.checked_sub(remembered).filter(|&r| r > 0) else {
                return Some(self.stop());
            };
            let slice = left.min(TURN).min(room as u64);
            let used = self.keys[k].run(slice);
            self.configurations += used;
            let key = &mut self.keys[k];
            if key.caught_up && !key.failed && key.seen.len() > self.forget_at {
                key.seen.clear();
            }
            left -= used.min(left);
            self.turn = k + 1;
            if let Some(mut f) = self.keys[k].failure.take() {
                f.key.clone_from(&self.keys[k].key);
                self.failure = Some((k, f));
            }
        }
    }

    /// What is known when the search is stopped here: decided, or where it gave up.
    pub fn stop(&self) -> Verdict {
        if let Some((_, f)) = &self.failure {
            return self.verdict(false, Some(f.clone()));
        }
        let mut v = self.verdict(false, None);
        let undecided =
            (self.keys.iter().filter(|k| !k.caught_up)).max_by_key(|k| k.configurations);
        v.unknown = undecided.map(|k| Unknown {
            key: k.key.clone(),
            configurations: self.configurations,
        });
        v.linearizable = v.unknown.is_none();
        v
    }

    /// The order the search found for each key it has placed so far (history indices): once
    /// the verdict is linearizable, a linearization of the whole history. Operations left out
    /// (timed out, still pending) never took effect in it. A key found not linearizable is
    /// left out: its longest attempt is the failure's `prefix`.
    /// After settling, each key's order comes in parts, each from the value it starts at:
    /// those settled whose operations are still in the history, then the current one.
    pub fn linearization(&self) -> Vec<Order<'_>> {
        (self.keys.iter())
            .filter(|k| !k.failed)
            .map(|k| {
                let current = k.stack.iter().map(|&(op, _)| k.ops[op].hist).collect();
                let settled = k
                    .segments
                    .iter()
                    .map(|(from, ops)| (from.as_str(), ops.clone()));
                Order {
                    key: &k.key,
                    parts: settled
                        .chain([(k.initial_value.as_str(), current)])
                        .collect(),
                }
            })
            .collect()
    }

    /// The value a key had before the operations the checker still holds (its failure's
    /// `prefix` starts there).
    pub fn initial_value(&self, key: &str) -> &str {
        self.key_of
            .get(key)
            .map_or("", |&k| &self.keys[k].initial_value)
    }

    fn verdict(&self, linearizable: bool, failure: Option<Failure>) -> Verdict {
        Verdict {
            linearizable,
            keys: self.keys.len(),
            ops: self.keys.iter().map(KeySearch::live_ops).sum(),
            failure,
            unknown: None,
        }
    }
}

/// One key's order of operations (history indices), in parts that each start from a value.
pub struct Order<'a> {
    pub key: &'a str,
    pub parts: Vec<(&'a str, Vec<usize>)>,
}

/// An operation that never took effect, a read that timed out, or one that did not ask for a
/// linearizable answer (a default or stale query): nothing for the search.
fn told_nothing(h: &HistoryOp) -> bool {
    h.outcome == Some(Outcome::Fail)
        || (h.op.is_read() && h.outcome == Some(Outcome::Info))
        || h.op.mode() != QueryMode::Consistent
}

/// What a settled outcome means for an operation the search already holds: a return event
/// (it took effect, in time), gone (nothing for the search, as if never called), or nothing
/// new (a write that timed out: it may still take effect at any time, or never).
fn resolution(h: &HistoryOp) -> Option<ChangeKind> {
    match h.outcome {
        _ if told_nothing(h) => Some(ChangeKind::Gone),
        Some(Outcome::Ok { .. }) if h.complete_t.is_some() => Some(ChangeKind::Return),
        _ => None,
    }
}

/// The operation as the model sees it: once `settled`, with what its outcome says; before (or
/// timed out), it may have done anything it can do.
fn input(h: &HistoryOp, settled: bool) -> Input {
    let known = settled && matches!(h.outcome, Some(Outcome::Ok { .. }));
    let str = |v: &str| Str::of(v).0;
    match &h.op {
        KvOp::Get { .. } => match &h.outcome {
            Some(Outcome::Ok { value }) if known => Input::Read(value.as_deref().map(str)),
            _ => Input::Read(None),
        },
        KvOp::Put { value, .. } => Input::Write(str(value)),
        KvOp::Cas { from, to, .. } => Input::Cas {
            from: str(from),
            to: str(to),
            swapped: known.then_some(!h.cas_failed),
        },
        KvOp::Append { value, .. } => {
            let (suffix, pow) = Str::of(value);
            Input::Append(suffix, pow)
        }
    }
}

/// One operation of a key, as the search holds it.
struct Op {
    hist: usize,
    input: Input,
    call_t: u64,
    /// When it returned, if it did in time; until then it may take effect any time after its
    /// call, or never.
    ret_t: Option<u64>,
    /// Positions of its events in the key's time order.
    call: usize,
    ret: Option<usize>,
    /// Its place in the linearization while it is in it.
    depth: Option<usize>,
    /// It failed: it never took effect.
    gone: bool,
    /// It timed out before the point the key was last settled at, and was kept past it.
    carried: bool,
    zobrist: (u64, u64),
}

/// The search over one key's operations: Wing & Gong's, over events in time order, resumable
/// between steps and as the key's history grows.
struct KeySearch {
    key: String,
    ops: Vec<Op>,
    /// Operations that have not failed, and of them those let go by settling.
    live: usize,
    settled: usize,
    /// The key's value before the operations held: its hash and itself.
    initial: Str,
    initial_value: String,
    /// The order settled so far, while its operations are in the history: a part per
    /// settling, with the value it starts from.
    segments: Vec<(String, Vec<usize>)>,
    /// Events in time order: the operation, and whether it is its call.
    events: Vec<(usize, bool)>,
    /// Events of operations not in the linearization (a return only once it is known).
    open: OpenSet,
    /// The latest event time, and whether a return is among the events at that time.
    last: (u64, bool),
    linearized: (u64, u64),
    seen: FxHashSet<(u64, u64, Str)>,
    /// The linearization: each operation, and the state before it.
    stack: Vec<(usize, Str)>,
    state: Str,
    cur: Option<usize>,
    best: Option<Failure>,
    configurations: u64,
    /// Every operation that had to be placed is placed: linearizable so far.
    caught_up: bool,
    /// Found not linearizable (the failure itself is handed to the `Checker`).
    failed: bool,
    failure: Option<Failure>,
}

impl KeySearch {
    fn new(key: String) -> Self {
        KeySearch {
            key,
            ops: Vec::new(),
            live: 0,
            settled: 0,
            initial: Str::EMPTY,
            initial_value: String::new(),
            segments: Vec::new(),
            events: Vec::new(),
            open: OpenSet::default(),
            last: (0, false),
            linearized: (0, 0),
            seen: FxHashSet::default(),
            stack: Vec::new(),
            state: Str::EMPTY,
            cur: None,
            best: None,
            configurations: 0,
            caught_up: true,
            failed: false,
            failure: None,
        }
    }

    fn live_ops(&self) -> usize {
        self.live + self.settled
    }

    /// Take in this key's changes, in time order; returns the new operations' history and
    /// local indices, and whether the search started over.
    fn apply(
        &mut self,
        changes: impl Iterator<Item = Change>,
        history: &History,
    ) -> (Vec<(usize, usize)>, bool) {
        let mut added = Vec::new();
        let mut fresh: Vec<Change> = Vec::new();
        let mut index_of: FxHashMap<usize, usize> = FxHashMap::default();
        let mut touched = Vec::new();
        for c in changes {
            let h = &history[c.hist];
            let local = match c.kind {
                ChangeKind::Call => {
                    let local = self.ops.len();
                    let salt = 2 * c.hist as u64;
                    self.ops.push(Op {
                        hist: c.hist,
                        // Settled on arrival or not, what it did is known once its return
                        // is taken in.
                        input: input(h, false),
                        call_t: c.t,
                        ret_t: None,
                        call: usize::MAX,
                        ret: None,
                        depth: None,
                        gone: false,
                        carried: false,
                        zobrist: (splitmix(salt + 1), splitmix(salt + 2)),
                    });
                    self.live += 1;
                    added.push((c.hist, local));
                    index_of.insert(c.hist, local);
                    local
                }
                _ => index_of.get(&c.hist).copied().unwrap_or(c.local),
            };
            match c.kind {
                ChangeKind::Call => {}
                ChangeKind::Return => {
                    self.ops[local].ret_t = Some(c.t);
                    self.ops[local].input = input(h, true);
                }
                ChangeKind::Gone => {
                    self.ops[local].gone = true;
                    self.live -= 1;
                }
            }
            touched.push(local);
            fresh.push(Change { local, ..c });
        }
        if fresh.is_empty() {
            return (added, false);
        }
        // Events are appended in time order; one that would go before an event already
        // placed (an operation called at the very moment of an earlier check) reorders them
        // all, and the search starts over for this key.
        let first_call = fresh.iter().find(|c| c.kind == ChangeKind::Call);
        let first_ret = fresh.iter().find(|c| c.kind == ChangeKind::Return);
        let late = first_call
            .is_some_and(|c| c.t < self.last.0 || (c.t == self.last.0 && self.last.1))
            || first_ret.is_some_and(|c| c.t < self.last.0);
        if late {
            self.restart();
            return (added, true);
        }
        if self.failed {
            // Decided: the operations are kept only in case the key is laid out again.
            return (added, false);
        }
        for c in &fresh {
            let local = c.local;
            match c.kind {
                ChangeKind::Call => {
                    self.ops[local].call = self.open.push(true);
                    self.events.push((local, true));
                }
                ChangeKind::Return => {
                    let placed = self.ops[local].depth.is_some();
                    self.ops[local].ret = Some(self.open.push(!placed));
                    self.events.push((local, false));
                }
                ChangeKind::Gone => {}
            }
            if c.kind != ChangeKind::Gone {
                self.last = (
                    c.t,
                    c.t == self.last.0 && self.last.1 || c.kind == ChangeKind::Return,
                );
            }
        }
        // Undo the linearization from the first operation it placed that the news contradict:
        // one that failed, or whose outcome does not fit the state it was placed at.
        let contradicted = touched
            .iter()
            .filter_map(|&l| {
                let d = self.ops[l].depth?;
                let after = self.stack.get(d + 1).map_or(self.state, |s| s.1);
                let fits =
                    !self.ops[l].gone && self.ops[l].input.step(self.stack[d].1) == Some(after);
                (!fits).then_some(d)
            })
            .min();
        if let Some(d) = contradicted {
            while self.stack.len() > d {
                // Not a dead end: forget it, so that another way there can be tried.
                self.seen
                    .remove(&(self.linearized.0, self.linearized.1, self.state));
                self.pop();
            }
        }
        for &l in &touched {
            if self.ops[l].gone && self.ops[l].depth.is_none() {
                self.open.remove(self.ops[l].call);
            }
        }
        self.caught_up = false;
        self.cur = self.open.next(0);
        (added, false)
    }

    /// Lay every event out again in time order and search from scratch.
    fn restart(&mut self) {
        let mut order: Vec<(u64, bool, usize)> = Vec::new();
        for (i, op) in self.ops.iter().enumerate().filter(|(_, o)| !o.gone) {
            order.push((op.call_t, false, i));
            if let Some(t) = op.ret_t {
                order.push((t, true, i));
            }
        }
        order.sort_unstable();
        let mut fresh = KeySearch::new(std::mem::take(&mut self.key));
        fresh.ops = std::mem::take(&mut self.ops);
        fresh.live = self.live;
        fresh.settled = self.settled;
        fresh.state = self.initial;
        fresh.initial = self.initial;
        fresh.initial_value = std::mem::take(&mut self.initial_value);
        fresh.segments = std::mem::take(&mut self.segments);
        fresh.configurations = self.configurations;
        for op in &mut fresh.ops {
            op.depth = None;
        }
        for &(t, is_ret, i) in &order {
            let pos = fresh.open.push(true);
            fresh.events.push((i, !is_ret));
            if is_ret {
                fresh.ops[i].ret = Some(pos);
            } else {
                fresh.ops[i].call = pos;
            }
            fresh.last = (t, t == fresh.last.0 && fresh.last.1 || is_ret);
        }
        fresh.caught_up = false;
        fresh.cur = fresh.open.next(0);
        *self = fresh;
    }

    /// Cut a caught-up linearization at the latest operation that fixed the key's value with
    /// nothing on the key overlapping it in time: everything that returned before it was
    /// called comes before it in every order, everything called after it returned comes
    /// after, so the search can go on from its value alone. Operations that timed out before
    /// then may still take effect later: they are kept (`carried`, a copy of each kept
    /// there) and placed afresh. Returns the new index of every operation kept, or None if
    /// there is no such point.
    fn settle(
        &mut self,
        history: &History,
        is_pending: impl Fn(usize) -> bool,
        carried: &mut FxHashMap<usize, HistoryOp>,
    ) -> Option<Vec<(usize, usize)>> {
        // An operation still pending may yet return before any point: none may start before.
        let pending_from = (self.ops.iter())
            .filter(|o| !o.gone && o.ret_t.is_none() && is_pending(o.hist))
            .map(|o| o.call_t)
            .min()
            .unwrap_or(u64::MAX);
        // The latest few candidates, latest first: a point found once stays one.
        let cut = (self.stack.iter().rev().take(SETTLE_TRIES)).find_map(|&(x, _)| {
            let op = &self.ops[x];
            let ret = op
                .ret_t
                .filter(|&r| r < pending_from && op.input.forces())?;
            let alone = self.ops.iter().enumerate().all(|(i, o)| {
                i == x || o.gone || o.ret_t.is_none_or(|r| r < op.call_t) || o.call_t > ret
            });
            alone.then_some((x, ret))
        })?;
        let (x, ret) = cut;
        let h = history.get(self.ops[x].hist)?;
        let value = match (&h.op, &h.outcome) {
            (KvOp::Put { value, .. } | KvOp::Cas { to: value, .. }, _) => value.clone(),
            (KvOp::Get { .. }, Some(Outcome::Ok { value: Some(v) })) => v.clone(),
            _ => return None,
        };
        let keep = |i: usize, o: &Op| i != x && !o.gone && (o.call_t > ret || o.ret_t.is_none());
        let newly_carried: Vec<(usize, HistoryOp)> = (self.ops.iter().enumerate())
            .filter(|&(i, o)| keep(i, o) && o.call_t <= ret && !o.carried)
            .map(|(_, o)| Some((o.hist, history.get(o.hist)?.clone())))
            .collect::<Option<_>>()?;
        // The order up to the cut, for the views.
        let depth = self.ops[x].depth.expect("placed");
        let order = (self.stack[..=depth].iter())
            .map(|&(o, _)| self.ops[o].hist)
            .collect();
        let mut kept = Vec::new();
        for (i, mut o) in std::mem::take(&mut self.ops).into_iter().enumerate() {
            if !keep(i, &o) {
                if !o.gone {
                    self.settled += 1;
                    self.live -= 1;
                }
                continue;
            }
            o.carried |= o.call_t <= ret;
            kept.push(o);
        }
        carried.extend(newly_carried);
        self.segments
            .push((std::mem::replace(&mut self.initial_value, value), order));
        self.segments
            .retain(|(_, ops)| ops.iter().any(|&i| i >= history.forgotten));
        self.ops = kept;
        self.initial = Str::of(&self.initial_value).0;
        self.restart();
        Some(
            self.ops
                .iter()
                .enumerate()
                .map(|(i, o)| (o.hist, i))
                .collect(),
        )
    }

    /// Run up to `steps` steps; returns how many ran. Sets `caught_up` or `failure` once
    /// decided.
    fn run(&mut self, steps: u64) -> u64 {
        let mut done = 0;
        while done < steps && !self.caught_up {
            let Some(cur) = self.cur else {
                self.caught_up = true;
                break;
            };
            done += 1;
            if let Err(f) = self.step(cur) {
                self.failure = Some(f);
                self.failed = true;
                self.caught_up = true;
                break;
            }
        }
        self.configurations += done;
        done
    }

    /// One step of the search: try the event at the cursor, or backtrack.
    fn step(&mut self, cur: usize) -> Result<(), Failure> {
        let (op, is_call) = self.events[cur];
        if is_call {
            if let Some(next_state) = self.ops[op].input.step(self.state) {
                let (a, b) = self.ops[op].zobrist;
                let with = (self.linearized.0 ^ a, self.linearized.1 ^ b);
                if self.seen.insert((with.0, with.1, next_state)) {
                    self.ops[op].depth = Some(self.stack.len());
                    self.stack.push((op, self.state));
                    self.state = next_state;
                    self.linearized = with;
                    self.open.remove(self.ops[op].call);
                    if let Some(r) = self.ops[op].ret {
                        self.open.remove(r);
                    }
                    self.cur = self.open.next(0);
                    return Ok(());
                }
            }
            self.cur = self.open.next(cur + 1);
            return Ok(());
        }
        // The earliest pending return: its operation had to be placed by now.
        if self
            .best
            .as_ref()
            .is_none_or(|b| self.stack.len() > b.linearized)
        {
            let mut stuck = vec![self.ops[op].hist];
            let mut c = self.open.next(0);
            while let Some(at) = c.filter(|&at| at < cur) {
                let (o, call) = self.events[at];
                if call && o != op {
                    stuck.push(self.ops[o].hist);
                }
                c = self.open.next(at + 1);
            }
            self.best = Some(Failure {
                key: String::new(),
                linearized: self.stack.len(),
                of: self.live_ops(),
                stuck,
                prefix: self.stack.iter().map(|&(o, _)| self.ops[o].hist).collect(),
            });
        }
        let Some(call) = self.pop() else {
            return Err(self.best.take().expect("set just above"));
        };
        self.cur = self.open.next(call + 1);
        Ok(())
    }

    /// Take the last operation out of the linearization; the position of its call.
    fn pop(&mut self) -> Option<usize> {
        let (op, prev_state) = self.stack.pop()?;
        self.state = prev_state;
        let o = &mut self.ops[op];
        self.linearized = (
            self.linearized.0 ^ o.zobrist.0,
            self.linearized.1 ^ o.zobrist.1,
        );
        o.depth = None;
        if !o.gone {
            self.open.insert(o.call);
            if let Some(r) = o.ret {
                self.open.insert(r);
            }
        }
        Some(o.call)
    }
}

/// A well-mixed 64-bit word from a counter (Steele et al.'s SplitMix64).
fn splitmix(i: u64) -> u64 {
    let mut z = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::HistoryOp;
    use std::collections::BTreeMap;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn op(client: usize, op: KvOp, call: u64, ret: Option<u64>, outcome: Outcome) -> HistoryOp {
        HistoryOp {
            client,
            op,
            invoke_t: call,
            complete_t: ret,
            outcome: Some(outcome),
            cas_failed: false,
            node: None,
        }
    }
    fn put(v: &str) -> KvOp {
        KvOp::Put {
            key: "x".into(),
            value: v.into(),
        }
    }
    fn get() -> KvOp {
        KvOp::get("x")
    }
    fn ok() -> Outcome {
        Outcome::Ok { value: None }
    }
    fn read(v: &str) -> Outcome {
        Outcome::Ok {
            value: Some(v.into()),
        }
    }

    #[test]
    fn concurrent_reads_may_see_either_side_of_a_write() {
        let h = History::new(vec![
            op(0, put("1"), 0, Some(10), ok()),
            op(1, get(), 1, Some(2), read("1")),
            op(2, get(), 3, Some(4), read("")),
        ]);
        // read "1" then read "" would need the write to be undone: not linearizable.
        assert!(!check(&h).linearizable);
        let h = History::new(vec![
            op(0, put("1"), 0, Some(10), ok()),
            op(1, get(), 1, Some(2), read("")),
            op(2, get(), 3, Some(4), read("1")),
        ]);
        assert!(check(&h).linearizable);
    }

    #[test]
    fn a_stale_read_after_an_acknowledged_write_is_caught_and_explained() {
        let h = History::new(vec![
            op(0, put("1"), 0, Some(1), ok()),
            op(1, get(), 2, Some(3), read("")),
        ]);
        let v = check(&h);
        assert!(!v.linearizable);
        let f = v.failure.unwrap();
        assert_eq!(f.key, "x");
        assert_eq!(
            f.stuck[0], 1,
            "the stale read is the operation that cannot be placed"
        );
    }

    /// Only a consistent read promises a linearizable answer: the same stale answer is a
    /// violation from a consistent read, and nothing from a default or stale one.
    #[test]
    fn only_consistent_reads_are_held_to_linearizability() {
        for mode in QueryMode::ALL {
            let h = History::new(vec![
                op(0, put("1"), 0, Some(1), ok()),
                op(
                    1,
                    KvOp::Get {
                        key: "x".into(),
                        mode,
                    },
                    2,
                    Some(3),
                    read(""),
                ),
            ]);
            let v = check(&h);
            assert_eq!(v.linearizable, mode != QueryMode::Consistent, "{mode:?}");
            assert_eq!(v.ops, if mode == QueryMode::Consistent { 2 } else { 1 });
        }
    }

    #[test]
    fn a_timed_out_write_may_or_may_not_have_happened() {
        let lost = op(0, put("1"), 0, None, Outcome::Info);
        let h = History::new(vec![lost.clone(), op(1, get(), 5, Some(6), read(""))]);
        assert!(check(&h).linearizable);
        let h = History::new(vec![
            lost,
            op(1, get(), 5, Some(6), read("1")),
            op(1, get(), 7, Some(8), read("")),
        ]);
        assert!(!check(&h).linearizable, "once seen, it cannot un-happen");
    }

    #[test]
    fn failed_operations_are_ignored_and_failed_cas_observes_a_mismatch() {
        let h = History::new(vec![
            op(0, put("1"), 0, Some(1), Outcome::Fail),
            op(1, get(), 2, Some(3), read("")),
        ]);
        assert!(check(&h).linearizable);
        let mut cas = op(
            0,
            KvOp::Cas {
                key: "x".into(),
                from: "".into(),
                to: "2".into(),
            },
            0,
            Some(1),
            ok(),
        );
        cas.cas_failed = true;
        let h = History::new(vec![cas, op(1, get(), 2, Some(3), read(""))]);
        assert!(
            !check(&h).linearizable,
            "the value was '' so the cas must have swapped"
        );
    }

    #[test]
    fn appends_accumulate() {
        let app = |v: &str| KvOp::Append {
            key: "x".into(),
            value: v.into(),
        };
        let h = History::new(vec![
            op(0, app("a"), 0, Some(5), ok()),
            op(1, app("b"), 0, Some(5), ok()),
            op(2, get(), 6, Some(7), read("ba")),
        ]);
        assert!(check(&h).linearizable);
        let h = History::new(vec![
            op(0, app("a"), 0, Some(1), ok()),
            op(1, app("b"), 2, Some(3), ok()),
            op(2, get(), 6, Some(7), read("ba")),
        ]);
        assert!(!check(&h).linearizable);
    }

    /// Linearizability by brute force: every order of the operations that respects real time,
    /// with every choice of which timed-out writes took effect, run through a plain string
    /// model. Only for a handful of operations.
    fn brute_force(h: &History) -> bool {
        let ops: Vec<&HistoryOp> = (h.ops.iter())
            .filter(|o| o.outcome != Some(Outcome::Fail))
            .filter(|o| !(o.op.is_read() && matches!(o.outcome, Some(Outcome::Info) | None)))
            .collect();
        let ret = |o: &HistoryOp| match o.outcome {
            Some(Outcome::Info) | None => u64::MAX,
            _ => o.complete_t.unwrap_or(u64::MAX),
        };
        fn search(
            ops: &[&HistoryOp],
            ret: &dyn Fn(&HistoryOp) -> u64,
            placed: &mut Vec<bool>,
            state: &mut BTreeMap<String, String>,
        ) -> bool {
            let open: Vec<usize> = (0..ops.len()).filter(|&i| !placed[i]).collect();
            // Every operation that must still take effect is placed: done. Timed-out ones may
            // never take effect.
            if open
                .iter()
                .all(|&i| matches!(ops[i].outcome, Some(Outcome::Info) | None))
            {
                return true;
            }
            for &i in &open {
                // Nothing still open may have returned before this one was called.
                if open
                    .iter()
                    .any(|&j| j != i && ret(ops[j]) < ops[i].invoke_t)
                {
                    continue;
                }
                let o = ops[i];
                let key = o.op.key().to_string();
                let cur = state.get(&key).cloned().unwrap_or_default();
                let next = match (&o.op, &o.outcome) {
                    (KvOp::Get { .. }, Some(Outcome::Ok { value })) => {
                        if value.as_deref().is_some_and(|v| v != cur) {
                            continue;
                        }
                        cur.clone()
                    }
                    (KvOp::Get { .. }, _) => cur.clone(),
                    (KvOp::Put { value, .. }, _) => value.clone(),
                    (KvOp::Append { value, .. }, _) => format!("{cur}{value}"),
                    (KvOp::Cas { from, to, .. }, outcome) => {
                        let matches = *from == cur;
                        let known = matches!(outcome, Some(Outcome::Ok { .. }));
                        if known && matches == o.cas_failed {
                            continue;
                        }
                        if matches {
                            to.clone()
                        } else {
                            cur.clone()
                        }
                    }
                };
                placed[i] = true;
                state.insert(key.clone(), next);
                let ok = search(ops, ret, placed, state);
                state.insert(key, cur);
                placed[i] = false;
                if ok {
                    return true;
                }
            }
            false
        }
        search(
            &ops,
            &ret,
            &mut vec![false; ops.len()],
            &mut BTreeMap::new(),
        )
    }

    fn random_history(rng: &mut crate::engine::Rng) -> History {
        use rand::Rng as _;
        let values = ["", "a", "b", "ab", "ba"];
        let pick =
            |rng: &mut crate::engine::Rng| values[rng.gen_range(0..values.len())].to_string();
        let n = rng.gen_range(1..=8);
        let ops = (0..n)
            .map(|c| {
                let key = ["x", "y"][rng.gen_range(0..2)].to_string();
                let op = match rng.gen_range(0..4) {
                    0 => KvOp::get(key),
                    1 => KvOp::Put {
                        key,
                        value: pick(rng),
                    },
                    2 => KvOp::Append {
                        key,
                        value: pick(rng),
                    },
                    _ => KvOp::Cas {
                        key,
                        from: pick(rng),
                        to: pick(rng),
                    },
                };
                let call = rng.gen_range(0..20);
                let outcome = match rng.gen_range(0..20) {
                    0..=2 => Outcome::Info,
                    3..=4 => Outcome::Fail,
                    _ if op.is_read() => Outcome::Ok {
                        value: Some(pick(rng)),
                    },
                    _ => Outcome::Ok { value: None },
                };
                let mut o = HistoryOp {
                    client: c,
                    op,
                    invoke_t: call,
                    complete_t: Some(call + rng.gen_range(0..10)),
                    outcome: Some(outcome),
                    cas_failed: rng.gen_bool(0.4),
                    node: None,
                };
                if o.outcome == Some(Outcome::Info) {
                    o.complete_t = None;
                }
                o
            })
            .collect();
        History::new(ops)
    }

    /// The search against brute force on thousands of random small histories (puts, reads,
    /// appends, compare-and-sets on two keys; timeouts and failures), with both verdicts common.
    #[test]
    fn agrees_with_brute_force_on_thousands_of_small_histories() {
        use rand::SeedableRng as _;
        let mut rng = crate::engine::Rng::seed_from_u64(10);
        let (mut yes, mut no) = (0, 0);
        for i in 0..5_000 {
            let h = random_history(&mut rng);
            let expected = brute_force(&h);
            assert_eq!(check(&h).linearizable, expected, "history {i}: {h:#?}");
            // Sliced into single steps, the search decides the same.
            let mut c = Checker::new(&h);
            let sliced = loop {
                if let Some(v) = c.run(1) {
                    break v;
                }
            };
            assert_eq!(
                sliced.linearizable, expected,
                "history {i}, one step at a time"
            );
            if expected {
                yes += 1;
            } else {
                no += 1;
            }
        }
        assert!(yes > 1_000 && no > 1_000, "{yes} linearizable, {no} not");
    }

    /// The history as it stood at time `t`: what was called by then, with what had not
    /// returned yet still pending (so a timeout or a failure shows as pending first).
    fn as_of(h: &History, t: u64) -> History {
        let ops = (h.ops.iter())
            .filter(|o| o.invoke_t <= t)
            .map(|o| {
                let mut o = o.clone();
                if o.complete_t.is_none_or(|c| c > t) {
                    o.outcome = None;
                    o.complete_t = None;
                }
                o
            })
            .collect();
        History::new(ops)
    }

    fn decide(c: &mut Checker) -> Verdict {
        loop {
            if let Some(v) = c.run(7) {
                return v;
            }
        }
    }

    /// A checker that follows a growing history says at every moment what a fresh check of
    /// the history so far says (and brute force agrees): as time passes (operations pending,
    /// then settled), and as operations arrive out of time order (the search lays its events
    /// out again). So does one that settles whenever it can and is shown only the history it
    /// still needs.
    #[test]
    fn following_a_growing_history_agrees_with_checking_it_afresh() {
        use rand::SeedableRng as _;
        let mut rng = crate::engine::Rng::seed_from_u64(11);
        let (mut yes, mut no, mut undone, mut let_go) = (0, 0, 0, 0);
        for i in 0..3_000 {
            let mut h = random_history(&mut rng);
            h.ops.sort_by_key(|o| o.invoke_t);
            let mut live = Checker::new(&History::default());
            // One that forgets all it remembers whenever it catches up.
            let mut forgetful = Checker::new(&History::default());
            forgetful.forget_at = 0;
            let mut settling = Checker::new(&History::default());
            for t in 0..=30 {
                let now = as_of(&h, t);
                live.observe(&now);
                forgetful.observe(&now);
                let mut held = now.clone();
                held.forget_before(settling.needed_from());
                settling.settle(&held);
                settling.observe(&held);
                let expected = brute_force(&now);
                let v = decide(&mut settling);
                assert_eq!(v.linearizable, expected, "settling, history {i} at {t}");
                assert_eq!(v.ops, decide(&mut live).ops, "history {i} at {t}");
                assert_eq!(
                    decide(&mut live).linearizable,
                    expected,
                    "history {i} at {t}: {now:#?}"
                );
                assert_eq!(
                    decide(&mut forgetful).linearizable,
                    expected,
                    "forgetful, history {i} at {t}"
                );
                assert_eq!(check(&now).linearizable, expected, "history {i} at {t}");
            }
            live.observe(&h);
            let expected = brute_force(&h);
            assert_eq!(
                decide(&mut live).linearizable,
                expected,
                "history {i}: {h:#?}"
            );
            undone += usize::from(
                live.keys
                    .iter()
                    .any(|k| k.configurations > 2 * k.ops.len() as u64),
            );
            let_go += settling.keys.iter().map(|k| k.settled).sum::<usize>();
            // Operations arriving in any order of time, settled.
            let mut c = Checker::new(&History::default());
            for n in 0..=h.ops.len() {
                let prefix = History::new(h.ops[..n].to_vec());
                c.observe(&prefix);
                assert_eq!(
                    decide(&mut c).linearizable,
                    brute_force(&prefix),
                    "history {i}, {n} ops"
                );
            }
            if expected {
                yes += 1;
            } else {
                no += 1;
            }
        }
        assert!(
            yes > 500 && no > 500 && undone > 100 && let_go > 1_000,
            "{yes} linearizable, {no} not, {undone} backtracked, {let_go} let go by settling"
        );
    }

    /// Settling at a write keeps a write that timed out before it: that one may still take
    /// effect after, and a read of its value later is linearizable. A value that no order
    /// can leave is still caught, and the operations let go are still counted.
    #[test]
    fn settling_keeps_timed_out_writes_and_still_catches_violations() {
        let lost = op(0, put("a"), 0, Some(3), Outcome::Info);
        let before = vec![lost, op(1, put("b"), 1, Some(2), ok())];
        for (seen, linearizable) in [("a", true), ("b", true), ("", false)] {
            let mut h = History::new(before.clone());
            let mut c = Checker::new(&h);
            assert!(decide(&mut c).linearizable);
            c.settle(&h);
            assert_eq!(c.keys[0].settled, 1, "the write of b is let go");
            assert_eq!(c.needed_from(), 2, "nothing before is looked at again");
            h.ops.push(op(2, get(), 5, Some(6), read(seen)));
            h.forget_before(c.needed_from());
            c.observe(&h);
            let v = decide(&mut c);
            assert_eq!(v.linearizable, linearizable, "a read of {seen:?}");
            assert_eq!(v.ops, 3);
        }
    }

    /// Generated 50-client histories (reads, writes and appends on 10 keys): linearizable as
    /// made, and caught once a read near the end is changed to a value the key never held.
    #[test]
    fn generated_histories_with_and_without_a_planted_violation() {
        use crate::check::random_history::{random_history, Shape};
        for seed in 1..=3 {
            let shape = Shape {
                clients: 50,
                keys: 10,
                ops: 2_000,
                violation: false,
            };
            assert!(
                check(&random_history(seed, shape)).linearizable,
                "seed {seed}"
            );
            let v = check(&random_history(
                seed,
                Shape {
                    violation: true,
                    ..shape
                },
            ));
            assert!(!v.linearizable && v.failure.is_some(), "seed {seed}: {v:?}");
        }
    }

    /// A search that may remember little gives up on a hard history and says so: unknown,
    /// with the key it was on, and no verdict either way.
    #[test]
    fn a_search_out_of_memory_answers_unknown() {
        use crate::check::random_history::{random_history, Shape};
        let shape = Shape {
            clients: 100,
            keys: 10,
            ops: 5_000,
            violation: true,
        };
        let h = random_history(1, shape);
        let mut c = Checker::new(&h).with_memo_limit(50_000);
        let v = loop {
            if let Some(v) = c.run(1 << 16) {
                break v;
            }
        };
        let u = v.unknown.as_ref().expect("gave up");
        assert!(!v.linearizable && v.failure.is_none(), "{v:?}");
        assert!(u.configurations >= 50_000 && !u.key.is_empty(), "{u:?}");
    }
}
