#![cfg(not(target_arch = "wasm32"))]
//! `lab` given what issue 15 found by hand (a non-UTF-8 argument, seed ranges that overflow or
//! have no end, runs too short to judge, too large to hold, a history file too large to read,
//! a line too long to quote): each is refused at once with a message naming the problem and
//! exit 2, never a panic (101), a false pass or a machine-sized allocation.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::process::Command;

/// Exit code, standard error and standard output.
fn lab(args: Vec<OsString>) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(args)
        .output()
        .expect("lab runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stderr),
        text(&out.stdout),
    )
}

fn words(s: &str) -> Vec<OsString> {
    s.split_whitespace().map(OsString::from).collect()
}

fn refused(args: Vec<OsString>, because: &str) {
    let shown = format!("{args:?}");
    let (code, err, _) = lab(args);
    assert_eq!(code, 2, "lab {shown}: exit {code}, {err}");
    assert!(
        err.contains(because),
        "lab {shown} says {err:?}, which does not name {because:?}"
    );
    assert!(
        err.len() < 2_000,
        "lab {shown}: a short message, got {} bytes",
        err.len()
    );
}

#[test]
fn every_argument_reproducer_exits_2_with_its_reason() {
    let mut bad_utf8 = words("run --seed");
    bad_utf8.push(OsString::from_vec(vec![0xff]));
    refused(bad_utf8, "not valid UTF-8");
    refused(
        words("explore --seeds 0..18446744073709551615 --time 30s"),
        "at most",
    );
    refused(
        words("explore --seeds 1..10000000000 --time 30s"),
        "at most",
    );
    refused(
        words("explore --seeds 18446744073709551616..1 --time 30s"),
        "seeds",
    );
    refused(words("explore --seeds 5..1 --time 30s"), "seeds");
    refused(words("run --faults random --time 6s"), "at least");
    refused(words("run --nodes 64 --time 1440m"), "node-minutes");
    refused(
        words("run --nodes 9 --time 60m --trace /dev/null"),
        "node-minutes",
    );
    refused(words("run --nodes 2"), "nodes");
    refused(words("run --time 0ms"), "time");
    refused(
        words("run --protocol swim --bug forget-vote"),
        "do not apply to swim",
    );
    refused(
        words("run --protocol paxos"),
        "raft|gossip|causal|swim|consul",
    );
    refused(
        words("run --protocol raft --servers 3"),
        "--servers applies to --protocol consul",
    );
    refused(
        words("run --protocol consul --nodes 3 --servers 5"),
        "at most --nodes (3); got 5",
    );
    refused(
        words("run --protocol consul --servers 0"),
        "between 1 and 7",
    );
    refused(
        words("run --protocol consul --servers x"),
        "--servers must be a whole number",
    );
    refused(
        words("run --protocol consul --bug ack-before-commit"),
        "do not apply to consul",
    );
}

/// A range ending at the largest seed runs exactly that seed, not wrapped round to seed 0.
#[test]
fn the_largest_seed_is_run_as_itself() {
    let (code, err, out) = lab(words(
        "explore --seeds 18446744073709551615..18446744073709551615 --time 20s",
    ));
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    assert!(out.contains("\"schedules\":1"), "{out}");
    assert!(!format!("{err}{out}").contains("seed 0"), "{err}{out}");
}

#[test]
fn check_history_refuses_a_file_too_large_and_quotes_little_of_a_bad_line() {
    let dir = std::env::temp_dir().join(format!("lab-args-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.edn");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(65 << 20).unwrap(); // sparse: 65 MB of nothing
    let mut args = words("check-history --model kv");
    args.push(big.clone().into());
    refused(args, "MB");
    let line = dir.join("line.edn");
    std::fs::write(
        &line,
        format!(
            "{{:process 0, :type :invoke, :f :put, :key \"{}\n",
            "x".repeat(1 << 20)
        ),
    )
    .unwrap();
    let mut args = words("check-history --model kv");
    args.push(line.into());
    refused(args, "line 1");
    std::fs::remove_dir_all(&dir).unwrap();
}
