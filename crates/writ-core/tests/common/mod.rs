//! Helpers shared by writ-core's integration-test modules: the lock that
//! keeps the engine's fault switches away from the tests that do not set
//! them.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The fault switches (feature `fault-injection`) are process-wide, and all
/// test modules share one process: a test that turns one on holds this lock
/// for writing, a test that needs the engine without faults holds it for
/// reading, so no test sees another's fault.
static FAULTS: RwLock<()> = RwLock::new(());

/// Held by a test that decides with the engine and no fault on.
pub fn no_faults() -> RwLockReadGuard<'static, ()> {
    FAULTS.read().unwrap_or_else(|e| e.into_inner())
}

/// Held by a test while it turns faults on (or must run with no other
/// engine test at all).
pub fn faults_alone() -> RwLockWriteGuard<'static, ()> {
    FAULTS.write().unwrap_or_else(|e| e.into_inner())
}
