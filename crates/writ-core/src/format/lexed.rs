//! A token view of a policy text for the layout passes: Cedar's own lexer
//! (from `cedar-policy-formatter`, so strings and comments are recognised
//! exactly as Cedar does), with each token's bracket depth, its matching
//! bracket and its line.

use super::FormatError;
use cedar_policy_formatter::lexer::get_token_stream;
use cedar_policy_formatter::token::{Comment, Token};

/// One token of a [`Lexed`] text.
#[derive(Debug, Clone)]
pub(crate) struct Tok {
    /// What the token is.
    pub kind: Token,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
    /// Brackets (`(`, `[`, `{`) open before it; an opening bracket does not
    /// count itself, a closing one does not count the pair it closes.
    pub depth: usize,
    /// The index of the matching bracket, for brackets.
    pub partner: Option<usize>,
}

/// Where a comment is, relative to the tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommentPlace {
    /// On lines of its own before token `n`.
    Leading(usize),
    /// After token `n` on its line.
    Trailing(usize),
    /// On lines of its own after the last token.
    EndOfFile,
}

/// One comment of a [`Lexed`] text.
#[derive(Debug, Clone)]
pub(crate) struct CommentAt {
    /// The comment, from `//` to the end of its line, trimmed.
    pub text: String,
    /// Byte offset of its `//`.
    pub offset: usize,
    /// Where it is.
    pub place: CommentPlace,
}

/// A text cut into Cedar tokens.
#[derive(Debug)]
pub(crate) struct Lexed<'a> {
    /// The text.
    pub text: &'a str,
    /// Its tokens, in order.
    pub toks: Vec<Tok>,
    /// Each token's comments (leading and trailing), as Cedar attaches them.
    pub comments: Vec<Comment<'a>>,
    /// Every comment in text order.
    pub all_comments: Vec<CommentAt>,
    /// Byte offset of each line's first character.
    line_starts: Vec<usize>,
}

/// The byte offset of `part` inside `base`, when `part` is a slice of it.
fn offset_in(base: &str, part: &str) -> Option<usize> {
    let b = base.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    (p >= b && p + part.len() <= b + base.len()).then(|| p - b)
}

impl<'a> Lexed<'a> {
    /// Lexes `text`; fails when Cedar's lexer does not accept it or its
    /// brackets do not pair up.
    pub fn new(text: &'a str) -> Result<Self, FormatError> {
        let (wrapped, eof) = get_token_stream(text).ok_or(FormatError::Lex)?;
        let mut toks = Vec::with_capacity(wrapped.len());
        let mut comments = Vec::with_capacity(wrapped.len());
        let mut all_comments = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let locate = |c: &str| offset_in(text, c).ok_or(FormatError::Lex);
        for (i, w) in wrapped.into_iter().enumerate() {
            for c in w.comment.leading_comment() {
                all_comments.push(CommentAt {
                    text: (*c).to_string(),
                    offset: locate(c)?,
                    place: CommentPlace::Leading(i),
                });
            }
            let mut tok = Tok {
                kind: w.token.clone(),
                start: w.span.start,
                end: w.span.end,
                depth: stack.len(),
                partner: None,
            };
            match w.token {
                Token::LParen | Token::LBracket | Token::LBrace => stack.push(i),
                Token::RParen | Token::RBracket | Token::RBrace => {
                    let open = stack.pop().ok_or(FormatError::Lex)?;
                    tok.depth = stack.len();
                    tok.partner = Some(open);
                    let opener: &mut Tok = toks.get_mut(open).ok_or(FormatError::Lex)?;
                    opener.partner = Some(i);
                }
                _ => {}
            }
            toks.push(tok);
            let trailing = w.comment.trailing_comment();
            if !trailing.is_empty() {
                all_comments.push(CommentAt {
                    text: trailing.to_string(),
                    offset: locate(trailing)?,
                    place: CommentPlace::Trailing(i),
                });
            }
            comments.push(w.comment);
        }
        if !stack.is_empty() {
            return Err(FormatError::Lex);
        }
        for c in eof {
            all_comments.push(CommentAt {
                text: c.to_string(),
                offset: locate(c)?,
                place: CommentPlace::EndOfFile,
            });
        }
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Ok(Lexed {
            text,
            toks,
            comments,
            all_comments,
            line_starts,
        })
    }

    /// The line (from 0) holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset) - 1
    }

    /// The byte range of line `line`, without its newline.
    pub fn line_range(&self, line: usize) -> std::ops::Range<usize> {
        let start = self.line_starts[line];
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |next| next - 1);
        start..end
    }

    /// The number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Whether token `i` is the `when` or `unless` of a condition: outside
    /// every bracket, right after the scope's `)` or a condition's `}`
    /// (not an annotation key or an attribute named `when`).
    pub fn is_condition_keyword(&self, i: usize) -> bool {
        let Some(t) = self.toks.get(i) else {
            return false;
        };
        matches!(t.kind, Token::When | Token::Unless)
            && t.depth == 0
            && i > 0
            && matches!(self.toks[i - 1].kind, Token::RParen | Token::RBrace)
    }

    /// Whether token `i` starts a policy: the first token, or the first
    /// after a policy's `;`.
    pub fn starts_policy(&self, i: usize) -> bool {
        i == 0
            || self
                .toks
                .get(i - 1)
                .is_some_and(|p| p.kind == Token::SemiColon && p.depth == 0)
    }

    /// The tokens and the comments Cedar attaches to each, for checking
    /// that a pass changed only whitespace.
    pub fn essence(&self) -> Vec<(Token, Comment<'a>)> {
        self.toks
            .iter()
            .zip(&self.comments)
            .map(|(t, c)| (t.kind.clone(), c.clone()))
            .collect()
    }
}

/// Character count of `s` (what a line's width is measured in).
pub(crate) fn width(s: &str) -> usize {
    s.chars().count()
}

/// Applies non-overlapping `(range, replacement)` edits to `text`.
pub(crate) fn apply_edits(text: &str, mut edits: Vec<(std::ops::Range<usize>, String)>) -> String {
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for (r, rep) in edits {
        if r.start < at {
            // Overlapping edits never come from the passes; keep the first.
            continue;
        }
        out.push_str(&text[at..r.start]);
        out.push_str(&rep);
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_pair_and_strings_and_comments_are_not_tokens() {
        let text = "permit (principal, action, resource)\nwhen { \"{ && //\" == x // c {\n};";
        let lx = Lexed::new(text).expect("lexes");
        let open = lx
            .toks
            .iter()
            .position(|t| t.kind == Token::LBrace)
            .expect("brace");
        let close = lx.toks[open].partner.expect("partner");
        assert_eq!(lx.toks[close].kind, Token::RBrace);
        assert_eq!(lx.toks[close].partner, Some(open));
        assert!(lx.is_condition_keyword(open - 1));
        assert_eq!(lx.all_comments.len(), 1);
        assert_eq!(lx.all_comments[0].text, "// c {");
        assert_eq!(lx.line_of(lx.toks[close].start), 2);
        assert!(!lx.toks.iter().any(|t| t.kind == Token::And));
    }

    #[test]
    fn an_attribute_named_when_is_not_a_condition_keyword() {
        let lx = Lexed::new(
            "@when(\"x\")\npermit (principal, action, resource)\nwhen { context.when };",
        )
        .expect("lexes");
        let whens: Vec<bool> = (0..lx.toks.len())
            .filter(|&i| lx.toks[i].kind == Token::When)
            .map(|i| lx.is_condition_keyword(i))
            .collect();
        assert_eq!(whens, vec![false, true, false]);
    }

    #[test]
    fn unbalanced_brackets_are_refused() {
        assert!(Lexed::new("permit (principal").is_err());
    }
}
