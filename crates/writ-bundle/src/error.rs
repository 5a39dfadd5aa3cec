//! The crate's errors: [`BundleError`] for making keys and bundles,
//! [`VerifyError`] for checking a bundle, each with its own exit code.

use std::path::PathBuf;

/// What can go wrong making keys or bundles.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file that would be overwritten exists.
    #[error("{0} exists already; nothing was written (choose another name, or move it away)")]
    Exists(PathBuf),
    /// A key file that is not an Ed25519 key in the expected PEM form.
    #[error("{path} is not an Ed25519 {kind} key in PEM form ({detail}); generate an Ed25519 key pair and use its {kind} key")]
    BadKey {
        /// The file.
        path: PathBuf,
        /// `private` or `public`.
        kind: &'static str,
        /// What the parser said.
        detail: String,
    },
    /// The private key is passphrase-encrypted and no passphrase was given.
    #[error("{} is passphrase-encrypted; give its passphrase ({hint})", path.display())]
    NeedsPassphrase {
        /// The file.
        path: PathBuf,
        /// Where a passphrase comes from in this program.
        hint: &'static str,
    },
    /// The passphrase does not decrypt the private key.
    #[error("the passphrase does not decrypt {}; nothing was signed", path.display())]
    BadPassphrase {
        /// The file.
        path: PathBuf,
    },
    /// The system's random source failed.
    #[error("the system's random number source failed: {0}")]
    Random(String),
    /// A time that is not RFC 3339, or a duration that is not understood.
    #[error("{0}")]
    Time(String),
    /// The project cannot be bundled.
    #[error("{0}")]
    Invalid(String),
}

/// Why a bundle did not verify. Each kind has its own exit code
/// ([`VerifyError::exit_code`]) so scripts can tell them apart.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The bundle could not be read (no such path, not a folder or a
    /// `.tar.gz`, a damaged archive).
    #[error("cannot read the bundle {path}: {detail}")]
    Unreadable {
        /// The bundle.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// An archive entry or folder entry that is not a plain file at the top
    /// level: `..`, an absolute path, a sub-folder, a link, a device.
    #[error("unsafe entry `{name}` in the bundle: {reason}; nothing was extracted")]
    UnsafeEntry {
        /// The entry's name as stored.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// The bundle, or one of its files, is larger than the limits.
    #[error("the bundle is too large: {0}")]
    TooLarge(String),
    /// A file the manifest lists (or the manifest or signature) is missing.
    #[error("file `{0}` is missing from the bundle")]
    MissingFile(String),
    /// A file the manifest does not list is in the bundle.
    #[error("file `{0}` is in the bundle but not in its signed manifest")]
    ExtraFile(String),
    /// The envelope or the manifest is not valid JSON of the expected shape.
    #[error("{file} is malformed: {detail}")]
    Malformed {
        /// The file.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// The envelope's payload type is not Writ's bundle manifest type.
    #[error("the envelope's payload type is `{found}`, not `{expected}`", expected = crate::format::PAYLOAD_TYPE)]
    WrongPayloadType {
        /// The type found.
        found: String,
    },
    /// No signature is by a trusted key.
    #[error("the bundle is signed by key {key_ids}, which is not among the trusted keys ({trusted}); trust its public key to accept it")]
    UntrustedKey {
        /// The key ids the envelope names.
        key_ids: String,
        /// The trusted key ids.
        trusted: String,
    },
    /// A signature by a trusted key id does not verify.
    #[error(
        "the signature by key {key_id} does not verify: the manifest or the signature was altered"
    )]
    BadSignature {
        /// The key id.
        key_id: String,
    },
    /// `manifest.json` differs from the manifest the envelope signs.
    #[error(
        "manifest.json differs from the signed manifest in signature.dsse.json (it was altered)"
    )]
    ManifestMismatch,
    /// A file's SHA-256 differs from the manifest's.
    #[error("file `{file}` was altered: its SHA-256 is {actual}, the manifest says {expected}")]
    HashMismatch {
        /// The file.
        file: String,
        /// The manifest's hash.
        expected: String,
        /// The file's hash.
        actual: String,
    },
    /// The bundle expired before the verification time.
    #[error("the bundle expired at {expires} (checked at {at})")]
    Expired {
        /// The manifest's expiry.
        expires: String,
        /// The verification time.
        at: String,
    },
    /// The bundle was created after the verification time.
    #[error("the bundle is not valid yet: it was created at {created} (checked at {at})")]
    NotYetValid {
        /// The manifest's creation time.
        created: String,
        /// The verification time.
        at: String,
    },
    /// A bundle format this build does not know.
    #[error("bundle format {0} is not supported (this Writ reads formats {min} to {known})", min = crate::format::MIN_FORMAT, known = crate::format::FORMAT)]
    UnsupportedFormat(u32),
    /// The bundle is not of the expected release channel (or an older
    /// format without one, or without a sequence).
    #[error("the bundle is refused for channel `{expected}`: {detail}")]
    Channel {
        /// The channel expected.
        expected: String,
        /// What the bundle is instead.
        detail: String,
    },
    /// The bundle's sequence is lower than the lowest accepted (a rollback
    /// to an older bundle), or equal with another digest.
    #[error("rollback refused: bundle sequence {sequence} of channel `{channel}`: {detail}")]
    Rollback {
        /// The channel.
        channel: String,
        /// The bundle's sequence.
        sequence: u64,
        /// The lowest accepted sequence, or what else is wrong.
        detail: String,
    },
    /// The bundle does not carry enough approvals by trusted approver keys
    /// (see [`crate::bundle_review`]).
    #[error("approvals refused: {0}")]
    Approvals(#[from] ReviewCheckError),
}

impl VerifyError {
    /// The process exit code for this failure (documented in the README).
    pub fn exit_code(&self) -> u8 {
        match self {
            VerifyError::Unreadable { .. } => 10,
            VerifyError::UnsafeEntry { .. } => 11,
            VerifyError::TooLarge(_) => 12,
            VerifyError::MissingFile(_) => 13,
            VerifyError::ExtraFile(_) => 14,
            VerifyError::Malformed { .. } => 15,
            VerifyError::WrongPayloadType { .. } => 16,
            VerifyError::UntrustedKey { .. } => 17,
            VerifyError::BadSignature { .. } => 18,
            VerifyError::ManifestMismatch => 19,
            VerifyError::HashMismatch { .. } => 20,
            VerifyError::Expired { .. } => 21,
            VerifyError::NotYetValid { .. } => 22,
            VerifyError::UnsupportedFormat(_) => 23,
            VerifyError::Channel { .. } => 24,
            VerifyError::Rollback { .. } => 25,
            VerifyError::Approvals(_) => 26,
        }
    }
}

/// Why a bundle's approvals are not enough.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewCheckError {
    /// Fewer counted approvals than required.
    #[error("{found} approval(s) by the given approver keys, {needed} required{}", reasons(.not_counted))]
    TooFew {
        /// Approvals that counted.
        found: usize,
        /// Approvals required.
        needed: usize,
        /// Why the others did not count.
        not_counted: Vec<String>,
    },
    /// A trusted approver rejected this content.
    #[error("{approver} (key {key_id}) rejected this version: {comment}")]
    Rejected {
        /// Who rejected it.
        approver: String,
        /// Their key.
        key_id: String,
        /// Their comment.
        comment: String,
    },
    /// The manifest's files cannot be digested.
    #[error("the bundle's payload digest cannot be computed: {0}")]
    Digest(String),
}

fn reasons(list: &[String]) -> String {
    if list.is_empty() {
        String::new()
    } else {
        format!("; not counted: {}", list.join("; "))
    }
}
