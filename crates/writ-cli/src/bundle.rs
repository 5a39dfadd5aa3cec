//! `writ bundle ...`: export an approved version as a signed bundle, verify
//! a bundle against trusted keys, and list the exports.

use crate::output::GlobalArgs;
use std::path::PathBuf;
use std::process::ExitCode;
use writ_bundle::bundle;

/// `writ bundle ...`.
#[derive(clap::Subcommand)]
pub enum BundleCommand {
    /// Export an approved version as a signed bundle (a folder, or a
    /// .tar.gz with --archive). The same inputs give a byte-identical bundle,
    /// but for the sequence: each export takes the next one of its channel.
    Export {
        /// Version id or unique prefix (it must be approved).
        version: String,
        /// The private key (PKCS#8 PEM) to sign with.
        #[arg(long, value_name = "KEY.pem")]
        key: PathBuf,
        /// Where to write the bundle (must not exist).
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// Write a .tar.gz archive instead of a folder.
        #[arg(long)]
        archive: bool,
        /// The bundle's creation time (RFC 3339; default: the last approval's time).
        #[arg(long, value_name = "TIME")]
        created: Option<String>,
        /// How long the bundle stays valid after its creation time (30d, 12h, 2w...).
        #[arg(long, value_name = "DURATION", conflicts_with = "expires")]
        expires_in: Option<String>,
        /// When the bundle expires (RFC 3339).
        #[arg(long, value_name = "TIME")]
        expires: Option<String>,
        /// The release channel; the workspace gives the bundle the next
        /// sequence number of this channel (signed in the manifest).
        #[arg(long, value_name = "NAME", default_value = writ_store::export::DEFAULT_CHANNEL)]
        channel: String,
    },
    /// Verify a bundle (folder or .tar.gz): signature by a trusted key,
    /// every hash, no file missing or extra, not expired. Each failure has
    /// its own exit code (see docs/bundle-format.md).
    Verify {
        /// The bundle folder or .tar.gz.
        path: PathBuf,
        /// Trusted public keys (SPKI PEM); any of them may have signed.
        #[arg(long, value_name = "KEY.pub.pem", num_args = 1.., required_unless_present = "workspace_keys")]
        trust: Vec<PathBuf>,
        /// Trust the signing keys registered in the workspace (`--workspace`)
        /// and check the signed approvals against its approver keys not
        /// revoked (at least one must count, when it has any): what the
        /// workbench's "Verify a bundle…" does.
        #[arg(long, conflicts_with = "approvers")]
        workspace_keys: bool,
        /// Check validity at this time (RFC 3339; default: now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Print the verified manifest as JSON.
        #[arg(long)]
        json: bool,
        /// Also require this release channel (a format 2 bundle with a
        /// sequence number); exit 24 otherwise.
        #[arg(long, value_name = "NAME")]
        channel: Option<String>,
        /// Also require a sequence number of at least N (exit 25 for a
        /// lower one: a rollback).
        #[arg(long, value_name = "N", requires = "channel")]
        min_sequence: Option<u64>,
        /// Also check the signed approvals the bundle carries against these
        /// approver public keys (SPKI PEM); exit 26 when too few count.
        #[arg(long, value_name = "KEY.pub.pem", num_args = 1..)]
        approvers: Vec<PathBuf>,
        /// How many distinct approvers (not the author) must have approved
        /// (default 1 with --approvers; 0 is refused: it would check nothing).
        #[arg(long, value_name = "N", requires = "approvers", value_parser = at_least_one)]
        min_approvals: Option<usize>,
    },
    /// List the bundles exported from this workspace, newest first.
    List,
}

/// Runs a bundle subcommand.
pub fn bundle(cmd: BundleCommand, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    match cmd {
        BundleCommand::Export {
            version,
            key,
            out,
            archive,
            created,
            expires_in,
            expires,
            channel,
        } => export(
            g,
            &version,
            &key,
            &out,
            writ_store::export::ExportOptions {
                archive,
                created,
                expires_in,
                expires,
                channel: Some(channel),
                audit: None,
            },
        ),
        BundleCommand::Verify {
            path,
            trust,
            at,
            json,
            channel,
            min_sequence,
            approvers,
            min_approvals,
            workspace_keys,
        } => {
            let want = channel.map(|channel| bundle::ChannelExpectation {
                channel,
                min_sequence,
            });
            let mut trusted = bundle::read_trusted(&trust)?;
            let mut approvals = if approvers.is_empty() {
                None
            } else {
                Some((
                    bundle::read_trusted(&approvers)?,
                    min_approvals.unwrap_or(1),
                ))
            };
            if workspace_keys {
                let ws = g.open()?;
                trusted.extend(ws.trusted_signing_keys()?);
                let keys = ws.trusted_approver_keys()?;
                if keys.is_empty() {
                    eprintln!(
                        "note: the workspace has no approver key; the approvals are not checked"
                    );
                } else {
                    approvals = Some((keys, 1));
                }
            }
            verify(
                &path,
                trusted,
                at.as_deref(),
                json,
                want.as_ref(),
                approvals.as_ref(),
            )
        }
        BundleCommand::List => {
            let ws = g.open()?;
            for b in ws.bundles()? {
                println!(
                    "{:>3}  {}  {}  key {}  {} {}  by {}  digest {}",
                    b.id,
                    b.exported_at,
                    &b.bundle.version_id[..12],
                    b.bundle.key_id,
                    if b.bundle.archive {
                        "archive"
                    } else {
                        "folder"
                    },
                    b.bundle.path,
                    b.exported_by,
                    b.bundle.digest
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn export(
    g: &GlobalArgs,
    version: &str,
    key_path: &std::path::Path,
    out: &std::path::Path,
    options: writ_store::export::ExportOptions,
) -> anyhow::Result<ExitCode> {
    let mut ws = g.open()?;
    let (e, _) =
        writ_store::export::export_version(&mut ws, version, key_path, out, &options, &g.actor())?;
    println!(
        "exported version {} as bundle {} to {}",
        &e.version[..12],
        e.record,
        out.display()
    );
    println!("key id   {}", e.key_id);
    println!("digest   {}", e.digest);
    println!("channel  {} sequence {}", e.channel, e.sequence);
    println!("created  {}", e.created);
    println!("expires  {}", e.expires.as_deref().unwrap_or("never"));
    Ok(ExitCode::SUCCESS)
}

fn verify(
    path: &std::path::Path,
    trusted: Vec<bundle::TrustedKey>,
    at: Option<&str>,
    json: bool,
    want: Option<&bundle::ChannelExpectation>,
    approvers: Option<&(Vec<bundle::TrustedKey>, usize)>,
) -> anyhow::Result<ExitCode> {
    let at = match at {
        Some(t) => bundle::parse_time(t)?,
        None => time::OffsetDateTime::now_utc(),
    };
    let result = bundle::read(path)
        .and_then(|b| bundle::verify(&b, &trusted, at))
        .and_then(|v| match want {
            Some(w) => bundle::check_channel(&v.manifest, w).map(|()| v),
            None => Ok(v),
        })
        .and_then(|v| match approvers {
            Some((keys, min)) => writ_bundle::bundle_review::check(&v.manifest, keys, *min)
                .map(|checked| (v, Some(checked)))
                .map_err(Into::into),
            None => Ok((v, None)),
        });
    match result {
        Ok((v, checked)) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "verified": true,
                        "key_id": v.key_id,
                        "digest": v.digest,
                        "manifest": v.manifest,
                        "approvals_checked": checked,
                    }))?
                );
            } else {
                let m = &v.manifest;
                println!("verified {}", path.display());
                println!("version  {}", m.policy_version);
                if let (Some(c), Some(n)) = (&m.channel, m.sequence) {
                    println!("channel  {c} sequence {n}");
                }
                println!("key id   {}", v.key_id);
                println!("digest   {}", v.digest);
                println!("created  {}", m.created);
                println!("expires  {}", m.expires.as_deref().unwrap_or("never"));
                match &checked {
                    Some(c) => {
                        for a in &c.approvals {
                            println!(
                                "approved by {} at {} (signature by key {} verified)",
                                a.approver, a.at, a.key_id
                            );
                        }
                        for why in &c.not_counted {
                            println!("not counted: {why}");
                        }
                    }
                    None => {
                        for a in &m.approvals {
                            println!("approved by {} at {}", a.approver, a.at);
                        }
                    }
                }
                for (name, hash) in &m.files {
                    println!("  {hash}  {name}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            crate::hint::eprint(crate::hint::for_verify(&e));
            Ok(ExitCode::from(e.exit_code()))
        }
    }
}

/// `--min-approvals`: a whole number of at least 1 (0 would let a bundle
/// with no approval through while the command line seems to ask for a check).
pub fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "`{text}` is not a number of approvals of at least 1"
        )),
    }
}
