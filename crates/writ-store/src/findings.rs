//! Findings over stored data: a stored trace set reduced, in one streaming
//! pass, to the aggregate `writ_core::findings::find` reads.

use crate::error::{Result, StoreError};
use crate::traces::{StoredLines, TraceSetInfo};
use crate::workspace::Workspace;
use writ_core::findings::TraceAggregate;

impl Workspace {
    /// Aggregates the stored trace set `id_or_name` (a name or an id) for
    /// findings, keeping the first `keep` line numbers of everything;
    /// `progress` gets the bytes read now and then. Returns the set too.
    pub fn trace_aggregate(
        &self,
        id_or_name: &str,
        keep: usize,
        progress: &dyn Fn(u64),
    ) -> Result<(TraceSetInfo, TraceAggregate)> {
        let set = self.trace_set(id_or_name)?;
        let mut lines = StoredLines::new(self.reopen()?, set.id);
        let agg = TraceAggregate::read(&mut lines, keep, progress).map_err(|e| {
            StoreError::Damaged(format!(
                "the actions of trace set `{}` cannot be read: {e}",
                set.name
            ))
        })?;
        Ok((set, agg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use writ_core::trace::TraceLines;

    const TRACE: &str = concat!(
        r#"{"ts":"2026-11-02T09:00:00Z","agent":"spiffe://x.example/a","action":"read","context":{"intent":"x","credential_kind":"static"},"outcome":"executed"}"#,
        "\n\n",
        r#"{"ts":"2026-11-02T09:00:01Z","agent":"spiffe://x.example/ghost","action":"deploy","context":{},"outcome":"executed"}"#,
        "\n",
        r#"{"ts":"2026-11-02T09:00:02Z","agent":"spiffe://x.example/a","action":"write","context":{"intent":"y"},"outcome":"blocked"}"#,
        "\n"
    );

    #[test]
    fn a_stored_set_aggregates_as_its_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("t.jsonl");
        std::fs::write(&file, TRACE).expect("write");
        let mut ws = Workspace::create(&dir.path().join("w.writ")).expect("create");
        ws.import_traces(&file, Some("t"), "tester", &|_| {})
            .expect("import");
        let (set, stored) = ws.trace_aggregate("t", 10, &|_| {}).expect("aggregate");
        assert_eq!(set.name, "t");
        let from_file = TraceAggregate::read(&mut TraceLines::new(TRACE.as_bytes()), 10, &|_| {})
            .expect("file");
        assert_eq!(stored.actions, 3);
        assert_eq!(stored, from_file);
        let a = &stored.identities["spiffe://x.example/a"];
        assert_eq!(a.actions.first_lines, vec![1, 4], "original line numbers");
        assert!(matches!(
            ws.trace_aggregate("nope", 10, &|_| {}),
            Err(StoreError::NotFound { .. })
        ));
    }
}
