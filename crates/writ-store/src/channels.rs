//! Release channels: each channel (`prod`, `staging`, ...) hands out
//! increasing bundle sequence numbers, which a decision point uses to
//! refuse an older bundle (a rollback). A sequence is taken in its own
//! transaction before the bundle is signed; one that is never used leaves
//! a gap, which is harmless (only the order matters). The sequence is
//! audited with the export that uses it (`bundle.export` names it), so
//! taking one adds no audit event of its own.

use crate::error::Result;
use crate::workspace::Workspace;
use rusqlite::OptionalExtension;

impl Workspace {
    /// Takes the next sequence number of `channel` (1 for a new channel)
    /// and records it.
    pub fn next_bundle_sequence(&mut self, channel: &str) -> Result<u64> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let last: Option<i64> = tx
            .query_row(
                "SELECT last_sequence FROM bundle_channels WHERE channel = ?1",
                [channel],
                |r| r.get(0),
            )
            .optional()?;
        let next = last.unwrap_or(0).saturating_add(1);
        tx.execute(
            "INSERT INTO bundle_channels (channel, last_sequence) VALUES (?1, ?2)
             ON CONFLICT (channel) DO UPDATE SET last_sequence = excluded.last_sequence",
            rusqlite::params![channel, next],
        )?;
        tx.commit()?;
        Ok(next as u64)
    }

    /// The last sequence number `channel` handed out, if any.
    pub fn last_bundle_sequence(&self, channel: &str) -> Result<Option<u64>> {
        let last: Option<i64> = self
            .conn
            .query_row(
                "SELECT last_sequence FROM bundle_channels WHERE channel = ?1",
                [channel],
                |r| r.get(0),
            )
            .optional()?;
        Ok(last.map(|n| n as u64))
    }
}

#[cfg(test)]
mod tests {
    use crate::Workspace;

    #[test]
    fn each_channel_counts_up_on_its_own_and_survives_reopening() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.writ");
        {
            let mut ws = Workspace::create(&path).expect("creates");
            assert_eq!(ws.last_bundle_sequence("prod").expect("reads"), None);
            assert_eq!(ws.next_bundle_sequence("prod").expect("seq"), 1);
            assert_eq!(ws.next_bundle_sequence("prod").expect("seq"), 2);
            assert_eq!(ws.next_bundle_sequence("staging").expect("seq"), 1);
        }
        let mut ws = Workspace::open(&path).expect("opens");
        assert_eq!(ws.last_bundle_sequence("prod").expect("reads"), Some(2));
        assert_eq!(ws.next_bundle_sequence("prod").expect("seq"), 3);
    }
}
