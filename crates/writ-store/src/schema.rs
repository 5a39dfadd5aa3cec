//! The workspace's SQL schema, as ordered migrations keyed on
//! `PRAGMA user_version`: migration `n` takes a workspace from format `n`
//! to `n + 1`.

/// The migrations, oldest first. Never edit a released one; add a new one.
pub const MIGRATIONS: &[&str] = &[
    // 0 -> 1: the first format.
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE versions (
    id         TEXT PRIMARY KEY,          -- SHA-256 of the canonical content
    parent     TEXT REFERENCES versions(id),
    author     TEXT NOT NULL,
    message    TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE version_files (
    version_id TEXT NOT NULL REFERENCES versions(id),
    path       TEXT NOT NULL,             -- relative, '/' separated
    content    BLOB NOT NULL,
    PRIMARY KEY (version_id, path)
) STRICT, WITHOUT ROWID;

CREATE TABLE trace_sets (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    sha256      TEXT NOT NULL UNIQUE,     -- of the imported file's bytes
    source      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    actions     INTEGER NOT NULL,
    bad_lines   INTEGER NOT NULL,
    bytes       INTEGER NOT NULL DEFAULT 0   -- size of the imported file
) STRICT;

CREATE TABLE trace_errors (
    set_id  INTEGER NOT NULL REFERENCES trace_sets(id),
    line    INTEGER NOT NULL,
    col     INTEGER NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (set_id, line)
) STRICT, WITHOUT ROWID;

CREATE TABLE actions (
    set_id INTEGER NOT NULL REFERENCES trace_sets(id),
    line   INTEGER NOT NULL,              -- line in the imported file
    ts     TEXT NOT NULL,
    agent  TEXT NOT NULL,
    action TEXT NOT NULL,
    record TEXT NOT NULL,                 -- the line as imported
    PRIMARY KEY (set_id, line)
) STRICT;
CREATE INDEX actions_by_agent ON actions (set_id, agent, line);
CREATE INDEX actions_by_action ON actions (set_id, action, line);
CREATE INDEX actions_by_time ON actions (set_id, ts, line);

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    version_id  TEXT NOT NULL REFERENCES versions(id),
    set_id      INTEGER NOT NULL REFERENCES trace_sets(id),
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    actor       TEXT NOT NULL,
    summary     TEXT NOT NULL,            -- JSON
    stats       TEXT NOT NULL             -- JSON
) STRICT;

CREATE TABLE run_results (
    run_id    INTEGER NOT NULL REFERENCES runs(id),
    line      INTEGER NOT NULL,
    principal TEXT NOT NULL,              -- Type::"id"
    principal_kind TEXT NOT NULL,         -- inventory | shadow | literal
    decision  TEXT NOT NULL,
    verdict   TEXT NOT NULL,
    reasons   TEXT NOT NULL,              -- JSON array of policy ids
    errors    TEXT NOT NULL,              -- JSON array of {policy, message}
    request_error TEXT,
    step_up   TEXT,
    PRIMARY KEY (run_id, line)
) STRICT, WITHOUT ROWID;
CREATE INDEX run_results_by_verdict ON run_results (run_id, verdict, line);

CREATE TABLE audit_events (
    id        INTEGER PRIMARY KEY,
    ts        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    details   TEXT NOT NULL,              -- JSON, hashed as stored
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;
"#,
    // 1 -> 2: scenario suites (see `suites.rs`).
    r#"
CREATE TABLE suites (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    source     TEXT NOT NULL,              -- where the text came from
    text       TEXT NOT NULL,              -- the scenario file, as added
    version_id TEXT REFERENCES versions(id),
    set_id     INTEGER REFERENCES trace_sets(id),
    cases      INTEGER NOT NULL,
    added_at   TEXT NOT NULL,
    added_by   TEXT NOT NULL
) STRICT;
"#,
    // 2 -> 3: four-eyes review of versions (see `approvals.rs`). A version
    // with no review row is a draft; each submission is a new round.
    r#"
CREATE TABLE reviews (
    id           INTEGER PRIMARY KEY,
    version_id   TEXT NOT NULL REFERENCES versions(id),
    round        INTEGER NOT NULL,          -- 1, 2, ... per version
    state        TEXT NOT NULL,             -- in_review | approved | rejected
    submitted_at TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    baseline_id  TEXT REFERENCES versions(id),
    set_id       INTEGER REFERENCES trace_sets(id),
    required     INTEGER NOT NULL,          -- distinct approvers needed
    evidence     TEXT NOT NULL,             -- JSON, as reviewed
    decided_at   TEXT,
    UNIQUE (version_id, round)
) STRICT;
CREATE INDEX reviews_by_state ON reviews (state, version_id);

CREATE TABLE review_decisions (
    id        INTEGER PRIMARY KEY,
    review_id INTEGER NOT NULL REFERENCES reviews(id),
    decision  TEXT NOT NULL,                -- approve | reject
    actor     TEXT NOT NULL,
    at        TEXT NOT NULL,
    comment   TEXT
) STRICT;
"#,
    // 3 -> 4: signing keys and exported bundles (see `keys.rs`).
    r#"
CREATE TABLE keys (
    key_id     TEXT PRIMARY KEY,            -- hex SHA-256 of the SPKI DER, first 16 bytes
    public_pem TEXT NOT NULL,               -- SPKI PEM
    name       TEXT NOT NULL,               -- where the key was written or read
    added_at   TEXT NOT NULL,
    added_by   TEXT NOT NULL
) STRICT;

CREATE TABLE bundles (
    id          INTEGER PRIMARY KEY,
    version_id  TEXT NOT NULL REFERENCES versions(id),
    key_id      TEXT NOT NULL REFERENCES keys(key_id),
    digest      TEXT NOT NULL,              -- SHA-256 of manifest.json
    path        TEXT NOT NULL,              -- where it was written
    archive     INTEGER NOT NULL,           -- 1 for .tar.gz, 0 for a folder
    created     TEXT NOT NULL,              -- the manifest's times
    expires     TEXT,
    exported_at TEXT NOT NULL,
    exported_by TEXT NOT NULL
) STRICT;
"#,
    // 4 -> 5: bundle sequence numbers per release channel (see
    // `channels.rs`): the last sequence handed out in each channel, and
    // each recorded bundle's channel and sequence.
    r#"
CREATE TABLE bundle_channels (
    channel       TEXT PRIMARY KEY,
    last_sequence INTEGER NOT NULL CHECK (last_sequence >= 1)
) STRICT;

ALTER TABLE bundles ADD COLUMN channel TEXT;
ALTER TABLE bundles ADD COLUMN sequence INTEGER;
"#,
    // 5 -> 6: approver keys and signed review steps (see `approvers.rs`).
    // A workspace migrated to this format keeps unsigned review steps
    // (meta `review_signatures` absent) until someone requires signatures;
    // one created at this format requires them from the start.
    r#"
CREATE TABLE approver_keys (
    key_id        TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    public_pem    TEXT NOT NULL,             -- SPKI PEM
    registered_at TEXT NOT NULL,
    registered_by TEXT NOT NULL,             -- the signing approver's key id
    registration  TEXT NOT NULL,             -- the signed key event (DSSE JSON)
    revoked_at    TEXT,
    revoked_by    TEXT,
    revocation    TEXT
) STRICT;

ALTER TABLE reviews ADD COLUMN submit_key TEXT;
ALTER TABLE reviews ADD COLUMN submit_statement TEXT;   -- DSSE JSON
ALTER TABLE review_decisions ADD COLUMN key_id TEXT;
ALTER TABLE review_decisions ADD COLUMN statement TEXT; -- DSSE JSON
"#,
    // 6 -> 7: the recorded tool calls of an import, as read (before a
    // mapping profile made requests of them), so that a set can be mapped
    // again with another profile without its file (see `traces/remap.rs`);
    // a re-mapped set names the set whose calls it maps, and how.
    r#"
CREATE TABLE trace_calls (
    set_id INTEGER NOT NULL REFERENCES trace_sets(id),
    line   INTEGER NOT NULL,              -- the item's key in the import
    call   TEXT NOT NULL,                 -- the recorded tool call, JSON
    PRIMARY KEY (set_id, line)
) STRICT, WITHOUT ROWID;
ALTER TABLE trace_sets ADD COLUMN calls_from INTEGER REFERENCES trace_sets(id);
ALTER TABLE trace_sets ADD COLUMN mapping TEXT;   -- JSON: format, profile, user attributes
"#,
];

/// The format this build writes.
pub fn current_format() -> i64 {
    MIGRATIONS.len() as i64
}

/// SQLite's `application_id` marking a file as a Writ workspace ("WRIT").
pub const APPLICATION_ID: i64 = 0x5752_4954;
