//! `lab`: the headless runner. Runs seeded simulations, explores many seeds under random
//! faults, and checks recorded histories for linearizability.

use consensus_lab::check::{history_files, linearizability};
use consensus_lab::export::write_history;
use consensus_lab::import::HistoryFormat;
use consensus_lab::protocols::causal::{CausalBug, CausalConfig};
use consensus_lab::protocols::consul::ConsulConfig;
use consensus_lab::protocols::gossip::GossipConfig;
use consensus_lab::protocols::raft::{Bug, RaftConfig, ReadMode};
use consensus_lab::protocols::swim::SwimConfig;
use consensus_lab::runner::{self, Faults, Protocol, RunOptions, Summary};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage:
  lab run --protocol raft|gossip|causal|swim|consul --nodes N --seed S --time 60s [--faults none|random] [--trace FILE]
          [--history FILE [--history-format kv|jepsen]] [OPTIONS]
  lab explore --protocol raft|gossip|causal|swim|consul --nodes N --seeds A..B --time T [--faults random|none] [OPTIONS]
  lab check-history --model register|kv [--timeout 10s] FILE   (exit 0 linearizable, 1 not, 3 unknown)
raft: --pre-vote --check-quorum --read safe|lease --compact-after N
      --membership (with --faults random; turns on pre-vote, check-quorum and --compact-after 10)
      --bug forget-vote|ack-before-commit|joint-quorum
gossip: --fanout K --multi-value    causal: --bug no-dependency-wait
consul: --servers S (default 3; the other nodes are client agents)
Times take a unit: 500ms, 30s, 2m.";

/// The longest argument read (a path or a value): messages quote arguments whole.
const MAX_ARG_BYTES: usize = 4096;

fn main() -> ExitCode {
    // Refused whole rather than echoed: an argument too long to quote, or not text.
    let args: Result<Vec<String>, String> = std::env::args_os()
        .skip(1)
        .enumerate()
        .map(|(i, a)| match a.into_string() {
            Ok(a) if a.len() <= MAX_ARG_BYTES => Ok(a),
            Ok(a) => Err(format!(
                "argument {} is {} bytes long; at most {MAX_ARG_BYTES} are read",
                i + 1,
                a.len()
            )),
            Err(_) => Err(format!("argument {} is not valid UTF-8", i + 1)),
        })
        .collect();
    match args.and_then(|args| dispatch(&args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lab: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Flags and their values, refusing anything unknown.
struct Args<'a> {
    rest: &'a [String],
    used: Vec<bool>,
}

impl<'a> Args<'a> {
    fn new(rest: &'a [String]) -> Self {
        Args {
            rest,
            used: vec![false; rest.len()],
        }
    }
    fn flag(&mut self, name: &str) -> bool {
        match self.rest.iter().position(|a| a == name) {
            Some(i) => {
                self.used[i] = true;
                true
            }
            None => false,
        }
    }
    fn value(&mut self, name: &str) -> Result<Option<&'a str>, String> {
        let Some(i) = self.rest.iter().position(|a| a == name) else {
            return Ok(None);
        };
        let v = self
            .rest
            .get(i + 1)
            .filter(|v| !v.starts_with("--"))
            .ok_or(format!("{name} needs a value"))?;
        self.used[i] = true;
        self.used[i + 1] = true;
        Ok(Some(v))
    }
    fn positional(&mut self) -> Option<&'a str> {
        let i = (0..self.rest.len()).find(|&i| !self.used[i] && !self.rest[i].starts_with("--"))?;
        self.used[i] = true;
        Some(&self.rest[i])
    }
    fn finish(&self) -> Result<(), String> {
        match (0..self.rest.len()).find(|&i| !self.used[i]) {
            Some(i) => Err(format!("unexpected argument {:?}", self.rest[i])),
            None => Ok(()),
        }
    }
}

fn parse_duration(s: &str) -> Result<u64, String> {
    let err = || format!("bad duration {s:?}: use a number with ms, s or m, like 30s");
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1_000)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000)
    } else {
        return Err(err());
    };
    let v: u64 = num.parse().map_err(|_| err())?;
    match v.checked_mul(mult) {
        Some(ms) if ms > 0 => Ok(ms),
        _ => Err(format!("duration {s:?} must be at least 1ms")),
    }
}

fn parse_num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{name} must be a whole number, got {v:?}"))
}

/// Options shared by run and explore.
fn sim_options(a: &mut Args) -> Result<(RunOptions, Option<String>), String> {
    let protocol = a.value("--protocol")?.unwrap_or("raft");
    let nodes: usize = a
        .value("--nodes")?
        .map(|v| parse_num("--nodes", v))
        .transpose()?
        .unwrap_or(5);
    let time_ms = a
        .value("--time")?
        .map(parse_duration)
        .transpose()?
        .unwrap_or(30_000);
    let membership = a.flag("--membership");
    let faults =
        match (a.value("--faults")?, membership) {
            (Some("random"), true) => Faults::RandomWithMembership,
            (_, true) => return Err(
                "--membership adds changes to the random fault schedule: give --faults random too"
                    .into(),
            ),
            (None | Some("none"), false) => Faults::None,
            (Some("random"), false) => Faults::Random,
            (Some(f), false) => return Err(format!("unknown --faults {f:?} (none|random)")),
        };
    let (pre_vote, check_quorum, read, bug) = (
        a.flag("--pre-vote"),
        a.flag("--check-quorum"),
        a.value("--read")?,
        a.value("--bug")?,
    );
    let fanout = a
        .value("--fanout")?
        .map(|v| parse_num::<usize>("--fanout", v))
        .transpose()?;
    let multi_value = a.flag("--multi-value");
    let servers = a
        .value("--servers")?
        .map(|v| parse_num::<usize>("--servers", v))
        .transpose()?;
    if servers.is_some() && protocol != "consul" {
        return Err("--servers applies to --protocol consul".into());
    }
    let compact_after = a
        .value("--compact-after")?
        .map(|v| parse_num::<u64>("--compact-after", v))
        .transpose()?;
    let raft_only =
        pre_vote || check_quorum || read.is_some() || compact_after.is_some() || membership;
    let protocol = match protocol {
        "raft" => {
            // Membership changes run as etcd runs them: with pre-vote and check-quorum, without
            // which a node removed before it heard of its removal keeps standing for election
            // and deposing the leader (the Raft thesis, 4.2.3).
            let mut raft = RaftConfig {
                pre_vote: pre_vote || membership,
                check_quorum: check_quorum || membership,
                // Membership changes come with compaction unless told otherwise.
                compact_after: compact_after.unwrap_or(if membership { 10 } else { 0 }),
                ..RaftConfig::default()
            };
            raft.read_mode = match read {
                None | Some("safe") => ReadMode::Safe,
                Some("lease") => ReadMode::LeaseBased,
                Some(r) => return Err(format!("unknown --read {r:?} (safe|lease)")),
            };
            raft.bug = match bug {
                None => None,
                Some("forget-vote") => Some(Bug::ForgetVoteOnRestart),
                Some("ack-before-commit") => Some(Bug::AckBeforeCommit),
                Some("joint-quorum") => Some(Bug::JointQuorum),
                Some(b) => {
                    return Err(format!(
                        "unknown --bug {b:?} for raft (forget-vote|ack-before-commit|joint-quorum)"
                    ))
                }
            };
            if fanout.is_some() || multi_value {
                return Err("--fanout and --multi-value apply to --protocol gossip".into());
            }
            Protocol::Raft(raft)
        }
        "gossip" if raft_only || bug.is_some() => {
            return Err(
                "--pre-vote, --check-quorum, --read, --compact-after, --membership and --bug do not apply to gossip".into(),
            )
        }
        "gossip" => {
            let fanout = fanout.unwrap_or(1);
            if fanout == 0 || fanout >= nodes.max(2) {
                return Err(format!(
                    "--fanout must be between 1 and {}",
                    nodes.max(2) - 1
                ));
            }
            Protocol::Gossip(GossipConfig {
                fanout,
                multi_value,
                ..GossipConfig::default()
            })
        }
        "causal" if raft_only || fanout.is_some() || multi_value => return Err(
            "--pre-vote, --check-quorum, --read, --compact-after, --membership, --fanout and --multi-value do not apply to causal"
                .into(),
        ),
        "causal" => Protocol::Causal(CausalConfig {
            bug: match bug {
                None => None,
                Some("no-dependency-wait") => Some(CausalBug::NoDependencyWait),
                Some(b) => {
                    return Err(format!(
                        "unknown --bug {b:?} for causal (no-dependency-wait)"
                    ))
                }
            },
            ..CausalConfig::default()
        }),
        "swim" if raft_only || fanout.is_some() || multi_value || bug.is_some() => return Err(
            "--pre-vote, --check-quorum, --read, --compact-after, --membership, --fanout, --multi-value and --bug do not apply to swim"
                .into(),
        ),
        "swim" => Protocol::Swim(SwimConfig::default()),
        "consul" if raft_only || fanout.is_some() || multi_value || bug.is_some() => return Err(
            "--pre-vote, --check-quorum, --read, --compact-after, --membership, --fanout, --multi-value and --bug do not apply to consul (its servers run pre-vote and check-quorum)"
                .into(),
        ),
        "consul" => {
            let servers = servers.unwrap_or(3);
            if !(1..=7).contains(&servers) || servers > nodes {
                return Err(format!(
                    "--servers must be between 1 and 7, and at most --nodes ({nodes}); got {servers}"
                ));
            }
            Protocol::Consul(ConsulConfig {
                servers,
                ..ConsulConfig::default()
            })
        }
        p => return Err(format!("unknown protocol {p:?} (raft|gossip|causal|swim|consul)")),
    };
    let trace = a.value("--trace")?.map(String::from);
    let o = RunOptions {
        nodes,
        seed: 0,
        time_ms,
        faults,
        protocol,
    };
    o.validate()?;
    if trace.is_some() {
        runner::trace_fits(&o)?;
    }
    Ok((o, trace))
}

/// The largest history file read: its operations, the checker's memo and the linearization
/// found all fit in a few hundred MB.
const MAX_HISTORY_BYTES: u64 = 64 << 20;

fn read_history(file: &str) -> Result<String, String> {
    let size = std::fs::metadata(file)
        .map_err(|e| format!("cannot read {file}: {e}"))?
        .len();
    if size > MAX_HISTORY_BYTES {
        return Err(format!(
            "{file} is {} MB; histories of at most {} MB are read",
            size >> 20,
            MAX_HISTORY_BYTES >> 20
        ));
    }
    std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))
}

/// The command that replays one seed exactly.
fn replay_command(o: &RunOptions) -> String {
    let mut c = format!(
        "cargo run --release --bin lab -- run --protocol {} --nodes {} --seed {} --time {}ms",
        o.protocol.name(),
        o.nodes,
        o.seed,
        o.time_ms
    );
    match o.faults {
        Faults::None => {}
        Faults::Random => c += " --faults random",
        Faults::RandomWithMembership => c += " --faults random --membership",
    }
    match &o.protocol {
        Protocol::Raft(r) => {
            if r.pre_vote {
                c += " --pre-vote";
            }
            if r.check_quorum {
                c += " --check-quorum";
            }
            if r.read_mode == ReadMode::LeaseBased {
                c += " --read lease";
            }
            if r.compact_after > 0 {
                c += &format!(" --compact-after {}", r.compact_after);
            }
            match r.bug {
                Some(Bug::ForgetVoteOnRestart) => c += " --bug forget-vote",
                Some(Bug::AckBeforeCommit) => c += " --bug ack-before-commit",
                Some(Bug::JointQuorum) => c += " --bug joint-quorum",
                None => {}
            }
        }
        Protocol::Gossip(g) => {
            c += &format!(" --fanout {}", g.fanout);
            if g.multi_value {
                c += " --multi-value";
            }
        }
        Protocol::Causal(k) => {
            if k.bug == Some(CausalBug::NoDependencyWait) {
                c += " --bug no-dependency-wait";
            }
        }
        Protocol::Swim(_) => {}
        Protocol::Consul(k) => c += &format!(" --servers {}", k.servers),
    }
    c
}

fn print_summary(s: &Summary, wall: Instant) {
    let mut v = serde_json::to_value(s).expect("a summary serializes");
    v["wall_ms"] = (wall.elapsed().as_millis() as u64).into();
    println!("{v}");
}

fn dispatch(args: &[String]) -> Result<ExitCode, String> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err("no command given".into());
    };
    let mut a = Args::new(rest);
    let wall = Instant::now();
    match cmd.as_str() {
        "run" => {
            let (mut o, trace) = sim_options(&mut a)?;
            o.seed = parse_num("--seed", a.value("--seed")?.ok_or("--seed is required")?)?;
            let history = a.value("--history")?.map(String::from);
            let format = match a.value("--history-format")? {
                None | Some("kv") => HistoryFormat::Kv,
                Some("jepsen") => HistoryFormat::Jepsen,
                Some(f) => return Err(format!("unknown --history-format {f:?} (kv|jepsen)")),
            };
            a.finish()?;
            let r = runner::run(&o, trace.is_some())?;
            if let (Some(path), Some(json)) = (trace, &r.trace) {
                std::fs::write(&path, json).map_err(|e| format!("cannot write {path}: {e}"))?;
            }
            if let Some(path) = history {
                // A Jepsen log holds one key: the one that broke linearizability, if one did.
                let broken = linearizability::check(&r.history).failure.map(|f| f.key);
                let w = write_history(&r.history, format, broken.as_deref())
                    .map_err(|e| format!("cannot write the history as {}: {e}", format.name()))?;
                std::fs::write(&path, &w.text).map_err(|e| format!("cannot write {path}: {e}"))?;
                if let Some(k) = w.only_key {
                    eprintln!("{path} holds key {k} only: a Jepsen etcd log holds one register");
                }
            }
            for p in &r.problems {
                println!("violation at {} ms: {}: {}", p.t, p.property, p.detail);
            }
            print_summary(&r.summary, wall);
            Ok(if r.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        "explore" => {
            let (o, trace) = sim_options(&mut a)?;
            if trace.is_some() {
                return Err(
                    "--trace goes with `lab run` (replay one seed to get its trace)".into(),
                );
            }
            let seeds = a.value("--seeds")?.ok_or("--seeds A..B is required")?;
            let (lo, hi) = seeds
                .split_once("..")
                .ok_or(format!("--seeds must look like 1..2000, got {seeds:?}"))?;
            let (lo, hi): (u64, u64) = (parse_num("--seeds", lo)?, parse_num("--seeds", hi)?);
            if lo > hi {
                return Err(format!("--seeds {lo}..{hi} is empty"));
            }
            if hi - lo >= MAX_SEEDS {
                return Err(format!(
                    "--seeds {lo}..{hi} names {} seeds; explore at most {MAX_SEEDS} at a time",
                    u128::from(hi - lo) + 1
                ));
            }
            a.finish()?;
            explore(&o, lo, hi - lo + 1, wall)
        }
        "check-history" => {
            let model = a
                .value("--model")?
                .ok_or("--model register|kv is required")?;
            let timeout = a.value("--timeout")?.map(parse_duration).transpose()?;
            let file = a.positional().ok_or("a history FILE is required")?;
            a.finish()?;
            let text = read_history(file)?;
            let history = match model {
                "register" => history_files::parse_jepsen_register(&text),
                "kv" => history_files::parse_edn_kv(&text),
                m => return Err(format!("unknown --model {m:?} (register|kv)")),
            }
            .map_err(|e| format!("{file}: {e}"))?;
            // In slices, so that the time limit is looked at as the search goes.
            let started = Instant::now();
            let mut checker = linearizability::Checker::new(&history);
            let v = loop {
                if let Some(v) = checker.run(1 << 16) {
                    break v;
                }
                if timeout.is_some_and(|ms| started.elapsed().as_millis() >= u128::from(ms)) {
                    break checker.stop();
                }
            };
            if let Some(u) = &v.unknown {
                println!(
                    "unknown: gave up after {} configurations in {:.1} s (key {:?} undecided)",
                    u.configurations,
                    started.elapsed().as_secs_f64(),
                    u.key
                );
                return Ok(ExitCode::from(3));
            }
            if v.linearizable {
                println!("linearizable: {} operations over {} keys", v.ops, v.keys);
                return Ok(ExitCode::SUCCESS);
            }
            let f = v.failure.expect("explained");
            println!(
                "not linearizable: key {:?}: at most {} of its {} operations can be ordered",
                f.key, f.linearized, f.of
            );
            for (n, &i) in f.stuck.iter().enumerate() {
                let what = if n == 0 {
                    "cannot be placed:"
                } else {
                    "concurrent:"
                };
                println!("  {what} {}", runner::describe_op(&history, i));
            }
            Ok(ExitCode::from(1))
        }
        "--help" | "-h" | "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command {other:?}")),
    }
}

/// The most seeds one `explore` runs (a few hours on two cores at the default time).
const MAX_SEEDS: u64 = 1_000_000;

/// The `count` seeds from `lo`, split across the cores; stops at the first violating seed.
fn explore(o: &RunOptions, lo: u64, count: u64, wall: Instant) -> Result<ExitCode, String> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(count as usize);
    // Counts seeds run, not seed values, so that a range ending at u64::MAX cannot wrap.
    let next = std::sync::atomic::AtomicU64::new(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let results = std::sync::Mutex::new((Summary::default(), Vec::<(u64, String)>::new()));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count || stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let seed = lo + i;
                let o = RunOptions { seed, ..o.clone() };
                let r = runner::run(&o, false).expect("options were validated");
                let mut res = results.lock().expect("no thread panics holding it");
                res.0.add(&r.summary);
                if let Some(p) = r.problems.first() {
                    res.1.push((
                        seed,
                        format!(
                            "seed {seed}: {} at {} ms: {}\n  replay: {}",
                            p.property,
                            p.t,
                            p.detail,
                            replay_command(&o)
                        ),
                    ));
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    let (summary, mut failures) = results.into_inner().expect("threads joined");
    if summary.schedules == 0 {
        return Err("no schedule was run".into());
    }
    failures.sort();
    for (_, f) in &failures {
        println!("violation: {f}");
    }
    print_summary(&summary, wall);
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
