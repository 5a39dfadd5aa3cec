//! `writ key ...`: Ed25519 keys, one role each: signing bundles, or (with
//! `--approver NAME`) signing review steps as a person. Private keys stay
//! in their files (mode 0600); the workspace registers public keys by key
//! id. Approver keys are registered, and revoked, by another approver's
//! signature (`--by`); a workspace's first approver key signs its own.

use crate::output::GlobalArgs;
use std::path::PathBuf;
use std::process::ExitCode;

/// `writ key ...`.
#[derive(clap::Subcommand)]
pub enum KeyCommand {
    /// Generate a key pair: NAME.pem (private, PKCS#8, mode 0600) and
    /// NAME.pub.pem (public, SPKI), and register the public key.
    Generate {
        /// The files' common name (NAME.pem and NAME.pub.pem are written;
        /// existing files are never overwritten).
        #[arg(long, value_name = "NAME")]
        out: PathBuf,
        /// Make it PERSON's approver key (for review steps) instead of a
        /// bundle-signing key.
        #[arg(long, value_name = "PERSON")]
        approver: Option<String>,
        /// The registering approver's private key (not needed for the
        /// workspace's first approver key, which signs its own).
        #[arg(long, value_name = "FILE", requires = "approver")]
        by: Option<PathBuf>,
        /// Encrypt the private key with the passphrase in
        /// $WRIT_KEY_PASSPHRASE (PBES2: scrypt, AES-256-CBC).
        #[arg(long)]
        encrypt: bool,
    },
    /// Register an existing public key (SPKI PEM, e.g. from `openssl pkey -pubout`).
    Add {
        /// The public key file.
        public: PathBuf,
        /// Register it as PERSON's approver key instead of a bundle-signing key.
        #[arg(long, value_name = "PERSON")]
        approver: Option<String>,
        /// The registering approver's private key.
        #[arg(long, value_name = "FILE", requires = "approver")]
        by: Option<PathBuf>,
    },
    /// Revoke an approver key (signed by another approver's key).
    Revoke {
        /// The key id (32 hex characters, see `writ key list`).
        key_id: String,
        /// The revoking approver's private key.
        #[arg(long, value_name = "FILE")]
        by: PathBuf,
    },
    /// From now on, require every review step of this workspace to be
    /// signed by an approver key (for a workspace made before approver
    /// keys; cannot be undone).
    RequireSignatures {
        /// Your approver private key.
        #[arg(long, value_name = "FILE")]
        by: PathBuf,
    },
    /// List the registered keys with their roles.
    List,
}

fn read_key(path: &std::path::Path) -> anyhow::Result<ed25519_dalek::SigningKey> {
    crate::signer::read_private(path)
}

fn print_approver(a: &writ_store::approvers::ApproverKey) {
    println!(
        "approver {} registered as {} (by key {})",
        a.key_id, a.name, a.registered_by
    );
}

/// Runs a key subcommand.
pub fn key(cmd: KeyCommand, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let mut ws = g.open()?;
    match cmd {
        KeyCommand::Generate {
            out,
            approver: Some(person),
            by,
            encrypt,
        } => {
            let passphrase = if encrypt {
                Some(crate::signer::passphrase_to_set()?)
            } else {
                None
            };
            let files = writ_bundle::keys::generate_files_with(&out, passphrase.as_deref())?;
            let key = &files.key;
            let registered = match &by {
                Some(p) => read_key(p),
                None => Ok(key.clone()),
            }
            .and_then(|by| Ok(ws.register_approver(&person, &key.verifying_key(), &by)?));
            match registered {
                Ok(a) => print_approver(&a),
                Err(e) => {
                    // Nothing half-made: an unregistered key file is removed.
                    let _ = std::fs::remove_file(&files.private);
                    let _ = std::fs::remove_file(&files.public);
                    if by.is_none() && !ws.approvers()?.is_empty() {
                        anyhow::bail!(
                            "{e}; pass --by with the private key of a registered approver"
                        );
                    }
                    return Err(e);
                }
            }
            println!(
                "private key {} (mode 0600; keep it secret: it signs as {person})",
                files.private.display()
            );
            println!("public key  {}", files.public.display());
        }
        KeyCommand::Generate { out, encrypt, .. } => {
            let passphrase = if encrypt {
                Some(crate::signer::passphrase_to_set()?)
            } else {
                None
            };
            let files = writ_bundle::keys::generate_files_with(&out, passphrase.as_deref())?;
            ws.register_key(
                &files.key_id,
                &files.public_pem,
                &std::path::absolute(&files.private)
                    .unwrap_or(files.private.clone())
                    .display()
                    .to_string(),
                &g.actor(),
            )?;
            println!("key id      {}", files.key_id);
            println!(
                "private key {} (mode 0600; keep it secret)",
                files.private.display()
            );
            println!(
                "public key  {} (give it to verifiers)",
                files.public.display()
            );
        }
        KeyCommand::Add {
            public,
            approver: Some(person),
            by,
        } => {
            let key = writ_bundle::keys::read_public(&public)?;
            let Some(by) = by else {
                anyhow::bail!("registering an approver key needs another approver's signature; pass --by THEIR_PRIVATE_KEY");
            };
            print_approver(&ws.register_approver(&person, &key, &read_key(&by)?)?);
        }
        KeyCommand::Revoke { key_id, by } => {
            let a = ws.revoke_approver(&key_id, &read_key(&by)?)?;
            println!(
                "approver key {} of {} revoked (by key {}); it signs no review step from now on",
                a.key_id,
                a.name,
                a.revoked_by.as_deref().unwrap_or("?")
            );
        }
        KeyCommand::RequireSignatures { by } => {
            if ws.require_signatures(&read_key(&by)?)? {
                println!("review steps of this workspace must now be signed by an approver key");
            } else {
                println!("review steps of this workspace are signed already; nothing changed");
            }
        }
        KeyCommand::Add { public, .. } => {
            let key = writ_bundle::keys::read_public(&public)?;
            let id = writ_bundle::keys::key_id(&key);
            let pem = writ_bundle::keys::public_pem(&key);
            if ws.register_key(&id, &pem, &public.display().to_string(), &g.actor())? {
                println!("registered key {id}");
            } else {
                println!("key {id} is registered already; nothing changed");
            }
        }
        KeyCommand::List => {
            for k in ws.keys()? {
                println!(
                    "{}  bundle signing  {}  {:<16} {}",
                    k.key_id, k.added_at, k.added_by, k.name
                );
            }
            for a in ws.approvers()? {
                let state = match (&a.revoked_at, &a.revoked_by) {
                    (Some(at), by) => {
                        format!("revoked {at} by key {}", by.as_deref().unwrap_or("?"))
                    }
                    (None, _) => {
                        format!("registered {} by key {}", a.registered_at, a.registered_by)
                    }
                };
                println!("{}  approver       {:<16} {state}", a.key_id, a.name);
            }
            match ws.signature_mode()? {
                writ_store::approvers::SignatureMode::Required => {
                    println!("review steps: signed by approver keys (required)")
                }
                writ_store::approvers::SignatureMode::Legacy => println!(
                    "review steps: unsigned (legacy workspace); require signatures with `writ key require-signatures --by YOUR_APPROVER_KEY`"
                ),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
