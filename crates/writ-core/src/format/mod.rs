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
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for f in &files.policies {
        match format_text(&f.shown, &f.text) {
            Ok(formatted) => out.push(FormattedFile {
                path: f.shown.clone(),
                changed: formatted != f.text,
                formatted,
            }),
            Err(diags) => errors.extend(diags),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Formats one policy file's text with Cedar's formatter, keeping comments;
/// the result ends with a newline. `shown` names the file in diagnostics.
/// A text that does not parse gives the checker's located parse errors
/// (or one unlocated `format` error when the parser finds none).
pub fn format_text(shown: &Path, text: &str) -> Result<String, Vec<Diagnostic>> {
    let config = cedar_policy_formatter::Config {
        line_width: 100,
        indent_width: 2,
    };
    match cedar_policy_formatter::policies_str_to_pretty(text, &config) {
        Ok(mut formatted) => {
            if !formatted.ends_with('\n') {
                formatted.push('\n');
            }
            Ok(formatted)
        }
        Err(e) => {
            // Report the located parse errors the checker would give.
            let sources = [crate::policies::PolicySource { path: shown, text }];
            let (_, diags) = crate::policies::parse_policy_files(&sources);
            let located: Vec<Diagnostic> = diags.into_iter().filter(Diagnostic::is_error).collect();
            if located.is_empty() {
                Err(vec![Diagnostic::error(
                    "format",
                    shown,
                    None,
                    format!("cannot format: {e}"),
                )])
            } else {
                Err(located)
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_text_reindents_and_keeps_comments() {
        let text =
            "// who may read\npermit(principal,\n        action,\n  resource)\n    when { true };";
        let out = format_text(Path::new("p.cedar"), text).expect("formats");
        assert!(out.contains("// who may read"), "{out}");
        assert!(out.ends_with('\n'));
        assert_ne!(out, text);
        // Formatting is stable.
        assert_eq!(format_text(Path::new("p.cedar"), &out).expect("again"), out);
    }

    #[test]
    fn format_text_reports_located_parse_errors() {
        let err = format_text(
            Path::new("bad.cedar"),
            "permit(principal, action, resource\n",
        )
        .expect_err("does not parse");
        assert!(!err.is_empty());
        assert!(err.iter().all(Diagnostic::is_error));
        assert!(
            err.iter().any(|d| d.span.is_some() || d.position.is_some()),
            "{err:?}"
        );
        assert!(err.iter().all(|d| d.file == Path::new("bad.cedar")));
    }
}
