//! Reading client histories recorded outside the simulator: Jepsen's etcd log format (a single
//! register) and EDN maps (a multi-key store). Errors name the line.

use crate::engine::limits::clip;
use crate::engine::{History, HistoryOp, KvOp, Outcome};
use std::collections::BTreeMap;

const REGISTER_KEY: &str = "register";

/// Parse a Jepsen etcd log: `INFO  jepsen.util - P :TYPE :F VALUE` per line; other lines are noise.
pub fn parse_jepsen_register(text: &str) -> Result<History, String> {
    let mut b = Builder::default();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let Some(rest) = line.split_once("jepsen.util - ").map(|(_, r)| r) else {
            continue;
        };
        let tokens: Vec<&str> = rest.split_whitespace().collect();
        let err = |what: &str| format!("line {line_no}: {what}: {:?}", clip(line, 120));
        let [process, ty, f, value @ ..] = tokens.as_slice() else {
            return Err(err("expected `P :type :f value`"));
        };
        let process: u64 = process
            .parse()
            .map_err(|_| err("the process is not a number"))?;
        let value = value.join(" ");
        let int = |v: &str| {
            v.parse::<i64>()
                .map(|x| x.to_string())
                .map_err(|_| err("expected a number"))
        };
        let pair = |v: &str| -> Result<(String, String), String> {
            let inner = v
                .strip_prefix('[')
                .and_then(|v| v.strip_suffix(']'))
                .ok_or_else(|| err("expected [FROM TO]"))?;
            let mut it = inner.split_whitespace();
            match (it.next(), it.next(), it.next()) {
                // `nil` as the value compared: "if absent" (Jepsen's own logs never hold it).
                (Some("nil"), Some(b), None) => Ok((String::new(), int(b)?)),
                (Some(a), Some(b), None) => Ok((int(a)?, int(b)?)),
                _ => Err(err("expected [FROM TO]")),
            }
        };
        let key = REGISTER_KEY.to_string();
        match (*ty, *f) {
            (":invoke", ":read") => b.invoke(process, KvOp::get(key), line_no)?,
            (":invoke", ":write") => b.invoke(
                process,
                KvOp::Put {
                    key,
                    value: int(&value)?,
                },
                line_no,
            )?,
            (":invoke", ":cas") => {
                let (from, to) = pair(&value)?;
                b.invoke(process, KvOp::Cas { key, from, to }, line_no)?
            }
            (":ok", ":read") => {
                let v = if value == "nil" {
                    String::new()
                } else {
                    int(&value)?
                };
                b.complete(process, Outcome::Ok { value: Some(v) }, false, line_no)?
            }
            (":ok", ":write") | (":ok", ":cas") => {
                b.complete(process, Outcome::Ok { value: None }, false, line_no)?
            }
            // As in Porcupine's etcd model: a failed cas ran and found a different value.
            (":fail", ":cas") => b.complete(process, Outcome::Ok { value: None }, true, line_no)?,
            (":fail", ":read") | (":info", _) => {
                b.complete(process, Outcome::Info, false, line_no)?
            }
            (":fail", _) => b.complete(process, Outcome::Fail, false, line_no)?,
            _ => return Err(err("unknown operation type or function")),
        }
    }
    Ok(b.finish())
}

/// Parse one EDN map per line: `{:process P, :type :invoke|:ok|:fail|:info, :f :get|:put|:append, :key "K", :value "V"}`.
pub fn parse_edn_kv(text: &str) -> Result<History, String> {
    let mut b = Builder::default();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        let map = parse_edn_map(line)
            .map_err(|e| format!("line {line_no}: {e}: {:?}", clip(line, 120)))?;
        let get = |k: &str| {
            map.get(k)
                .ok_or_else(|| format!("line {line_no}: missing {k}: {:?}", clip(line, 120)))
        };
        let process: u64 = get(":process")?
            .parse()
            .map_err(|_| format!("line {line_no}: :process is not a number"))?;
        let key = get(":key")?.clone();
        let value = map.get(":value").cloned().unwrap_or_default();
        let f = get(":f")?.as_str();
        match get(":type")?.as_str() {
            ":invoke" => {
                let op = match f {
                    ":get" => KvOp::get(key),
                    ":put" => KvOp::Put { key, value },
                    ":append" => KvOp::Append { key, value },
                    other => return Err(format!("line {line_no}: unknown :f {}", clip(other, 40))),
                };
                b.invoke(process, op, line_no)?;
            }
            ":ok" => {
                let v = (f == ":get").then_some(value);
                b.complete(process, Outcome::Ok { value: v }, false, line_no)?;
            }
            ":fail" => b.complete(process, Outcome::Fail, false, line_no)?,
            ":info" => b.complete(process, Outcome::Info, false, line_no)?,
            other => return Err(format!("line {line_no}: unknown :type {}", clip(other, 40))),
        }
    }
    Ok(b.finish())
}

/// Every history in a directory laid out as ../shared/histories is: `jepsen-etcd/*.log`
/// (single registers) and `kv/*` (multi-key EDN), by file name, sorted.
pub fn read_corpus(dir: &std::path::Path) -> Result<Vec<(String, History)>, String> {
    let mut out = Vec::new();
    for (sub, parse) in [
        (
            "jepsen-etcd",
            parse_jepsen_register as fn(&str) -> Result<History, String>,
        ),
        ("kv", parse_edn_kv),
    ] {
        let entries = std::fs::read_dir(dir.join(sub))
            .map_err(|e| format!("cannot read {}: {e}", dir.join(sub).display()))?;
        let mut files: Vec<_> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        files.sort();
        for p in files {
            if sub == "jepsen-etcd" && p.extension().is_none_or(|x| x != "log") {
                continue;
            }
            let text = std::fs::read_to_string(&p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            out.push((
                name.clone(),
                parse(&text).map_err(|e| format!("{name}: {e}"))?,
            ));
        }
    }
    Ok(out)
}

/// The events of a history in the order the readers above take them: each operation's
/// invocation at its call time, its outcome at its return (invocations first at equal times,
/// so that operations touching in time stay concurrent); an operation still pending has no
/// outcome line. Each is the operation's index, and whether it is the outcome.
fn events_in_order(h: &History) -> Vec<(usize, bool)> {
    let mut events = Vec::new();
    for (i, op) in h.ops.iter().enumerate() {
        events.push((op.invoke_t, false, i));
        if op.outcome.is_some() {
            events.push((op.complete_t.unwrap_or(u64::MAX), true, i));
        }
    }
    events.sort_unstable();
    events.into_iter().map(|(_, done, i)| (i, done)).collect()
}

/// A multi-key history as EDN maps, one event a line, as `parse_edn_kv` reads them (and
/// Porcupine's kv model). Compare-and-sets have no form there and are refused.
pub fn write_edn_kv(h: &History) -> Result<String, String> {
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = String::new();
    for (i, done) in events_in_order(h) {
        let op = &h.ops[i];
        let (f, value) = match &op.op {
            KvOp::Get { .. } => (":get", None),
            KvOp::Put { value, .. } => (":put", Some(value.as_str())),
            KvOp::Append { value, .. } => (":append", Some(value.as_str())),
            KvOp::Cas { .. } => {
                return Err(format!(
                    "operation {i} ({}) is a compare-and-set, which Porcupine's kv format has no form for",
                    op.op
                ))
            }
        };
        let (ty, shown) = match (&op.outcome, done) {
            (_, false) => (":invoke", value),
            (Some(Outcome::Ok { value: Some(v) }), _) => (":ok", Some(v.as_str())),
            (Some(Outcome::Ok { value: None }), _) => (":ok", value),
            (Some(Outcome::Fail), _) => (":fail", value),
            (Some(Outcome::Info) | None, _) => (":info", value),
        };
        let shown = shown.map_or(String::new(), |v| format!(", :value {}", quote(v)));
        out += &format!(
            "{{:process {}, :type {ty}, :f {f}, :key {}{shown}}}\n",
            op.client,
            quote(op.op.key())
        );
    }
    Ok(out)
}

/// A single-register history as a Jepsen etcd log, as `parse_jepsen_register` reads it (and
/// Porcupine's etcd model): values must be whole numbers, an absent value is `nil` (which
/// Porcupine's parser reads in a read, not as the value a compare-and-set expects). A history
/// of more than one key, or with other values, is refused, naming the operation. Operations
/// that failed are left out: they never took effect, and the log's `:fail` of a
/// compare-and-set means one that ran and found another value.
pub fn write_jepsen_register(h: &History) -> Result<String, String> {
    if let Some(other) = h.ops.iter().find(|o| o.op.key() != h.ops[0].op.key()) {
        return Err(format!(
            "a Jepsen etcd log holds one register, and this history has keys {} and {}",
            h.ops[0].op.key(),
            other.op.key()
        ));
    }
    let mut out = String::new();
    for (i, done) in events_in_order(h) {
        let op = &h.ops[i];
        if op.outcome == Some(Outcome::Fail) {
            continue;
        }
        let number = |v: &str, nil: bool| match v.parse::<i64>() {
            Ok(n) => Ok(n.to_string()),
            Err(_) if nil && v.is_empty() => Ok("nil".to_string()),
            Err(_) => Err(format!(
                "operation {i} ({}) has the value {:?}, and a Jepsen etcd log holds whole numbers",
                op.op,
                clip(v, 40)
            )),
        };
        let (f, value) = match &op.op {
            KvOp::Get { .. } => (":read", "nil".to_string()),
            KvOp::Put { value, .. } => (":write", number(value, false)?),
            KvOp::Cas { from, to, .. } => (
                ":cas",
                format!("[{} {}]", number(from, true)?, number(to, false)?),
            ),
            KvOp::Append { .. } => {
                return Err(format!(
                    "operation {i} ({}) is an append, which a Jepsen etcd log has no form for",
                    op.op
                ))
            }
        };
        let (ty, value) = match (&op.outcome, done) {
            (_, false) => (":invoke", value),
            (Some(Outcome::Ok { value: Some(v) }), _) => (":ok", number(v, true)?),
            (Some(Outcome::Ok { .. }), _) if op.cas_failed => (":fail", value),
            (Some(Outcome::Ok { .. }), _) => (":ok", value),
            (Some(Outcome::Fail), _) => (":fail", value),
            (Some(Outcome::Info) | None, _) => (":info", value),
        };
        out += &format!("INFO  jepsen.util - {} {ty} {f} {value}\n", op.client);
    }
    Ok(out)
}

/// A flat EDN map of keywords to scalars; strings are unescaped, nil becomes "".
fn parse_edn_map(line: &str) -> Result<BTreeMap<String, String>, String> {
    let s = line.trim();
    let inner = s
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .ok_or("expected an EDN map {…}")?;
    let mut tokens = Vec::new();
    let mut chars = inner.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() || c == ',' {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut out = String::new();
            loop {
                match chars.next() {
                    None => return Err("unterminated string".into()),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some(c) => out.push(c),
                        None => return Err("unterminated string".into()),
                    },
                    Some(c) => out.push(c),
                }
            }
            tokens.push(out);
        } else {
            let mut out = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == ',' {
                    break;
                }
                out.push(c);
                chars.next();
            }
            tokens.push(if out == "nil" { String::new() } else { out });
        }
    }
    if tokens.len() % 2 != 0 {
        return Err("a key without a value".into());
    }
    Ok(tokens
        .chunks(2)
        .map(|kv| (kv[0].clone(), kv[1].clone()))
        .collect())
}

/// Pairs invocations with completions per process; line numbers serve as times.
#[derive(Default)]
struct Builder {
    history: History,
    open: BTreeMap<u64, usize>,
}

impl Builder {
    fn invoke(&mut self, process: u64, op: KvOp, line: usize) -> Result<(), String> {
        if let Some(&prev) = self.open.get(&process) {
            return Err(format!("line {line}: process {process} invokes again while its operation from line {} is open", self.history.ops[prev].invoke_t));
        }
        self.open.insert(process, self.history.ops.len());
        self.history.ops.push(HistoryOp {
            client: process as usize,
            op,
            invoke_t: line as u64,
            complete_t: None,
            outcome: None,
            cas_failed: false,
            node: None,
        });
        Ok(())
    }
    fn complete(
        &mut self,
        process: u64,
        outcome: Outcome,
        cas_failed: bool,
        line: usize,
    ) -> Result<(), String> {
        let i = self.open.remove(&process).ok_or_else(|| {
            format!("line {line}: process {process} completes an operation it never invoked")
        })?;
        let op = &mut self.history.ops[i];
        if outcome != Outcome::Info {
            op.complete_t = Some(line as u64);
        }
        op.outcome = Some(outcome);
        op.cas_failed = cas_failed;
        Ok(())
    }
    fn finish(self) -> History {
        self.history
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn jepsen_lines_become_operations() {
        let h = parse_jepsen_register(
            "noise\nINFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]\nINFO  jepsen.util - 1\t:invoke\t:read\tnil\n\
             INFO  jepsen.util - 0\t:fail\t:cas\t[1 2]\nINFO  jepsen.util - 1\t:ok\t:read\tnil\n",
        )
        .unwrap();
        assert_eq!(h.ops.len(), 2);
        assert!(h.ops[0].cas_failed);
        assert_eq!(
            h.ops[1].outcome,
            Some(Outcome::Ok {
                value: Some(String::new())
            })
        );
    }

    #[test]
    fn malformed_lines_are_named() {
        let e = parse_jepsen_register("INFO  jepsen.util - x :invoke :read nil").unwrap_err();
        assert!(e.starts_with("line 1:"), "{e}");
        let e = parse_jepsen_register("INFO  jepsen.util - 1 :ok :read 3").unwrap_err();
        assert!(e.contains("never invoked"), "{e}");
        let e = parse_edn_kv("{:process 0, :type :invoke, :f :get, :key \"1\"}\n{:process 0 :type")
            .unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
    }

    #[test]
    fn edn_maps_parse_with_strings_and_nil() {
        let h = parse_edn_kv("{:process 0, :type :invoke, :f :get, :key \"3\", :value nil}\n{:process 0, :type :ok, :f :get, :key \"3\", :value \"x 0 \\\"1\\\" y\"}").unwrap();
        assert_eq!(
            h.ops[0].outcome,
            Some(Outcome::Ok {
                value: Some("x 0 \"1\" y".into())
            })
        );
    }
}
