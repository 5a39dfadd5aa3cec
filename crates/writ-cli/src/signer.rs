//! The approver key a review step is signed with: `--key FILE`, else
//! `$WRIT_KEY`. Without one, the step is taken under the `--as` name,
//! which only a legacy workspace accepts (the store says so otherwise).

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
            Some(path) => Ok(Some(writ_bundle::keys::read_private(path)?)),
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
