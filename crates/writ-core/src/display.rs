//! Showing untrusted text (entity ids, action names, agent identities) to
//! a person: control characters are escaped so that a hostile id cannot
//! move an analyst's cursor, clear the terminal, hide text or reorder it.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal or a table cell raw: C0 and C1
/// controls, DEL, and the Unicode bidirectional controls that reorder
/// what is shown (the "Trojan Source" characters) or hide text.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}' // embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // isolates
            | '\u{FEFF}'              // zero-width no-break space
        )
}

/// `s` with every character of [`needs_escape`] written as Rust/Cedar-style
/// `\u{..}`; borrowed when nothing needs escaping. Meant for display only:
/// other characters, backslashes included, are shown as they are.
pub fn escaped(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Most characters of an input quoted back in an error message.
pub const QUOTED_INPUT_CHARS: usize = 80;

/// Input someone typed or sent, quoted back in an error message: escaped
/// as [`escaped`], and cut to [`QUOTED_INPUT_CHARS`] characters with `…`
/// so that an oversized value cannot flood a terminal or a dialog.
pub fn quoted_input(s: &str) -> String {
    let mut cut: String = s.chars().take(QUOTED_INPUT_CHARS).collect();
    let longer = cut.len() < s.len();
    cut = escaped(&cut).into_owned();
    if longer {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(escaped("Agent::\"bot-1\" ü"), Cow::Borrowed(_)));
        assert_eq!(escaped("a\\b"), "a\\b");
    }

    #[test]
    fn controls_and_bidi_are_escaped() {
        assert_eq!(escaped("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escaped("x\u{7f}\u{85}\u{9b}"), "x\\u{7f}\\u{85}\\u{9b}");
        assert_eq!(escaped("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(escaped("\\\n"), "\\\\u{a}");
        let hostile = "\u{1b}]0;owned\u{7}\r\n";
        assert!(!escaped(hostile).chars().any(needs_escape));
    }

    #[test]
    fn quoted_input_is_escaped_and_cut() {
        assert_eq!(quoted_input("allowd"), "allowd");
        assert_eq!(quoted_input("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        let long = "x".repeat(10_000);
        let q = quoted_input(&long);
        assert_eq!(q.chars().count(), QUOTED_INPUT_CHARS + 1);
        assert!(q.ends_with('…'));
        assert_eq!(quoted_input(&"é".repeat(80)), "é".repeat(80));
    }
}
