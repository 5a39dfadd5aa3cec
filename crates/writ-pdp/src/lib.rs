//! Writ's policy decision point (`writ serve`): decides agent actions over
//! HTTP from a verified signed bundle, identifies agents by workload
//! identity, and logs every decision.

#![warn(missing_docs)]
