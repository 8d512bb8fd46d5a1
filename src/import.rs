//! What a file opened in the page (Import) holds: a run saved with Export, or a client history
//! recorded elsewhere (a Jepsen etcd log, a Porcupine kv history), told apart by their form.
//! Anything else is refused with the reason, naming the line where there is one.

use crate::check::history_files::{parse_edn_kv, parse_jepsen_register};
use crate::engine::limits::MAX_SCENARIO_BYTES;
use crate::engine::History;
use crate::link::read_scenario_file;
use crate::protocols::AnyScenario;

/// The largest file Import reads, in bytes (the same for runs and histories).
pub const MAX_IMPORT_BYTES: usize = 2 * MAX_SCENARIO_BYTES;

/// The history formats the page reads and writes (and `lab check-history` reads).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryFormat {
    /// Jepsen's etcd log: one register, `INFO  jepsen.util - P :TYPE :F VALUE` lines.
    Jepsen,
    /// Porcupine's kv format: EDN maps, one event a line, any number of keys.
    Kv,
}

impl HistoryFormat {
    pub fn name(self) -> &'static str {
        match self {
            HistoryFormat::Jepsen => "jepsen",
            HistoryFormat::Kv => "kv",
        }
    }
}

pub enum Imported {
    /// A run to replay: one scenario, or two side by side.
    Run(Vec<AnyScenario>),
    History(HistoryFormat, History),
}

/// Read a file the user opened.
pub fn read_import(text: &str) -> Result<Imported, String> {
    if text.len() > MAX_IMPORT_BYTES {
        return Err(format!(
            "the file is {} bytes long; at most {MAX_IMPORT_BYTES} are read",
            text.len()
        ));
    }
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    let (format, parsed) = match first {
        None => return Err("the file is empty".into()),
        Some(l) if l.starts_with("{:") => (HistoryFormat::Kv, parse_edn_kv(text)),
        Some(l) if l.starts_with('{') || l.starts_with('[') => {
            return read_scenario_file(text).map(Imported::Run)
        }
        _ if text.contains("jepsen.util - ") => (HistoryFormat::Jepsen, parse_jepsen_register(text)),
        _ => return Err("the file is neither a run saved with Export (JSON), a Jepsen etcd log nor a Porcupine kv history (EDN maps)".into()),
    };
    let history = parsed.map_err(|e| format!("as a {} history, {e}", format.name()))?;
    if history.ops.is_empty() {
        return Err(format!("the {} history holds no operations", format.name()));
    }
    Ok(Imported::History(format, history))
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn each_form_is_told_apart() {
        let jepsen = "INFO  jepsen.util - 1 :invoke :write 3\nINFO  jepsen.util - 1 :ok :write 3\n";
        assert!(matches!(
            read_import(jepsen),
            Ok(Imported::History(HistoryFormat::Jepsen, h)) if h.ops.len() == 1
        ));
        let kv = "{:process 0, :type :invoke, :f :get, :key \"a\"}\n{:process 0, :type :ok, :f :get, :key \"a\", :value \"\"}\n";
        assert!(matches!(
            read_import(kv),
            Ok(Imported::History(HistoryFormat::Kv, h)) if h.ops.len() == 1
        ));
        let run = crate::link::default_scenario("raft", 7).expect("raft");
        let json = run.build().expect("builds").scenario_json();
        assert!(matches!(read_import(&json), Ok(Imported::Run(r)) if r.len() == 1));
    }

    #[test]
    fn what_cannot_be_read_is_refused_with_the_line() {
        let bad =
            "{:process 0, :type :invoke, :f :get, :key \"a\"}\n{:process 0, :type :ok, :f :nope";
        let e = read_import(bad).err().expect("refused");
        assert!(e.starts_with("as a kv history, line 2"), "{e}");
        let e = read_import("INFO  jepsen.util - x :invoke :write 3")
            .err()
            .expect("refused");
        assert!(e.contains("line 1"), "{e}");
        for refused in ["", "  \n", "hello", "INFO  jepsen.util - nothing\n"] {
            assert!(read_import(refused).is_err(), "{refused:?}");
        }
        assert!(read_import(&" ".repeat(MAX_IMPORT_BYTES + 1)).is_err());
    }
}
