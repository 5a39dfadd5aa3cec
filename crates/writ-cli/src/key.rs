//! `writ key ...`: Ed25519 signing keys for bundles. Private keys stay in
//! their files (mode 0600); the workspace registers public keys by key id.

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
    },
    /// Register an existing public key (SPKI PEM, e.g. from `openssl pkey -pubout`).
    Add {
        /// The public key file.
        public: PathBuf,
    },
    /// List the registered keys.
    List,
}

/// Runs a key subcommand.
pub fn key(cmd: KeyCommand, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let mut ws = g.open()?;
    match cmd {
        KeyCommand::Generate { out } => {
            let files = writ_bundle::keys::generate_files(&out)?;
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
        KeyCommand::Add { public } => {
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
                    "{}  {}  {:<16} {}",
                    k.key_id, k.added_at, k.added_by, k.name
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
