//! `writ push cedar-agent URL --bundle PATH --trust KEY.pub.pem...`: verify
//! a signed bundle, translate it for cedar-agent's Cedar 2 (reporting what
//! does not translate), and load it through cedar-agent's HTTP API.
//! The work is in `writ_bundle::targets::cedar_agent`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use writ_bundle::bundle;
use writ_bundle::targets::{self, cedar_agent};

/// Exit code when the bundle cannot be pushed without widening access.
const EXIT_REFUSED: u8 = 3;

/// `writ push ...`.
#[derive(clap::Subcommand)]
pub enum PushCommand {
    /// Load a verified bundle into a running permitio/cedar-agent (Cedar 2):
    /// schema, entities and policies; what Cedar 2 cannot read is reported
    /// and left out, and a bundle whose forbid policies do not all translate
    /// is refused (exit 3) with nothing sent. Verification failures exit
    /// with `writ bundle verify`'s codes.
    CedarAgent(CedarAgentArgs),
}

/// Arguments of `writ push cedar-agent`.
#[derive(clap::Args)]
pub struct CedarAgentArgs {
    /// The agent's base URL (plain http), like http://127.0.0.1:8180.
    url: String,
    /// The bundle folder or .tar.gz.
    #[arg(long, value_name = "PATH")]
    bundle: PathBuf,
    /// Trusted public keys (SPKI PEM); any of them may have signed.
    #[arg(long, value_name = "KEY.pub.pem", num_args = 1.., required = true)]
    trust: Vec<PathBuf>,
    /// Translate and report only; send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// cedar-agent's API key (its --authentication), sent as the Authorization header.
    #[arg(
        long,
        env = "WRIT_CEDAR_AGENT_TOKEN",
        value_name = "KEY",
        hide_env_values = true
    )]
    token: Option<String>,
    /// Seconds to wait for each answer of the agent.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    timeout: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

/// Runs a push subcommand.
pub fn push(cmd: PushCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        PushCommand::CedarAgent(a) => push_cedar_agent(a),
    }
}

fn push_cedar_agent(a: CedarAgentArgs) -> anyhow::Result<ExitCode> {
    let trusted = bundle::read_trusted(&a.trust)?;
    let opened = match targets::open_verified(&a.bundle, &trusted, time::OffsetDateTime::now_utc())
    {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {}: {e}; nothing was sent", a.bundle.display());
            crate::hint::eprint(crate::hint::for_target(&e));
            return Ok(ExitCode::from(e.exit_code()));
        }
    };
    let translation = match cedar_agent::translate(&opened) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}: {e}; nothing was sent", a.bundle.display());
            return Ok(ExitCode::from(e.exit_code()));
        }
    };
    let refusal = translation.refusal();
    let options = cedar_agent::PushOptions {
        dry_run: a.dry_run,
        token: a.token.clone(),
        timeout: Duration::from_secs(a.timeout.max(1)),
    };
    let outcome = if refusal.is_some() {
        None
    } else {
        match cedar_agent::push(&a.url, &translation, &options) {
            Ok(o) => Some(o),
            Err(e) => {
                print_report(&a, &translation, None, Some(&e.to_string()));
                eprintln!("error: {e}");
                return Ok(ExitCode::from(e.exit_code()));
            }
        }
    };
    print_report(&a, &translation, outcome.as_ref(), refusal.as_deref());
    match refusal {
        Some(why) => {
            eprintln!("error: {why}");
            Ok(ExitCode::from(EXIT_REFUSED))
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

fn print_report(
    a: &CedarAgentArgs,
    t: &cedar_agent::Translation,
    outcome: Option<&cedar_agent::PushOutcome>,
    problem: Option<&str>,
) {
    if a.format == Format::Json {
        let value = serde_json::json!({
            "url": a.url,
            "bundle": a.bundle.display().to_string(),
            "policy_version": t.policy_version,
            "digest": t.digest,
            "dry_run": a.dry_run,
            "policies_sent": t.policies.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            "untranslated": t.untranslated,
            "schema_notes": t.schema_notes,
            "entity_notes": t.entity_notes,
            "context_attributes_removed": t.dropped_context_attributes,
            "entities": t.entities.as_array().map_or(0, Vec::len),
            "action_entities": t.action_entities,
            "pushed": outcome.is_some_and(|o| o.sent),
            "agent_policy_ids": outcome.map(|o| o.agent_policy_ids.clone()),
            "problem": problem,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return;
    }
    println!(
        "bundle    {} (version {})",
        a.bundle.display(),
        t.policy_version
    );
    println!("digest    {}", t.digest);
    println!(
        "policies  {} translated, {} left out",
        t.policies.len(),
        t.untranslated.len()
    );
    for u in &t.untranslated {
        println!(
            "  left out  {:<6}  {}: {}",
            u.effect,
            u.id,
            u.reasons.join("; ")
        );
    }
    println!(
        "schema    {} element(s) left out or changed",
        t.schema_notes.len()
    );
    for n in &t.schema_notes {
        println!("  {}: {}", n.element, n.reason);
    }
    if !t.dropped_context_attributes.is_empty() {
        let names: Vec<&str> = t
            .dropped_context_attributes
            .iter()
            .map(String::as_str)
            .collect();
        println!(
            "requests  send no context attribute {} (cedar-agent cannot take its value)",
            names.join(", ")
        );
    }
    let all = t.entities.as_array().map_or(0, Vec::len);
    println!(
        "entities  {} from the bundle and {} for the actions and their groups, {} note(s)",
        all.saturating_sub(t.action_entities),
        t.action_entities,
        t.entity_notes.len()
    );
    for n in &t.entity_notes {
        println!("  {}: {}", n.element, n.reason);
    }
    match outcome {
        Some(o) if o.sent => println!(
            "pushed    to {}: it holds {} policies, the ones sent ({} entities)",
            o.url,
            o.agent_policy_ids.len(),
            o.entities_sent
        ),
        Some(_) => println!("dry run   nothing sent to {}", a.url),
        None => {}
    }
}
