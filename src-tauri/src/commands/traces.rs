//! Trace sets: importing a file (chosen in a native dialog, imported on the
//! blocking pool with progress and cancel), mapping a set's recorded calls
//! again with another profile (previewed first), removing a set, and
//! positional access to a set's actions for the virtual table (a count,
//! then rows by position), plus the older keyset pages.

use super::dialog::{choose, Purpose};
use super::{
    blocking, open, valid_id, valid_limit, valid_name, valid_verdict, valid_version,
    version_project, AppState,
};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use writ_core::evaluate::Evaluator;
use writ_core::ingest::preview::{FileProblem, PreviewItem};
use writ_core::ingest::profile::{Profile, BUILTIN_NAMES};
use writ_core::ingest::{AttributeKey, Format, IngestCounts, ReadOptions};
use writ_core::trace::{parse_record, LineError};
use writ_store::traces::{
    ActionFilter, CallsKept, ImportOptions, ImportProgress, ImportReport, MatchingLines,
    RemapOptions, StoredAction, TimeBound, TraceSetInfo,
};
use writ_store::{StoreError, Workspace};

/// The Cedar request the action at `line` of trace set `set` becomes
/// under `version`: principal, action and resource, the context with the
/// attributes Writ injects, and the principal's inventory entity (see
/// `writ_core::evaluate::Evaluator::request_json`).
#[tauri::command]
pub async fn action_request(
    state: State<'_, AppState>,
    version: String,
    set: i64,
    line: i64,
) -> Result<serde_json::Value, String> {
    let version = valid_version(&version)?.to_string();
    let set = valid_id("trace set", set)?;
    let line = valid_id("line", line)?;
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        let row = ws
            .list_actions(set, &ActionFilter::default(), line - 1, 1)
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .filter(|a| a.line == line)
            .ok_or_else(|| format!("trace set {set} has no action at line {line}"))?;
        let record = parse_record(line as usize, &row.record)
            .map_err(|e| format!("line {line} does not read as a record: {}", e.message))?;
        let project = version_project(&ws, &version, "used to build the request")?;
        Evaluator::from_project("request", &project)
            .request_json(&record)
            .map_err(|e| format!("line {line} does not make a Cedar request: {e}"))
    })
    .await
}

/// The filters of the virtual table, as the front end sends them.
#[derive(Debug, Deserialize, ts_rs::TS)]
pub struct ActionQuery {
    set: i64,
    run: Option<i64>,
    agent: Option<String>,
    tool: Option<String>,
    verdict: Option<String>,
    /// Only at or after this time (ISO 8601, e.g. `2026-11-02T06:00`).
    since: Option<String>,
    /// Only before this time.
    until: Option<String>,
}

/// The set and the filter of a query, parsed (the store checks what
/// depends on more than one field: a verdict needs a run, `since` before
/// `until`).
fn valid_query(q: ActionQuery) -> Result<(i64, ActionFilter), String> {
    let set = valid_id("trace set", q.set)?;
    let run = q.run.map(|r| valid_id("run", r)).transpose()?;
    let time = |what: &str, t: Option<String>| {
        TimeBound::parse_optional(t.as_deref()).map_err(|e| format!("{what}: {e}"))
    };
    Ok((
        set,
        ActionFilter {
            agent: valid_name("agent", q.agent)?,
            tool: valid_name("tool", q.tool)?,
            verdict: valid_verdict(q.verdict)?,
            run,
            since: time("from", q.since)?,
            until: time("to", q.until)?,
        },
    ))
}

/// How many filtered lists the table keeps (each is 8 bytes per action).
const KEPT_LISTS: usize = 4;

/// What the virtual table keeps between calls: one open connection for
/// reading (opening a workspace checks the whole file, too slow for every
/// page) and the matching lines of the last few filters, so that a page
/// anywhere costs a hundred primary-key reads. Managed by the app.
#[derive(Default)]
pub struct TableCache(Arc<TableInner>);

#[derive(Default)]
struct TableInner {
    reader: Mutex<Option<(PathBuf, Workspace)>>,
    lists: Mutex<VecDeque<(String, Arc<MatchingLines>)>>,
}

impl TableInner {
    /// Runs `f` with the kept reader of the workspace at `path` (opened
    /// anew when the workspace changed).
    fn with_reader<T>(
        &self,
        path: &Path,
        f: impl FnOnce(&Workspace) -> Result<T, String>,
    ) -> Result<T, String> {
        let mut reader = self
            .reader
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if reader.as_ref().is_none_or(|(p, _)| p != path) {
            *reader = None;
            *reader = Some((path.to_path_buf(), open(path)?));
        }
        match reader.as_ref() {
            Some((_, ws)) => f(ws),
            None => Err("the workspace could not be opened".to_string()),
        }
    }

    /// The matching lines of `filter` over `set`, kept for the next call.
    fn lines(
        &self,
        ws: &Workspace,
        path: &Path,
        set: i64,
        filter: &ActionFilter,
    ) -> Result<Arc<MatchingLines>, String> {
        // Sets and runs never change once stored; the set's hash guards
        // against another workspace at the same path.
        let sha = ws
            .trace_set(&set.to_string())
            .map_err(|e| e.to_string())?
            .sha256;
        let key = format!("{}\0{set}\0{sha}\0{filter:?}", path.display());
        let mut lists = self
            .lists
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(i) = lists.iter().position(|(k, _)| *k == key) {
            let hit = lists.remove(i).map(|(_, l)| l).unwrap_or_default();
            lists.push_back((key, hit.clone()));
            return Ok(hit);
        }
        let made = Arc::new(ws.matching_lines(set, filter).map_err(|e| e.to_string())?);
        lists.push_back((key, made.clone()));
        while lists.len() > KEPT_LISTS {
            lists.pop_front();
        }
        Ok(made)
    }
}

/// How many actions match the filters (the virtual table's length).
#[tauri::command]
pub async fn count_actions(
    state: State<'_, AppState>,
    cache: State<'_, TableCache>,
    query: ActionQuery,
) -> Result<u64, String> {
    let (set, filter) = valid_query(query)?;
    let path = state.path();
    let inner = cache.0.clone();
    blocking(move || inner.with_reader(&path, |ws| Ok(inner.lines(ws, &path, set, &filter)?.len())))
        .await
}

/// Up to `limit` actions matching the filters from position `offset`
/// (0-based, in line order).
#[tauri::command]
pub async fn actions_at(
    state: State<'_, AppState>,
    cache: State<'_, TableCache>,
    query: ActionQuery,
    offset: u64,
    limit: u32,
) -> Result<Vec<StoredAction>, String> {
    let (set, filter) = valid_query(query)?;
    let limit = valid_limit(limit)? as usize;
    let path = state.path();
    let inner = cache.0.clone();
    blocking(move || {
        inner.with_reader(&path, |ws| {
            let lines = inner.lines(ws, &path, set, &filter)?;
            ws.actions_by_lines(set, filter.run, lines.page(offset, limit))
                .map_err(|e| e.to_string())
        })
    })
    .await
}

/// The position (0-based, in line order) of line `line` among the actions
/// matching the filters, or `None` when it does not match: where the
/// table scrolls to show an action another view points at.
#[tauri::command]
pub async fn action_position(
    state: State<'_, AppState>,
    cache: State<'_, TableCache>,
    query: ActionQuery,
    line: i64,
) -> Result<Option<u64>, String> {
    let (set, filter) = valid_query(query)?;
    let path = state.path();
    let inner = cache.0.clone();
    blocking(move || {
        inner.with_reader(&path, |ws| {
            Ok(inner.lines(ws, &path, set, &filter)?.position(line))
        })
    })
    .await
}

/// The import job: the file chosen in the dialog (waiting for its set
/// name), the mapping profile file chosen for it, if any, and the running
/// import's cancel flag. Managed by the app.
#[derive(Default)]
pub struct ImportJobs {
    chosen: Mutex<Option<PathBuf>>,
    profile_file: Mutex<Option<PathBuf>>,
    running: Mutex<Option<Arc<AtomicBool>>>,
}

impl ImportJobs {
    fn running(&self) -> std::sync::MutexGuard<'_, Option<Arc<AtomicBool>>> {
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn chosen(&self) -> std::sync::MutexGuard<'_, Option<PathBuf>> {
        self.chosen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn profile_file(&self) -> std::sync::MutexGuard<'_, Option<PathBuf>> {
        self.profile_file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The file chosen for import, as the front end sees it (never the path).
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct ChosenTrace {
    /// The file's name.
    file_name: String,
    /// The suggested set name (the file's stem).
    stem: String,
    /// Its size in bytes.
    bytes: u64,
}

/// Opens the native "Import trace" dialog; the chosen file waits for
/// [`import_trace`]. `None` when the user cancelled.
#[tauri::command]
pub async fn choose_trace_file(
    app: AppHandle,
    jobs: State<'_, ImportJobs>,
) -> Result<Option<ChosenTrace>, String> {
    let chosen = blocking(move || {
        choose(
            &app,
            Purpose::Open,
            "Import trace",
            &[
                (
                    "Trace files (JSON, JSON Lines)",
                    &["jsonl", "json", "ndjson"],
                ),
                ("All files", &["*"]),
            ],
        )
    })
    .await?;
    let Some(path) = chosen else {
        return Ok(None);
    };
    let meta =
        std::fs::metadata(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!(
            "{} is not a file; choose a trace file",
            path.display()
        ));
    }
    let name = |p: Option<&std::ffi::OsStr>| p.map(|s| s.to_string_lossy().into_owned());
    let out = ChosenTrace {
        file_name: name(path.file_name()).unwrap_or_default(),
        stem: name(path.file_stem()).unwrap_or_else(|| "traces".into()),
        bytes: meta.len(),
    };
    *jobs.chosen() = Some(path);
    Ok(Some(out))
}

/// A trace set name, trimmed and checked as the store checks it
/// (`writ_store::traces::check_set_name`).
pub(crate) fn valid_set_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("give the trace set a name".to_string());
    }
    writ_store::traces::check_set_name(name).map_err(|e| e.to_string())?;
    Ok(name.to_string())
}

/// Progress of an import, sent over a channel.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum ImportStage {
    /// Reading and storing lines.
    Importing {
        /// Bytes read so far.
        bytes: u64,
        /// The file's size.
        total: u64,
        /// Actions stored so far.
        actions: u64,
        /// Malformed lines so far.
        bad_lines: u64,
    },
    /// Committed: the new set's id.
    Done {
        /// The new set.
        set: i64,
    },
}

/// What a cancelled import answers (the front end tells it from a failure).
const CANCELLED: &str = "Import cancelled; nothing was stored.";

/// How many malformed lines an import result lists.
const FIRST_ERRORS: usize = 5;

/// What an import did.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct ImportOutcome {
    /// The new set.
    set: TraceSetInfo,
    /// The first few malformed lines (all are kept with the set).
    errors: Vec<LineError>,
    /// The format read.
    format: Format,
    /// Items read, actions extracted, items skipped by reason.
    counts: IngestCounts,
}

impl From<ImportReport> for ImportOutcome {
    /// The outcome shown of an import or a re-mapping (its first few
    /// malformed items only).
    fn from(report: ImportReport) -> Self {
        ImportOutcome {
            set: report.set,
            errors: report.errors.into_iter().take(FIRST_ERRORS).collect(),
            format: report.format,
            counts: report.counts,
        }
    }
}

/// Clears the running import when the command ends, however it ends.
struct Running<'a>(&'a ImportJobs);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        *self.0.running() = None;
    }
}

/// Imports the file chosen with [`choose_trace_file`] as trace set `name`,
/// read and mapped as `options` say (format, profile, user attribute;
/// absent: detected, `writ`, none), on the blocking pool, reporting
/// progress on `on_progress`. One import at a time; [`cancel_import`]
/// stops it and nothing is stored.
#[tauri::command]
pub async fn import_trace(
    state: State<'_, AppState>,
    jobs: State<'_, ImportJobs>,
    name: String,
    options: Option<ImportChoice>,
    on_progress: Channel<ImportStage>,
) -> Result<ImportOutcome, String> {
    let name = valid_set_name(&name)?;
    let choice = valid_choice(&options.unwrap_or_default())?;
    let profile_file = jobs.profile_file().clone();
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let mut running = jobs.running();
        if running.is_some() {
            return Err(
                "an import is already running; wait for it to finish or cancel it".to_string(),
            );
        }
        *running = Some(cancel.clone());
    }
    let _running = Running(jobs.inner());
    let Some(file) = jobs.chosen().take() else {
        return Err("choose a trace file first (Import trace…)".to_string());
    };
    let path = state.path();
    let actor = super::actor();
    let (outcome, file) = blocking(move || {
        let outcome = (|| {
            let opts = choice.import_options(choice.load_profile(profile_file.as_deref())?);
            let mut ws = open(&path)?;
            let progress = |p: ImportProgress| {
                let _ = on_progress.send(ImportStage::Importing {
                    bytes: p.bytes,
                    total: p.total.unwrap_or(0),
                    actions: p.actions,
                    bad_lines: p.bad_lines,
                });
            };
            match ws.import_traces_opts(&file, Some(&name), &actor, &opts, &progress, &cancel) {
                Ok(report) => {
                    let _ = on_progress.send(ImportStage::Done { set: report.set.id });
                    Ok(ImportOutcome::from(report))
                }
                Err(StoreError::Cancelled(_)) => Err(CANCELLED.to_string()),
                Err(e @ (StoreError::NameTaken { .. } | StoreError::NothingToImport { .. })) => {
                    Err(e.to_string())
                }
                Err(e) => Err(format!("importing {} failed: {e}", file.display())),
            }
        })();
        Ok((outcome, file))
    })
    .await?;
    // A refused import keeps the chosen file, so that another name can be
    // tried without choosing it again.
    if matches!(&outcome, Err(e) if e != CANCELLED) {
        jobs.chosen().get_or_insert(file);
    }
    outcome
}

/// The import options as the front end sends them: names only, never a
/// path (a profile file is chosen with [`choose_profile_file`]).
#[derive(Debug, Default, Clone, Deserialize, ts_rs::TS)]
pub struct ImportChoice {
    /// `auto` (or absent) to detect, else a format name (`jaeger`, ...).
    pub format: Option<String>,
    /// A built-in profile name, or `file` for the chosen profile file;
    /// absent is the default profile (`writ`).
    pub profile: Option<String>,
    /// An extra attribute naming the user (e.g. `kagent.user_id`); blank
    /// for none.
    pub user_attribute: Option<String>,
}

/// Which profile an import maps with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProfileChoice {
    /// A built-in profile, by name.
    Builtin(String),
    /// The profile file chosen in the dialog.
    File,
}

/// [`ImportChoice`] checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValidChoice {
    /// `None` detects the format.
    pub format: Option<Format>,
    /// The mapping profile.
    pub profile: ProfileChoice,
    /// Extra user attributes (none or one).
    pub user_attributes: Vec<String>,
}

/// Checks the import options: a known format or `auto`, a built-in profile
/// or `file`, and an attribute key of letters, digits and `. _ - : /`.
pub(crate) fn valid_choice(c: &ImportChoice) -> Result<ValidChoice, String> {
    let format = match c.format.as_deref().map(str::trim) {
        None | Some("") | Some("auto") => None,
        Some(name) => Some(Format::from_name(name).ok_or_else(|| {
            format!(
                "`{name}` is not a trace format; choose auto or one of {}",
                Format::names()
            )
        })?),
    };
    let profile = match c.profile.as_deref().map(str::trim) {
        None | Some("") => ProfileChoice::Builtin(BUILTIN_NAMES[0].to_string()),
        Some("file") => ProfileChoice::File,
        Some(name) if BUILTIN_NAMES.contains(&name) => ProfileChoice::Builtin(name.to_string()),
        Some(name) => {
            return Err(format!(
                "`{name}` is not a built-in profile; choose one of {} or a profile file",
                BUILTIN_NAMES.join(", ")
            ))
        }
    };
    let user_attributes = match c.user_attribute.as_deref().map(str::trim) {
        None | Some("") => Vec::new(),
        Some(a) => vec![a.parse::<AttributeKey>().map_err(|e| e.to_string())?.into()],
    };
    Ok(ValidChoice {
        format,
        profile,
        user_attributes,
    })
}

impl ValidChoice {
    /// The profile, loaded (a file choice needs `file`, the chosen one).
    fn load_profile(&self, file: Option<&Path>) -> Result<Profile, String> {
        match &self.profile {
            ProfileChoice::Builtin(name) => Profile::builtin(name)
                .ok_or_else(|| format!("the built-in profile `{name}` does not load")),
            ProfileChoice::File => {
                let file = file.ok_or_else(|| {
                    "choose a profile file first (Profile file…), or pick a built-in profile"
                        .to_string()
                })?;
                Profile::load(file).map_err(|e| e.to_string())
            }
        }
    }

    /// The store's import options, with `profile`.
    fn import_options(&self, profile: Profile) -> ImportOptions {
        ImportOptions {
            format: self.format,
            read: ReadOptions {
                user_attributes: self.user_attributes.clone(),
            },
            mapping: Some(Arc::new(profile)),
            allow_empty: false,
        }
    }

    /// The store's re-mapping options, with `profile` (the format is the
    /// set's own: a re-mapping does not read the file again).
    fn remap_options(&self, profile: Profile) -> RemapOptions {
        RemapOptions {
            mapping: Arc::new(profile),
            user_attributes: self.user_attributes.clone(),
        }
    }
}

/// The profile file chosen for import, as the front end sees it.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct ChosenProfile {
    /// The file's name.
    file_name: String,
    /// The profile's own name.
    name: String,
    /// Its description.
    description: String,
}

/// Opens the native "Mapping profile" dialog and loads the chosen TOML
/// profile (its problems are reported with line and column); it is used
/// by previews and imports with the profile `file`. `None` when cancelled.
#[tauri::command]
pub async fn choose_profile_file(
    app: AppHandle,
    jobs: State<'_, ImportJobs>,
) -> Result<Option<ChosenProfile>, String> {
    let chosen = blocking(move || {
        let Some(path) = choose(
            &app,
            Purpose::Open,
            "Mapping profile",
            &[
                ("Mapping profiles (TOML)", &["toml"]),
                ("All files", &["*"]),
            ],
        )?
        else {
            return Ok(None);
        };
        let profile = Profile::load(&path).map_err(|e| e.to_string())?;
        Ok(Some((path, profile)))
    })
    .await?;
    let Some((path, profile)) = chosen else {
        return Ok(None);
    };
    let out = ChosenProfile {
        file_name: path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        name: profile.name,
        description: profile.description,
    };
    *jobs.profile_file() = Some(path);
    Ok(Some(out))
}

/// Items a preview shows.
const PREVIEW_ITEMS: usize = 5;

/// The mapping preview of the chosen file.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct TracePreview {
    /// The format detected from the first bytes, if any.
    detected: Option<Format>,
    /// The format read (the chosen one, else the detected one).
    format: Option<Format>,
    /// The profile's name.
    profile: String,
    /// The version the requests were built and decided against (short id).
    version: Option<String>,
    /// The first items; empty when the file could not be read.
    items: Vec<PreviewItem>,
    /// Why the file could not be read as the format, if it could not.
    problem: Option<String>,
}

/// Previews the file chosen with [`choose_trace_file`] under `options`:
/// the detected format and, for the first five items, the recorded
/// excerpt, the extracted action, the mapped record, the Cedar request and
/// the verdict replayed against `version` (default: the newest version),
/// with every problem found.
#[tauri::command]
pub async fn preview_trace_import(
    state: State<'_, AppState>,
    jobs: State<'_, ImportJobs>,
    version: Option<String>,
    options: ImportChoice,
) -> Result<TracePreview, String> {
    let choice = valid_choice(&options)?;
    let version = version
        .filter(|v| !v.trim().is_empty())
        .map(|v| valid_version(&v).map(str::to_string))
        .transpose()?;
    let Some(file) = jobs.chosen().clone() else {
        return Err("choose a trace file first (Import trace…)".to_string());
    };
    let profile_file = jobs.profile_file().clone();
    let path = state.path();
    blocking(move || preview_file(&path, &file, &choice, profile_file.as_deref(), version)).await
}

/// The preview of trace `file` under `choice`, decided against `version`
/// (default: the newest) of the workspace at `path`
/// (`writ_core::ingest::preview::preview_file`, as `writ traces preview`).
fn preview_file(
    path: &Path,
    file: &Path,
    choice: &ValidChoice,
    profile_file: Option<&Path>,
    version: Option<String>,
) -> Result<TracePreview, String> {
    let profile = choice.load_profile(profile_file)?;
    let ws = open(path)?;
    let (version, evaluator) = preview_evaluator(&ws, version)?;
    let read = ReadOptions {
        user_attributes: choice.user_attributes.clone(),
    };
    let p = writ_core::ingest::preview::preview_file(
        file,
        choice.format,
        &read,
        &profile,
        evaluator.as_ref(),
        PREVIEW_ITEMS,
    )
    .map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    let problem = p.problem.map(|problem| match problem {
        FileProblem::NotRecognised => format!(
            "the format of {} is not recognised; choose it under Format (one of {})",
            file.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            Format::names()
        ),
        FileProblem::Unreadable { message } => format!("{}: {message}", file.display()),
    });
    Ok(TracePreview {
        detected: p.detected,
        format: p.format,
        profile: profile.name,
        version: version.map(|v| short_id(&v)),
        items: p.items,
        problem,
    })
}

/// The version a preview decides against (`version`, default: the newest
/// stored one; `None` when the workspace holds no version) and its
/// evaluator: the import preview's and the re-mapping preview's.
fn preview_evaluator(
    ws: &Workspace,
    version: Option<String>,
) -> Result<(Option<String>, Option<Evaluator>), String> {
    let version = match version {
        Some(v) => Some(v),
        None => ws
            .list_versions()
            .map_err(|e| e.to_string())?
            .first()
            .map(|v| v.id.clone()),
    };
    let evaluator = match &version {
        Some(v) => Some(Evaluator::from_project(
            v.clone(),
            &version_project(ws, v, "used for the preview")?,
        )),
        None => None,
    };
    Ok((version, evaluator))
}

/// A version id as a preview shows it: its first twelve characters.
fn short_id(v: &str) -> String {
    v.chars().take(12).collect()
}

/// How many recorded tool calls set `set` kept for re-mapping (none for
/// native records and decision logs: "Re-map…" is then off), and their
/// size (`Workspace::calls_kept`).
#[tauri::command]
pub async fn trace_set_calls(state: State<'_, AppState>, set: i64) -> Result<CallsKept, String> {
    let set = valid_id("trace set", set)?;
    let path = state.path();
    blocking(move || {
        open(&path)?
            .calls_kept(&set.to_string())
            .map_err(|e| e.to_string())
    })
    .await
}

/// The re-mapping options as the front end sends them: names only, never
/// a path (a profile file is chosen with [`choose_profile_file`]).
#[derive(Debug, Default, Clone, Deserialize, ts_rs::TS)]
pub struct RemapChoice {
    /// A built-in profile name, or `file` for the chosen profile file;
    /// blank is the default profile (`writ`).
    pub profile: String,
    /// An attribute of each call naming the user, tried before the user
    /// found at import (e.g. `kagent.user_id`); blank for none.
    pub user_attribute: Option<String>,
    /// The new set's name; blank for the store's `<set>-<profile>`.
    pub name: Option<String>,
}

/// Checks how a re-mapping maps: the profile and the user attribute, as
/// an import checks them ([`valid_choice`]); the name is not looked at.
fn valid_remap_mapping(c: &RemapChoice) -> Result<ValidChoice, String> {
    valid_choice(&ImportChoice {
        format: None,
        profile: Some(c.profile.clone()),
        user_attribute: c.user_attribute.clone(),
    })
}

/// Checks the re-mapping options: the profile and the user attribute as
/// an import checks them ([`valid_remap_mapping`]), a name as a set name.
fn valid_remap(c: &RemapChoice) -> Result<(ValidChoice, Option<String>), String> {
    let choice = valid_remap_mapping(c)?;
    let name = match c.name.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) => Some(valid_set_name(n)?),
    };
    Ok((choice, name))
}

/// A refused re-mapping, worded for the window (the store's messages
/// name the CLI's flags).
fn remap_error(e: StoreError) -> String {
    match e {
        StoreError::NoCallsToRemap { set } => format!(
            "trace set `{set}` kept no recorded tool calls (it holds native records or a \
             decision log, or was imported by an older Writ), so it cannot be mapped again; \
             import its file again with the profile instead"
        ),
        StoreError::DuplicateTraceSet { name, id } => format!(
            "these calls were mapped this way before, as trace set `{name}` (id {id}); \
             nothing was stored"
        ),
        StoreError::NothingToImport {
            read,
            first_problem,
            ..
        } => {
            let first = first_problem
                .map(|p| format!("; the first problem: {p}"))
                .unwrap_or_default();
            format!(
                "none of the {read} recorded call(s) maps to an action under this profile{first}; \
                 nothing was stored"
            )
        }
        e => e.to_string(),
    }
}

/// Makes a new trace set from the recorded tool calls of set `set`, mapped
/// again with `options` (profile, user attribute, name; the profile file
/// chosen with [`choose_profile_file`] for the profile `file`), as
/// `writ traces remap` does (`Workspace::remap_trace_set`, audited as the
/// app's actor). Returns the new set and what the mapping did.
#[tauri::command]
pub async fn remap_trace_set(
    state: State<'_, AppState>,
    jobs: State<'_, ImportJobs>,
    set: i64,
    options: RemapChoice,
) -> Result<ImportOutcome, String> {
    let set = valid_id("trace set", set)?;
    let (choice, name) = valid_remap(&options)?;
    let profile_file = jobs.profile_file().clone();
    let path = state.path();
    let actor = super::actor();
    blocking(move || {
        remap_set(
            &path,
            set,
            &choice,
            name.as_deref(),
            profile_file.as_deref(),
            &actor,
        )
    })
    .await
}

/// Maps the calls of set `set` of the workspace at `path` again under
/// `choice` (`profile_file`: the chosen profile file) as a new set `name`
/// (default `<set>-<profile>`), as `actor`.
fn remap_set(
    path: &Path,
    set: i64,
    choice: &ValidChoice,
    name: Option<&str>,
    profile_file: Option<&Path>,
    actor: &str,
) -> Result<ImportOutcome, String> {
    let opts = choice.remap_options(choice.load_profile(profile_file)?);
    open(path)?
        .remap_trace_set(&set.to_string(), name, actor, &opts)
        .map(ImportOutcome::from)
        .map_err(remap_error)
}

/// The re-mapping preview of a trace set.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct RemapPreview {
    /// The profile's name.
    profile: String,
    /// The version the requests were built and decided against (short id);
    /// `None` when the workspace holds no version.
    version: Option<String>,
    /// The first kept calls as the profile maps them.
    items: Vec<PreviewItem>,
}

/// Previews a re-mapping of set `set` under `options` (profile and user
/// attribute, checked as [`remap_trace_set`] checks them; the name is not
/// used): the first `limit` (1 to 100) recorded calls as the profile maps
/// them, each with its mapped record, Cedar request and verdict against
/// the newest version, and every problem found (`Workspace::preview_remap`,
/// as `writ traces remap --preview`). Nothing is stored.
#[tauri::command]
pub async fn preview_remap_trace_set(
    state: State<'_, AppState>,
    jobs: State<'_, ImportJobs>,
    set: i64,
    options: RemapChoice,
    limit: u32,
) -> Result<RemapPreview, String> {
    let set = valid_id("trace set", set)?;
    let choice = valid_remap_mapping(&options)?;
    let limit = valid_preview_limit(limit)?;
    let profile_file = jobs.profile_file().clone();
    let path = state.path();
    blocking(move || preview_remap(&path, set, &choice, profile_file.as_deref(), limit)).await
}

/// Most calls a re-mapping preview shows.
const MAX_PREVIEW_CALLS: u32 = 100;

/// How many calls a re-mapping preview shows: 1 to [`MAX_PREVIEW_CALLS`].
fn valid_preview_limit(limit: u32) -> Result<usize, String> {
    if (1..=MAX_PREVIEW_CALLS).contains(&limit) {
        Ok(limit as usize)
    } else {
        Err(format!(
            "a preview shows 1 to {MAX_PREVIEW_CALLS} calls, not {limit}"
        ))
    }
}

/// The first `limit` kept calls of set `set` of the workspace at `path`
/// as `choice` (`profile_file`: the chosen profile file) maps them,
/// decided against the newest version.
fn preview_remap(
    path: &Path,
    set: i64,
    choice: &ValidChoice,
    profile_file: Option<&Path>,
    limit: usize,
) -> Result<RemapPreview, String> {
    let profile = choice.load_profile(profile_file)?;
    let name = profile.name.clone();
    let opts = choice.remap_options(profile);
    let ws = open(path)?;
    let (version, evaluator) = preview_evaluator(&ws, None)?;
    let items = ws
        .preview_remap(&set.to_string(), &opts, evaluator.as_ref(), limit)
        .map_err(remap_error)?;
    Ok(RemapPreview {
        profile: name,
        version: version.map(|v| short_id(&v)),
        items,
    })
}

/// A refused removal, worded for the window: what still refers to the set.
fn remove_error(e: StoreError) -> String {
    match e {
        StoreError::TraceSetInUse { name, uses } => format!(
            "trace set `{name}` cannot be removed: {} {} to it (review evidence is never \
             destroyed)",
            uses.join(", "),
            if uses.len() == 1 { "refers" } else { "refer" }
        ),
        e => e.to_string(),
    }
}

/// Removes trace set `set` with its actions and kept calls, as
/// `writ traces remove` does (`Workspace::remove_trace_set`, audited as
/// the app's actor); refused while a run, a review round, a suite or a
/// re-mapped set refers to it. Returns the removed set.
#[tauri::command]
pub async fn remove_trace_set(
    state: State<'_, AppState>,
    set: i64,
) -> Result<TraceSetInfo, String> {
    let set = valid_id("trace set", set)?;
    let path = state.path();
    let actor = super::actor();
    blocking(move || remove_set(&path, set, &actor)).await
}

/// Removes set `set` of the workspace at `path` as `actor`; the set as it
/// was.
fn remove_set(path: &Path, set: i64, actor: &str) -> Result<TraceSetInfo, String> {
    let mut ws = open(path)?;
    let id = set.to_string();
    let info = ws.trace_set(&id).map_err(|e| e.to_string())?;
    ws.remove_trace_set(&id, actor).map_err(remove_error)?;
    Ok(info)
}

/// Asks the running import to stop; `false` when none is running.
#[tauri::command]
pub fn cancel_import(jobs: State<'_, ImportJobs>) -> bool {
    match jobs.running().as_ref() {
        Some(flag) => {
            flag.store(true, Ordering::Relaxed);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use writ_core::evaluate::Verdict;

    fn query(since: &str, until: &str, verdict: &str) -> ActionQuery {
        ActionQuery {
            set: 1,
            run: None,
            agent: None,
            tool: None,
            verdict: Some(verdict.into()),
            since: Some(since.into()),
            until: Some(until.into()),
        }
    }

    #[test]
    fn times_and_names_are_checked() {
        let (_, f) = valid_query(query(" ", "", " ")).expect("blank is none");
        assert_eq!((f.since, f.until, f.verdict), (None, None, None));
        let (_, f) =
            valid_query(query("2026-11-02", "2026-11-02T06:00:00.5Z", "allowed")).expect("valid");
        assert_eq!(f.since.map(|t| t.to_string()), Some("2026-11-02".into()));
        assert_eq!(f.verdict, Some(Verdict::Allowed));
        let e = valid_query(query("yesterday", "", "")).unwrap_err();
        assert!(e.starts_with("from: `yesterday` is not a time"), "{e}");
        assert!(valid_query(query("", "2026-11-02 06:00", "")).is_err());
        assert!(valid_query(query("", "2026-11-02T06:00'--", "")).is_err());
        assert!(valid_query(query("", "", "maybe")).is_err());
        assert_eq!(valid_set_name(" week 46 "), Ok("week 46".into()));
        assert!(valid_set_name("").is_err());
        assert!(valid_set_name("42").is_err());
        assert!(valid_set_name("a\nb").is_err());
        assert!(valid_set_name(&"x".repeat(101)).is_err());
    }

    /// A fresh directory for one test.
    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("writ-app-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("scratch dir");
        d
    }

    fn choice(format: &str, profile: &str, user: &str) -> ImportChoice {
        ImportChoice {
            format: Some(format.into()),
            profile: Some(profile.into()),
            user_attribute: Some(user.into()),
        }
    }

    #[test]
    fn import_options_are_checked() {
        // Absent everything: detect, the default profile, no attribute.
        let d = valid_choice(&ImportChoice::default()).expect("defaults");
        assert_eq!(d.format, None);
        assert_eq!(d.profile, ProfileChoice::Builtin("writ".into()));
        assert!(d.user_attributes.is_empty());

        let c =
            valid_choice(&choice("mcp-cassette", "toolhive", " kagent.user_id ")).expect("valid");
        assert_eq!(c.format, Some(Format::McpCassette));
        assert_eq!(c.profile, ProfileChoice::Builtin("toolhive".into()));
        assert_eq!(c.user_attributes, vec!["kagent.user_id".to_string()]);
        assert_eq!(
            valid_choice(&choice("auto", "file", ""))
                .expect("file")
                .profile,
            ProfileChoice::File
        );
        for f in Format::ALL {
            assert_eq!(
                valid_choice(&choice(f.name(), "writ", ""))
                    .expect("format")
                    .format,
                Some(f)
            );
        }

        let e = valid_choice(&choice("zipkin", "writ", "")).unwrap_err();
        assert!(e.contains("zipkin") && e.contains("jaeger"), "{e}");
        let e = valid_choice(&choice("auto", "/etc/passwd", "")).unwrap_err();
        assert!(
            e.contains("not a built-in profile") && e.contains("agentcore"),
            "{e}"
        );
        assert!(valid_choice(&choice("auto", "writ", "user id")).is_err());
        assert!(valid_choice(&choice("auto", "writ", "a\nb")).is_err());
        assert!(valid_choice(&choice("auto", "writ", "x'); drop")).is_err());
        assert!(valid_choice(&choice("auto", "writ", &"a".repeat(257))).is_err());
    }

    #[test]
    fn a_profile_file_must_be_chosen_and_valid() {
        let file = valid_choice(&choice("auto", "file", "")).expect("file");
        let e = file.load_profile(None).unwrap_err();
        assert!(e.contains("choose a profile file"), "{e}");
        let dir = scratch("profile");
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "name = \"x\"\nprincipal = [").expect("write");
        let e = file.load_profile(Some(&bad)).unwrap_err();
        assert!(e.contains("bad.toml"), "{e}");
        let good = dir.join("th.toml");
        std::fs::write(&good, Profile::builtin_source("toolhive").expect("builtin"))
            .expect("write");
        assert_eq!(
            file.load_profile(Some(&good)).expect("loads").name,
            "toolhive"
        );
        let builtin = valid_choice(&choice("auto", "agentcore", "")).expect("builtin");
        assert_eq!(builtin.load_profile(None).expect("loads").name, "agentcore");
    }

    #[test]
    fn a_preview_decides_against_the_newest_version_and_says_what_is_wrong() {
        let dir = scratch("preview-file");
        let ws = dir.join("w.writ");
        writ_store::sample::create_sample(&ws, "test").expect("sample");
        let log = dir.join("log.jsonl");
        std::fs::write(
            &log,
            concat!(
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"a"}}}"#,
                "\n",
                r#"{"jsonrpc":"2.0","id":1,"result":{"isError":true,"content":[{"type":"text","text":"no"}]}}"#,
                "\n"
            ),
        )
        .expect("write");
        let auto = valid_choice(&ImportChoice::default()).expect("defaults");
        let p = preview_file(&ws, &log, &auto, None, None).expect("preview");
        assert_eq!(p.format, Some(Format::McpJsonRpc));
        assert_eq!(p.detected, Some(Format::McpJsonRpc));
        assert!(p.problem.is_none(), "{:?}", p.problem);
        assert!(p.version.as_ref().is_some_and(|v| v.len() == 12));
        assert_eq!(p.items.len(), 1);
        let item = &p.items[0];
        let call = item.action.as_ref().expect("a tool call");
        assert_eq!(call.tool, "read_file");
        assert_eq!(call.outcome, writ_core::trace::RecordedOutcome::Failed);
        assert!(item.record.is_some());

        // Not a trace: no format, no items, a problem naming the file.
        let text = dir.join("notes.txt");
        std::fs::write(&text, "hello\n").expect("write");
        let p = preview_file(&ws, &text, &auto, None, None).expect("preview");
        assert_eq!((p.detected, p.format), (None, None));
        assert!(p.items.is_empty());
        let problem = p.problem.expect("a problem");
        assert!(
            problem.contains("notes.txt") && problem.contains("Format"),
            "{problem}"
        );

        // A version that does not exist is an error, not an empty preview.
        assert!(preview_file(&ws, &log, &auto, None, Some("ffffffff".into())).is_err());
    }

    /// Two MCP JSON-RPC tool calls (`read_file`, `write_file`) of the
    /// client `support-bot`.
    const MCP_LOG: &str = concat!(
        r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"support-bot","version":"1.0"}}}"#,
        "\n",
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"a"}}}"#,
        "\n",
        r#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"}]}}"#,
        "\n",
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"write_file","arguments":{"path":"b"}}}"#,
        "\n",
        r#"{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"ok"}]}}"#,
        "\n"
    );

    /// A sample workspace with [`MCP_LOG`] imported as set `mcp` (its id).
    fn workspace_with_calls(name: &str) -> (PathBuf, i64) {
        let dir = scratch(name);
        let ws = dir.join("w.writ");
        writ_store::sample::create_sample(&ws, "test").expect("sample");
        let log = dir.join("log.jsonl");
        std::fs::write(&log, MCP_LOG).expect("write");
        let choice = valid_choice(&ImportChoice::default()).expect("defaults");
        let opts = choice.import_options(choice.load_profile(None).expect("writ"));
        let report = open(&ws)
            .expect("open")
            .import_traces_opts(
                &log,
                Some("mcp"),
                "test",
                &opts,
                &|_| {},
                &AtomicBool::new(false),
            )
            .expect("import");
        (ws, report.set.id)
    }

    fn remap(profile: &str, attr: &str, name: &str) -> RemapChoice {
        RemapChoice {
            profile: profile.into(),
            user_attribute: Some(attr.into()),
            name: Some(name.into()),
        }
    }

    #[test]
    fn remap_options_are_checked() {
        let (c, name) = valid_remap(&remap("toolhive", " kagent.user_id ", " ")).expect("valid");
        assert_eq!(c.profile, ProfileChoice::Builtin("toolhive".into()));
        assert_eq!(c.user_attributes, vec!["kagent.user_id".to_string()]);
        assert_eq!(name, None);
        let (_, name) = valid_remap(&remap("file", "", " again ")).expect("valid");
        assert_eq!(name.as_deref(), Some("again"));
        assert!(valid_remap(&remap("/etc/passwd", "", "")).is_err());
        assert!(valid_remap(&remap("writ", "user id", "")).is_err());
        assert!(valid_remap(&remap("writ", "", "42")).is_err());
        assert!(valid_remap(&remap("writ", "", "a\nb")).is_err());
    }

    #[test]
    fn a_remapping_is_previewed_against_the_newest_version_without_storing() {
        let (ws, mcp) = workspace_with_calls("remap-preview");
        let sets = || open(&ws).expect("open").list_trace_sets().expect("sets");
        let before = sets().len();
        let (toolhive, _) = valid_remap(&remap("toolhive", "", "")).expect("toolhive");
        let p = preview_remap(&ws, mcp, &toolhive, None, 5).expect("preview");
        assert_eq!(p.profile, "toolhive");
        assert!(p.version.as_ref().is_some_and(|v| v.len() == 12), "{p:?}");
        assert_eq!(p.items.len(), 2);
        for item in &p.items {
            let record = item.record.as_ref().expect("a record");
            assert_eq!(record.action, r#"Action::"call_tool""#, "{item:?}");
            // The sample's schema declares no call_tool: a request, no
            // verdict, and the problem said.
            assert!(item.request.is_some() && item.verdict.is_none(), "{item:?}");
            assert!(
                item.problems.iter().any(|p| p.contains("not declared")),
                "{item:?}"
            );
        }
        assert_eq!(
            preview_remap(&ws, mcp, &toolhive, None, 1)
                .expect("one")
                .items
                .len(),
            1
        );
        assert_eq!(sets().len(), before, "nothing stored");

        // A set without kept calls, an unchosen profile file and a bad
        // limit are refused in the window's words.
        let e = preview_remap(&ws, 1, &toolhive, None, 5).unwrap_err();
        assert!(e.contains("`recorded` kept no recorded tool calls"), "{e}");
        let (file, _) = valid_remap(&remap("file", "", "")).expect("file");
        let e = preview_remap(&ws, mcp, &file, None, 5).unwrap_err();
        assert!(e.contains("choose a profile file"), "{e}");
        assert!(valid_preview_limit(0).is_err());
        assert!(valid_preview_limit(MAX_PREVIEW_CALLS + 1).is_err());
        assert_eq!(valid_preview_limit(5), Ok(5));
        // The name is not the preview's concern.
        assert!(valid_remap_mapping(&remap("writ", "", "42")).is_ok());
        assert!(valid_remap_mapping(&remap("writ", "user id", "")).is_err());
    }

    #[test]
    fn a_set_is_mapped_again_and_removed_through_the_store() {
        let (ws, mcp) = workspace_with_calls("remap");
        let kept = open(&ws).expect("open").calls_kept("mcp").expect("kept");
        assert_eq!(kept.calls, 2);

        let toolhive = valid_choice(&choice("auto", "toolhive", "")).expect("toolhive");
        let out = remap_set(&ws, mcp, &toolhive, None, None, "test").expect("remapped");
        assert_eq!(out.set.name, "mcp-toolhive");
        assert_eq!((out.set.actions, out.counts.read), (2, 2));
        let actions = open(&ws)
            .expect("open")
            .list_actions(out.set.id, &ActionFilter::default(), 0, 10)
            .expect("actions");
        let names: Vec<&str> = actions.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(names, vec![r#"Action::"call_tool""#; 2]);

        // The same mapping again, and a set without kept calls, are refused
        // in the window's words.
        let e = remap_set(&ws, mcp, &toolhive, Some("again"), None, "test").unwrap_err();
        assert!(
            e.contains("mapped this way before") && e.contains("mcp-toolhive"),
            "{e}"
        );
        let e = remap_set(&ws, 1, &toolhive, None, None, "test").unwrap_err();
        assert!(e.contains("`recorded` kept no recorded tool calls"), "{e}");
        assert!(!e.contains("--"), "no CLI flags: {e}");

        // The imported set is held by the set that maps its calls; the
        // sample's set by its runs and suites.
        let e = remove_set(&ws, mcp, "test").unwrap_err();
        assert!(
            e.contains("cannot be removed") && e.contains("mcp-toolhive"),
            "{e}"
        );
        let e = remove_set(&ws, 1, "test").unwrap_err();
        assert!(e.contains("run 1") && e.contains("refer to it"), "{e}");
        assert_eq!(
            remove_set(&ws, out.set.id, "test").expect("removed").name,
            "mcp-toolhive"
        );
        assert_eq!(remove_set(&ws, mcp, "test").expect("removed").name, "mcp");
        let names: Vec<String> = open(&ws)
            .expect("open")
            .list_trace_sets()
            .expect("sets")
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, vec!["recorded".to_string()]);
        assert!(remove_set(&ws, mcp, "test").is_err(), "gone");
    }
}
