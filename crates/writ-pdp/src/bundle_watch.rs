//! The bundle watcher: polls the bundle path's fingerprint and swaps a
//! new, verified and admitted bundle in atomically (hot swap); a bad one is
//! recorded and the last good one keeps serving.

use crate::engine;
use crate::state::AppState;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use writ_bundle::bundle::TrustedKey;

/// A cheap fingerprint of the bundle path: for a folder, its own identity
/// and each entry's name, size, change time and inode; for a file, its
/// size, change time and inode. `None` when the path cannot be read.
/// Per entry: name, size, modification time (ns), inode mixed with change time.
type Fingerprint = Vec<(String, u64, i128, u64)>;

fn fingerprint(path: &std::path::Path) -> Option<Fingerprint> {
    fn one(name: String, m: &std::fs::Metadata) -> (String, u64, i128, u64) {
        let mtime = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        #[cfg(unix)]
        let ino = {
            use std::os::unix::fs::MetadataExt as _;
            m.ino() ^ (m.ctime_nsec() as u64).rotate_left(32) ^ m.ctime() as u64
        };
        #[cfg(not(unix))]
        let ino = 0;
        (name, m.len(), mtime, ino)
    }
    let m = std::fs::metadata(path).ok()?;
    let mut out = vec![one(String::new(), &m)];
    if m.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                Some(one(e.file_name().to_string_lossy().into_owned(), &m))
            })
            .collect();
        entries.sort();
        out.extend(entries);
    }
    Some(out)
}

/// Watches the bundle path by polling its fingerprint. A change is acted
/// on once the fingerprint has stayed the same for one more interval (an
/// export writes several files); the new bundle is read and verified, and
/// swapped in when good. A bad one is logged and recorded, and the last
/// good one keeps serving; it is tried again when the path changes again.
pub(crate) async fn watch(
    state: Arc<AppState>,
    path: PathBuf,
    trusted: Vec<TrustedKey>,
    approvals: Option<crate::engine::ApprovalRule>,
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let p = path.clone();
    let mut seen = tokio::task::spawn_blocking(move || fingerprint(&p))
        .await
        .ok()
        .flatten();
    let mut pending: Option<Option<Fingerprint>> = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
        let p = path.clone();
        let now_fp = tokio::task::spawn_blocking(move || fingerprint(&p))
            .await
            .ok()
            .flatten();
        if now_fp == seen {
            pending = None;
            continue;
        }
        match &pending {
            Some(p) if *p == now_fp => {}
            _ => {
                // Changed: wait one more interval for it to settle.
                pending = Some(now_fp);
                continue;
            }
        }
        pending = None;
        seen = now_fp;
        let (p, t, a) = (path.clone(), trusted.clone(), approvals.clone());
        let cache_bytes = state.cache_bytes;
        let loaded = tokio::task::spawn_blocking(move || {
            engine::load(&p, &t, a.as_ref(), OffsetDateTime::now_utc())
                .map(|b| b.with_cache_bytes(cache_bytes))
        })
        .await;
        match loaded {
            Ok(Ok(b)) => {
                let same = state
                    .active
                    .load()
                    .as_ref()
                    .is_some_and(|a| a.info.digest == b.info.digest);
                if same {
                    continue;
                }
                // Checked, and the channel state written, before the swap.
                let st = state.clone();
                let admitted = tokio::task::spawn_blocking(move || st.admit(&b).map(|()| b)).await;
                let b = match admitted {
                    Ok(Ok(b)) => b,
                    Ok(Err((kind, e))) => {
                        tracing::warn!(error = %e, "new bundle refused; the last good bundle keeps serving");
                        state.reject(kind, e.to_string());
                        continue;
                    }
                    Err(e) => {
                        state.reject("verify", format!("internal error while admitting: {e}"));
                        continue;
                    }
                };
                tracing::info!(
                    version = %b.info.version,
                    digest = %b.info.digest,
                    key_id = %b.info.key_id,
                    "new bundle verified and swapped in"
                );
                state.metrics.reload("ok");
                state.set_active(b);
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "new bundle rejected; the last good bundle keeps serving");
                state.reject("verify", e.to_string());
            }
            Err(e) => {
                tracing::error!(error = %e, "loading the new bundle failed");
                state.reject("verify", format!("internal error while loading: {e}"));
            }
        }
    }
}
