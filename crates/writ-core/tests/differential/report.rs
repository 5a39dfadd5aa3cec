//! Mismatch reports: a class name for grouping, and a minimized,
//! reproducible report (smallest stream and policy set that still disagree
//! on the same path).

use super::paths::{run_case, trace, Mismatch};
use super::reference::Reference;
use writ_cedargen::Case;

/// `s` with control characters (other than newlines) escaped, so a
/// generated id cannot drive the terminal that shows a report.
pub fn shown(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A short class for grouping mismatches: the path, and both answers with
/// quoted names and numbers blanked.
pub fn class(m: &Mismatch) -> String {
    if m.at.is_none() {
        // Whole-case refusals: keep the code, drop the id-bearing detail.
        let head: Vec<&str> = m.got.split(": ").take(2).collect();
        let why = [
            "not a valid escape",
            "needs to be normalized",
            "not supported",
        ]
        .into_iter()
        .find(|k| m.got.contains(k))
        .unwrap_or("");
        return shown(&format!("{} | got {} .. {why}", m.path, head.join(": ")));
    }
    fn blank(s: &str) -> String {
        let mut out = String::new();
        let mut inside: Option<char> = None;
        for c in s.chars() {
            match inside {
                Some(q) if c == q => {
                    inside = None;
                    out.push(c);
                }
                Some(_) => {}
                None if c == '`' || c == '"' => {
                    inside = Some(c);
                    out.push(c);
                    out.push('_');
                }
                None if c.is_ascii_digit() => {
                    if !out.ends_with('N') {
                        out.push('N');
                    }
                }
                None => out.push(c),
            }
        }
        out.chars().take(110).collect()
    }
    let kind = |s: &str| {
        if s.starts_with("request error") || s.contains("request error") {
            blank(s)
        } else {
            s.split(" reasons").next().unwrap_or(s).to_string()
        }
    };
    shown(&format!(
        "{} | want {} | got {}",
        m.path,
        kind(&m.want),
        kind(&m.got)
    ))
}

fn still_fails(case: &Case, path: &str) -> Option<Mismatch> {
    run_case(case)
        .mismatches
        .into_iter()
        .find(|m| m.path == path)
}

/// Shrinks `case` (stream, then policies) while it still disagrees on the
/// mismatch's path, and describes the result.
pub fn minimized(case: &Case, first: &Mismatch) -> String {
    let mut small = case.clone();
    let mut last = first.clone();
    if let Some(at) = first.at {
        small.stream.truncate(at + 1);
    }
    let mut budget = 80usize;
    // Drop stream entries (never the last: it is the one that disagrees).
    let mut i = 0;
    while i + 1 < small.stream.len() && budget > 0 {
        budget -= 1;
        let mut trial = small.clone();
        trial.stream.remove(i);
        match still_fails(&trial, &first.path) {
            Some(m) => {
                small = trial;
                last = m;
            }
            None => i += 1,
        }
    }
    // Drop policies (from both versions).
    let mut i = 0;
    while i < small.policies.len() && budget > 0 {
        budget -= 1;
        let mut trial = small.clone();
        let id = trial.policies.remove(i).id;
        trial.policies_b.retain(|p| p.id != id);
        match still_fails(&trial, &first.path) {
            Some(m) => {
                small = trial;
                last = m;
            }
            None => i += 1,
        }
    }
    let mut s = String::new();
    s.push_str(&format!(
        "\n==== differential mismatch (seed {}, minimized) ====\npath: {}\nat stream entry: {:?}\nwant (Cedar): {}\ngot (Writ):   {}\n",
        small.seed, last.path, last.at, last.want, last.got
    ));
    s.push_str(&format!(
        "reproduce: generate({}, &{:?}) (crates/writ-cedargen); original mismatch: {} / {} / {}\n",
        case.seed, case.options, first.path, first.want, first.got
    ));
    if let Some(at) = last.at {
        let req = &small.pool[small.stream[at]];
        let action = Reference::action(&small, req)
            .map(|a| a.to_string())
            .unwrap_or_else(|e| e);
        s.push_str(&format!(
            "request: principal {:?}, action {:?} (spelt {:?}, means {action}), resource {:?}, context {}\n",
            req.principal,
            req.action,
            req.spelling,
            req.resource,
            serde_json::Value::Object(req.context.clone())
        ));
    }
    s.push_str(&format!(
        "--- schema.cedarschema\n{}--- policies.cedar (A)\n{}\n--- policies.cedar (B)\n{}\n--- links.json\n{}\n--- entities.json\n{}\n--- trace.jsonl\n{}",
        small.schema_text,
        small.policies_text(),
        writ_cedargen::policies_text(&small.policies_b),
        small.links_json(),
        small.entities,
        trace(&small)
    ));
    shown(&s)
}
