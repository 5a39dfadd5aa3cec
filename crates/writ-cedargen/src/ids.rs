//! Ids with odd characters, and how to write strings in Cedar's syntax.

/// Entity and action ids that need care: quotes, backslashes, control
/// characters (C0, DEL, C1, an ANSI escape), non-ASCII, emoji, the empty
/// string, a combining mark and a zero-width space.
pub const ODD_IDS: &[&str] = &[
    "",
    "a\"b",
    "back\\slash",
    "tab\there",
    "nl\nx",
    "\u{1}ctl",
    "\u{7f}del",
    "\u{85}c1",
    "\u{9b}csi",
    "\u{1b}[31mred",
    "é",
    "日本",
    "😀",
    "x y",
    "\u{b9}",
    "zero\u{200b}width",
    "e\u{301}",
];

/// A string literal in Cedar's syntax (policies, cedarschema, uid text),
/// in the normal form Cedar itself prints (`EntityUid::from_str` accepts
/// only that form): Rust's `escape_debug`, which escapes `"`, `\\`, `\n`,
/// `\r`, `\t`, `\0`, and writes non-printable characters and combining
/// marks as `\u{..}`.
pub fn cedar_string(s: &str) -> String {
    format!("\"{}\"", s.escape_debug())
}

/// An entity uid in Cedar's syntax: `Type::"id"`.
pub fn cedar_uid(ty: &str, id: &str) -> String {
    format!("{ty}::{}", cedar_string(id))
}

/// A string as a JSON literal (what Writ's trace uid literals use today).
pub fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A string as a JSON literal with every non-ASCII character written as a
/// `\uXXXX` escape (surrogate pairs beyond the BMP): the same string, spelt
/// differently.
pub fn json_string_ascii(s: &str) -> String {
    let mut out = String::from("\"");
    let plain = json_string(s);
    for c in plain[1..plain.len() - 1].chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{:04x}", u));
            }
        }
    }
    out.push('"');
    out
}

/// A string literal in Cedar's syntax with every character outside
/// printable ASCII written as a `\u{..}` escape: the same string in a
/// spelling Cedar reads but does not print (not its normal form).
pub fn cedar_string_escaped(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Whether JSON and Cedar write `s` the same way (same escapes).
pub fn same_escapes(s: &str) -> bool {
    json_string(s) == cedar_string(s)
}

/// Whether a uid literal in Cedar's syntax (see [`cedar_string`]) reads
/// back as the same id when its quoted part is read as a JSON string (as
/// Writ reads uid strings today).
pub fn same_in_json_and_cedar(s: &str) -> bool {
    serde_json::from_str::<String>(&cedar_string(s)).is_ok_and(|back| back == s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn every_odd_id_round_trips_through_cedar_syntax() {
        for id in ODD_IDS {
            let text = cedar_uid("N1::User", id);
            let uid = cedar_policy::EntityUid::from_str(&text).expect(&text);
            assert_eq!(uid.id().unescaped(), *id, "{text}");
            let back: String = serde_json::from_str(&json_string_ascii(id)).expect("json");
            assert_eq!(back, *id);
        }
    }
}
