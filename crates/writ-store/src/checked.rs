//! A stored version checked: the one way from a version id (or prefix) to
//! its check report, to its checked project, or to the check of its files
//! with some of them edited. A version whose check has errors has no
//! project; asking for one fails with [`StoreError::VersionHasErrors`].

use crate::error::{Result, StoreError};
use crate::workspace::Workspace;
use std::path::PathBuf;
use writ_core::project::{CheckReport, Project, ProjectFiles};

/// The characters of a version id shown to people (`@<short id>`).
pub const SHORT_ID_CHARS: usize = 12;

/// A version id's short form (its first [`SHORT_ID_CHARS`] characters).
pub fn short_id(id: &str) -> &str {
    id.get(..SHORT_ID_CHARS).unwrap_or(id)
}

/// A stored version's check (errors or not).
#[derive(Debug)]
pub struct CheckedVersion {
    /// The full version id.
    pub id: String,
    /// The short id its files are shown under (`@<short>/...`).
    pub short: String,
    /// What `check_files` reported; `report.project` is `None` when the
    /// version has errors.
    pub report: CheckReport,
}

impl CheckedVersion {
    /// The checked project, or [`StoreError::VersionHasErrors`].
    pub fn into_project(self) -> Result<VersionProject> {
        let errors = self.report.error_count();
        match self.report.project {
            Some(project) => Ok(VersionProject {
                id: self.id,
                short: self.short,
                project,
            }),
            None => Err(StoreError::VersionHasErrors {
                version: self.short,
                errors,
            }),
        }
    }
}

/// A stored version's checked project (its check has no errors).
#[derive(Debug)]
pub struct VersionProject {
    /// The full version id.
    pub id: String,
    /// The short id its files are shown under.
    pub short: String,
    /// The checked project.
    pub project: Project,
}

/// A stored version's files with some of them replaced by edited texts,
/// and their check.
#[derive(Debug)]
pub struct EditedVersion {
    /// The edited files (shown under `@<short>/`).
    pub files: ProjectFiles,
    /// The check of the edited files.
    pub checked: CheckedVersion,
}

/// Checks files shown under `@<short id of id>/`.
fn check(id: String, files: ProjectFiles) -> CheckedVersion {
    let short = short_id(&id).to_string();
    let report = writ_core::project::check_files(
        &PathBuf::from(format!("@{short}")),
        files,
        Vec::new(),
        writ_core::project::today_utc(),
    );
    CheckedVersion { id, short, report }
}

impl Workspace {
    /// Checks stored version `version` (an id or unique prefix).
    pub fn check_version(&self, version: &str) -> Result<CheckedVersion> {
        let (id, files) = self.version_files(version)?;
        Ok(check(id, files))
    }

    /// The checked project of stored version `version`; fails with
    /// [`StoreError::VersionHasErrors`] when its check has errors.
    pub fn project(&self, version: &str) -> Result<VersionProject> {
        self.check_version(version)?.into_project()
    }

    /// Checks the files of stored version `version` with some of them
    /// replaced by edited texts (`edits`: relative path -> text). An edit of
    /// a file the version does not have fails with
    /// [`StoreError::NotAFileOfVersion`].
    pub fn check_edited<'a>(
        &self,
        version: &str,
        edits: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<EditedVersion> {
        let (id, mut files) = self.version_files(version)?;
        for (path, text) in edits {
            let file = files
                .all_mut()
                .find(|f| f.relative == path)
                .ok_or_else(|| StoreError::NotAFileOfVersion {
                    path: path.to_string(),
                    version: short_id(&id).to_string(),
                })?;
            file.text = text.to_string();
        }
        Ok(EditedVersion {
            checked: check(id, files.clone()),
            files,
        })
    }
}
