//! `writ traces preview`: the first items of a trace file as a mapping
//! profile sees them (recorded text, extracted action, trace record, Cedar
//! request, problems), before anything is imported.

use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use writ_core::evaluate::Evaluator;
use writ_core::ingest::format::Format;
use writ_core::ingest::preview::{self, FileProblem, PreviewItem};
use writ_core::ingest::profile::Profile;
use writ_core::ingest::read::ReadOptions;

/// How the preview is printed.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// For people.
    Table,
    /// One JSON document.
    Json,
}

/// Arguments of `writ traces preview`.
#[derive(clap::Args)]
pub struct PreviewArgs {
    /// The trace file (native, decision log, OTLP, Tempo, Jaeger, MCP log or cassette).
    file: PathBuf,
    /// The input format, or `auto` to detect it.
    #[arg(long, default_value = "auto")]
    format: String,
    /// A built-in profile name (`writ profiles list`) or a profile file.
    #[arg(long, default_value = "writ")]
    profile: String,
    /// How many items to show.
    #[arg(long, default_value_t = 5)]
    limit: usize,
    /// table or json.
    #[arg(long, value_enum, default_value = "table")]
    format_output: OutputFormat,
    /// Build requests against this stored version (default: the newest one, when the workspace exists).
    #[arg(long)]
    version: Option<String>,
    /// Build requests against this project folder instead of a stored version.
    #[arg(long, conflicts_with = "version")]
    project: Option<PathBuf>,
    /// Extra span attributes naming the user an agent acts for (e.g. kagent.user_id).
    #[arg(long = "user-attribute")]
    user_attributes: Vec<writ_core::ingest::AttributeKey>,
}

/// One-line JSON of anything serializable.
macro_rules! compact {
    ($v:expr) => {
        serde_json::to_string($v).unwrap_or_default()
    };
}

/// The evaluator requests are built against, if any.
fn evaluator(
    args: &PreviewArgs,
    g: &crate::output::GlobalArgs,
) -> anyhow::Result<Option<(String, Evaluator)>> {
    evaluator_for(args.project.as_deref(), args.version.as_deref(), g)
}

/// The evaluator of a project folder, a stored version, or (neither
/// given) the newest stored version when the workspace has one, with the
/// name to show it by.
pub(crate) fn evaluator_for(
    project: Option<&std::path::Path>,
    version: Option<&str>,
    g: &crate::output::GlobalArgs,
) -> anyhow::Result<Option<(String, Evaluator)>> {
    if let Some(dir) = project {
        let p = crate::output::load_project(dir, g)?;
        return Ok(Some((
            dir.display().to_string(),
            Evaluator::from_project(dir.display().to_string(), &p),
        )));
    }
    let version = match version {
        Some(v) => v.to_string(),
        None => {
            if !g.workspace.exists() {
                return Ok(None);
            }
            match g.open()?.list_versions()?.first() {
                Some(v) => v.id.clone(),
                None => return Ok(None),
            }
        }
    };
    let reference = PathBuf::from(format!("@{version}"));
    let p = crate::output::load_project(&reference, g)?;
    Ok(Some((
        version[..version.len().min(12)].to_string(),
        Evaluator::from_project(version, &p),
    )))
}

/// Runs `writ traces preview`.
pub fn run(args: PreviewArgs, g: &crate::output::GlobalArgs) -> anyhow::Result<ExitCode> {
    let format = if args.format == "auto" {
        None
    } else {
        Some(Format::from_name(&args.format).with_context(|| {
            format!(
                "--format {}: use auto or one of {}",
                args.format,
                Format::names()
            )
        })?)
    };
    let profile = Profile::resolve(&args.profile)?;
    let opts = ReadOptions {
        user_attributes: args
            .user_attributes
            .iter()
            .map(|k| k.as_str().to_string())
            .collect(),
    };
    let ev = evaluator(&args, g)?;
    let preview = preview::preview_file(
        &args.file,
        format,
        &opts,
        &profile,
        ev.as_ref().map(|(_, e)| e),
        args.limit,
    )
    .with_context(|| format!("cannot open {}", args.file.display()))?;
    let format = match (preview.format, &preview.problem) {
        (_, Some(FileProblem::NotRecognised)) | (None, _) => anyhow::bail!(
            "{}: the trace format is not recognised; name it with --format ({})",
            args.file.display(),
            Format::names()
        ),
        (_, Some(FileProblem::Unreadable { message })) => {
            anyhow::bail!("{}: {message}", args.file.display())
        }
        (Some(f), None) => f,
    };
    let shown = preview.items;
    match args.format_output {
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "file": args.file.display().to_string(),
                "format": format.name(),
                "profile": profile.name,
                "version": ev.as_ref().map(|(n, _)| n.clone()),
                "items": shown,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        OutputFormat::Table => print_table(
            &args,
            format,
            &profile,
            ev.as_ref().map(|(n, _)| n.as_str()),
            &shown,
        ),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(
    args: &PreviewArgs,
    format: Format,
    profile: &Profile,
    version: Option<&str>,
    items: &[PreviewItem],
) {
    println!(
        "{} ({}), profile `{}`, {}",
        args.file.display(),
        format.name(),
        profile.name,
        against(version)
    );
    if items.is_empty() {
        println!("\nthe file holds no items");
    }
    print_items(items);
}

/// What the previewed requests are built against, in words.
pub(crate) fn against(version: Option<&str>) -> String {
    match version {
        Some(v) => format!("requests against version {v}"),
        None => "no workspace version: requests built without a schema".into(),
    }
}

/// Prints previewed items: recorded excerpt, action, record, request,
/// verdict, problems.
pub(crate) fn print_items(items: &[PreviewItem]) {
    for p in items {
        println!("\n#{}  {}", p.index, p.location);
        if let Some(r) = &p.recorded {
            println!("  recorded  {r}");
        }
        if let Some(a) = &p.action {
            println!(
                "  action    {} {} by {} for {} [{}] call {}",
                a.tool,
                a.args
                    .as_ref()
                    .map(|v| compact!(v))
                    .unwrap_or_else(|| "(no arguments)".into()),
                a.agent.as_deref().unwrap_or("(no agent)"),
                match (&a.user, &a.user_key) {
                    (Some(u), Some(k)) => format!("{u} (from {k})"),
                    (Some(u), None) => u.clone(),
                    (None, _) => "(no user)".into(),
                },
                compact!(&a.outcome).trim_matches('"'),
                a.call_id.as_deref().unwrap_or("-"),
            );
        }
        if let Some(r) = &p.record {
            println!("  record    {}", compact!(r));
        }
        if let Some(q) = &p.request {
            let uid = |v: &serde_json::Value| {
                format!(
                    "{}::{}",
                    v["type"].as_str().unwrap_or("?"),
                    serde_json::Value::String(v["id"].as_str().unwrap_or("?").to_string())
                )
            };
            println!(
                "  request   principal {}, action {}, resource {}, context {}",
                uid(&q["principal"]),
                uid(&q["action"]),
                uid(&q["resource"]),
                compact!(&q["context"])
            );
        }
        if let Some(v) = p.verdict {
            println!("  verdict   {}", v.as_str());
        }
        if p.problems.is_empty() {
            println!("  problems  none");
        } else {
            for pr in &p.problems {
                println!("  problem   {pr}");
            }
        }
    }
}
