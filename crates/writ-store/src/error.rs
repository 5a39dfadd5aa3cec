//! The store's errors.

use std::path::PathBuf;

/// What can go wrong with a workspace.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file exists but is not a Writ workspace (or not SQLite at all).
    #[error("{path} is not a Writ workspace (it was left untouched); create a new workspace")]
    NotAWorkspace {
        /// The file.
        path: PathBuf,
    },
    /// The workspace was made by a newer Writ.
    #[error("{path} was made by a newer Writ (workspace format {found}, this Writ knows up to {known}); upgrade Writ to open it")]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its format version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// The workspace file is damaged.
    #[error("{path} is damaged: {detail}; restore it from a backup")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What SQLite reported.
        detail: String,
    },
    /// No workspace at that path.
    #[error("no workspace at {path}; create one there", path = .path.display())]
    Missing {
        /// The path.
        path: PathBuf,
    },
    /// A version, trace set or run that does not exist.
    #[error("{what} `{id}` is not in the workspace")]
    NotFound {
        /// What kind of thing.
        what: &'static str,
        /// The id given.
        id: String,
    },
    /// A version prefix that matches several versions.
    #[error("`{prefix}` matches several versions ({matches}); give more characters")]
    Ambiguous {
        /// The prefix.
        prefix: String,
        /// Some of the matches.
        matches: String,
    },
    /// The same trace content was imported before.
    #[error(
        "this trace was imported before as trace set `{name}` (id {id}); nothing was imported"
    )]
    DuplicateTraceSet {
        /// The existing set's name.
        name: String,
        /// Its id.
        id: i64,
    },
    /// A name already in use by another thing of its kind.
    #[error("a {what} named `{name}` exists already; choose another name")]
    NameTaken {
        /// What kind of thing (`trace set`, `suite`).
        what: &'static str,
        /// The name.
        name: String,
    },
    /// A name that is not allowed for its kind of thing.
    #[error(transparent)]
    BadName(#[from] NameProblem),
    /// A file or folder to create exists already; nothing was written.
    #[error("{} exists already; choose a new path for the {what}", path.display())]
    PathExists {
        /// The path.
        path: PathBuf,
        /// What was to be created there (`workspace`, `sample workspace`).
        what: &'static str,
    },
    /// A folder to write into is not empty; nothing was written.
    #[error("{} is not empty; choose a new folder", path.display())]
    FolderNotEmpty {
        /// The folder.
        path: PathBuf,
    },
    /// A long job (import, replay) was cancelled; everything it wrote
    /// was rolled back.
    #[error("{0} was cancelled; nothing was stored")]
    Cancelled(&'static str),
    /// A stored version's check has errors, so it has no project to use.
    #[error("version {version} has {errors} error(s); its check shows them")]
    VersionHasErrors {
        /// The short version id.
        version: String,
        /// How many errors its check reports.
        errors: usize,
    },
    /// An edit names a file the version does not have.
    #[error("{path} is not a file of version {version}")]
    NotAFileOfVersion {
        /// The file's relative path, as given.
        path: String,
        /// The short version id.
        version: String,
    },
    /// A version's files as edited do not check; nothing was stored.
    #[error("the edited project has {errors} error(s); fix them before committing")]
    EditedProjectHasErrors {
        /// How many errors the check of the edited files reports.
        errors: usize,
    },
    /// A commit of a project without files.
    #[error("the project has no files to commit")]
    NothingToCommit,
    /// A commit without a message.
    #[error("a version needs a message saying why it exists")]
    NoMessage,
    /// A suite's text is larger than a stored suite may be.
    #[error("{suite} is larger than {max_mib} MiB; a scenario file that big is not supported")]
    SuiteTooLarge {
        /// The suite as shown (its source or name).
        suite: String,
        /// The limit in MiB.
        max_mib: usize,
    },
    /// A suite names an entities file, which a stored suite cannot read.
    #[error("{suite}: `entities = \"{file}\"` names a file, which a suite stored in the workspace cannot read; write the entities inline as [[entities]] tables")]
    SuiteReadsFile {
        /// The suite as shown (its source or name).
        suite: String,
        /// The file it names.
        file: String,
    },
    /// A filter by verdict without a run whose verdicts to use.
    #[error("filtering by verdict needs a run")]
    VerdictFilterNeedsRun,
    /// A time filter whose start is not before its end.
    #[error("the time range is empty: `since` ({since}) must be before `until` ({until})")]
    EmptyTimeRange {
        /// The start.
        since: String,
        /// The end.
        until: String,
    },
    /// A run asked for with a trace set it did not replay.
    #[error("run {run} replayed trace set {run_set}, not trace set {set}")]
    RunOfAnotherSet {
        /// The run.
        run: i64,
        /// The set it replayed.
        run_set: i64,
        /// The set asked for.
        set: i64,
    },
    /// Two runs to compare replayed different trace sets.
    #[error("runs {a} and {b} replayed different trace sets ({set_a} and {set_b}); compare runs over the same set")]
    RunsOfDifferentSets {
        /// The first run.
        a: i64,
        /// The second run.
        b: i64,
        /// The set the first replayed.
        set_a: i64,
        /// The set the second replayed.
        set_b: i64,
    },
    /// A stored run's action lies outside the run's own time span.
    #[error("run {run}: an action's time falls outside its own span (interval {interval})")]
    OutsideRunSpan {
        /// The run.
        run: i64,
        /// The interval computed for the action.
        interval: i64,
    },
    /// A string that is not a key id.
    #[error("`{key_id}` is not a key id (32 lower-case hex characters)")]
    NotAKeyId {
        /// The string given.
        key_id: String,
    },
    /// A trace file could not be read as a whole. (The cause is shown in
    /// the message and deliberately not chained as a source, so a report
    /// of the whole chain does not say it twice.)
    #[error("{}: {cause}", path.display())]
    Ingest {
        /// The trace file.
        path: PathBuf,
        /// Why.
        cause: writ_core::ingest::IngestError,
    },
    /// An import read nothing it could store (every item malformed, or no
    /// tool call at all); nothing was stored. The caller says how to keep
    /// an empty set anyway (`--allow-empty`).
    #[error("{}", nothing_to_import(format, *read, *malformed, skipped, looks_like.as_deref(), first_problem.as_deref()))]
    NothingToImport {
        /// The format the file was read as.
        format: writ_core::ingest::Format,
        /// Items (spans, messages, lines) read.
        read: u64,
        /// Items that could not be read or mapped.
        malformed: u64,
        /// Items skipped, by reason.
        skipped: std::collections::BTreeMap<String, u64>,
        /// What the file looks like instead, when that says more.
        looks_like: Option<String>,
        /// The first malformed item, located (`line 3, column 1: ...`).
        first_problem: Option<String>,
    },
    /// A set to re-map kept no recorded tool calls.
    #[error("trace set `{set}` kept no recorded tool calls (it holds native records or a decision log, or was imported by an older Writ): import its file again with --profile instead")]
    NoCallsToRemap {
        /// The set's name.
        set: String,
    },
    /// A trace set that something still refers to cannot be removed.
    #[error("trace set `{name}` is kept: {} refer(s) to it ({}); review evidence is never destroyed", uses.len(), uses.join(", "))]
    TraceSetInUse {
        /// The set's name.
        name: String,
        /// What refers to it.
        uses: Vec<String>,
    },
    /// A value could not be encoded as JSON to be stored or queried.
    #[error("cannot record {what}: {source}")]
    Encode {
        /// What was to be recorded.
        what: &'static str,
        /// Why.
        source: serde_json::Error,
    },
    /// A scenario suite is malformed or could not be run.
    #[error(transparent)]
    Scenario(#[from] writ_core::scenario::ScenarioError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The workspace turned out to be damaged while it was being used.
    #[error("the workspace is damaged ({0}); restore it from a backup")]
    Damaged(String),
    /// SQLite failed.
    #[error("database error: {0}")]
    Sql(rusqlite::Error),
    /// A replay failed.
    #[error(transparent)]
    Replay(#[from] writ_core::replay::ReplayError),
    /// A draft could not be made or written.
    #[error(transparent)]
    Draft(#[from] writ_core::draft::DraftError),
    /// A review step (submit, approve, reject) was refused.
    #[error(transparent)]
    Review(#[from] crate::review_state::ReviewError),
    /// Approver keys and signed review steps.
    #[error(transparent)]
    Approver(#[from] crate::approver_error::ApproverError),
    /// A test case could not be written (see [`Workspace::add_case`]).
    ///
    /// [`Workspace::add_case`]: crate::workspace::Workspace::add_case
    #[error(transparent)]
    Case(#[from] writ_core::scenario_case::CaseError),
    /// A suite bound to no version got a case without a version to decide it.
    #[error("suite `{suite}` is bound to no version: say which version decides the case")]
    CaseNeedsVersion {
        /// The suite.
        suite: String,
    },
}

/// What is wrong with a name (see [`StoreError::BadName`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameProblem {
    /// Empty, or starts or ends with white space.
    #[error("a {what} name must not be empty or start or end with spaces")]
    Blank {
        /// What kind of thing is named.
        what: &'static str,
    },
    /// Longer than allowed.
    #[error(
        "a {what} name has at most {max} characters, `{}` has {chars}",
        writ_core::display::quoted_input(.name)
    )]
    TooLong {
        /// What kind of thing is named.
        what: &'static str,
        /// The name.
        name: String,
        /// The limit.
        max: usize,
        /// The name's length.
        chars: usize,
    },
    /// Holds control characters.
    #[error("a {what} name must not hold control characters")]
    ControlCharacters {
        /// What kind of thing is named.
        what: &'static str,
    },
    /// Digits only: it would be read as an id.
    #[error("`{name}` would be read as a {what} id; add a letter to the name")]
    OnlyDigits {
        /// What kind of thing is named.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// A name with a meaning of its own.
    #[error("`{name}` stands for {meaning}; choose another name")]
    Reserved {
        /// The name.
        name: &'static str,
        /// What it stands for.
        meaning: &'static str,
    },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                StoreError::Damaged(e.to_string())
            }
            _ => StoreError::Sql(e),
        }
    }
}

/// The store's result type.
pub type Result<T> = std::result::Result<T, StoreError>;

/// The text of [`StoreError::NothingToImport`].
fn nothing_to_import(
    format: &writ_core::ingest::Format,
    read: u64,
    malformed: u64,
    skipped: &std::collections::BTreeMap<String, u64>,
    looks_like: Option<&str>,
    first_problem: Option<&str>,
) -> String {
    let mut text = format!("nothing to import: read as {format}, ");
    if read == 0 && malformed == 0 {
        text.push_str("the file holds no items");
    } else if malformed > 0 && malformed >= read {
        text.push_str(&format!("{malformed} of {read} item(s) malformed"));
    } else {
        let reasons: Vec<String> = skipped
            .iter()
            .map(|(reason, n)| format!("{n} {reason}"))
            .collect();
        text.push_str(&format!(
            "{read} item(s), none of them an action to store ({})",
            if reasons.is_empty() {
                "nothing skipped".to_string()
            } else {
                reasons.join(", ")
            }
        ));
    }
    if let Some(l) = looks_like {
        text.push_str(&format!("; {l}"));
    }
    if let Some(p) = first_problem {
        text.push_str(&format!("; the first problem: {p}"));
    }
    text.push_str("; nothing was stored");
    text
}
