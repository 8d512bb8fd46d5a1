#![cfg(not(target_arch = "wasm32"))]
//! Real Jepsen/Porcupine histories get their published verdicts, through the library and
//! through `lab check-history` (exit status and message).

use consensus_lab::check::{history_files, linearizability};
use std::path::PathBuf;
use std::process::Command;

/// ../shared/histories beside the repository (CI lays a copy there), or $CONSENSUS_LAB_HISTORIES.
fn histories() -> PathBuf {
    let dir = std::env::var_os("CONSENSUS_LAB_HISTORIES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/histories"));
    assert!(
        dir.join("jepsen-etcd/VERDICTS").is_file(),
        "shared histories not found at {} (set CONSENSUS_LAB_HISTORIES)",
        dir.display()
    );
    dir
}

/// (file, model, expected linearizable) for every shared history.
fn cases() -> Vec<(PathBuf, &'static str, bool)> {
    let dir = histories();
    let verdicts = std::fs::read_to_string(dir.join("jepsen-etcd/VERDICTS")).unwrap();
    let mut cases: Vec<_> = verdicts
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(file, verdict)| {
            (
                dir.join("jepsen-etcd").join(file),
                "register",
                verdict.trim() == "linearizable",
            )
        })
        .collect();
    for entry in std::fs::read_dir(dir.join("kv")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            name.ends_with("-ok.txt") || name.ends_with("-bad.txt"),
            "unexpected file {name}"
        );
        cases.push((path, "kv", name.ends_with("-ok.txt")));
    }
    cases
}

#[test]
fn every_shared_history_gets_its_published_verdict() {
    let cases = cases();
    assert!(cases.len() >= 40, "only {} histories found", cases.len());
    let (mut good, mut bad) = (0, 0);
    for (path, model, expected) in cases {
        let text = std::fs::read_to_string(&path).unwrap();
        let h = match model {
            "register" => history_files::parse_jepsen_register(&text),
            _ => history_files::parse_edn_kv(&text),
        }
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let v = linearizability::check(&h);
        assert_eq!(v.linearizable, expected, "{}", path.display());
        assert_eq!(
            v.failure.is_some(),
            !expected,
            "a negative verdict names the stuck operations"
        );
        if expected {
            good += 1
        } else {
            bad += 1
        }
    }
    assert!(
        good > 0 && bad > 0,
        "both verdicts occur: {good} linearizable, {bad} not"
    );
}

#[test]
fn lab_check_history_exits_0_1_and_2() {
    let lab = env!("CARGO_BIN_EXE_lab");
    let dir = histories();
    let run = |args: &[&str]| Command::new(lab).args(args).output().unwrap();
    let ok = run(&[
        "check-history",
        "--model",
        "kv",
        dir.join("kv/c01-ok.txt").to_str().unwrap(),
    ]);
    assert_eq!(ok.status.code(), Some(0));
    let bad = run(&[
        "check-history",
        "--model",
        "kv",
        dir.join("kv/c01-bad.txt").to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(
        out.contains("not linearizable") && out.contains("cannot be placed"),
        "{out}"
    );

    let tmp = std::env::temp_dir().join(format!("lab-bad-{}.log", std::process::id()));
    std::fs::write(
        &tmp,
        "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\tseven\n",
    )
    .unwrap();
    let malformed = run(&[
        "check-history",
        "--model",
        "register",
        tmp.to_str().unwrap(),
    ]);
    std::fs::remove_file(&tmp).ok();
    assert_eq!(malformed.status.code(), Some(2));
    let err = String::from_utf8_lossy(&malformed.stderr);
    assert!(err.contains("line 2"), "{err}");
    for args in [
        &["check-history", "--model", "graph", "x"][..],
        &["explore", "--seeds", "9..1"],
        &["run", "--seed", "1", "--time", "30"],
        &["frobnicate"],
    ] {
        let r = run(args);
        assert_eq!(r.status.code(), Some(2), "{args:?}");
        assert!(
            !String::from_utf8_lossy(&r.stderr).contains("panicked"),
            "{args:?}"
        );
    }
}

/// Generated histories written as EDN and read back keep their verdicts; a history too hard
/// for the time given makes `lab check-history --timeout` say unknown and exit 3.
#[test]
fn generated_histories_round_trip_and_a_hard_one_times_out() {
    use consensus_lab::check::random_history::{random_history, Shape};
    let dir = std::env::temp_dir();
    for violation in [false, true] {
        let shape = Shape {
            clients: 50,
            keys: 10,
            ops: 2_000,
            violation,
        };
        let h = random_history(4, shape);
        let text = history_files::write_edn_kv(&h).unwrap();
        let back = history_files::parse_edn_kv(&text).unwrap();
        assert_eq!(back.ops.len(), h.ops.len());
        let (a, b) = (linearizability::check(&h), linearizability::check(&back));
        assert_eq!((a.linearizable, b.linearizable), (!violation, !violation));
    }
    let hard = random_history(
        1,
        Shape {
            clients: 100,
            keys: 10,
            ops: 5_000,
            violation: true,
        },
    );
    let file = dir.join(format!("lab-hard-{}.edn", std::process::id()));
    std::fs::write(&file, history_files::write_edn_kv(&hard).unwrap()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["check-history", "--model", "kv", "--timeout", "300ms"])
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_file(&file).ok();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("unknown: gave up after"), "{text}");
}

/// The benchmarks read the whole corpus through one function: every shared history, parsed.
#[test]
fn the_corpus_reads_whole() {
    let all = history_files::read_corpus(&histories()).unwrap();
    assert_eq!(all.len(), 54, "50 etcd registers and 4 multi-key histories");
    assert!(all.iter().all(|(_, h)| !h.ops.is_empty()));
}

/// Histories the simulator makes, exported as the page and `lab run --history` export them,
/// get the page's verdict from `lab check-history`: Porcupine's kv form (a workload without
/// compare-and-set) and a Jepsen register (one key of the run: the one that broke, if any),
/// over runs with random faults, with and without a node that acknowledges before committing.
#[test]
fn exported_histories_keep_their_verdicts() {
    use consensus_lab::engine::World;
    use consensus_lab::export::write_history;
    use consensus_lab::import::HistoryFormat;
    use consensus_lab::protocols::raft::{Bug, RaftConfig, RaftNode};
    use consensus_lab::runner::{self, Faults, Protocol, RunOptions};
    let dir = std::env::temp_dir();
    let mut verdicts = std::collections::BTreeSet::new();
    for seed in 1..=6 {
        for bug in [None, Some(Bug::AckBeforeCommit)] {
            let cfg = RaftConfig {
                bug,
                ..RaftConfig::default()
            };
            let o = RunOptions {
                nodes: 5,
                seed,
                time_ms: 12_000,
                faults: Faults::Random,
                protocol: Protocol::Raft(cfg.clone()),
            };
            let mut scenario = runner::scenario(&o, cfg);
            scenario.sim.clients.cas_pct = if seed % 2 == 0 { 0 } else { 20 };
            let mut world = World::<RaftNode>::new(scenario).unwrap();
            world.run_until(o.time_ms);
            let h = world.history();
            let page = linearizability::check(h);
            let broken = page.failure.as_ref().map(|f| f.key.as_str());
            let mut formats = vec![(HistoryFormat::Jepsen, "register")];
            if seed % 2 == 0 {
                formats.push((HistoryFormat::Kv, "kv"));
            }
            for (format, model) in formats {
                let w = write_history(h, format, broken).unwrap();
                let file = dir.join(format!(
                    "lab-export-{}-{seed}.{}",
                    std::process::id(),
                    format.name()
                ));
                std::fs::write(&file, &w.text).unwrap();
                let out = Command::new(env!("CARGO_BIN_EXE_lab"))
                    .args(["check-history", "--model", model])
                    .arg(&file)
                    .output()
                    .unwrap();
                std::fs::remove_file(&file).ok();
                // A register of a linearizable run is linearizable; of a broken one, the
                // broken key is what it holds.
                let want = if page.linearizable { 0 } else { 1 };
                assert_eq!(
                    out.status.code(),
                    Some(want),
                    "seed {seed}, {bug:?}, {}",
                    format.name()
                );
                verdicts.insert(want);
            }
        }
    }
    assert_eq!(verdicts.len(), 2, "both verdicts came up");
    // The same from the command line: `lab run --history`.
    let file = dir.join(format!("lab-run-history-{}.log", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args([
            "run",
            "--protocol",
            "raft",
            "--nodes",
            "5",
            "--seed",
            "3",
            "--time",
            "20s",
        ])
        .args([
            "--faults",
            "random",
            "--bug",
            "ack-before-commit",
            "--history-format",
            "jepsen",
            "--history",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let check = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["check-history", "--model", "register"])
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_file(&file).ok();
    assert_eq!(
        check.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}
