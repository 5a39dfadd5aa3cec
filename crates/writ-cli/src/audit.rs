//! `writ audit ...`: the workspace's tamper-evident audit trail. The chain
//! itself lives in `writ-store`; signing a checkpoint of its head and
//! reading the head a signed bundle carries use `writ-bundle`, so both meet
//! here, in the CLI.

use crate::output::GlobalArgs;
use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use writ_bundle::bundle::{self, TrustedKey};
use writ_bundle::checkpoint::{self, Checkpoint, AUDIT_PAYLOAD_TYPE};
use writ_store::audit::AuditHead;
use writ_store::Workspace;

/// `writ audit ...`.
#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// List the audit trail, oldest first.
    List,
    /// Check the hash chain; names the first edited, deleted or reordered
    /// event. With --checkpoint or --bundle, also that the trail still holds
    /// the head they signed (catches a truncated or wiped trail).
    Verify {
        /// A checkpoint written by `writ audit checkpoint`.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// A bundle exported from this workspace (folder or .tar.gz): its
        /// signed manifest records the trail before its export.
        #[arg(long, value_name = "DIR|FILE")]
        bundle: Option<PathBuf>,
        /// Public key(s) that may have signed (SPKI PEM); default: the keys
        /// registered in the workspace. Give them for a check that does not
        /// rely on the workspace itself.
        #[arg(long, value_name = "KEY.pub.pem")]
        trust: Vec<PathBuf>,
    },
    /// Sign the trail's head (newest event hash) and event count into a
    /// checkpoint file, after checking the chain. Keep checkpoints away
    /// from the workspace.
    Checkpoint {
        /// The signing key (PKCS#8 PEM, e.g. from `writ key generate`).
        #[arg(long, value_name = "KEY.pem")]
        key: PathBuf,
        /// Where to write the checkpoint (written whole or not at all).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// Runs an audit subcommand.
pub fn audit(cmd: AuditCommand, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let ws = g.open()?;
    match cmd {
        AuditCommand::List => {
            for e in ws.audit_events()? {
                println!(
                    "{:>5}  {}  {:<16} {:<16} {}",
                    e.id, e.ts, e.actor, e.kind, e.details
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify {
            checkpoint: cp,
            bundle: b,
            trust,
        } => {
            let mut marks: Vec<(AuditHead, String)> = Vec::new();
            if cp.is_some() || b.is_some() {
                let trusted = trusted_keys(&ws, &trust)?;
                if let Some(path) = &cp {
                    let c = checkpoint::read(path, AUDIT_PAYLOAD_TYPE, &trusted)?;
                    marks.push((
                        AuditHead {
                            head: c.head,
                            count: c.count,
                        },
                        format!("the checkpoint {}", path.display()),
                    ));
                }
                if let Some(path) = &b {
                    let mark = bundle_mark(path, &trusted)?;
                    marks.push((mark, format!("bundle {}", path.display())));
                }
            }
            let mut first_break = ws.verify_audit()?;
            for (mark, what) in &marks {
                if first_break.is_some() {
                    break;
                }
                first_break = ws.verify_audit_against(mark, what)?;
            }
            match first_break {
                None => {
                    println!("audit trail intact: {} event(s)", ws.audit_events()?.len());
                    for (mark, what) in &marks {
                        println!("  holds event {} as {what} records", mark.count);
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Some(b) => {
                    eprintln!("audit trail broken at event {}: {}", b.event, b.reason);
                    Ok(ExitCode::from(1))
                }
            }
        }
        AuditCommand::Checkpoint { key, out } => {
            if let Some(b) = ws.verify_audit()? {
                anyhow::bail!(
                    "the audit trail is broken at event {} ({}), so it is not checkpointed",
                    b.event,
                    b.reason
                );
            }
            let head = ws.audit_head()?;
            let signing = writ_bundle::keys::read_private(&key)?;
            let c = Checkpoint {
                head: head.head,
                count: head.count,
                created: bundle::format_time(time::OffsetDateTime::now_utc()),
            };
            checkpoint::write(&out, AUDIT_PAYLOAD_TYPE, &c, &signing)?;
            println!(
                "checkpoint {}: {} event(s), head {}",
                out.display(),
                c.count,
                c.head
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The keys given, else the workspace's registered keys.
fn trusted_keys(ws: &Workspace, trust: &[PathBuf]) -> anyhow::Result<Vec<TrustedKey>> {
    if !trust.is_empty() {
        return Ok(bundle::read_trusted(trust)?);
    }
    let mut out = Vec::new();
    for k in ws.keys()? {
        let key = writ_bundle::keys::parse_public(&k.public_pem)
            .map_err(|e| anyhow::anyhow!("the registered key {} is not readable: {e}", k.key_id))?;
        out.push(TrustedKey::new(key));
    }
    if out.is_empty() {
        anyhow::bail!(
            "the workspace has no registered key; give the signer's public key with --trust"
        );
    }
    Ok(out)
}

/// The audit mark in a bundle's manifest, after verifying the bundle's
/// signature (at its creation time: an expired bundle still vouches for
/// the trail it saw).
fn bundle_mark(path: &std::path::Path, trusted: &[TrustedKey]) -> anyhow::Result<AuditHead> {
    let b = bundle::read(path)?;
    let manifest: writ_bundle::Manifest = b
        .files
        .get(bundle::MANIFEST)
        .and_then(|m| serde_json::from_slice(m).ok())
        .with_context(|| format!("bundle {} has no readable manifest", path.display()))?;
    let at = bundle::parse_time(&manifest.created)?;
    let verified = bundle::verify(&b, trusted, at)
        .with_context(|| format!("bundle {} does not verify", path.display()))?;
    let mark = verified.manifest.audit.with_context(|| {
        format!(
            "bundle {} records no audit head (it was exported before bundles carried one)",
            path.display()
        )
    })?;
    Ok(AuditHead {
        head: mark.head,
        count: mark.count,
    })
}
