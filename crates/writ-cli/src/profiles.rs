//! `writ profiles list|show`: the mapping profiles that turn recorded tool
//! calls into Cedar requests (built-in ones, or a profile file).

use clap::Subcommand;
use std::process::ExitCode;
use writ_core::ingest::profile::{Profile, BUILTIN_NAMES};

/// Mapping profiles.
#[derive(Subcommand)]
pub enum ProfilesCommand {
    /// List the built-in mapping profiles.
    List,
    /// Show a profile's TOML: a built-in name, or a profile file (checked).
    Show {
        /// `writ`, `toolhive`, `agentcore`, or the path of a profile file.
        name: String,
    },
}

/// Runs a `writ profiles` command.
pub fn profiles(cmd: ProfilesCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ProfilesCommand::List => {
            for (i, p) in Profile::builtins().iter().enumerate() {
                let default = if i == 0 { " (default)" } else { "" };
                println!("{:<10} {}{default}", p.name, p.description);
            }
            println!("\nshow one with `writ profiles show NAME`; copy it to a file to adapt it and pass the file to --profile");
        }
        ProfilesCommand::Show { name } => {
            if let Some(text) = Profile::builtin_source(&name) {
                print!("{text}");
            } else if std::path::Path::new(&name).is_file() {
                let profile = Profile::load(name.as_ref())?;
                let text = std::fs::read_to_string(&name)?;
                print!("{text}");
                eprintln!("{}: profile `{}` checks", name, profile.name);
            } else {
                anyhow::bail!(
                    "no built-in profile `{name}` and no such file; the built-in profiles are {}",
                    BUILTIN_NAMES.join(", ")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
