//! The approver key a review step is signed with: `--key FILE`, else
//! `$WRIT_KEY`. Without one, the step is taken under the `--as` name,
//! which only a legacy workspace accepts (the store says so otherwise).
//! A passphrase-encrypted key is decrypted with `$WRIT_KEY_PASSPHRASE`.

use crate::output::GlobalArgs;
use ed25519_dalek::SigningKey;
use std::path::PathBuf;
use writ_store::approvers::ReviewSigner;

/// `--key FILE` of the review steps.
#[derive(clap::Args)]
pub struct KeyArg {
    /// Your approver key (PKCS#8 PEM, from `writ key generate --approver`);
    /// the step is signed with it and recorded under the name it is
    /// registered with. Required where the workspace requires signatures.
    #[arg(long = "key", env = "WRIT_KEY", value_name = "FILE")]
    key: Option<PathBuf>,
}

impl KeyArg {
    /// The key read from its file, if one was given.
    pub fn load(&self) -> anyhow::Result<Option<SigningKey>> {
        match &self.key {
            None => Ok(None),
            Some(path) => Ok(Some(read_private(path)?)),
        }
    }
}

/// Who takes a step: the loaded key, else the `--as` name (blank when none,
/// which the store refuses with its own message).
pub fn signer<'a>(key: Option<&'a SigningKey>, name: &'a str) -> ReviewSigner<'a> {
    match key {
        Some(k) => ReviewSigner::Key(k),
        None => ReviewSigner::Name(name),
    }
}

/// The `--as` name, or blank.
pub fn typed_name(g: &GlobalArgs) -> String {
    g.acting().map(|a| a.to_string()).unwrap_or_default()
}

/// Where the CLI takes a key's passphrase from.
const PASSPHRASE_VAR: &str = "WRIT_KEY_PASSPHRASE";

/// Reads a private key, decrypting it with `$WRIT_KEY_PASSPHRASE` when it
/// is encrypted.
pub fn read_private(path: &std::path::Path) -> anyhow::Result<SigningKey> {
    let passphrase = std::env::var(PASSPHRASE_VAR).ok();
    Ok(writ_bundle::keys::read_private_with(
        path,
        passphrase.as_deref(),
        "set $WRIT_KEY_PASSPHRASE",
    )?)
}

/// The passphrase to encrypt a new key with: `$WRIT_KEY_PASSPHRASE`, at
/// least 12 characters.
pub fn passphrase_to_set() -> anyhow::Result<String> {
    match std::env::var(PASSPHRASE_VAR) {
        Ok(p) if p.chars().count() >= 12 => Ok(p),
        Ok(_) => anyhow::bail!(
            "$WRIT_KEY_PASSPHRASE is shorter than 12 characters; choose a longer passphrase"
        ),
        Err(_) => anyhow::bail!(
            "--encrypt takes the passphrase from $WRIT_KEY_PASSPHRASE, which is not set"
        ),
    }
}
