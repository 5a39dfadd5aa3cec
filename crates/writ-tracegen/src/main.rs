//! `writ-tracegen` command: writes a synthetic native trace from a traffic model.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use writ_tracegen::{load_model, write_trace, TracegenError, Variant};

/// Generate a deterministic synthetic trace of AI-agent actions (JSON Lines).
#[derive(Debug, Parser)]
#[command(name = "writ-tracegen", version)]
struct Cli {
    /// Traffic model (TOML).
    #[arg(long)]
    model: PathBuf,
    /// Random seed; the same seed always yields the same bytes.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of actions to write.
    #[arg(long, default_value_t = 2400)]
    count: usize,
    /// Give every action a never-seen resource so no two requests are equal.
    #[arg(long)]
    unique: bool,
    /// Output file; standard output when omitted.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn run(cli: &Cli) -> Result<(), TracegenError> {
    let model = load_model(&cli.model)?;
    let variant = if cli.unique {
        Variant::Unique
    } else {
        Variant::Realistic
    };
    let mut out: Box<dyn Write> = match &cli.out {
        Some(path) => Box::new(BufWriter::new(File::create(path)?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    write_trace(&model, cli.seed, variant, cli.count, &mut out)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("writ-tracegen: {err}");
            ExitCode::FAILURE
        }
    }
}
