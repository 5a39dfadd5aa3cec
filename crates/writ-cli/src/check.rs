//! `writ check PROJECT`.

use crate::output::{check_ref, GlobalArgs};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `writ check`.
#[derive(clap::Args)]
pub struct Args {
    /// The project folder (schema.cedarschema, policies/, inventory.toml),
    /// or `@<version>` stored in the workspace.
    project: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Fail (exit 1) when there are warnings too, such as Cedar's
    /// "impossible policy" or "no applicable action" (for CI).
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

/// Runs the command.
pub fn run(args: Args, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let report = check_ref(&args.project, g)?;
    match args.format {
        Format::Json => {
            let items: Vec<serde_json::Value> = report
                .diagnostics
                .iter()
                .map(|d| report.sources.to_json(d))
                .collect();
            println!("{}", serde_json::to_string_pretty(&items)?);
        }
        Format::Human => {
            for d in &report.diagnostics {
                eprintln!("{}", report.sources.render(d));
            }
            let (e, w) = (report.error_count(), report.warning_count());
            match &report.project {
                Some(p) if e == 0 => {
                    println!(
                        "{}: ok ({} policies, {} agents, {} tools, {} warning(s))",
                        args.project.display(),
                        p.policies.policies.len(),
                        p.inventory.agent.len(),
                        p.inventory.tool.len(),
                        w
                    );
                    print_templates(p);
                }
                _ => println!("{}: {e} error(s), {w} warning(s)", args.project.display()),
            }
        }
    }
    let failed = report.error_count() > 0 || (args.deny_warnings && report.warning_count() > 0);
    if failed && report.error_count() == 0 && matches!(args.format, Format::Human) {
        eprintln!("failing because of --deny-warnings");
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The entity data, templates and links of a project that checked.
fn print_templates(p: &writ_core::project::Project) {
    if p.files.entities.is_some() {
        // Cedar adds the schema's actions as entities; count the data's own.
        let data = p
            .entities
            .iter()
            .filter(|e| e.uid().type_name().basename() != "Action")
            .count();
        println!(
            "entities  {} (entities.json{})",
            data,
            if p.files.inventory.is_some() {
                " merged with inventory.toml"
            } else {
                ""
            }
        );
    }
    for t in &p.policies.templates {
        let links = p
            .policies
            .links
            .iter()
            .filter(|l| l.template == t.info.id)
            .count();
        println!(
            "template  {}  {} {}  ({} link(s))",
            shown(&t.info.id),
            t.info.effect_name(),
            t.slots.join(" "),
            links
        );
    }
    for l in &p.policies.links {
        let args: Vec<String> = l
            .args
            .iter()
            .map(|(k, v)| format!("{k}={}", shown(v)))
            .collect();
        println!(
            "link      {} -> {}  {}",
            shown(&l.id),
            shown(&l.template),
            args.join(" ")
        );
    }
}

/// Text with control characters escaped, so ids cannot drive the terminal.
fn shown(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
