//! Drafting from, and reviewing grants over, a stored trace set: the
//! set's actions streamed from the workspace into `writ_core::draft` and
//! `writ_core::grants` (each reads the set twice: once to learn, once to
//! check by replay).

use crate::error::{Result, StoreError};
use crate::traces::{StoredLines, TraceSetInfo};
use crate::workspace::Workspace;
use writ_core::draft::{draft, verify, Draft, DraftCheck, Limits, Observations};
use writ_core::grants::{review, GrantReview, GrantsError};
use writ_core::project::Project;

/// A draft made from a stored set, with its replay check.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SetDraft {
    /// The set it was drafted from.
    pub set: TraceSetInfo,
    /// The drafted project.
    pub draft: Draft,
    /// The replay of the set against the draft.
    pub check: DraftCheck,
}

impl Workspace {
    /// Drafts a project from trace set `id_or_name` and replays the set
    /// against it; `progress` gets the bytes read now and then.
    pub fn draft_from_set(
        &self,
        id_or_name: &str,
        limits: &Limits,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<SetDraft> {
        let set = self.trace_set(id_or_name)?;
        let source = format!("trace set `{}`", set.name);
        let mut lines = StoredLines::new(self.reopen()?, set.id);
        let obs = Observations::read(&mut lines, progress).map_err(|e| {
            StoreError::Damaged(format!("the actions of {source} cannot be read: {e}"))
        })?;
        let (drafted, project) = draft(&obs, &source, limits)?;
        let check = verify(
            &project,
            &drafted.report,
            StoredLines::new(self.reopen()?, set.id),
            progress,
        )?;
        Ok(SetDraft {
            set,
            draft: drafted,
            check,
        })
    }

    /// The unused grants of `project` over trace set `id_or_name`, with the
    /// proposed narrowing checked by replaying the set.
    pub fn grant_review(
        &self,
        project: &Project,
        id_or_name: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(TraceSetInfo, GrantReview)> {
        let set = self.trace_set(id_or_name)?;
        let id = set.id;
        let r = review(
            project,
            || {
                self.reopen()
                    .map(|c| StoredLines::new(c, id))
                    .map_err(|e| e.to_string())
            },
            progress,
        )
        .map_err(|e| match e {
            GrantsError::Replay(r) => StoreError::Replay(r),
            GrantsError::Reopen(m) => StoreError::Damaged(m),
        })?;
        Ok((set, r))
    }
}
