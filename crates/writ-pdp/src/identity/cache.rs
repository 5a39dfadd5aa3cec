//! The token cache: tokens that verified, by the SHA-256 of their text, so
//! the signature of a token presented on every request is checked once.

use std::collections::HashMap;
use std::sync::Mutex;

/// A token whose signature and claims verified: its identity and the
/// window in which it is valid.
#[derive(Debug, Clone)]
pub(super) struct Verified {
    pub(super) agent: String,
    pub(super) exp: i64,
    pub(super) nbf: Option<i64>,
}

/// Tokens that verified, by the SHA-256 of their text, so an agent that
/// presents the same token on every request pays for the signature check
/// once. Only fully verified tokens are stored; their times are checked
/// again at every use. Bounded: when full, expired entries are dropped,
/// and everything if that is not enough.
#[derive(Debug, Default)]
pub(super) struct TokenCache {
    map: Mutex<HashMap<[u8; 32], Verified>>,
}

impl TokenCache {
    pub(super) fn get(&self, digest: &[u8; 32]) -> Option<Verified> {
        self.map.lock().ok()?.get(digest).cloned()
    }

    pub(super) fn insert(&self, digest: [u8; 32], v: Verified, now_s: i64) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= TOKEN_CACHE_ENTRIES {
                map.retain(|_, e| e.exp > now_s);
                if map.len() >= TOKEN_CACHE_ENTRIES {
                    map.clear();
                }
            }
            map.insert(digest, v);
        }
    }
}

/// How many verified tokens are remembered.
const TOKEN_CACHE_ENTRIES: usize = 10_000;
