//! What names the bundle format: its version numbers and the manifest's
//! DSSE payload type. The lowest module of the crate (it uses no other),
//! so the errors, the envelope and the bundle all name the same values.

/// The bundle format this build writes. Format 2 added the signed
/// `channel`, `sequence` and `audit` fields (rollback protection).
pub const FORMAT: u32 = 2;

/// The oldest bundle format this build still reads (`writ bundle verify`);
/// `writ serve --channel` needs [`FORMAT`].
pub const MIN_FORMAT: u32 = 1;

/// The payload type of a Writ bundle manifest.
pub const PAYLOAD_TYPE: &str = "application/vnd.writ.bundle-manifest+json";
