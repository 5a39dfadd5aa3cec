//! The integration tests of writ-cedargen: every generated case (schema,
//! entities, policies, templates, links, the organisation) is valid Cedar
//! material, and cases are deterministic.
//!
//! One test binary for the crate (`tests`); each former file is a module.
//! Run one group with `cargo test -p writ-cedargen --test tests -- valid::`
//! (a filter is a substring of `module::test`; several filters are OR-ed).

mod valid;
