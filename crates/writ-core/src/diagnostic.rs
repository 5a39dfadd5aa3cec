//! Located problems, reported the way a compiler reports them.
//!
//! Every check in Writ (schema, policies, inventory, traces) produces
//! [`Diagnostic`]s. A diagnostic names a file and, where it has one, a byte
//! span in that file; [`SourceMap`] turns spans into line and column numbers
//! and renders the rustc-style snippet with a caret under the span.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something to look at; it does not fail a check.
    Warning,
    /// A problem that fails the check.
    Error,
}

/// A half-open byte range `[start, end)` in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// First byte of the span.
    pub start: usize,
    /// One past the last byte of the span.
    pub end: usize,
}

impl Span {
    /// A span from `start` covering `len` bytes.
    pub fn new(start: usize, len: usize) -> Self {
        Span {
            start,
            end: start + len,
        }
    }
}

/// A secondary place a diagnostic points at (for example the first
/// definition of a duplicated id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    /// File of the related place.
    pub file: PathBuf,
    /// Span in that file.
    pub span: Option<Span>,
    /// What this place is.
    pub message: String,
}

/// One located problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A short stable code such as `policy-parse` or `inventory-unknown-key`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// The file the problem is in.
    pub file: PathBuf,
    /// Where in the file, when known.
    pub span: Option<Span>,
    /// A line-and-column position given directly, for sources that report
    /// positions rather than byte offsets (1-based).
    pub position: Option<(usize, usize)>,
    /// What to do about it.
    pub hint: Option<String>,
    /// Other places that belong to the same problem.
    pub related: Vec<Related>,
}

impl Diagnostic {
    /// An error in `file` at `span`.
    pub fn error(
        code: &'static str,
        file: impl Into<PathBuf>,
        span: Option<Span>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            file: file.into(),
            span,
            position: None,
            hint: None,
            related: Vec::new(),
        }
    }

    /// A warning in `file` at `span`.
    pub fn warning(
        code: &'static str,
        file: impl Into<PathBuf>,
        span: Option<Span>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, span, message)
        }
    }

    /// Adds a hint saying what to do.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Sets a 1-based line and column, for sources without byte offsets.
    pub fn at_position(mut self, line: usize, column: usize) -> Self {
        self.position = Some((line, column));
        self
    }

    /// Adds a related place.
    pub fn with_related(
        mut self,
        file: impl Into<PathBuf>,
        span: Option<Span>,
        message: impl Into<String>,
    ) -> Self {
        self.related.push(Related {
            file: file.into(),
            span,
            message: message.into(),
        });
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Line and column (both 1-based, column counted in characters) of a byte
/// offset in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

/// Byte offset of the start of a 1-based `line` in `text`, if it exists.
pub fn line_start_offset(text: &str, line: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    if line == 1 {
        return Some(0);
    }
    text.match_indices('\n')
        .nth(line - 2)
        .map(|(i, _)| i + 1)
        .filter(|&i| i <= text.len())
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The texts of the files diagnostics point into, so spans can be turned
/// into positions and snippets.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: BTreeMap<PathBuf, String>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers the text of `file`.
    pub fn insert(&mut self, file: impl Into<PathBuf>, text: impl Into<String>) {
        self.files.insert(file.into(), text.into());
    }

    /// The text of `file`, if known.
    pub fn get(&self, file: &Path) -> Option<&str> {
        self.files.get(file).map(String::as_str)
    }

    /// Resolves the line and column of a diagnostic (or of a related place).
    pub fn position(
        &self,
        file: &Path,
        span: Option<Span>,
        position: Option<(usize, usize)>,
    ) -> Option<(usize, usize)> {
        if let Some(p) = position {
            return Some(p);
        }
        let span = span?;
        let text = self.get(file)?;
        Some(line_column(text, span.start))
    }

    /// Renders one diagnostic the way rustc does: header, location, the
    /// source line with carets under the span, related places and the hint.
    pub fn render(&self, d: &Diagnostic) -> String {
        let mut out = String::new();
        let label = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{label}[{}]: {}", d.code, d.message);
        self.render_place(&mut out, &d.file, d.span, d.position, None);
        for r in &d.related {
            self.render_place(&mut out, &r.file, r.span, None, Some(&r.message));
        }
        if let Some(hint) = &d.hint {
            let _ = writeln!(out, "  = help: {hint}");
        }
        out
    }

    fn render_place(
        &self,
        out: &mut String,
        file: &Path,
        span: Option<Span>,
        position: Option<(usize, usize)>,
        note: Option<&str>,
    ) {
        let pos = self.position(file, span, position);
        match pos {
            Some((line, col)) => {
                let _ = writeln!(out, "  --> {}:{line}:{col}", file.display());
            }
            None => {
                let _ = writeln!(out, "  --> {}", file.display());
            }
        }
        let (Some((line, col)), Some(text)) = (pos, self.get(file)) else {
            if let Some(note) = note {
                let _ = writeln!(out, "  = note: {note}");
            }
            return;
        };
        let Some(start) = line_start_offset(text, line) else {
            return;
        };
        let source_line = text[start..].lines().next().unwrap_or("");
        let width = line.to_string().len();
        let caret_len = match span {
            Some(s) => {
                let end = floor_char_boundary(text, s.end.min(text.len()));
                let from = floor_char_boundary(text, s.start.min(text.len()));
                let covered = text[from..end].lines().next().unwrap_or("");
                covered.chars().count().max(1)
            }
            None => 1,
        };
        let pad = " ".repeat(width);
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{line} | {source_line}");
        let lead: String = source_line
            .chars()
            .take(col.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = write!(out, "{pad} | {lead}{}", "^".repeat(caret_len));
        match note {
            Some(n) => {
                let _ = writeln!(out, " {n}");
            }
            None => out.push('\n'),
        }
    }

    /// The machine-readable form of a diagnostic, for `--format json`.
    pub fn to_json(&self, d: &Diagnostic) -> serde_json::Value {
        let pos = self.position(&d.file, d.span, d.position);
        let related: Vec<serde_json::Value> = d
            .related
            .iter()
            .map(|r| {
                let p = self.position(&r.file, r.span, None);
                serde_json::json!({
                    "file": r.file.display().to_string(),
                    "line": p.map(|p| p.0),
                    "column": p.map(|p| p.1),
                    "message": r.message,
                })
            })
            .collect();
        serde_json::json!({
            "severity": d.severity,
            "code": d.code,
            "message": d.message,
            "file": d.file.display().to_string(),
            "line": pos.map(|p| p.0),
            "column": pos.map(|p| p.1),
            "span": d.span,
            "hint": d.hint,
            "related": related,
        })
    }
}

/// Converts the labels of a `miette` diagnostic (what Cedar's errors are)
/// into Writ diagnostics located in `file`. `base` is added to every offset,
/// for errors reported relative to a slice of the file.
pub fn from_miette(
    code: &'static str,
    severity: Severity,
    file: &Path,
    base: usize,
    err: &dyn miette::Diagnostic,
) -> Diagnostic {
    let mut message = err.to_string();
    // Cedar's top-level messages sometimes hide the detail in `source()`.
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        let detail = s.to_string();
        if !message.contains(&detail) {
            message.push_str(": ");
            message.push_str(&detail);
        }
        source = s.source();
    }
    let span = err
        .labels()
        .and_then(|mut labels| labels.next())
        .map(|l| Span::new(base + l.offset(), l.len()));
    let mut d = Diagnostic::error(code, file, span, message);
    d.severity = severity;
    if let Some(help) = err.help() {
        d.hint = Some(help.to_string());
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "ab\ncdé\nfg";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 8), (3, 1));
        assert_eq!(line_column(text, 9), (3, 2));
    }

    #[test]
    fn render_puts_caret_under_span() {
        let mut map = SourceMap::new();
        map.insert("p.cedar", "permit(\n  principal ==,\n  action, resource);");
        let d = Diagnostic::error("x", "p.cedar", Some(Span::new(21, 1)), "unexpected token")
            .with_hint("remove it");
        let text = map.render(&d);
        assert!(text.contains("--> p.cedar:2:14"), "{text}");
        assert!(text.contains("2 |   principal ==,"), "{text}");
        assert!(text.contains("  |              ^\n"), "{text}");
        assert!(text.contains("= help: remove it"), "{text}");
    }
}
