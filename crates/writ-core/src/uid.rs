//! Cedar entity uid literals (`Type::"id"`) read as Cedar reads them. Uses
//! no other module of the crate, so the schema, the inventory and identity
//! resolution can all read uids.

/// Reads a Cedar entity uid literal (`Type::"id"`, `Ns::Type::"id"`) with
/// Cedar's own parser, so every escape Cedar accepts is read as Cedar reads
/// it. Returns the entity uid, or `None` when the text is not a uid.
///
/// Cedar's `EntityUid::from_str` takes only the normalized spelling (the
/// one Cedar prints: `\t`, `\u{1}`, raw `¹`), so other spellings that Cedar
/// accepts in policies and requests (`\u{9}`, `\u{b9}`, spaces around
/// `::`) are read by Cedar's restricted-expression parser, and the result
/// must be an entity uid (a set, a record or an operator is not).
pub fn parse_uid(text: &str) -> Option<cedar_policy::EntityUid> {
    use cedar_policy::{Context, EvalResult, RestrictedExpression};
    use std::str::FromStr;
    // Every uid literal holds `::` and a quote; other text (SPIFFE IDs,
    // inventory ids) is not handed to the parser.
    if !text.contains("::") || !text.contains('"') {
        return None;
    }
    if let Ok(uid) = cedar_policy::EntityUid::from_str(text) {
        return Some(uid);
    }
    let expr = RestrictedExpression::from_str(text).ok()?;
    let context = Context::from_pairs([(String::new(), expr)]).ok()?;
    match context.get("") {
        Some(EvalResult::EntityUid(uid)) => Some(uid),
        _ => None,
    }
}

/// Reads a Cedar entity uid literal, returning its type name (as Cedar
/// prints it) and its unescaped id.
pub fn parse_uid_literal(text: &str) -> Option<(String, String)> {
    parse_uid(text).map(|uid| {
        (
            uid.type_name().to_string(),
            uid.id().unescaped().to_string(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_parsed() {
        let lit = |t: &str, i: &str| Some((t.to_string(), i.to_string()));
        assert_eq!(parse_uid_literal("User::\"alice\""), lit("User", "alice"));
        assert_eq!(parse_uid_literal("A::B::\"x\\\"y\""), lit("A::B", "x\"y"));
        // Cedar's escapes, not JSON's: `\u{b9}` is read, `\u00b9` is not a uid.
        assert_eq!(
            parse_uid_literal("N1::User::\"\\u{b9}\\0\""),
            lit("N1::User", "\u{b9}\0")
        );
        assert_eq!(parse_uid_literal("User::\"\\u00b9\""), None);
        assert_eq!(
            parse_uid_literal("User::\"\u{7f}\u{85}\""),
            lit("User", "\u{7f}\u{85}")
        );
        assert_eq!(parse_uid_literal("User::\"a\\u{9}b\""), lit("User", "a\tb"));
        assert_eq!(
            parse_uid_literal(" N1 :: User :: \"x\" "),
            lit("N1::User", "x")
        );
        assert_eq!(parse_uid_literal("User::\"x\" == User::\"y\""), None);
        assert_eq!(parse_uid_literal("[User::\"x\"]"), None);
        assert_eq!(parse_uid_literal("spiffe://x/y"), None);
        assert_eq!(parse_uid_literal("::\"x\""), None);
    }
}
