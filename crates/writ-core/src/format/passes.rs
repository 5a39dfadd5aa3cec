//! The layout passes run over Cedar's formatter output (see the module
//! documentation of [`super`]). Each pass changes only whitespace between
//! tokens, never inside a string or a comment, never moves a comment to
//! another token, and is idempotent: running it on its own output changes
//! nothing.

use super::lexed::{apply_edits, width, CommentPlace, Lexed};
use super::{FormatError, INDENT};
use cedar_policy_formatter::token::Token;
use std::ops::Range;

/// Whether the line after the one holding byte `offset` of `text` is blank
/// (empty or only whitespace).
fn blank_line_after(text: &str, offset: usize) -> bool {
    let Some(nl) = text[offset..].find('\n').map(|i| offset + i) else {
        return false;
    };
    let rest = &text[nl + 1..];
    match rest.find('\n') {
        Some(end) => rest[..end].trim().is_empty(),
        // The last line: blank only when it has something (whitespace);
        // an empty tail is the end of the file, not a blank line.
        None => false,
    }
}

/// Whether the line before the one holding byte `offset` of `text` is
/// blank.
fn blank_line_before(text: &str, offset: usize) -> bool {
    let Some(nl) = text[..offset].rfind('\n') else {
        return false;
    };
    let before = &text[..nl];
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    before[start..].trim().is_empty()
}

/// Keeps the blank lines the author put around comments outside policies:
/// Cedar's formatter drops the blank line after a file's header comment,
/// between comment paragraphs before a policy, and before comments at the
/// end of the file. A blank line after such a comment in `source` (or
/// before the first end-of-file comment) is put back in `formatted`, once.
/// Fails when the two texts do not have the same comments in the same
/// order.
pub(crate) fn restore_blank_lines(source: &str, formatted: &str) -> Result<String, FormatError> {
    let src = Lexed::new(source)?;
    let out = Lexed::new(formatted)?;
    same_comments(&src, &out)?;
    let mut edits = Vec::new();
    let mut first_eof = true;
    for (s, o) in src.all_comments.iter().zip(&out.all_comments) {
        let outside = match o.place {
            CommentPlace::Leading(i) => out.starts_policy(i),
            CommentPlace::EndOfFile => true,
            CommentPlace::Trailing(_) => false,
        };
        if !outside {
            continue;
        }
        let line = out.line_of(o.offset);
        if blank_line_after(source, s.offset) && !blank_line_after(formatted, o.offset) {
            let next = out.line_range(line).end + 1;
            if next < formatted.len() {
                edits.push((next..next, "\n".to_string()));
            }
        }
        if o.place == CommentPlace::EndOfFile && std::mem::take(&mut first_eof) {
            let start = out.line_range(line).start;
            if blank_line_before(source, s.offset) && !blank_line_before(formatted, o.offset) {
                edits.push((start..start, "\n".to_string()));
            }
        }
    }
    Ok(apply_edits(formatted, edits))
}

/// Fails unless `a` and `b` hold the same comments in the same order.
pub(crate) fn same_comments(a: &Lexed<'_>, b: &Lexed<'_>) -> Result<(), FormatError> {
    let texts = |l: &Lexed<'_>| l.all_comments.iter().map(|c| c.text.clone()).collect();
    let (ta, tb): (Vec<String>, Vec<String>) = (texts(a), texts(b));
    if ta == tb {
        Ok(())
    } else {
        let first = ta
            .iter()
            .zip(&tb)
            .find(|(x, y)| x != y)
            .map(|(x, _)| x.clone())
            .or_else(|| ta.get(tb.len()).cloned())
            .or_else(|| tb.get(ta.len()).cloned())
            .unwrap_or_default();
        Err(FormatError::CommentMoved(first))
    }
}

/// Puts a condition's `{` on the line of its `when` or `unless`: Cedar's
/// formatter writes the keyword alone on a line and `{` on the next when
/// the condition spans several lines. A comment between the two is left
/// where it is.
pub(crate) fn join_condition_braces(text: &str) -> Result<String, FormatError> {
    let lx = Lexed::new(text)?;
    let edits = (0..lx.toks.len().saturating_sub(1))
        .filter(|&i| lx.is_condition_keyword(i) && lx.toks[i + 1].kind == Token::LBrace)
        .filter_map(|i| {
            let gap = lx.toks[i].end..lx.toks[i + 1].start;
            (text[gap.clone()] != *" " && text[gap.clone()].trim().is_empty())
                .then(|| (gap, " ".to_string()))
        })
        .collect();
    Ok(apply_edits(text, edits))
}

/// The width of line `line` up to its comment, if any (a trailing comment
/// does not make a line too long: breaking the code would not shorten it).
fn code_width(lx: &Lexed<'_>, line: usize) -> usize {
    let r = lx.line_range(line);
    let end = lx
        .all_comments
        .iter()
        .find(|c| r.contains(&c.offset))
        .map_or(r.end, |c| c.offset);
    width(lx.text[r.start..end].trim_end())
}

/// The leading spaces of the line holding byte `offset`.
fn indent_of<'t>(lx: &Lexed<'t>, offset: usize) -> &'t str {
    let r = lx.line_range(lx.line_of(offset));
    let line = &lx.text[r];
    &line[..line.len() - line.trim_start().len()]
}

/// The tokens of `kind` in `range` (token indexes) at bracket depth
/// `depth`.
fn at_depth(lx: &Lexed<'_>, range: Range<usize>, kind: Token, depth: usize) -> Vec<usize> {
    range
        .filter(|&j| lx.toks[j].kind == kind && lx.toks[j].depth == depth)
        .collect()
}

/// Splits tokens `first..=last` at the separator tokens `seps` (inside
/// that range): each part's byte range and the separator after it.
fn split_at(
    lx: &Lexed<'_>,
    first: usize,
    last: usize,
    seps: &[usize],
) -> Vec<(Range<usize>, Option<usize>)> {
    let mut out = Vec::new();
    let mut from = first;
    for &s in seps {
        out.push((lx.toks[from].start..lx.toks[s - 1].end, Some(s)));
        from = s + 1;
    }
    out.push((lx.toks[from].start..lx.toks[last].end, None));
    out
}

/// The `then` and `else` of the `if` at token `first`, at bracket depth
/// `depth` (nested `if`s skipped).
fn then_else(lx: &Lexed<'_>, first: usize, last: usize, depth: usize) -> Option<(usize, usize)> {
    let mut nested = 0usize;
    let mut then = None;
    for j in first + 1..=last {
        if lx.toks[j].depth != depth {
            continue;
        }
        match lx.toks[j].kind {
            Token::If => nested += 1,
            Token::Then if nested == 0 => then = Some(j),
            Token::Else if nested == 0 => return then.map(|t| (t, j)),
            Token::Else => nested -= 1,
            _ => {}
        }
    }
    None
}

/// The lines a condition body (tokens between `open` and `close`, its
/// braces) is broken into, each with its extra indentation level: one
/// top-level clause per line, split at `||` when there is one outside
/// brackets (an `&&` clause too wide for its line split again, its
/// continuation lines indented once more), else at `&&`; an `if … then …
/// else` body as its `if`, `then` and `else` lines.
fn condition_lines(lx: &Lexed<'_>, open: usize, close: usize, room: usize) -> Vec<(usize, String)> {
    let text = lx.text;
    let (first, last) = (open + 1, close - 1);
    let depth = lx.toks[open].depth + 1;
    if lx.toks[first].kind == Token::If {
        return match then_else(lx, first, last, depth) {
            Some((t, e)) => split_at(lx, first, last, &[t, e])
                .into_iter()
                .enumerate()
                .map(|(k, (r, _))| {
                    // `split_at` drops the separator; `then`/`else` start
                    // their lines.
                    let kw = match k {
                        0 => "",
                        1 => "then ",
                        _ => "else ",
                    };
                    (0, format!("{kw}{}", text[r].trim()))
                })
                .collect(),
            None => vec![(0, text[lx.toks[first].start..lx.toks[last].end].to_string())],
        };
    }
    let ors = at_depth(lx, first..close, Token::Or, depth);
    let top = if ors.is_empty() {
        at_depth(lx, first..close, Token::And, depth)
    } else {
        ors.clone()
    };
    let mut lines = Vec::new();
    let mut from = first;
    for (r, sep) in split_at(lx, first, last, &top) {
        let to = sep.map_or(last, |s| s - 1);
        let op = sep.map_or(String::new(), |s| format!(" {}", lx.toks[s].kind));
        let clause = text[r].trim();
        let ands = at_depth(lx, from..to + 1, Token::And, depth);
        if !ors.is_empty() && width(clause) + width(&op) > room && !ands.is_empty() {
            let parts = split_at(lx, from, to, &ands);
            let n = parts.len();
            for (k, (r2, _)) in parts.into_iter().enumerate() {
                let end = if k + 1 == n { op.as_str() } else { " &&" };
                lines.push((usize::from(k > 0), format!("{}{end}", text[r2].trim())));
            }
        } else {
            lines.push((0, format!("{clause}{op}")));
        }
        from = to + 2;
    }
    lines
}

/// Breaks a one-line condition wider than `max` after its `{`, one
/// top-level `&&` or `||` clause per line (indented), with `}` on a line
/// of its own: Cedar's formatter, given room, packs the whole condition on
/// one line.
pub(crate) fn break_long_conditions(text: &str, max: usize) -> Result<String, FormatError> {
    let lx = Lexed::new(text)?;
    let mut edits = Vec::new();
    for i in 0..lx.toks.len().saturating_sub(1) {
        if !lx.is_condition_keyword(i) || lx.toks[i + 1].kind != Token::LBrace {
            continue;
        }
        let open = i + 1;
        let Some(close) = lx.toks[open].partner else {
            continue;
        };
        let line = lx.line_of(lx.toks[open].start);
        if close == open + 1
            || lx.line_of(lx.toks[close].start) != line
            || code_width(&lx, line) <= max
        {
            continue;
        }
        let indent = indent_of(&lx, lx.toks[i].start);
        let inner = width(indent) + INDENT;
        let mut rep = String::from("\n");
        for (level, l) in condition_lines(&lx, open, close, max.saturating_sub(inner)) {
            rep.push_str(&" ".repeat(inner + level * INDENT));
            rep.push_str(&l);
            rep.push('\n');
        }
        rep.push_str(indent);
        edits.push((lx.toks[open].end..lx.toks[close].start, rep));
    }
    Ok(apply_edits(text, edits))
}

/// Puts a policy's scope on one line, `permit (principal, action ==
/// Action::"x", resource)`, when at most one of its three elements is
/// constrained, it has no comment and the line fits in `max`: Cedar's
/// formatter writes one element per line as soon as any is constrained.
/// Scopes with two or three constraints keep that layout.
pub(crate) fn join_simple_scopes(text: &str, max: usize) -> Result<String, FormatError> {
    let lx = Lexed::new(text)?;
    let mut edits = Vec::new();
    for i in 0..lx.toks.len().saturating_sub(1) {
        let t = &lx.toks[i];
        let effect = matches!(t.kind, Token::Permit | Token::Forbid)
            && t.depth == 0
            && (i == 0 || lx.toks[i - 1].kind != Token::At)
            && lx.toks[i + 1].kind == Token::LParen;
        if !effect {
            continue;
        }
        let open = i + 1;
        let Some(close) = lx.toks[open].partner else {
            continue;
        };
        let (first_line, last_line) = (
            lx.line_of(lx.toks[open].start),
            lx.line_of(lx.toks[close].start),
        );
        let span = lx.toks[open].start..lx.toks[close].end;
        if first_line == last_line || lx.all_comments.iter().any(|c| span.contains(&c.offset)) {
            continue;
        }
        let inner = lx.toks[open].depth + 1;
        let mut elements = Vec::new();
        let mut first = open + 1;
        for j in open + 1..=close {
            if j == close || (lx.toks[j].kind == Token::Comma && lx.toks[j].depth == inner) {
                elements.push((first, j));
                first = j + 1;
            }
        }
        let constrained = elements.iter().filter(|(a, b)| b - a > 1).count();
        if constrained > 1 || elements.iter().any(|(a, b)| a >= b) {
            continue;
        }
        let joined = elements
            .iter()
            .map(|&(a, b)| text[lx.toks[a].start..lx.toks[b - 1].end].trim())
            .collect::<Vec<_>>()
            .join(", ");
        let before = &text[lx.line_range(first_line).start..lx.toks[open].end];
        let after = &text[lx.toks[close].start..lx.line_range(last_line).end];
        if width(before) + width(&joined) + width(after) <= max {
            edits.push((lx.toks[open].end..lx.toks[close].start, joined));
        }
    }
    Ok(apply_edits(text, edits))
}

/// The list or record to break on line `line`, as its opening and closing
/// token: a `[` or a record's `{` at the line's outermost bracket depth
/// (not one nested in a call or parentheses) whose closing bracket is on
/// the same line and that holds at least two elements; the widest, then
/// the first.
fn list_to_break(lx: &Lexed<'_>, line: usize) -> Option<(usize, usize)> {
    let r = lx.line_range(line);
    let on_line: Vec<usize> = (0..lx.toks.len())
        .filter(|&i| r.contains(&lx.toks[i].start))
        .collect();
    let base = on_line.iter().map(|&i| lx.toks[i].depth).min()?;
    on_line
        .into_iter()
        .filter(|&i| lx.toks[i].depth == base)
        .filter(|&i| match lx.toks[i].kind {
            Token::LBracket => true,
            // A `{` outside all brackets is a condition's, not a record's.
            Token::LBrace => lx.toks[i].depth > 0,
            _ => false,
        })
        .filter_map(|i| {
            let close = lx.toks[i].partner?;
            let inner = lx.toks[i].depth + 1;
            let has_comma = (i + 1..close)
                .any(|j| lx.toks[j].kind == Token::Comma && lx.toks[j].depth == inner);
            (r.contains(&lx.toks[close].start) && has_comma).then_some((i, close))
        })
        .min_by_key(|&(o, c)| {
            (
                lx.toks[o].depth,
                std::cmp::Reverse(lx.toks[c].end - lx.toks[o].start),
                o,
            )
        })
}

/// Breaks lists (`[…]`) and records (`{…}`) on lines wider than `max`
/// one element per line, indented, the closing bracket back at the line's
/// indentation (an `action in [...]` scope too long for one line, a long
/// `principal in [...]` clause). Lines stay as they are when they have no
/// such list; element lines still too wide are broken in turn.
pub(crate) fn break_long_lists(text: &str, max: usize) -> Result<String, FormatError> {
    let mut text = text.to_string();
    // Every round breaks at least one list, and lists are finite.
    loop {
        let lx = Lexed::new(&text)?;
        let mut edits = Vec::new();
        for line in 0..lx.line_count() {
            if code_width(&lx, line) <= max {
                continue;
            }
            let Some((open, close)) = list_to_break(&lx, line) else {
                continue;
            };
            let indent = indent_of(&lx, lx.toks[open].start);
            let inner_indent = format!("{indent}{:w$}", "", w = INDENT);
            let inner = lx.toks[open].depth + 1;
            let mut elements = Vec::new();
            let mut first = open + 1;
            for j in open + 1..=close {
                let ends =
                    j == close || (lx.toks[j].kind == Token::Comma && lx.toks[j].depth == inner);
                if ends {
                    elements.push(text[lx.toks[first].start..lx.toks[j - 1].end].trim());
                    first = j + 1;
                }
            }
            let body: Vec<String> = elements
                .iter()
                .map(|e| format!("{inner_indent}{e}"))
                .collect();
            let rep = format!("\n{}\n{indent}", body.join(",\n"));
            edits.push((lx.toks[open].end..lx.toks[close].start, rep));
        }
        if edits.is_empty() {
            return Ok(text);
        }
        text = apply_edits(&text, edits);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `pass` twice and checks it is idempotent.
    fn twice(pass: impl Fn(&str) -> String, input: &str) -> String {
        let once = pass(input);
        assert_eq!(pass(&once), once, "not idempotent on:\n{input}");
        once
    }

    fn join(t: &str) -> String {
        join_condition_braces(t).expect("join")
    }
    fn conds(t: &str) -> String {
        break_long_conditions(t, 60).expect("conditions")
    }
    fn lists(t: &str) -> String {
        break_long_lists(t, 60).expect("lists")
    }

    #[test]
    fn join_puts_the_brace_on_the_keyword_line() {
        let input = "permit (principal, action, resource)\nwhen\n{\n  // why\n  a &&\n  b\n}\nunless\n{\n  c // why not\n};\n";
        assert_eq!(
            twice(join, input),
            "permit (principal, action, resource)\nwhen {\n  // why\n  a &&\n  b\n}\nunless {\n  c // why not\n};\n"
        );
    }

    #[test]
    fn join_leaves_a_comment_between_keyword_and_brace() {
        let input = "permit (principal, action, resource)\nwhen // the rule\n{\n  a\n};\n";
        assert_eq!(twice(join, input), input);
        let input = "permit (principal, action, resource)\nwhen\n// the rule\n{\n  a\n};\n";
        assert_eq!(twice(join, input), input);
    }

    #[test]
    fn join_ignores_when_as_an_attribute_or_annotation() {
        let input = "@when(\"x\")\npermit (principal, action, resource)\nwhen { context.when &&\n{ a: 1 }.a == 1 };\n";
        assert_eq!(twice(join, input), input);
    }

    #[test]
    fn a_short_condition_stays_on_one_line() {
        let input = "permit (principal, action, resource)\nwhen { a && b };\n";
        assert_eq!(twice(conds, input), input);
    }

    #[test]
    fn a_long_condition_breaks_one_clause_per_line() {
        let input = "forbid (principal, action, resource)\nunless { context has elevation && context.elevation.granted && (x || y) };\n";
        assert_eq!(
            twice(conds, input),
            "forbid (principal, action, resource)\nunless {\n  context has elevation &&\n  context.elevation.granted &&\n  (x || y)\n};\n"
        );
    }

    #[test]
    fn a_long_condition_breaks_at_or_before_and() {
        let input = "permit (principal, action, resource)\nwhen { principal.level > 3 && principal.team == \"a\" || context.override };\n";
        assert_eq!(
            twice(conds, input),
            "permit (principal, action, resource)\nwhen {\n  principal.level > 3 && principal.team == \"a\" ||\n  context.override\n};\n"
        );
    }

    #[test]
    fn operators_in_strings_and_nested_brackets_are_not_split() {
        let input = "permit (principal, action, resource)\nwhen { context.q == \"a && b || c // d { e }\" && [1, 2].contains(context.n && true) };\n";
        assert_eq!(
            twice(conds, input),
            "permit (principal, action, resource)\nwhen {\n  context.q == \"a && b || c // d { e }\" &&\n  [1, 2].contains(context.n && true)\n};\n"
        );
    }

    #[test]
    fn an_if_then_else_condition_breaks_before_then_and_else() {
        let input = "permit (principal, action, resource)\nwhen { if context.a && context.b then context.c else context.d || context.e };\n";
        assert_eq!(
            twice(conds, input),
            "permit (principal, action, resource)\nwhen {\n  if context.a && context.b\n  then context.c\n  else context.d || context.e\n};\n"
        );
    }

    #[test]
    fn a_nested_if_keeps_its_then_and_else() {
        let input = "permit (principal, action, resource)\nwhen { if context.a then if context.b then 1 else 2 else (if context.c then 3 else 4) };\n";
        assert_eq!(
            twice(conds, input),
            "permit (principal, action, resource)\nwhen {\n  if context.a\n  then if context.b then 1 else 2\n  else (if context.c then 3 else 4)\n};\n"
        );
    }

    #[test]
    fn a_wide_and_clause_under_or_breaks_again_indented() {
        let input = "permit (principal, action, resource)\nwhen { context.first_attribute && context.second_attribute && context.third || context.override };\n";
        assert_eq!(
            twice(conds, input),
            "permit (principal, action, resource)\nwhen {\n  context.first_attribute &&\n    context.second_attribute &&\n    context.third ||\n  context.override\n};\n"
        );
    }

    #[test]
    fn a_list_inside_parentheses_or_a_call_is_not_broken() {
        let input = "permit (principal, action, resource)\nwhen {\n  context.tags.containsAny([\"alpha-alpha\", \"beta-beta\", \"gamma-gamma\"])\n};\n";
        assert_eq!(twice(lists, input), input);
    }

    #[test]
    fn a_long_condition_of_several_keeps_its_neighbours() {
        let input = "permit (principal, action, resource)\nwhen { a }\nunless { context.something_long && context.something_longer && b }; // end\n";
        assert_eq!(
            twice(conds, input),
            "permit (principal, action, resource)\nwhen { a }\nunless {\n  context.something_long &&\n  context.something_longer &&\n  b\n}; // end\n"
        );
    }

    #[test]
    fn a_trailing_comment_does_not_make_a_line_long() {
        let input = "permit (principal, action, resource)\nwhen { a && b }; // a long explanation of the rule that goes on and on\n";
        assert_eq!(twice(conds, input), input);
        assert_eq!(twice(lists, input), input);
    }

    #[test]
    fn a_long_scope_list_breaks_one_element_per_line() {
        let input = "permit (\n  principal,\n  action in [Action::\"read_logs\", Action::\"read_alert\", Action::\"isolate_host\"],\n  resource\n);\n";
        assert_eq!(
            twice(lists, input),
            "permit (\n  principal,\n  action in [\n    Action::\"read_logs\",\n    Action::\"read_alert\",\n    Action::\"isolate_host\"\n  ],\n  resource\n);\n"
        );
    }

    #[test]
    fn a_short_list_stays_on_one_line() {
        let input =
            "permit (\n  principal,\n  action in [Action::\"a\", Action::\"b\"],\n  resource\n);\n";
        assert_eq!(twice(lists, input), input);
    }

    #[test]
    fn the_outermost_list_breaks_first_and_strings_keep_their_commas() {
        let input = "permit (principal, action, resource)\nwhen {\n  principal in [Team::\"a, b\", Team::\"[c]\", Team::\"support-team\"] && [[1, 2], [3]].contains([1])\n};\n";
        assert_eq!(
            twice(lists, input),
            "permit (principal, action, resource)\nwhen {\n  principal in [\n    Team::\"a, b\",\n    Team::\"[c]\",\n    Team::\"support-team\"\n  ] && [[1, 2], [3]].contains([1])\n};\n"
        );
    }

    #[test]
    fn a_long_record_breaks_one_field_per_line() {
        let input = "permit (principal, action, resource)\nwhen {\n  context.r == { alpha: \"one, two\", beta: [1, 2, 3], gamma: { d: 1 } }\n};\n";
        assert_eq!(
            twice(lists, input),
            "permit (principal, action, resource)\nwhen {\n  context.r == {\n    alpha: \"one, two\",\n    beta: [1, 2, 3],\n    gamma: { d: 1 }\n  }\n};\n"
        );
    }

    #[test]
    fn a_line_with_a_comment_inside_a_list_is_left_alone() {
        let input = "permit (\n  principal,\n  action in\n    [Action::\"alpha_alpha_alpha\", // why\n     Action::\"beta_beta_beta_beta_beta_beta_beta\"],\n  resource\n);\n";
        assert_eq!(twice(lists, input), input);
    }

    fn scopes(t: &str) -> String {
        join_simple_scopes(t, 60).expect("scopes")
    }

    #[test]
    fn a_scope_with_one_constraint_goes_on_one_line() {
        let input = "@id(\"a\")\nforbid (\n  principal,\n  action == Action::\"edit\",\n  resource\n)\nwhen { a };\n";
        assert_eq!(
            twice(scopes, input),
            "@id(\"a\")\nforbid (principal, action == Action::\"edit\", resource)\nwhen { a };\n"
        );
    }

    #[test]
    fn a_scope_with_two_constraints_a_comment_or_no_room_stays_broken() {
        let two = "permit (\n  principal == User::\"a\",\n  action == Action::\"edit\",\n  resource\n);\n";
        assert_eq!(twice(scopes, two), two);
        let comment =
            "permit (\n  principal, // anyone\n  action == Action::\"edit\",\n  resource\n);\n";
        assert_eq!(twice(scopes, comment), comment);
        let long = "permit (\n  principal,\n  action in [Action::\"alpha\", Action::\"beta\", Action::\"gamma\"],\n  resource\n);\n";
        assert_eq!(twice(scopes, long), long);
    }

    #[test]
    fn an_annotation_named_permit_is_not_a_scope() {
        let input =
            "@permit(\"x\")\npermit (\n  principal,\n  action == Action::\"a\",\n  resource\n);\n";
        assert_eq!(
            twice(scopes, input),
            "@permit(\"x\")\npermit (principal, action == Action::\"a\", resource);\n"
        );
    }

    #[test]
    fn blank_lines_after_a_header_comment_come_back() {
        let source = "// header\n\n// about a\n@id(\"a\")\npermit(principal, action, resource);\n\n\n// trailing notes\n";
        let cedar = "// header\n// about a\n@id(\"a\")\npermit (principal, action, resource);\n// trailing notes\n";
        let out = restore_blank_lines(source, cedar).expect("restores");
        assert_eq!(
            out,
            "// header\n\n// about a\n@id(\"a\")\npermit (principal, action, resource);\n\n// trailing notes\n"
        );
        assert_eq!(restore_blank_lines(&out, &out).expect("again"), out);
    }

    #[test]
    fn blank_lines_are_not_added_where_there_were_none() {
        let source = "// about a\n@id(\"a\")\npermit(principal, action, resource) when {\n  // inside\n\n  true\n};\n";
        let cedar = "// about a\n@id(\"a\")\npermit (principal, action, resource)\nwhen\n{\n  // inside\n  true\n};\n";
        assert_eq!(restore_blank_lines(source, cedar).expect("restores"), cedar);
    }

    #[test]
    fn a_lost_comment_is_an_error() {
        let err = restore_blank_lines(
            "// a\npermit(principal, action, resource);\n",
            "permit (principal, action, resource);\n",
        )
        .expect_err("comment lost");
        assert!(
            matches!(err, FormatError::CommentMoved(ref c) if c == "// a"),
            "{err:?}"
        );
    }
}
