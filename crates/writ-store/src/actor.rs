//! Who is acting: the name the workspace records on what a person does
//! (commits, imports, runs, review steps, exports, audit events). Decided
//! here once for the CLI and the desktop app: a name given explicitly (the
//! CLI's `--as`), else `$WRIT_USER`, else `$USER`; a blank name counts as
//! none.

use std::fmt;

/// A non-blank name of who acts, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    /// `name` trimmed, or `None` when it is blank.
    pub fn new(name: &str) -> Option<Actor> {
        let name = name.trim();
        (!name.is_empty()).then(|| Actor(name.to_string()))
    }

    /// The acting person: `explicit` when given and not blank, else
    /// `$WRIT_USER`, else `$USER`; `None` when none of them names anyone.
    pub fn from_env(explicit: Option<&str>) -> Option<Actor> {
        Actor::first_of(
            explicit,
            std::env::var("WRIT_USER").ok().as_deref(),
            std::env::var("USER").ok().as_deref(),
        )
    }

    /// The first non-blank of the three sources, in order (the rule of
    /// [`Actor::from_env`], without reading the environment).
    pub fn first_of(
        explicit: Option<&str>,
        writ_user: Option<&str>,
        user: Option<&str>,
    ) -> Option<Actor> {
        [explicit, writ_user, user]
            .into_iter()
            .flatten()
            .find_map(Actor::new)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_non_blank_source_names_the_actor() {
        let name = |a: Option<Actor>| a.map(|a| a.to_string());
        assert_eq!(
            name(Actor::first_of(Some(" alice "), Some("bob"), Some("carol"))),
            Some("alice".into())
        );
        assert_eq!(
            name(Actor::first_of(Some("  "), Some("bob"), Some("carol"))),
            Some("bob".into())
        );
        assert_eq!(
            name(Actor::first_of(None, Some(""), Some("carol"))),
            Some("carol".into())
        );
        assert_eq!(name(Actor::first_of(None, None, Some(" \t"))), None);
        assert_eq!(name(Actor::first_of(None, None, None)), None);
    }
}
