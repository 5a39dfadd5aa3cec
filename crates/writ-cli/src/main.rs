//! `writ`: check, format, replay, diff and test Cedar policy projects for AI
//! agents, headlessly. Every command is a thin layer over `writ-core`.

mod audit;
mod bundle;
mod check;
mod decisions;
mod diff;
mod draft;
mod entities;
mod export;
mod findings;
mod fmt;
mod hint;
mod init;
mod key;
mod output;
mod preview;
mod profiles;
mod push;
mod replay;
mod report;
mod review;
mod runs;
mod schema;
mod serve;
mod signer;
mod suites;
mod test;
mod traces;
mod version;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Writ: decide what AI agents may do, and prove what a policy change does.
#[derive(Parser)]
#[command(name = "writ", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    global: output::GlobalArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and strictly validate a project: schema, policies and inventory.
    Check(check::Args),
    /// Format the project's policy files with Cedar's formatter.
    Fmt(fmt::Args),
    /// Decide every recorded action of a trace against a project.
    Replay(replay::Args),
    /// Compare two project versions by the decisions they make on a trace.
    Diff(diff::Args),
    /// Run scenario files and Cedar `run-tests` files.
    Test(test::Args),
    /// The entities a project decides with (inventory.toml and entities.json), searchable.
    Entities(entities::Args),
    /// Draft a first project (schema, inventory, least-privilege policies) from recorded traffic.
    Draft(draft::Args),
    /// Governance findings from the inventory and a trace: shadow agents, overdue reviews, static credentials, ...
    Findings(findings::Args),
    /// Create a workspace (optionally with the bundled sample organisation).
    Init(init::InitArgs),
    /// Policy versions stored in the workspace.
    #[command(subcommand)]
    Version(version::VersionCommand),
    /// Trace sets stored in the workspace.
    #[command(subcommand)]
    Traces(traces::TracesCommand),
    /// Replay runs stored in the workspace.
    #[command(subcommand)]
    Runs(runs::RunsCommand),
    /// The workspace's tamper-evident audit trail.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Scenario suites stored in the workspace (run them with `writ test --suite`).
    #[command(subcommand)]
    Suites(suites::SuitesCommand),
    /// Submit a version for four-eyes review and show its evidence or history.
    Review(review::ReviewArgs),
    /// Approve a version in review (not its author; two people for changes to critical agents).
    Approve(review::ApproveArgs),
    /// Reject a version in review, with a comment saying why.
    Reject(review::RejectArgs),
    /// Ed25519 signing keys for bundles (public keys registered in the workspace).
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Signed policy bundles: export an approved version, verify a bundle.
    #[command(subcommand)]
    Bundle(bundle::BundleCommand),
    /// The evidence report of a version: one self-contained HTML file for auditors.
    Report(report::ReportArgs),
    /// Mapping profiles: how recorded tool calls become Cedar requests.
    #[command(subcommand)]
    Profiles(profiles::ProfilesCommand),
    /// Schema tools: a Cedar schema fragment from an MCP tool catalog.
    #[command(subcommand)]
    Schema(schema::SchemaCommand),
    /// Serve decisions over HTTP from a verified signed bundle (the policy decision point).
    Serve(Box<serve::Args>),
    /// Decision logs written by `writ serve`: verify their hash chain, sign checkpoints.
    #[command(subcommand)]
    Decisions(decisions::DecisionsCommand),
    /// Load a verified bundle into a running enforcement point (cedar-agent).
    #[command(subcommand)]
    Push(push::PushCommand),
    /// Write a verified bundle as another system's inputs (Amazon Verified Permissions).
    #[command(subcommand)]
    Export(export::ExportCommand),
}

fn main() -> ExitCode {
    // Like other Unix tools, end quietly when the reader of our output goes
    // away (`writ ... | head`) instead of failing on every print.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE at start-up,
    // before any other thread exists, is sound.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let g = &cli.global;
    let result = match cli.command {
        Command::Check(a) => check::run(a, g),
        Command::Fmt(a) => fmt::run(a),
        Command::Replay(a) => replay::run(a, g),
        Command::Diff(a) => diff::run(a, g),
        Command::Test(a) => test::run(a, g),
        Command::Entities(a) => entities::run(a, g),
        Command::Draft(a) => draft::run(a, g),
        Command::Findings(a) => findings::run(a, g),
        Command::Init(a) => init::init(a, g),
        Command::Version(c) => version::version(c, g),
        Command::Traces(c) => traces::traces(c, g),
        Command::Runs(c) => runs::runs(c, g),
        Command::Audit(c) => audit::audit(c, g),
        Command::Suites(c) => suites::suites(c, g),
        Command::Review(a) => review::review(a, g),
        Command::Approve(a) => review::approve(a, g),
        Command::Reject(a) => review::reject(a, g),
        Command::Key(c) => key::key(c, g),
        Command::Bundle(c) => bundle::bundle(c, g),
        Command::Report(a) => report::run(a, g),
        Command::Profiles(c) => profiles::profiles(c),
        Command::Schema(c) => schema::schema(c),
        Command::Serve(a) => serve::run(*a),
        Command::Decisions(c) => decisions::decisions(c),
        Command::Push(c) => push::push(c),
        Command::Export(c) => export::export(c),
    };
    match result {
        Ok(code) => code,
        // A reader that stopped reading (`writ replay ... | head`) is not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            hint::eprint(hint::for_error(&e));
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
