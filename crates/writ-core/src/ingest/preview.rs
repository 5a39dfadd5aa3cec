//! The mapping preview: for the first items of an import, what was
//! recorded, the action extracted from it, the trace record a mapping
//! profile makes of it, the Cedar request that record becomes and every
//! problem on the way, before anything is imported.
//!
//! # Entry point
//! [`preview`]`(items, mapping, evaluator, limit, excerpt)` over any
//! iterator of `Result<Item, (Location, String)>` (a format reader). With an
//! [`Evaluator`] (a workspace's version) the request is built against its
//! schema and inventory, checked, and decided; without one, with no schema
//! (principals that are not Cedar uids become `Agent::"<identity>"`).
//! [`first_items`] reads those items from a trace, and [`preview_file`]
//! does the whole of it for a file: what `writ traces preview` and the
//! app's import preview both show.

use super::format::Format;
use super::read::{detect_reader, read_items, IngestError, ReadOptions, Stop};
use super::{Item, Location, Mapping, ToolCall};
use crate::evaluate::{Evaluator, Verdict};
use crate::policies::parse_policy_files;
use crate::resolve::Resolver;
use crate::trace::TraceRecord;
use serde::Serialize;
use serde_json::Value;
use std::io::BufRead;

/// One previewed item.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PreviewItem {
    /// 1-based position among the items read.
    pub index: usize,
    /// Where it was found.
    pub location: Location,
    /// A short excerpt of the recorded input, when the caller can give one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<String>,
    /// The extracted action (tool calls only; native records have none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<ToolCall>,
    /// The mapped trace record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<TraceRecord>,
    /// The Cedar request, in Cedar's JSON request form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Value>,
    /// The replayed verdict against the evaluator's version, when one was given
    /// and the request could be built.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// Every problem found with this item.
    pub problems: Vec<String>,
}

/// The excerpt length [`preview`]'s callers are asked to keep to.
pub const EXCERPT_CHARS: usize = 400;

/// Shortens `text` to [`EXCERPT_CHARS`] characters (with `…`).
pub fn excerpt_of(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() <= EXCERPT_CHARS {
        t.to_string()
    } else {
        let mut s: String = t.chars().take(EXCERPT_CHARS).collect();
        s.push('…');
        s
    }
}

/// An item read, or where and why it could not be read (a known column
/// leads the message: `column 7: ...`).
pub type ReadItem = Result<Item, (Location, String)>;

/// Reads the first `limit` items of `input` as `format` (`None`: detected
/// from the first bytes), each an item or its located error, and returns
/// the format read. Reading stops once `limit` items are in (at least one
/// is read); an input that cannot be read as the format is an error, unless
/// the items were all in before the reader failed.
pub fn first_items<R: BufRead>(
    mut input: R,
    format: Option<Format>,
    limit: usize,
    opts: &ReadOptions,
) -> Result<(Format, Vec<ReadItem>), IngestError> {
    let format = match format {
        Some(f) => f,
        None => detect_reader(&mut input)?,
    };
    let mut items = Vec::new();
    let read = read_items(input, Some(format), opts, &mut |out| {
        items.push(out.item.map_err(|e| {
            let message = match e.column {
                Some(c) => format!("column {c}: {}", e.message),
                None => e.message,
            };
            (e.location, message)
        }));
        if items.len() >= limit {
            Err(Stop)
        } else {
            Ok(())
        }
    });
    match read {
        Ok(_) | Err(IngestError::Stopped) => Ok((format, items)),
        Err(_) if items.len() >= limit => Ok((format, items)),
        Err(e) => Err(e),
    }
}

/// Previews the first `limit` items (errors count as items: a malformed
/// first line is what an analyst must see). `excerpt` gives the recorded
/// text at a location, when the caller can.
pub fn preview<I>(
    items: I,
    mapping: &dyn Mapping,
    evaluator: Option<&Evaluator>,
    limit: usize,
    excerpt: &dyn Fn(&Location) -> Option<String>,
) -> Vec<PreviewItem>
where
    I: Iterator<Item = Result<Item, (Location, String)>>,
{
    let fallback;
    let ev = match evaluator {
        Some(e) => e,
        None => {
            fallback = Evaluator::new(
                "no workspace",
                parse_policy_files(&[]).0,
                None,
                cedar_policy::Entities::empty(),
                Resolver::default(),
            );
            &fallback
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.take(limit).enumerate() {
        let mut p = PreviewItem {
            index: i + 1,
            location: Location::default(),
            recorded: None,
            action: None,
            record: None,
            request: None,
            verdict: None,
            problems: Vec::new(),
        };
        match item {
            Err((loc, msg)) => {
                p.problems.push(format!("{loc}: {msg}"));
                p.location = loc;
            }
            Ok(Item::Record(r)) => {
                p.record = Some(*r);
            }
            Ok(Item::Call(c)) => {
                p.location = c.location.clone();
                match mapping.to_record(&c) {
                    Ok(r) => p.record = Some(r),
                    Err(e) => p.problems.push(format!("mapping: {e}")),
                }
                p.action = Some(*c);
            }
        }
        if p.location == Location::default() {
            // Records carry no location; their position is their index.
        }
        p.recorded = excerpt(&p.location).map(|t| excerpt_of(&t));
        if let Some(r) = &p.record {
            if crate::trace::parse_timestamp(&r.ts).is_err() {
                p.problems
                    .push(format!("the time `{}` is not RFC 3339", r.ts));
            }
            match ev.request_json(r) {
                Ok(v) => p.request = Some(v),
                Err(e) => p.problems.push(format!("request: {e}")),
            }
            if evaluator.is_some() {
                match ev.prepare(r) {
                    Ok(prep) => p.verdict = Some(ev.decide(&prep).verdict),
                    Err(u) => {
                        if let Some(e) = &u.outcome.request_error {
                            p.problems.push(format!("request: {e}"));
                        }
                    }
                }
            }
        }
        out.push(p);
    }
    out
}

/// Reads the text at `location` from a file's bytes: the line for line
/// locations, else the value at the JSON path (`$.a[0].b`) of the whole
/// document (files up to `max_doc` bytes; larger ones give `None`).
pub fn excerpt_from_file(
    path: &std::path::Path,
    location: &Location,
    max_doc: u64,
) -> Option<String> {
    use std::io::BufRead;
    if let Some(line) = location.line {
        let f = std::fs::File::open(path).ok()?;
        let text = std::io::BufReader::new(f)
            .split(b'\n')
            .nth(line.checked_sub(1)?)?
            .ok()?;
        let text = String::from_utf8_lossy(&text).into_owned();
        match &location.path {
            None => return Some(text),
            // A path inside a JSON line narrows the excerpt; a line that is
            // not JSON on its own is part of a document: use the path.
            Some(p) => {
                if let Ok(v) = serde_json::from_str::<Value>(&text) {
                    return json_path(&v, p).map(|x| x.to_string()).or(Some(text));
                }
            }
        }
    }
    let p = location.path.as_ref()?;
    if std::fs::metadata(path).ok()?.len() > max_doc {
        return None;
    }
    let f = std::fs::File::open(path).ok()?;
    let v: Value = serde_json::from_reader(std::io::BufReader::new(f)).ok()?;
    json_path(&v, p).map(|x| x.to_string())
}

/// The value at a simple JSON path (`$`, `.key`, `[n]`).
pub fn json_path<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    let mut cur = v;
    let mut rest = path.strip_prefix('$').unwrap_or(path);
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            cur = cur.get(&r[..end])?;
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            cur = cur.get(r[..end].parse::<usize>().ok()?)?;
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(cur)
}

/// Largest document whose JSON-path excerpts [`preview_file`] reads (bytes).
pub const EXCERPT_DOC_BYTES: u64 = 64 << 20;

/// Why a file preview shows no items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FileProblem {
    /// No format was given and the first bytes are none of the known ones.
    NotRecognised,
    /// The file could not be read as the format.
    Unreadable {
        /// The reader's located message.
        message: String,
    },
}

/// The preview of one trace file (see [`preview_file`]).
#[derive(Debug, Clone, Serialize)]
pub struct FilePreview {
    /// The format detected from the first bytes, if any.
    pub detected: Option<Format>,
    /// The format read: the one given, else the detected one.
    pub format: Option<Format>,
    /// The first items; empty when there is a problem.
    pub items: Vec<PreviewItem>,
    /// Why no items could be read, if none could.
    pub problem: Option<FileProblem>,
}

/// Previews the first `limit` items of trace file `file` read as `format`
/// (`None`: detected) with `opts`, mapped by `mapping` and decided by
/// `evaluator` when one is given, each with its recorded excerpt: the one
/// operation behind `writ traces preview` and the app's import preview.
/// A file that cannot be opened is an error; one that is not a known
/// format, or not readable as the chosen one, is a [`FileProblem`].
pub fn preview_file(
    file: &std::path::Path,
    format: Option<Format>,
    opts: &ReadOptions,
    mapping: &dyn Mapping,
    evaluator: Option<&Evaluator>,
    limit: usize,
) -> std::io::Result<FilePreview> {
    let open = || {
        std::fs::File::open(file)
            .map(|f| std::io::BufReader::with_capacity(super::format::DETECT_BYTES, f))
    };
    let detected = detect_reader(&mut open()?).ok();
    let Some(chosen) = format.or(detected) else {
        return Ok(FilePreview {
            detected,
            format: None,
            items: Vec::new(),
            problem: Some(FileProblem::NotRecognised),
        });
    };
    let (items, problem) = match first_items(open()?, Some(chosen), limit, opts) {
        Ok((_, items)) => (items, None),
        Err(e) => (
            Vec::new(),
            Some(FileProblem::Unreadable {
                message: e.to_string(),
            }),
        ),
    };
    let excerpt = |loc: &Location| excerpt_from_file(file, loc, EXCERPT_DOC_BYTES);
    Ok(FilePreview {
        detected,
        format: Some(chosen),
        items: preview(items.into_iter(), mapping, evaluator, limit, &excerpt),
        problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_are_followed() {
        let v = json!({"a": [{"b": 1}, {"b": {"c": "x"}}]});
        assert_eq!(json_path(&v, "$.a[1].b.c"), Some(&json!("x")));
        assert_eq!(json_path(&v, "$.a[2]"), None);
        assert_eq!(json_path(&v, "$"), Some(&v));
    }

    #[test]
    fn excerpts_are_short() {
        let long = "x".repeat(1000);
        assert_eq!(excerpt_of(&long).chars().count(), EXCERPT_CHARS + 1);
    }

    #[test]
    fn the_first_items_are_read_with_their_errors() {
        let mut text = String::new();
        for i in 0..8 {
            text.push_str(&format!(
                r#"{{"jsonrpc":"2.0","id":{i},"method":"tools/call","params":{{"name":"t{i}","arguments":{{}}}}}}"#
            ));
            text.push('\n');
        }
        let (format, items) =
            first_items(text.as_bytes(), None, 3, &ReadOptions::default()).expect("reads");
        assert_eq!(format, Format::McpJsonRpc);
        assert_eq!(items.len(), 3);
        assert!(items.iter().all(Result::is_ok));

        let native = "{not json\n";
        let (_, items) = first_items(
            native.as_bytes(),
            Some(Format::Native),
            5,
            &ReadOptions::default(),
        )
        .expect("a bad line is an item");
        assert_eq!(items.len(), 1);
        let (loc, message) = items[0].as_ref().expect_err("malformed");
        assert_eq!(loc.line, Some(1));
        assert!(!message.is_empty());

        let unknown = first_items(&b"\x00\x01"[..], None, 5, &ReadOptions::default());
        assert!(
            matches!(unknown, Err(IngestError::Undetected { .. })),
            "{unknown:?}"
        );
    }

    #[test]
    fn a_file_preview_detects_reads_and_names_its_problem() {
        let dir = tempfile::tempdir().expect("temp dir");
        let calls = dir.path().join("calls.jsonl");
        let mut text = String::new();
        for i in 0..8 {
            text.push_str(&format!(
                r#"{{"jsonrpc":"2.0","id":{i},"method":"tools/call","params":{{"name":"t{i}","arguments":{{}}}}}}"#
            ));
            text.push('\n');
        }
        std::fs::write(&calls, text).expect("write");
        let profile = crate::ingest::profile::Profile::builtin("writ").expect("builtin");
        let opts = ReadOptions::default();
        let p = preview_file(&calls, None, &opts, &profile, None, 3).expect("previews");
        assert_eq!(p.detected, Some(Format::McpJsonRpc));
        assert_eq!(p.format, Some(Format::McpJsonRpc));
        assert_eq!(p.problem, None);
        assert_eq!(p.items.len(), 3);
        assert_eq!(
            p.items[0].action.as_ref().map(|a| a.tool.as_str()),
            Some("t0")
        );
        assert!(p.items[0]
            .recorded
            .as_deref()
            .is_some_and(|r| r.contains("t0")));

        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, "hello\n").expect("write");
        let p = preview_file(&notes, None, &opts, &profile, None, 3).expect("previews");
        assert_eq!((p.detected, p.format), (None, None));
        assert_eq!(p.problem, Some(FileProblem::NotRecognised));
        assert!(p.items.is_empty());

        // Read as the format chosen: nothing detected, and the item's own
        // located problem rather than a file problem.
        let p =
            preview_file(&notes, Some(Format::Jaeger), &opts, &profile, None, 3).expect("previews");
        assert_eq!((p.detected, p.format), (None, Some(Format::Jaeger)));
        assert_eq!(p.problem, None);
        assert_eq!(p.items.len(), 1);
        assert!(
            p.items[0].problems.iter().any(|m| m.starts_with("line 1:")),
            "{:?}",
            p.items[0].problems
        );

        assert!(preview_file(&dir.path().join("missing"), None, &opts, &profile, None, 3).is_err());
    }
}
