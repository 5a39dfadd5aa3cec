//! `writ fmt`: formats policy files with Cedar's formatter, keeping comments.
//!
//! Cedar's formatter (`cedar-policy-formatter`) does the work: it is run
//! with room enough that it breaks lines only where its layout always does
//! (one annotation per line, one scope element per line when any is
//! constrained, around comments), and small passes over its output
//! (`passes`) then lay out what an analyst would break by hand at
//! [`LINE_WIDTH`] and correct its known quirks:
//!
//! 1. blank lines after a file's header comment (and around other comments
//!    between policies) come back where the author had them;
//! 2. `when {` / `unless {` on one line, never the keyword alone;
//! 3. a scope with at most one constrained element on one line when it
//!    fits (Cedar writes one element per line as soon as one is
//!    constrained);
//! 4. a condition wider than the line breaks one top-level `&&`/`||`
//!    clause per line, `}` on its own line;
//! 5. a list or record on a line still too wide breaks one element per
//!    line (an `action in [...]` scope, a long `principal in [...]`).
//!
//! The passes change only whitespace between tokens: the result is checked
//! to have the same tokens and the same comments (attached to the same
//! tokens) as Cedar's output, and Cedar's own soundness check has compared
//! the policies with the input's.

mod lexed;
mod passes;

use crate::diagnostic::Diagnostic;
use crate::project::ProjectFiles;
use lexed::Lexed;
use std::path::{Path, PathBuf};

/// The width `writ fmt` lays lines out to (in characters).
pub const LINE_WIDTH: usize = 100;

/// Spaces per indentation level.
const INDENT: usize = 2;

/// The width Cedar's formatter is given: wide enough that it never breaks
/// a line for width, leaving that to the passes.
const CEDAR_WIDTH: usize = 1 << 20;

/// Why a policy text could not be formatted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// Cedar's formatter refused the text (it does not parse, or the
    /// formatter's own soundness check failed).
    #[error("{0}")]
    Cedar(String),
    /// Cedar's lexer did not accept a text the passes work on.
    #[error("internal error: the formatted text does not lex")]
    Lex,
    /// A comment would be lost or moved (the comment named).
    #[error("formatting would lose or move the comment `{0}`; the file is left as it is")]
    CommentMoved(String),
    /// A layout pass changed more than whitespace (a bug in Writ).
    #[error("internal error: a layout pass changed more than whitespace")]
    PassChangedTokens,
}

/// Rounds of [`format_once`] [`format_policies`] runs at most.
const MAX_ROUNDS: usize = 4;

/// Formats one policy text: Cedar's formatter, then the layout passes (see
/// the module documentation), again until nothing changes: Cedar's
/// formatter can place a comment differently the second time (a comment on
/// its own line before an operator comes back at the end of the line
/// before), and `writ fmt` must give the same text when run on its own
/// output. The result ends with a newline.
pub fn format_policies(text: &str) -> Result<String, FormatError> {
    let mut out = format_once(text)?;
    for _ in 1..MAX_ROUNDS {
        let next = format_once(&out)?;
        if next == out {
            break;
        }
        out = next;
    }
    Ok(out)
}

/// One round: Cedar's formatter, then the passes, checked to have changed
/// only whitespace.
fn format_once(text: &str) -> Result<String, FormatError> {
    let config = cedar_policy_formatter::Config {
        line_width: CEDAR_WIDTH,
        indent_width: INDENT as isize,
    };
    let mut cedar = cedar_policy_formatter::policies_str_to_pretty(text, &config)
        .map_err(|e| FormatError::Cedar(format!("{e}")))?;
    if !cedar.ends_with('\n') {
        cedar.push('\n');
    }
    let reference = Lexed::new(&cedar)?;
    passes::same_comments(&Lexed::new(text)?, &reference)?;
    let out = passes::restore_blank_lines(text, &cedar)?;
    let out = passes::join_condition_braces(&out)?;
    let out = passes::join_simple_scopes(&out, LINE_WIDTH)?;
    let out = passes::break_long_conditions(&out, LINE_WIDTH)?;
    let out = passes::break_long_lists(&out, LINE_WIDTH)?;
    if Lexed::new(&out)?.essence() != reference.essence() {
        return Err(FormatError::PassChangedTokens);
    }
    Ok(out)
}

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

/// Formats one policy file's text with [`format_policies`]; the result
/// ends with a newline. `shown` names the file in diagnostics. A text that
/// does not parse gives the checker's located parse errors (or one
/// unlocated `format` error when the parser finds none).
pub fn format_text(shown: &Path, text: &str) -> Result<String, Vec<Diagnostic>> {
    match format_policies(text) {
        Ok(formatted) => Ok(formatted),
        Err(FormatError::Cedar(e)) => {
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
        Err(e) => Err(vec![Diagnostic::error(
            "format",
            shown,
            None,
            format!("cannot format: {e}"),
        )]),
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
