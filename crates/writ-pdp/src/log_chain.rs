//! The decision log's hash chain: the writer gives every line a sequence
//! number (`seq`, 1, 2, ...) and the SHA-256 of the previous line's bytes
//! (`prev`; 64 zeros before the first line), continued across rotated
//! files and restarts. [`verify_files`] walks the files and names the first
//! line that does not follow the one before it (a line deleted, edited,
//! inserted or reordered); with a signed checkpoint (head hash and line
//! count, see `writ_bundle::checkpoint`) it also detects lines removed from
//! the end, or every file wiped.

pub use crate::log_files::log_files;

use serde_json::{Map, Value};
use std::path::PathBuf;

/// The `prev` of the very first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash a line is chained by: lower-case hex SHA-256 of its bytes
/// (without the newline).
pub fn line_hash(line: &str) -> String {
    writ_base::sha256_hex(line.as_bytes())
}

/// Puts `seq` and `prev` first into a serialised entry `body` (a JSON
/// object without those fields).
pub fn chain_line(seq: u64, prev: &str, body: &str) -> String {
    let rest = body.trim_start().strip_prefix('{').unwrap_or(body);
    let sep = if rest.trim_start().starts_with('}') {
        ""
    } else {
        ","
    };
    format!("{{\"seq\":{seq},\"prev\":\"{prev}\"{sep}{rest}")
}

/// A chained line's `seq` and `prev`, when it is a decision log line that
/// carries them: `Ok(None)` for a decision line written before the chain
/// existed, `Err(())` for a line that is not a decision line at all (a
/// line torn by a crash).
#[allow(clippy::result_unit_err)]
pub fn link_of(line: &str) -> Result<Option<(u64, String)>, ()> {
    let obj: Map<String, Value> = serde_json::from_str(line).map_err(|_| ())?;
    if !obj.contains_key("decision_id") {
        return Err(());
    }
    match (
        obj.get("seq").and_then(Value::as_u64),
        obj.get("prev").and_then(Value::as_str),
    ) {
        (Some(seq), Some(prev)) => Ok(Some((seq, prev.to_string()))),
        _ => Ok(None),
    }
}

/// A checkpoint to check the chain against: the line `count` must exist
/// and hash to `head`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// The checkpointed line's hash.
    pub head: String,
    /// The checkpointed line's `seq`.
    pub count: u64,
}

/// What a checkpoint says about the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointMatch {
    /// The checkpointed line is present with the checkpointed hash.
    Matched,
    /// The checkpointed line is older than the oldest line kept (rotated
    /// away): the checkpoint cannot vouch for these files.
    Older,
}

/// What [`verify_files`] found in an intact chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainReport {
    /// Chained lines read.
    pub lines: u64,
    /// The oldest line's `seq` (greater than 1 when older files were
    /// rotated away).
    pub first_seq: Option<u64>,
    /// The newest line's `seq`.
    pub last_seq: Option<u64>,
    /// The newest line's hash (what a checkpoint signs).
    pub head: Option<String>,
    /// Lines that are not decision lines (a write torn by a crash), with
    /// their file and line number; they are outside the chain.
    pub torn: Vec<(PathBuf, usize)>,
    /// Decision lines from before the chain existed (no `seq`/`prev`).
    pub unchained: u64,
    /// The checkpoint's verdict, when one was given.
    pub checkpoint: Option<CheckpointMatch>,
}

/// Why the chain does not verify.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// A file cannot be read.
    #[error("cannot read decision log {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line does not follow the one before it.
    #[error("{}:{line}: {reason}", path.display())]
    Break {
        /// The file.
        path: PathBuf,
        /// The line number in that file (1-based).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The chain ends before the checkpointed line, or holds another line
    /// there.
    #[error("{reason}")]
    Checkpoint {
        /// What is wrong.
        reason: String,
    },
}

/// Checks the chain across `paths` (the current file and any rotated ones,
/// in any order: they are put in order by their first line's `seq`), and
/// against `expect` when given.
pub fn verify_files(paths: &[PathBuf], expect: Option<&Expect>) -> Result<ChainReport, ChainError> {
    let mut files = Vec::with_capacity(paths.len());
    for p in paths {
        let text = std::fs::read_to_string(p).map_err(|source| ChainError::Io {
            path: p.clone(),
            source,
        })?;
        let first = text
            .lines()
            .find_map(|l| link_of(l).ok().flatten())
            .map_or(0, |(seq, _)| seq);
        files.push((first, p.clone(), text));
    }
    files.sort_by_key(|(first, _, _)| *first);
    let mut report = ChainReport::default();
    let mut last: Option<(u64, String)> = None;
    let mut seen_at_count: Option<String> = None;
    for (_, path, text) in &files {
        for (i, line) in text.lines().enumerate() {
            let at = |reason: String| ChainError::Break {
                path: path.clone(),
                line: i + 1,
                reason,
            };
            let link = match link_of(line) {
                Err(()) => {
                    report.torn.push((path.clone(), i + 1));
                    continue;
                }
                Ok(None) if last.is_some() => {
                    return Err(at(
                        "a decision line without `seq`/`prev` after chained lines (inserted?)"
                            .into(),
                    ))
                }
                Ok(None) => {
                    report.unchained += 1;
                    continue;
                }
                Ok(Some(l)) => l,
            };
            let (seq, prev) = link;
            match &last {
                None => {
                    if seq == 1 && prev != GENESIS {
                        return Err(at(
                            "line 1 of the chain does not start from the genesis hash".into(),
                        ));
                    }
                    report.first_seq = Some(seq);
                }
                Some((last_seq, last_hash)) => {
                    if seq != last_seq + 1 {
                        return Err(at(format!(
                            "line seq {seq} follows seq {last_seq}: {}",
                            if seq > last_seq + 1 {
                                format!("{} line(s) are missing", seq - last_seq - 1)
                            } else {
                                "lines were repeated or reordered".to_string()
                            }
                        )));
                    }
                    if prev != *last_hash {
                        return Err(at(format!(
                            "line seq {seq} does not follow the line before it (seq {last_seq} was edited or replaced)"
                        )));
                    }
                }
            }
            let hash = line_hash(line);
            if expect.is_some_and(|e| e.count == seq) {
                seen_at_count = Some(hash.clone());
            }
            report.lines += 1;
            last = Some((seq, hash));
        }
    }
    if let Some((seq, hash)) = &last {
        report.last_seq = Some(*seq);
        report.head = Some(hash.clone());
    }
    if let Some(e) = expect {
        let last_seq = report.last_seq.unwrap_or(0);
        report.checkpoint = Some(if last_seq < e.count {
            return Err(ChainError::Checkpoint {
                reason: format!(
                    "the log was truncated: it ends at line seq {last_seq} but the checkpoint was made at seq {}{}",
                    e.count,
                    if report.lines == 0 { " (no chained line is left)" } else { "" }
                ),
            });
        } else if let Some(h) = seen_at_count {
            if h != e.head {
                return Err(ChainError::Checkpoint {
                    reason: format!(
                        "line seq {} is not the line the checkpoint signed (the log was rewritten)",
                        e.count
                    ),
                });
            }
            CheckpointMatch::Matched
        } else {
            CheckpointMatch::Older
        });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn chain(n: u64) -> Vec<String> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|i| {
                let l = chain_line(
                    i,
                    &prev,
                    &format!("{{\"decision_id\":\"{i:04x}\",\"request\":{{}}}}"),
                );
                prev = line_hash(&l);
                l
            })
            .collect()
    }

    fn write(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
        let p = dir.join(name);
        let mut text = lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn an_intact_chain_verifies_in_any_file_order_and_matches_its_checkpoint() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lines = chain(10);
        let a = write(dir.path(), "d.jsonl.00000001", &lines[..4]);
        let b = write(dir.path(), "d.jsonl", &lines[4..]);
        let expect = Expect {
            head: line_hash(&lines[6]),
            count: 7,
        };
        let r = verify_files(&[b, a], Some(&expect)).expect("intact");
        assert_eq!((r.lines, r.first_seq, r.last_seq), (10, Some(1), Some(10)));
        assert_eq!(r.head.as_deref(), Some(line_hash(&lines[9]).as_str()));
        assert_eq!(r.checkpoint, Some(CheckpointMatch::Matched));
    }

    #[test]
    fn deleted_edited_and_truncated_lines_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lines = chain(6);
        let mut deleted = lines.clone();
        deleted.remove(2);
        let p = write(dir.path(), "a", &deleted);
        let e = verify_files(&[p], None).expect_err("deleted");
        assert!(
            e.to_string()
                .contains(":3: line seq 4 follows seq 2: 1 line(s) are missing"),
            "{e}"
        );
        let mut edited = lines.clone();
        edited[1] = edited[1].replace("0002", "0bad");
        let p = write(dir.path(), "b", &edited);
        let e = verify_files(&[p], None).expect_err("edited");
        assert!(
            e.to_string().contains(":3: line seq 3 does not follow"),
            "{e}"
        );
        // Dropping the newest lines leaves a valid chain: only a checkpoint tells.
        let p = write(dir.path(), "c", &lines[..4]);
        verify_files(std::slice::from_ref(&p), None).expect("a shorter chain is a chain");
        let expect = Expect {
            head: line_hash(&lines[5]),
            count: 6,
        };
        let e = verify_files(&[p], Some(&expect)).expect_err("truncated");
        assert!(e.to_string().contains("truncated"), "{e}");
        let empty = write(dir.path(), "d", &[]);
        let e = verify_files(&[empty], Some(&expect)).expect_err("wiped");
        assert!(e.to_string().contains("no chained line is left"), "{e}");
        // Rewritten: same length, other content at the checkpointed line.
        let mut other = chain(6);
        other[5] = chain_line(
            6,
            &line_hash(&other[4]),
            "{\"decision_id\":\"forged\",\"request\":{}}",
        );
        let p = write(dir.path(), "e", &other);
        let e = verify_files(&[p], Some(&expect)).expect_err("rewritten");
        assert!(e.to_string().contains("rewritten"), "{e}");
    }

    #[test]
    fn torn_lines_are_reported_outside_the_chain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lines = chain(3);
        lines.insert(2, "{\"decision_id\":\"to".into());
        let p = write(dir.path(), "a", &lines);
        let r = verify_files(&[p], None).expect("torn line is not a break");
        assert_eq!(r.lines, 3);
        assert_eq!(r.torn.len(), 1);
        assert_eq!(r.torn[0].1, 3);
    }
}
