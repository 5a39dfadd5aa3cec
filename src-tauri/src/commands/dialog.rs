//! Native file dialogs, opened from Rust so that no path ever comes from
//! the front end: a command that needs a file asks here, and the web view
//! only learns the name of what was chosen.
//!
//! Debug builds (the ones the WebDriver tests drive) can answer dialogs
//! from a file instead, because WebDriver cannot reach a native GTK
//! dialog: when `WRIT_TEST_DIALOG_ANSWERS` names a file, each dialog takes
//! its first line as the chosen path (an empty line means "cancelled") and
//! removes it. Release builds ignore the variable.

use std::path::PathBuf;
use tauri::{AppHandle, Runtime};
use tauri_plugin_dialog::DialogExt;

/// A file-type filter shown in the dialog (`("Trace files", &["jsonl"])`).
pub type Filter<'a> = (&'a str, &'a [&'a str]);

/// What a dialog is for.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    /// Choose an existing file.
    Open,
    /// Choose where to create a new file.
    Save,
    /// Choose an existing folder.
    Folder,
}

/// Shows a file dialog titled `title` and returns the chosen path, or
/// `None` when the user cancelled. Blocks: call it off the UI thread.
pub fn choose<R: Runtime>(
    app: &AppHandle<R>,
    purpose: Purpose,
    title: &str,
    filters: &[Filter<'_>],
) -> Result<Option<PathBuf>, String> {
    choose_named(app, purpose, title, filters, None)
}

/// [`choose`], the dialog offering `file_name` as the name to save under.
pub fn choose_named<R: Runtime>(
    app: &AppHandle<R>,
    purpose: Purpose,
    title: &str,
    filters: &[Filter<'_>],
    file_name: Option<&str>,
) -> Result<Option<PathBuf>, String> {
    if let Some(answer) = test_answer()? {
        return Ok(answer);
    }
    let mut builder = app.dialog().file().set_title(title);
    if let Some(name) = file_name {
        builder = builder.set_file_name(name);
    }
    for (name, extensions) in filters {
        builder = builder.add_filter(*name, extensions);
    }
    let chosen = match purpose {
        Purpose::Open => builder.blocking_pick_file(),
        Purpose::Save => builder.blocking_save_file(),
        Purpose::Folder => builder.blocking_pick_folder(),
    };
    chosen
        .map(|p| {
            p.into_path()
                .map_err(|e| format!("the chosen location is not a local file: {e}"))
        })
        .transpose()
}

/// The next scripted answer, in debug builds with the variable set.
#[cfg(debug_assertions)]
fn test_answer() -> Result<Option<Option<PathBuf>>, String> {
    let Some(file) = std::env::var_os("WRIT_TEST_DIALOG_ANSWERS") else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("dialog answers {}: {e}", PathBuf::from(&file).display()))?;
    let mut lines = text.lines();
    let Some(first) = lines.next() else {
        return Err("the scripted dialog answers are used up".to_string());
    };
    let rest: Vec<&str> = lines.collect();
    let mut remaining = rest.join("\n");
    if !rest.is_empty() {
        remaining.push('\n');
    }
    std::fs::write(&file, remaining)
        .map_err(|e| format!("dialog answers {}: {e}", PathBuf::from(&file).display()))?;
    let first = first.trim();
    Ok(Some((!first.is_empty()).then(|| PathBuf::from(first))))
}

/// Release builds never read scripted answers.
#[cfg(not(debug_assertions))]
fn test_answer() -> Result<Option<Option<PathBuf>>, String> {
    Ok(None)
}
