//! `writ decisions ...`: the decision logs `writ serve` writes. Their lines
//! form a hash chain (see `docs/decision-log.md`); `verify` names the first
//! deleted, edited or reordered line, and a signed checkpoint made with
//! `checkpoint` also shows lines removed from the end, or every file wiped.

use anyhow::Context as _;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use writ_bundle::checkpoint::{self, Checkpoint, DECISION_LOG_PAYLOAD_TYPE};
use writ_pdp::log_chain::{self, ChainError, CheckpointMatch, Expect};

/// `writ decisions ...`.
#[derive(clap::Subcommand)]
pub enum DecisionsCommand {
    /// Check a decision log's hash chain (the file and its rotated files
    /// PATH.<n>); with --checkpoint, also that no line was removed from the
    /// end since the checkpoint was signed. Exit 1 when the chain is broken.
    Verify {
        /// The log file(s); a log's rotated files are included.
        #[arg(required = true, value_name = "LOG")]
        logs: Vec<PathBuf>,
        /// A checkpoint written by `writ decisions checkpoint`.
        #[arg(long, value_name = "FILE", requires = "trust")]
        checkpoint: Option<PathBuf>,
        /// The public key(s) that may have signed the checkpoint (SPKI PEM).
        #[arg(long, value_name = "KEY.pub.pem", requires = "checkpoint")]
        trust: Vec<PathBuf>,
    },
    /// Sign the log's newest line (its hash and seq) into a checkpoint file,
    /// after checking the chain. Keep checkpoints away from the log's host.
    Checkpoint {
        /// The log file(s); a log's rotated files are included.
        #[arg(required = true, value_name = "LOG")]
        logs: Vec<PathBuf>,
        /// The signing key (PKCS#8 PEM, e.g. from `writ key generate`).
        #[arg(long, value_name = "KEY.pem")]
        key: PathBuf,
        /// Where to write the checkpoint (written whole or not at all).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// Runs a decisions subcommand.
pub fn decisions(cmd: DecisionsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DecisionsCommand::Verify {
            logs,
            checkpoint: cp,
            trust,
        } => {
            let files = expand(&logs)?;
            let expect = match &cp {
                Some(path) => {
                    let trusted = writ_bundle::bundle::read_trusted(&trust)?;
                    let c = checkpoint::read(path, DECISION_LOG_PAYLOAD_TYPE, &trusted)?;
                    Some(Expect {
                        head: c.head,
                        count: c.count,
                    })
                }
                None => None,
            };
            match log_chain::verify_files(&files, expect.as_ref()) {
                Ok(r) => {
                    for (path, line) in &r.torn {
                        eprintln!(
                            "warning: {}:{line}: not a decision line (a write cut short by a crash); it is outside the chain",
                            path.display()
                        );
                    }
                    if r.unchained > 0 {
                        eprintln!(
                            "warning: {} line(s) from before the hash chain cannot be checked",
                            r.unchained
                        );
                    }
                    match (r.first_seq, r.last_seq) {
                        (Some(first), Some(last)) => {
                            println!(
                                "decision log intact: {} line(s), seq {first} to {last}, in {} file(s)",
                                r.lines,
                                files.len()
                            );
                            if first > 1 {
                                println!(
                                    "  lines before seq {first} are not in these files (rotated away, or in files not given)"
                                );
                            }
                        }
                        _ => println!("decision log holds no chained line"),
                    }
                    match (r.checkpoint, &expect) {
                        (Some(CheckpointMatch::Matched), Some(e)) => {
                            println!("checkpoint matches: line seq {} is the signed one", e.count)
                        }
                        (Some(CheckpointMatch::Older), Some(e)) => {
                            eprintln!(
                                "checkpoint not checked: its line seq {} is older than the oldest line kept",
                                e.count
                            );
                            return Ok(ExitCode::from(1));
                        }
                        _ => {}
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(ChainError::Io { path, source }) => {
                    Err(source).with_context(|| format!("cannot read {}", path.display()))
                }
                Err(e) => {
                    eprintln!("decision log broken: {e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        DecisionsCommand::Checkpoint { logs, key, out } => {
            let files = expand(&logs)?;
            let r = match log_chain::verify_files(&files, None) {
                Ok(r) => r,
                Err(e) => anyhow::bail!(
                    "the decision log does not verify, so it is not checkpointed: {e}"
                ),
            };
            let (Some(head), Some(count)) = (r.head, r.last_seq) else {
                anyhow::bail!("the decision log holds no chained line: nothing to checkpoint");
            };
            let signing = writ_bundle::keys::read_private(&key)?;
            let c = Checkpoint {
                head,
                count,
                created: writ_bundle::bundle::format_time(time::OffsetDateTime::now_utc()),
            };
            checkpoint::write(&out, DECISION_LOG_PAYLOAD_TYPE, &c, &signing)?;
            println!(
                "checkpoint {}: line seq {count}, head {}",
                out.display(),
                c.head
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The given files with each log's rotated files, without repeats.
fn expand(logs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = BTreeSet::new();
    for p in logs {
        if p.exists() {
            out.insert(p.clone());
        } else {
            // A wiped log is what a checkpoint is for: read it as empty.
            eprintln!("warning: decision log {} does not exist", p.display());
        }
        for f in log_chain::log_files(Path::new(p))
            .with_context(|| format!("cannot list the rotated files of {}", p.display()))?
        {
            out.insert(f);
        }
    }
    Ok(out.into_iter().collect())
}
