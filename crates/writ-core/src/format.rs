//! `writ fmt`: formats policy files with Cedar's formatter, keeping comments.

use crate::diagnostic::Diagnostic;
use crate::project::ProjectFiles;
use std::path::{Path, PathBuf};

/// A policy file and its formatted text.
#[derive(Debug, Clone)]
pub struct FormattedFile {
    /// The file.
    pub path: PathBuf,
    /// Whether formatting changes it.
    pub changed: bool,
    /// The formatted text.
    pub formatted: String,
}

/// Formats every policy file of the project at `root`. Nothing is written;
/// see [`write_formatted`].
pub fn format_project(root: &Path) -> Result<Vec<FormattedFile>, Vec<Diagnostic>> {
    let (files, diags) = ProjectFiles::read(root);
    let io_errors: Vec<Diagnostic> = diags
        .into_iter()
        .filter(|d| d.code == "project-io" || d.code == "project-missing")
        .collect();
    if !io_errors.is_empty() {
        return Err(io_errors);
    }
    let config = cedar_policy_formatter::Config {
        line_width: 100,
        indent_width: 2,
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for f in &files.policies {
        match cedar_policy_formatter::policies_str_to_pretty(&f.text, &config) {
            Ok(mut formatted) => {
                if !formatted.ends_with('\n') {
                    formatted.push('\n');
                }
                out.push(FormattedFile {
                    path: f.shown.clone(),
                    changed: formatted != f.text,
                    formatted,
                });
            }
            Err(e) => {
                // Report the located parse errors the checker would give.
                let sources = [crate::policies::PolicySource {
                    path: &f.shown,
                    text: &f.text,
                }];
                let (_, diags) = crate::policies::parse_policy_files(&sources);
                let located: Vec<Diagnostic> =
                    diags.into_iter().filter(Diagnostic::is_error).collect();
                if located.is_empty() {
                    errors.push(Diagnostic::error(
                        "format",
                        &f.shown,
                        None,
                        format!("cannot format: {e}"),
                    ));
                } else {
                    errors.extend(located);
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Writes the changed files, each atomically (a temporary file renamed
/// over the original), so an interrupted run never leaves half a file.
pub fn write_formatted(files: &[FormattedFile]) -> std::io::Result<usize> {
    let mut n = 0;
    for f in files.iter().filter(|f| f.changed) {
        crate::atomic_file::write_atomically(&f.path, f.formatted.as_bytes())?;
        n += 1;
    }
    Ok(n)
}
