//! The integration tests of the desktop app's package (`writ-app`): the
//! app's test bench in the differential harness against Cedar.
//!
//! One test binary for the crate (`tests`); each former file is a module.
//! Run one group with `cargo test -p writ-app --test tests -- differential_bench::`
//! (a filter is a substring of `module::test`; several filters are OR-ed).

mod differential_bench;
