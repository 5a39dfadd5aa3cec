//! `writ schema from-mcp`: a Cedar schema fragment from an MCP tool catalog
//! (a `tools/list` result or a recorded session holding one).

use anyhow::Context as _;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;
use writ_core::ingest::mcp_schema::{
    schema_from_tools, tools_from_text, NumberTreatment, SchemaOptions,
};

/// Schema tools.
#[derive(Subcommand)]
pub enum SchemaCommand {
    /// Turn an MCP `tools/list` result into a Cedar schema fragment: one action per tool, its input typed in context.
    FromMcp(FromMcpArgs),
}

/// Arguments of `writ schema from-mcp`.
#[derive(clap::Args)]
pub struct FromMcpArgs {
    /// The tool list: a `tools/list` result, a JSON-RPC response, a cassette or a JSON-RPC log.
    file: PathBuf,
    /// Put the declarations in this Cedar namespace.
    #[arg(long)]
    namespace: Option<String>,
    /// Write the schema to this file (atomically) instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The principal entity type of every action.
    #[arg(long, default_value = "Agent")]
    principal_type: String,
    /// The resource entity type of every action.
    #[arg(long, default_value = "Tool")]
    resource_type: String,
    /// Type the arguments directly in context instead of under `context.input`.
    #[arg(long)]
    flat: bool,
    /// How non-integer `number` properties are typed: decimal, string or skip.
    #[arg(long, default_value = "decimal")]
    numbers: String,
}

/// Runs a `writ schema` command.
pub fn schema(cmd: SchemaCommand) -> anyhow::Result<ExitCode> {
    let SchemaCommand::FromMcp(a) = cmd;
    let numbers = NumberTreatment::parse(&a.numbers)
        .with_context(|| format!("--numbers {}: use decimal, string or skip", a.numbers))?;
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    let tools = tools_from_text(&text).with_context(|| format!("{}", a.file.display()))?;
    let opts = SchemaOptions {
        namespace: a.namespace,
        principal_type: a.principal_type,
        resource_type: a.resource_type,
        flat: a.flat,
        numbers,
        source: a.file.file_name().map(|n| n.to_string_lossy().into_owned()),
    };
    let generated = schema_from_tools(&tools, &opts)?;
    for n in &generated.notes {
        eprintln!("note: {n}");
    }
    match &a.out {
        Some(out) => {
            writ_core::atomic_file::write_atomically(out, generated.text.as_bytes())
                .with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!("wrote {} action(s) to {}", generated.actions, out.display());
        }
        None => print!("{}", generated.text),
    }
    Ok(ExitCode::SUCCESS)
}
