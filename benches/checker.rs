//! The linearizability checker on its regression set (generated 50- and 100-client histories,
//! with and without a planted violation) and on every shared real history: wall time, peak
//! memory (counted by this binary's allocator) and verdict of each, slowest first.
//! `cargo bench --bench checker`; figures go in the README.

use consensus_lab::check::history_files;
use consensus_lab::check::linearizability::{Checker, Verdict};
use consensus_lab::check::random_history::{random_history, Shape};
use consensus_lab::engine::History;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// The system allocator, keeping the bytes in use and their high-water mark.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = IN_USE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        IN_USE.fetch_sub(layout.size(), Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Give up on a history after this long (a real search would be told the same by `--timeout`).
const BUDGET: Duration = Duration::from_secs(10);

/// Decide a history as `lab check-history --timeout 10s` does; the verdict, the time taken and
/// the most memory in use above what was in use before.
fn measure(h: &History) -> (Verdict, Duration, usize) {
    let base = IN_USE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let t = Instant::now();
    let mut c = Checker::new(h);
    let v = loop {
        if let Some(v) = c.run(1 << 16) {
            break v;
        }
        if t.elapsed() >= BUDGET {
            break c.stop();
        }
    };
    let took = t.elapsed();
    drop(c);
    (v, took, PEAK.load(Relaxed) - base)
}

fn verdict(v: &Verdict) -> String {
    match (&v.failure, &v.unknown) {
        (Some(f), _) => format!("not linearizable (key {})", f.key),
        (None, Some(u)) => format!("unknown after {} configurations", u.configurations),
        (None, None) => "linearizable".into(),
    }
}

/// Porcupine's times for histories it has been timed on (its README and this project's runs).
fn porcupine(name: &str) -> &'static str {
    match name {
        "etcd_002.log" => "0.27 s",
        "etcd_007.log" => "0.17 s",
        _ => "",
    }
}

fn main() {
    let mut cases: Vec<(String, History)> = Vec::new();
    for (clients, ops) in [(50, 2_000), (50, 5_000), (100, 5_000)] {
        for violation in [false, true] {
            for seed in 1..=3 {
                let shape = Shape {
                    clients,
                    keys: 10,
                    ops,
                    violation,
                };
                let name = format!(
                    "generated c{clients} n{ops} seed {seed}{}",
                    if violation { " + violation" } else { "" }
                );
                cases.push((name, random_history(seed, shape)));
            }
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/histories");
    cases.extend(history_files::read_corpus(&dir).expect("../shared/histories"));
    let mut rows: Vec<(Duration, String)> = cases
        .iter()
        .map(|(name, h)| {
            let (v, took, peak) = measure(h);
            let row = format!(
                "| {name} | {} | {:.1} ms | {:.1} MB | {} | {} |",
                h.ops.len(),
                took.as_secs_f64() * 1e3,
                peak as f64 / 1e6,
                verdict(&v),
                porcupine(name)
            );
            (took, row)
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    println!("| history | operations | time | peak memory | verdict | Porcupine |");
    println!("|---|---|---|---|---|---|");
    for (_, row) in &rows {
        println!("{row}");
    }
    let total: Duration = rows.iter().map(|r| r.0).sum();
    println!("{} histories in {:.2} s", rows.len(), total.as_secs_f64());
}
