//! Entry points for fuzzing: each takes arbitrary bytes, runs them through
//! one reader of untrusted input the way Writ's callers do, and must never
//! panic, whatever the bytes. The fuzz targets in `fuzz/` call these, and
//! so does `tests/fuzz_corpus.rs`, which replays the checked-in corpus
//! under plain `cargo test`. Nothing here is used by Writ itself.

use crate::diagnostic::{Diagnostic, SourceMap};
use crate::ingest::profile::Profile;
use crate::ingest::{
    detect, read_items, Format, Item, Location, Mapping, PlainMapping, ReadOptions, ToolCall,
};
use crate::inventory;
use crate::project::{check_files, ProjectFile, ProjectFiles};
use crate::schema::ProjectSchema;
use crate::trace::{cedar_datetime, parse_record, RecordedOutcome};
use serde_json::{json, Map, Value};
use std::path::Path;

/// The date inventories are checked against (fixed, so a run is
/// reproducible: review dates before it are overdue).
pub fn today() -> time::Date {
    time::macros::date!(2026 - 06 - 01)
}

/// Reads `data` as a trace of `format` (`None`: detected first, as
/// `writ traces import` does without `--format`), maps every tool call with
/// the plain mapping and each built-in profile, and renders every item
/// error. Stops after 10,000 items so one input stays quick.
pub fn trace(format: Option<Format>, data: &[u8]) {
    let profiles = Profile::builtins();
    let opts = ReadOptions {
        user_attributes: vec!["kagent.user_id".into()],
    };
    let mut n = 0u32;
    let _ = read_items(data, format, &opts, &mut |out| {
        n += 1;
        match out.item {
            Ok(Item::Record(rec)) => {
                let _ = cedar_datetime(&rec.ts);
                let _ = serde_json::to_string(&rec);
            }
            Ok(Item::Call(call)) => {
                let _ = PlainMapping.to_record(&call);
                for p in &profiles {
                    let _ = p.to_record(&call);
                }
                let _ = serde_json::to_string(&call);
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
        if n >= 10_000 {
            Err(crate::ingest::Stop)
        } else {
            Ok(())
        }
    });
}

/// Detects the format of `data` from its first bytes (both the general and
/// the MCP detector), then reads it as [`trace`] does.
pub fn detect_and_read(data: &[u8]) {
    let head = &data[..data.len().min(crate::ingest::format::DETECT_BYTES)];
    let _ = crate::ingest::mcp::detect_mcp(head);
    if detect(head).is_some() {
        trace(None, data);
    }
}

/// Parses `data` as one line of a native trace (`trace::parse_record`),
/// and converts the time of a record that parsed.
pub fn native_line(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_record(1, text) {
        Ok(rec) => {
            let _ = cedar_datetime(&rec.ts);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Drafts a project from `data` read as a native trace (the first byte
/// picks small limits, so widening is reached), and panics unless the
/// draft checks and the trace replays against it exactly as it states.
pub fn draft(data: &[u8]) {
    use crate::draft::{draft, verify, Limits, Observations};
    let Some((&knob, rest)) = data.split_first() else {
        return;
    };
    let source = || crate::trace::TraceLines::new(rest);
    let Ok(obs) = Observations::read(&mut source(), &|_| {}) else {
        return;
    };
    let limits = Limits {
        max_resources: usize::from(knob % 4) + 1,
        max_principals: usize::from((knob >> 2) % 4) + 1,
        ..Limits::default()
    };
    let (d, project) = match draft(&obs, "fuzz", &limits) {
        Ok(drafted) => drafted,
        Err(crate::draft::DraftError::Empty { .. }) => return,
        Err(e) => panic!("a draft that does not check: {e}"),
    };
    let check = verify(&project, &d.report, source(), &|_| {})
        .unwrap_or_else(|e| panic!("replay failed: {e}"));
    assert!(check.holds(), "{check:#?}");
}

/// Tool calls of several shapes, for a mapping profile to map.
pub fn sample_calls() -> Vec<ToolCall> {
    let attrs = |v: Value| match v {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let call =
        |agent: Option<&str>, user: Option<&str>, tool: &str, args: Option<Value>| ToolCall {
            location: Location::default(),
            ts: "2026-05-01T10:00:00.123456789Z".into(),
            agent: agent.map(str::to_string),
            user: user.map(str::to_string),
            user_key: user.map(|_| "kagent.user_id".to_string()),
            tool: tool.into(),
            call_id: Some("call-1".into()),
            tool_type: Some("MCPTool".into()),
            args,
            attributes: attrs(json!({
                "gen_ai.agent.id": "helm-agent",
                "service.name": "kagent",
                "mcp.server.name": "helm",
                "kagent.user_id": "alice",
                "jwt.claims.sub": "bot",
                "jwt.claims.groups": ["a", "b"],
                "n": 1.5,
                "big": 18446744073709551615u64,
            })),
            trace_id: Some("0af7651916cd43dd8448eb211c80319c".into()),
            span_id: Some("b7ad6b7169203331".into()),
            outcome: RecordedOutcome::Executed,
        };
    vec![
        call(
            Some("spiffe://acme.example/agents/helm"),
            Some("alice"),
            "helm_list_releases",
            Some(json!({
                "namespace": "default",
                "limit": 10,
                "ratio": 0.25,
                "nested": {"a": [1, 2, {"b": null}], "c": true},
                "huge": 1e300,
                "neg": -9223372036854775808i64,
            })),
        ),
        call(None, None, "", None),
        call(
            Some("Agent::\"x\""),
            Some(""),
            "a___b",
            Some(json!(["not", "an", "object"])),
        ),
    ]
}

/// Parses `data` as a mapping profile (`Profile::parse`) and, when it
/// parses, maps [`sample_calls`] with it.
pub fn profile(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Profile::parse("fuzz.toml", text) {
        Ok(p) => {
            let _ = p.context_rules();
            for call in sample_calls() {
                if let Ok(rec) = p.to_record(&call) {
                    let _ = serde_json::to_string(&rec);
                }
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

fn render_all(sources: &SourceMap, diags: &[Diagnostic]) {
    for d in diags {
        let _ = sources.render(d);
        let _ = sources.to_json(d);
    }
}

/// What the project-file entry points need from the sample project
/// (`sample-policies/v1`): its files and its schema. Load it once.
#[derive(Debug, Clone)]
pub struct SampleProject {
    /// The project's files as read from disk.
    pub files: ProjectFiles,
    /// Its schema, loaded.
    pub schema: ProjectSchema,
}

impl SampleProject {
    /// Reads the project at `root` (e.g. `sample-policies/v1`); `None`
    /// when its files cannot be read or its schema does not load.
    pub fn load(root: &Path) -> Option<SampleProject> {
        let (files, diags) = ProjectFiles::read(root);
        if diags.iter().any(Diagnostic::is_error) {
            return None;
        }
        let f = files.schema.as_ref()?;
        let (schema, _) = ProjectSchema::load(&f.shown, &f.text).ok()?;
        Some(SampleProject { files, schema })
    }
}

/// Parses `data` as `inventory.toml` (`inventory::load`), renders every
/// diagnostic, and for an inventory that parsed checks it against the
/// sample schema and builds its Cedar entities as `writ check` does.
pub fn inventory(sample: &SampleProject, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let shown = Path::new("inventory.toml");
    let (inv, mut diags) = inventory::load(shown, text, today());
    if let Some(inv) = &inv {
        diags.extend(inventory::check_against_schema(shown, inv, &sample.schema));
        let json = inventory::to_entities_json(inv, &sample.schema);
        let _ = cedar_policy::Entities::from_json_value(json, Some(&sample.schema.schema));
        let _ = inventory::entity_spans(inv);
        let _ = crate::resolve::Resolver::identity_map(inv);
        let resolver = crate::resolve::Resolver::from_inventory(inv);
        for agent in [
            "spiffe://acme.example/agents/x",
            "Agent::\"a\"",
            "support-bot",
        ] {
            let _ = resolver.resolve(agent);
        }
    }
    let mut sources = SourceMap::new();
    sources.insert(shown, text);
    render_all(&sources, &diags);
}

/// Parses `data` as a Cedar entities JSON file against the sample schema
/// (and without one), as Writ loads a bundle's `entities.json`.
pub fn entities(sample: &SampleProject, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = cedar_policy::Entities::from_json_str(text, Some(&sample.schema.schema));
    let _ = cedar_policy::Entities::from_json_str(text, None);
}

/// Checks the sample project with one of its files replaced by `data`
/// (`project::check_files`, then every diagnostic rendered). The first
/// byte chooses the file: `0` the schema (`schema.cedarschema`), `1` the
/// JSON schema (`schema.cedarschema.json`), `2` the inventory, anything
/// else a policy file (the first, or an added one when the byte is odd).
pub fn project(sample: &SampleProject, data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest).into_owned();
    let root = Path::new("fuzz-project");
    let file = |relative: &str| ProjectFile {
        relative: relative.to_string(),
        shown: root.join(relative),
        text: text.clone(),
    };
    let mut files = sample.files.clone();
    let reroot = |f: &mut ProjectFile| f.shown = root.join(&f.relative);
    files.schema.iter_mut().for_each(reroot);
    files.inventory.iter_mut().for_each(reroot);
    files.policies.iter_mut().for_each(reroot);
    match which {
        0 => files.schema = Some(file("schema.cedarschema")),
        1 => files.schema = Some(file("schema.cedarschema.json")),
        2 => files.inventory = Some(file("inventory.toml")),
        b if b % 2 == 1 => files.policies.push(file("policies/zz-fuzz.cedar")),
        _ => match files.policies.first_mut() {
            Some(p) => p.text = text.clone(),
            None => files.policies.push(file("policies/fuzz.cedar")),
        },
    }
    let report = check_files(root, files, Vec::new(), today());
    render_all(&report.sources, &report.diagnostics);
}
