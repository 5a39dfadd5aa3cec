//! The `context.now` rule: which declared shapes of `now` Writ fills from
//! the request time. Shared by [`crate::evaluate`] (which fills it) and
//! [`crate::project`] (which warns about a `now` it never fills), so it
//! sits below both; re-exported as `evaluate::{NowRule, now_rule}`.

use crate::schema::ActionShape;
use crate::shape::{self, Shape};

/// How `context.now` is filled for an action. One rule for replay and
/// `writ serve` (see `docs/decision-api.md`): a `now` declared as a String
/// or a `datetime` is filled from the record's time (`ts`; serve's clock, or
/// the caller's time with `--trust-request-time`) when the request does not
/// set it; any other declared shape is never filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NowRule {
    /// The action's context does not declare `now`.
    NotDeclared,
    /// `now` is a String or `datetime`: Writ fills it.
    Filled,
    /// `now` has another shape (e.g. a record): only the request's own value
    /// is used (in replay the recorded one; in serve the caller's, with
    /// `--trust-request-time`).
    CallerOnly {
        /// The declared shape, for messages.
        shape: String,
    },
}

/// The [`NowRule`] of an action.
pub fn now_rule(action: &ActionShape) -> NowRule {
    match action.context.attribute("now").map(|a| &a.shape) {
        None => NowRule::NotDeclared,
        Some(Shape::String | Shape::Extension(shape::ExtensionKind::Datetime)) => NowRule::Filled,
        Some(other) => NowRule::CallerOnly {
            shape: describe_shape(other),
        },
    }
}

fn describe_shape(s: &Shape) -> String {
    match s {
        Shape::Long => "Long".into(),
        Shape::String => "String".into(),
        Shape::Bool => "Bool".into(),
        Shape::Set(_) => "Set".into(),
        Shape::Record(_) => "record".into(),
        Shape::Entity(t) => format!("entity of type {t}"),
        Shape::Extension(k) => k.type_name().into(),
    }
}
