//! Test-only fault switches: each puts back one engine bug that the
//! differential harness (`tests/differential*`) must catch. Compiled only
//! with the `fault-injection` feature, which release builds never enable;
//! without it every switch is a constant `false` the optimiser removes.

/// A bug the engine once had (see issue 12 of the project), re-introduced
/// on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The reuse key holds the bare action id instead of the full uid, so
    /// `N1::Action::"a"` and `N2::Action::"a"` share decisions.
    BareActionReuseKey,
    /// A bare action id declared in several namespaces silently resolves
    /// to the first namespace instead of being a request error.
    FirstNamespaceWins,
    /// Action uids are built by formatting JSON-escaped text and parsing it
    /// as Cedar syntax, which refuses ids with control characters.
    UidFromText,
    /// The explicit multi-argument extension form (`offset` with `args`)
    /// is refused.
    NoExtnArgs,
    /// Action names are compared as raw text, not as parsed uids.
    RawActionSpelling,
}

#[cfg(feature = "fault-injection")]
mod switches {
    use super::Fault;
    use std::sync::atomic::{AtomicU32, Ordering};

    static ON: AtomicU32 = AtomicU32::new(0);

    fn bit(f: Fault) -> u32 {
        1 << (f as u32)
    }

    /// Turns a fault on or off (process-wide).
    pub fn set(f: Fault, on: bool) {
        if on {
            ON.fetch_or(bit(f), Ordering::SeqCst);
        } else {
            ON.fetch_and(!bit(f), Ordering::SeqCst);
        }
    }

    /// Whether a fault is on.
    pub fn on(f: Fault) -> bool {
        ON.load(Ordering::Relaxed) & bit(f) != 0
    }
}

#[cfg(feature = "fault-injection")]
pub use switches::set;

/// Whether fault `f` is switched on (always `false` without the
/// `fault-injection` feature).
#[inline(always)]
pub fn on(f: Fault) -> bool {
    #[cfg(feature = "fault-injection")]
    {
        switches::on(f)
    }
    #[cfg(not(feature = "fault-injection"))]
    {
        let _ = f;
        false
    }
}
