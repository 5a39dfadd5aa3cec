//! The integration tests of writ-tracegen: the generator end to end against
//! the committed traffic model.
//!
//! One test binary for the crate (`tests`); each former file is a module.
//! Run one group with `cargo test -p writ-tracegen --test tests -- generate::`
//! (a filter is a substring of `module::test`; several filters are OR-ed).

mod generate;
