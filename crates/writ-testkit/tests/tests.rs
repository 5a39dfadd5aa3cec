//! The workspace-wide structure checks: the crate graph points one way, and
//! no module of any crate uses a sibling that uses it back.
//!
//! One test binary for the crate (`tests`); each former file is a module.
//! Run one group with `cargo test -p writ-testkit --test tests -- module_cycles::`
//! (a filter is a substring of `module::test`; several filters are OR-ed).

mod crate_graph;
mod module_cycles;
