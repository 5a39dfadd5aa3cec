//! Properties of `writ fmt` ([`writ_core::format::format_policies`]) on
//! every shipped sample policy file, the policies of Cedar's conformance
//! corpus (`../shared/conformance/cedar-integration-tests`, skipped with a
//! message on stderr when missing, as in `conformance`) and generated
//! policies (`writ-cedargen`), also re-spaced at random with comments
//! between tokens:
//!
//! - the result parses to the same policies and templates (each one's
//!   JSON form, by id) as the input;
//! - every comment is kept, in order, unchanged;
//! - formatting again changes nothing;
//! - the shipped samples are already formatted.

use cedar_policy::PolicySet;
use cedar_policy_formatter::lexer::get_token_stream;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use writ_cedargen::{generate, GenOptions};
use writ_core::format::{format_policies, LINE_WIDTH};

/// The repository's root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `*.cedar` file under `dir`, sorted.
fn cedar_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read directory")
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            cedar_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "cedar") {
            out.push(p);
        }
    }
}

/// Each policy's and template's JSON (EST) form by id: what the text
/// means, whatever its layout.
fn meaning(text: &str) -> BTreeMap<String, Value> {
    let set: PolicySet = text.parse().expect("parses");
    let mut out = BTreeMap::new();
    for p in set.policies() {
        out.insert(p.id().to_string(), p.to_json().expect("policy JSON"));
    }
    for t in set.templates() {
        out.insert(
            format!("template {}", t.id()),
            t.to_json().expect("template JSON"),
        );
    }
    out
}

/// Every comment of `text`, in order (as Cedar's lexer finds them).
fn comments(text: &str) -> Vec<String> {
    let (tokens, eof) = get_token_stream(text).expect("lexes");
    let mut out = Vec::new();
    for t in &tokens {
        out.extend(t.comment.leading_comment().iter().map(|c| c.to_string()));
        if !t.comment.trailing_comment().is_empty() {
            out.push(t.comment.trailing_comment().to_string());
        }
    }
    out.extend(eof.map(str::to_string));
    out
}

/// Checks the properties on one input and returns the formatted text.
fn check(name: &str, text: &str) -> String {
    let once = format_policies(text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
    assert_eq!(
        meaning(&once),
        meaning(text),
        "{name}: formatting changed the policies:\n{once}"
    );
    assert_eq!(
        comments(&once),
        comments(text),
        "{name}: formatting changed the comments:\n{once}"
    );
    let twice = format_policies(&once).unwrap_or_else(|e| panic!("{name} (again): {e}"));
    assert_eq!(twice, once, "{name}: formatting is not idempotent:\n{text}");
    once
}

#[test]
fn shipped_samples_keep_their_meaning_and_are_formatted() {
    let mut files = Vec::new();
    cedar_files(&repo().join("sample-policies"), &mut files);
    assert!(files.len() >= 10, "sample files: {files:?}");
    let mut unformatted = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read sample");
        if check(&f.display().to_string(), &text) != text {
            unformatted.push(f.display().to_string());
        }
    }
    assert!(
        unformatted.is_empty(),
        "not formatted (run `writ fmt` on them): {unformatted:?}"
    );
}

#[test]
fn conformance_corpus_policies_keep_their_meaning() {
    let root = repo().join("../shared/conformance/cedar-integration-tests");
    if !root.is_dir() {
        eprintln!(
            "conformance_corpus_policies_keep_their_meaning: skipped: ../shared/conformance not found (looked in {})",
            root.display()
        );
        return;
    }
    let mut files = Vec::new();
    cedar_files(&root, &mut files);
    assert!(!files.is_empty(), "no .cedar file under {}", root.display());
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read corpus file");
        check(&f.display().to_string(), &text);
    }
}

/// A small seeded random source (xorshift), enough to re-space a text.
struct Rand(u64);

impl Rand {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// `text` with the space between its tokens replaced at random: one space,
/// newlines with odd indentation, blank lines, a comment at the end of the
/// line or on lines of its own (some holding `{`, `&&` or `"`).
fn respace(text: &str, seed: u64) -> String {
    let (tokens, _) = get_token_stream(text).expect("lexes");
    let mut r = Rand(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = String::new();
    for (n, t) in tokens.iter().enumerate() {
        out.push_str(&text[t.span.clone()]);
        let gap = match r.below(12) {
            0 => "\n".to_string(),
            1 => "\n      ".to_string(),
            2 => "\n\n".to_string(),
            3 => format!(" // note {n} {{ && \"\n"),
            4 => format!("\n// line {n} || }}\n   "),
            5 => format!("\n\n// para {n}\n\n"),
            _ => " ".to_string(),
        };
        out.push_str(&gap);
    }
    out
}

#[test]
fn generated_policies_keep_their_meaning() {
    let mut wide = 0;
    for seed in 0..60 {
        let case = generate(seed, &GenOptions::full());
        let text = case.policies_text();
        let once = check(&format!("seed {seed}"), &text);
        wide += once
            .lines()
            .filter(|l| l.chars().count() > LINE_WIDTH)
            .count();
        check(&format!("seed {seed} re-spaced"), &respace(&text, seed));
    }
    // The generator writes long conditions; the layout breaks them.
    assert_eq!(wide, 0, "lines wider than {LINE_WIDTH} remain");
}
/// A random clause of a condition: strings holding operators, brackets
/// and `//`, lists of any length, nested parentheses, `if then else`,
/// records, method calls.
fn clause(r: &mut Rand, k: u64) -> String {
    let list = |r: &mut Rand, ty: &str| {
        let n = 1 + r.below(12);
        let items: Vec<String> = (0..n).map(|i| format!("{ty}::\"item-{i}\"")).collect();
        format!("[{}]", items.join(", "))
    };
    match r.below(7) {
        0 => format!("context.a{k} == \"x && y || z // {k} {{ ( [\""),
        1 => format!("principal in {}", list(r, "Team")),
        2 => format!("(context.b{k} || (context.c && !context.d{k}))"),
        3 => {
            format!("(if context.e{k} && context.f then [1, 2, 3].contains(context.n) else false)")
        }
        4 => format!("{{ alpha: \"one, two\", beta: [1, 2], gamma: context.g{k} }}.alpha == \"z\""),
        5 => format!("context.long_attribute_name_{k}.contains(\"some value\")"),
        _ => format!("resource.owner == principal && context.level{k} >= {k}"),
    }
}

/// A random policy with a scope list and conditions of random length.
fn long_policy(r: &mut Rand, n: u64) -> String {
    let actions: Vec<String> = (0..1 + r.below(8))
        .map(|i| format!("Action::\"do_thing_{i}\""))
        .collect();
    let scope = match r.below(3) {
        0 => "principal, action, resource".to_string(),
        1 => format!("principal, action in [{}], resource", actions.join(", ")),
        _ => format!(
            "principal in Team::\"t\", action in [{}], resource",
            actions.join(", ")
        ),
    };
    let mut text = format!("@id(\"g{n}\")\npermit({scope})");
    for c in 0..r.below(3) {
        let kw = if r.below(2) == 0 { "when" } else { "unless" };
        let clauses: Vec<String> = (0..1 + r.below(5))
            .map(|k| clause(r, n * 10 + c * 5 + k))
            .collect();
        let mut body = String::new();
        if clauses.len() == 1 && r.below(2) == 0 {
            // A bare `if` is a whole condition (it cannot be a clause).
            body = format!(
                "if context.h && {} then context.i || context.j else {}",
                clauses[0], clauses[0]
            );
        }
        let bare_if = !body.is_empty();
        for (i, cl) in clauses.iter().enumerate().filter(|_| !bare_if) {
            if i > 0 {
                body.push_str(if r.below(3) == 0 { " || " } else { " && " });
            }
            body.push_str(cl);
        }
        text.push_str(&format!(" {kw} {{ {body} }}"));
    }
    text.push_str(";\n");
    text
}

#[test]
fn generated_long_conditions_and_lists_keep_their_meaning() {
    let mut wide = Vec::new();
    for seed in 1..120 {
        let mut r = Rand(seed * 7919);
        let text: String = (0..4).map(|n| long_policy(&mut r, n)).collect();
        let once = check(&format!("long seed {seed}"), &text);
        // Every clause the generator writes fits once broken out.
        wide.extend(
            once.lines()
                .filter(|l| l.chars().count() > LINE_WIDTH)
                .map(str::to_string),
        );
        check(
            &format!("long seed {seed} re-spaced"),
            &respace(&text, seed),
        );
    }
    assert!(
        wide.is_empty(),
        "lines wider than {LINE_WIDTH} left: {wide:#?}"
    );
}
