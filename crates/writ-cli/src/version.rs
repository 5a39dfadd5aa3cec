//! `writ version commit|list|show|checkout`: policy versions stored in
//! the workspace.

use crate::output::GlobalArgs;
use std::path::PathBuf;
use std::process::ExitCode;
use writ_store::versions::Committed;

/// `writ version ...`.
#[derive(clap::Subcommand)]
pub enum VersionCommand {
    /// Store a project folder as a new version (nothing new when unchanged).
    Commit {
        /// The project folder.
        project: PathBuf,
        /// Why this version exists.
        #[arg(short, long)]
        message: String,
        /// Commit even when `writ check` reports errors.
        #[arg(long)]
        allow_errors: bool,
    },
    /// List versions, newest first.
    List,
    /// Show one version: metadata and files.
    Show {
        /// Version id or unique prefix.
        version: String,
    },
    /// Write a version's files into a new folder, byte for byte.
    Checkout {
        /// Version id or unique prefix.
        version: String,
        /// The folder to create.
        dir: PathBuf,
    },
}

/// Runs a version subcommand.
pub fn version(cmd: VersionCommand, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let mut ws = g.open()?;
    match cmd {
        VersionCommand::Commit {
            project,
            message,
            allow_errors,
        } => {
            let report =
                writ_core::project::check_project(&project, writ_core::project::today_utc());
            if report.error_count() > 0 && !allow_errors {
                for d in report.diagnostics.iter().filter(|d| d.is_error()) {
                    eprint!("{}", report.sources.render(d));
                }
                anyhow::bail!(
                    "{} has {} error(s); nothing was committed (fix them, or pass --allow-errors to keep a draft)",
                    project.display(),
                    report.error_count()
                );
            }
            let (files, _) = writ_core::project::ProjectFiles::read(&project);
            match ws.commit_version(&files, &g.actor(), &message)? {
                Committed::New(id) => println!("committed version {id}"),
                Committed::Unchanged(id) => {
                    println!("unchanged: the content is version {id}; nothing new was stored")
                }
            }
        }
        VersionCommand::List => {
            for v in ws.list_versions()? {
                println!(
                    "{}  {}  {:<20} {}",
                    &v.id[..12],
                    v.created_at,
                    v.author,
                    v.message
                );
            }
        }
        VersionCommand::Show { version } => {
            let v = ws.version(&version)?;
            println!("version  {}", v.id);
            println!("parent   {}", v.parent.as_deref().unwrap_or("(none)"));
            println!("author   {}", v.author);
            println!("created  {}", v.created_at);
            println!("message  {}", v.message);
            println!("files");
            for f in &v.files {
                println!("  {f}");
            }
        }
        VersionCommand::Checkout { version, dir } => {
            let id = ws.checkout_version(&version, &dir)?;
            println!("checked out version {id} into {}", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
