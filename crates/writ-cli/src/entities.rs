//! `writ entities [PROJECT|@VERSION] [--search TEXT] [--format table|json]`:
//! every entity a project decides with (the inventory's and entities.json's),
//! where each is defined, its parents, attributes and tags; searchable as
//! the app's Entities view is (`writ_core::entity_list`).

use crate::output::{load_project, GlobalArgs};
use std::path::PathBuf;
use std::process::ExitCode;
use writ_core::entity_list::{list, EntityFilter, EntityRow};

/// Arguments of `writ entities`.
#[derive(clap::Args)]
pub struct Args {
    /// The project folder, or `@<version>` stored in the workspace.
    #[arg(default_value = ".")]
    project: PathBuf,
    /// Keep the entities matching every term (case-insensitive substrings
    /// of type, id, attribute or tag values, parents); a term may name its
    /// field: `type:Agent`, `id:bot`, `attr:high`, `tag:case`, `parent:eng`,
    /// `source:entities.json`, and quote spaces: `attr:"Support bot"`.
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

/// Runs the command.
pub fn run(args: Args, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let project = load_project(&args.project, g)?;
    let filter = EntityFilter::parse(args.search.as_deref().unwrap_or(""));
    let listing = list(&project, &filter);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&listing)?),
        Format::Table => {
            let rows: Vec<[String; 5]> = listing.rows.iter().map(cells).collect();
            let head = ["UID", "SOURCE", "PARENTS", "ATTRIBUTES", "TAGS"].map(String::from);
            let mut widths = head.clone().map(|h| h.chars().count());
            for r in &rows {
                for (w, c) in widths.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count());
                }
            }
            for r in std::iter::once(&head).chain(&rows) {
                let line: Vec<String> = r
                    .iter()
                    .zip(widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect();
                println!("{}", line.join("  ").trim_end());
            }
            println!("{} of {} entities", listing.matched, listing.total);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A row's table cells (already escaped by the library).
fn cells(r: &EntityRow) -> [String; 5] {
    let source = match r.source.line {
        Some(line) => format!("{}:{line}", r.source.file),
        None => r.source.file.clone(),
    };
    [
        r.uid.clone(),
        source,
        r.parents.join(", "),
        r.attributes_text(),
        r.tags_text(),
    ]
}
