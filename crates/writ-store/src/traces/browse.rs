//! Browsing a stored trace set: the filtered, keyset-paged queries the
//! desktop app's tables use, the lines matching a filter, and the set's
//! records read back in line order (for replay).

use super::time_bound::TimeBound;
use crate::error::{Result, StoreError};
use crate::workspace::Workspace;
use rusqlite::{params, OptionalExtension, ToSql};
use serde::Serialize;
use writ_core::evaluate::Verdict;

/// One stored action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct StoredAction {
    /// Line in the imported file (the action's key within its set).
    pub line: i64,
    /// Timestamp.
    pub ts: String,
    /// Recorded agent.
    pub agent: String,
    /// Tool.
    pub action: String,
    /// The record as imported (JSON).
    pub record: String,
    /// The verdict in the run used for filtering, when one was given.
    pub verdict: Option<Verdict>,
}

/// Which actions to list.
#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    /// Only this recorded agent.
    pub agent: Option<String>,
    /// Only this tool.
    pub tool: Option<String>,
    /// Only actions with this verdict in `run` (both needed).
    pub verdict: Option<Verdict>,
    /// The run whose verdicts filter and annotate the list.
    pub run: Option<i64>,
    /// Only at or after this time.
    pub since: Option<TimeBound>,
    /// Only before this time (after `since`, when both are given).
    pub until: Option<TimeBound>,
}

impl Workspace {
    /// A page of a set's actions matching `filter`, after line `after`
    /// (keyset paging: pass the last line of the previous page).
    pub fn list_actions(
        &self,
        set: i64,
        filter: &ActionFilter,
        after: i64,
        limit: usize,
    ) -> Result<Vec<StoredAction>> {
        self.check_filter(set, filter)?;
        let mut sql = String::from("SELECT a.line, a.ts, a.agent, a.action, a.record, ");
        sql.push_str(if filter.run.is_some() {
            "r.verdict"
        } else {
            "NULL"
        });
        sql.push_str(" FROM actions a");
        if filter.run.is_some() {
            sql.push_str(" JOIN run_results r ON r.run_id = :run AND r.line = a.line");
        }
        sql.push_str(" WHERE a.set_id = :set AND a.line > :after");
        let mut args: Vec<(&str, &dyn ToSql)> = vec![(":set", &set), (":after", &after)];
        push_conditions(filter, &mut sql, &mut args);
        if let Some(run) = &filter.run {
            args.push((":run", run));
        }
        sql.push_str(" ORDER BY a.line LIMIT :limit");
        let limit = limit as i64;
        args.push((":limit", &limit));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(args.as_slice(), stored_action)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// How many of a set's actions match `filter` (the length of the list
    /// [`Workspace::actions_at`] pages through).
    pub fn count_actions(&self, set: i64, filter: &ActionFilter) -> Result<u64> {
        self.check_filter(set, filter)?;
        let (mut sql, mut args) = matching_lines(&set, filter);
        sql.insert_str(0, "SELECT count(*) FROM (");
        sql.push(')');
        let _ = &mut args;
        let n: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(args.as_slice(), |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// The `limit` actions matching `filter` from position `offset` (0 is
    /// the first matching action, in line order): positional access for a
    /// table that scrolls anywhere. The start line is found on an index
    /// alone (no records read while skipping), then the rows by keyset.
    pub fn actions_at(
        &self,
        set: i64,
        filter: &ActionFilter,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<StoredAction>> {
        self.check_filter(set, filter)?;
        let (mut sql, mut args) = matching_lines(&set, filter);
        sql.push_str(" ORDER BY line LIMIT 1 OFFSET :offset");
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        args.push((":offset", &offset));
        let start: Option<i64> = self
            .conn
            .prepare_cached(&sql)?
            .query_row(args.as_slice(), |r| r.get(0))
            .optional()?;
        match start {
            None => Ok(Vec::new()),
            Some(line) => self.list_actions(set, filter, line - 1, limit),
        }
    }

    /// The lines of `set`'s actions matching `filter`, in line order: the
    /// list a virtual table indexes by position. Each condition is read
    /// from its own index alone (agent, tool, time, verdict in the run) and
    /// the lists are intersected here, so no record is read and no join is
    /// made; keep the result while the filter stays the same.
    pub fn matching_lines(&self, set: i64, filter: &ActionFilter) -> Result<MatchingLines> {
        self.check_filter(set, filter)?;
        let mut lists: Vec<Vec<i64>> = Vec::new();
        let read = |sql: &str, args: &[&dyn ToSql], sort: bool| -> Result<Vec<i64>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let mut lines = stmt
                .query_map(args, |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            if sort {
                lines.sort_unstable();
            }
            Ok(lines)
        };
        if let Some(agent) = &filter.agent {
            lists.push(read(
                "SELECT line FROM actions WHERE set_id = ?1 AND agent = ?2 ORDER BY line",
                &[&set, agent],
                false,
            )?);
        }
        if let Some(tool) = &filter.tool {
            lists.push(read(
                "SELECT line FROM actions WHERE set_id = ?1 AND action = ?2 ORDER BY line",
                &[&set, tool],
                false,
            )?);
        }
        if filter.since.is_some() || filter.until.is_some() {
            // In time order on the time index; sorted by line here.
            lists.push(read(
                "SELECT line FROM actions INDEXED BY actions_by_time WHERE set_id = ?1 AND (?2 IS NULL OR ts >= ?2) AND (?3 IS NULL OR ts < ?3)",
                &[&set, &filter.since, &filter.until],
                true,
            )?);
        }
        if let (Some(run), Some(verdict)) = (&filter.run, &filter.verdict) {
            lists.push(read(
                "SELECT line FROM run_results WHERE run_id = ?1 AND verdict = ?2 ORDER BY line",
                &[run, crate::columns::verdict_param(*verdict)],
                false,
            )?);
        }
        if lists.is_empty() {
            lists.push(read(
                "SELECT line FROM actions WHERE set_id = ?1 ORDER BY line",
                &[&set],
                false,
            )?);
        }
        lists.sort_by_key(Vec::len);
        let mut lists = lists.into_iter();
        let mut lines = lists.next().unwrap_or_default();
        for other in lists {
            lines.retain(|l| other.binary_search(l).is_ok());
        }
        Ok(MatchingLines { lines })
    }

    /// The actions of `set` at `lines` (from [`MatchingLines::page`]), in
    /// line order; with `run`, each carries its verdict in that run.
    pub fn actions_by_lines(
        &self,
        set: i64,
        run: Option<i64>,
        lines: &[i64],
    ) -> Result<Vec<StoredAction>> {
        self.check_filter(
            set,
            &ActionFilter {
                run,
                ..Default::default()
            },
        )?;
        let list = serde_json::to_string(lines).map_err(|source| StoreError::Encode {
            what: "the lines to list",
            source,
        })?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.line, a.ts, a.agent, a.action, a.record, r.verdict
             FROM actions a LEFT JOIN run_results r ON r.run_id = ?3 AND r.line = a.line
             WHERE a.set_id = ?1 AND a.line IN (SELECT value FROM json_each(?2))
             ORDER BY a.line",
        )?;
        let rows = stmt.query_map(params![set, list, run], stored_action)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A verdict filter needs a run, and the run must have replayed `set`.
    fn check_filter(&self, set: i64, filter: &ActionFilter) -> Result<()> {
        if filter.verdict.is_some() && filter.run.is_none() {
            return Err(StoreError::VerdictFilterNeedsRun);
        }
        if let (Some(since), Some(until)) = (&filter.since, &filter.until) {
            if since >= until {
                return Err(StoreError::EmptyTimeRange {
                    since: since.to_string(),
                    until: until.to_string(),
                });
            }
        }
        if let Some(run) = filter.run {
            // Results are keyed by line only: another set's run would
            // annotate these actions with the verdicts of other actions.
            let run_set: i64 = self
                .conn
                .query_row("SELECT set_id FROM runs WHERE id = ?1", [run], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StoreError::NotFound {
                    what: "run",
                    id: run.to_string(),
                })?;
            if run_set != set {
                return Err(StoreError::RunOfAnotherSet { run, run_set, set });
            }
        }
        Ok(())
    }
}

/// One listed action from a row of (line, ts, agent, action, record,
/// verdict or NULL): the shape both listing queries select.
fn stored_action(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredAction> {
    Ok(StoredAction {
        line: r.get(0)?,
        ts: r.get(1)?,
        agent: r.get(2)?,
        action: r.get(3)?,
        record: r.get(4)?,
        verdict: crate::columns::optional_verdict(r, 5)?,
    })
}

/// The lines of the actions matching a filter, in order (see
/// [`Workspace::matching_lines`]): position `i` is `lines[i]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchingLines {
    lines: Vec<i64>,
}

impl MatchingLines {
    /// How many actions match.
    pub fn len(&self) -> u64 {
        self.lines.len() as u64
    }

    /// Whether none matches.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The position (0-based, in line order) of line `line` among the
    /// matching lines, or `None` when it does not match: where a table
    /// showing the list scrolls to show that action.
    pub fn position(&self, line: i64) -> Option<u64> {
        self.lines.binary_search(&line).ok().map(|i| i as u64)
    }

    /// The lines at positions `offset..offset + limit` (fewer at the end).
    pub fn page(&self, offset: u64, limit: usize) -> &[i64] {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.lines.len());
        let end = start.saturating_add(limit).min(self.lines.len());
        &self.lines[start..end]
    }
}

/// Appends the agent, tool, time and verdict conditions of `filter` (on
/// `actions a` and, for the verdict, `run_results r`).
fn push_conditions<'a>(
    filter: &'a ActionFilter,
    sql: &mut String,
    args: &mut Vec<(&'static str, &'a dyn ToSql)>,
) {
    if let Some(a) = &filter.agent {
        sql.push_str(" AND a.agent = :agent");
        args.push((":agent", a));
    }
    if let Some(t) = &filter.tool {
        sql.push_str(" AND a.action = :tool");
        args.push((":tool", t));
    }
    if let Some(s) = &filter.since {
        sql.push_str(" AND a.ts >= :since");
        args.push((":since", s));
    }
    if let Some(u) = &filter.until {
        sql.push_str(" AND a.ts < :until");
        args.push((":until", u));
    }
    if filter.run.is_some() {
        if let Some(v) = filter.verdict {
            sql.push_str(" AND r.verdict = :verdict");
            args.push((":verdict", crate::columns::verdict_param(v)));
        }
    }
}

/// A query of the lines (column `line`) of the actions matching `filter`,
/// reading indexes only: a verdict alone is answered from the run's
/// results (a run has one result per action of its set); otherwise from
/// the actions, joined to the run's results only for a verdict.
fn matching_lines<'a>(
    set: &'a i64,
    filter: &'a ActionFilter,
) -> (String, Vec<(&'static str, &'a dyn ToSql)>) {
    let only_verdict = filter.agent.is_none()
        && filter.tool.is_none()
        && filter.since.is_none()
        && filter.until.is_none();
    let mut args: Vec<(&'static str, &'a dyn ToSql)> = Vec::new();
    if let (Some(run), Some(verdict), true) = (&filter.run, &filter.verdict, only_verdict) {
        args.push((":run", run));
        args.push((":verdict", crate::columns::verdict_param(*verdict)));
        return (
            "SELECT r.line AS line FROM run_results r WHERE r.run_id = :run AND r.verdict = :verdict"
                .to_string(),
            args,
        );
    }
    let mut sql = String::from("SELECT a.line AS line FROM actions a");
    let by_verdict = filter.run.is_some() && filter.verdict.is_some();
    if by_verdict {
        sql.push_str(" JOIN run_results r ON r.run_id = :run AND r.line = a.line");
    }
    sql.push_str(" WHERE a.set_id = :set");
    args.push((":set", set));
    push_conditions(filter, &mut sql, &mut args);
    if by_verdict {
        if let Some(run) = &filter.run {
            args.push((":run", run));
        }
    }
    (sql, args)
}

/// Reads a stored set's records in line order, keeping their original line
/// numbers, on its own connection so replay can run on other threads.
pub struct StoredLines {
    conn: rusqlite::Connection,
    set: i64,
    after: i64,
    buffer: std::collections::VecDeque<(usize, String)>,
    done: bool,
    bytes: u64,
}

impl StoredLines {
    pub(crate) fn new(conn: rusqlite::Connection, set: i64) -> Self {
        StoredLines {
            conn,
            set,
            after: 0,
            buffer: Default::default(),
            done: false,
            bytes: 0,
        }
    }

    fn refill(&mut self) -> rusqlite::Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT line, record FROM actions WHERE set_id = ?1 AND line > ?2 ORDER BY line LIMIT 4096")?;
        let rows = stmt.query_map(params![self.set, self.after], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (line, rec) = row?;
            self.after = line;
            self.buffer.push_back((line as usize, rec));
        }
        if self.buffer.is_empty() {
            self.done = true;
        }
        Ok(())
    }
}

impl writ_core::trace::LineSource for StoredLines {
    fn next_line(&mut self, buf: &mut String) -> std::io::Result<Option<usize>> {
        if self.buffer.is_empty() && !self.done {
            self.refill().map_err(std::io::Error::other)?;
        }
        Ok(self.buffer.pop_front().map(|(line, rec)| {
            self.bytes += rec.len() as u64 + 1;
            *buf = rec;
            line
        }))
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }
}
