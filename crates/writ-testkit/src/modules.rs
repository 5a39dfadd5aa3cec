//! The module graph of a crate, read from its source text, and the cycles
//! in it: which modules of one parent use each other round in a circle.
//!
//! Every file under `src/` is a module (`a.rs` and `a/mod.rs` are `a`,
//! `a/b.rs` is `a::b`; `src/bin/` is left out); a file declared with a
//! `#[path = "file.rs"] mod name;` attribute is the module `name` of its
//! declaring module instead. A module uses another when
//! its code names a path into it: `crate::x::…`, `super::…`, `self::…`,
//! each also inside `use` groups. Comments, strings and `#[cfg(test)]`
//! modules do not count. A use between two modules counts for the two
//! siblings under their closest common parent (`a::b` using `c::d` is `a`
//! using `c` at the top); a module using its own parent or child does not
//! count. A cycle is a strongly connected set of two or more siblings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path from the crate root: `[]` is the root, `["ingest", "read"]`
/// is `crate::ingest::read`.
pub type ModulePath = Vec<String>;

/// The modules of a crate and which uses which.
#[derive(Debug, Default)]
pub struct ModuleGraph {
    /// Every module found, with its file.
    pub modules: BTreeMap<ModulePath, PathBuf>,
    /// `from` uses `to` (both modules of [`ModuleGraph::modules`]).
    pub uses: BTreeSet<(ModulePath, ModulePath)>,
}

/// A cycle: siblings under `parent` that use each other round in a circle.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cycle {
    /// The common parent (`""` for the crate root, else `a::b`).
    pub parent: String,
    /// The siblings' names, sorted.
    pub members: Vec<String>,
}

impl std::fmt::Display for Cycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parent = if self.parent.is_empty() {
            "crate"
        } else {
            &self.parent
        };
        write!(f, "{parent}: {}", self.members.join(" / "))
    }
}

/// Reads the crate whose `src/` folder is `src`.
pub fn read_crate(src: &Path) -> std::io::Result<ModuleGraph> {
    let mut files = Vec::new();
    collect_files(src, &mut files)?;
    let mut graph = ModuleGraph::default();
    for file in &files {
        if let Some(path) = module_path(src, file) {
            graph.modules.insert(path, file.clone());
        }
    }
    let mut texts: BTreeMap<PathBuf, String> = BTreeMap::new();
    for file in graph.modules.values() {
        texts.insert(file.clone(), std::fs::read_to_string(file)?);
    }
    // `#[path = "x.rs"] mod name;`: the file is `name` of the declaring module.
    let mut renamed: Vec<(ModulePath, ModulePath)> = Vec::new();
    for (module, file) in &graph.modules {
        let dir = file.parent().unwrap_or(src);
        for (name, rel) in path_attributes(&texts[file]) {
            let target = dir.join(rel);
            let found = graph.modules.iter().find(|(_, f)| same_file(f, &target));
            if let Some((old, _)) = found {
                let mut new = module.clone();
                new.push(name);
                renamed.push((old.clone(), new));
            }
        }
    }
    for (old, new) in renamed {
        if let Some(file) = graph.modules.remove(&old) {
            graph.modules.insert(new, file);
        }
    }
    let mut test_only: BTreeSet<ModulePath> = BTreeSet::new();
    let mut refs = Vec::new();
    for (path, file) in &graph.modules {
        let scan = scan(&strip(&texts[file]), path);
        test_only.extend(scan.test_modules);
        refs.extend(scan.paths.into_iter().map(|p| (path.clone(), p)));
    }
    graph
        .modules
        .retain(|m, _| !test_only.iter().any(|t| m.starts_with(t)));
    for (from, target) in refs {
        if !graph.modules.contains_key(&from) {
            continue;
        }
        let to = (0..=target.len())
            .rev()
            .map(|n| target[..n].to_vec())
            .find(|p| graph.modules.contains_key(p));
        if let Some(to) = to {
            if to != from {
                graph.uses.insert((from, to));
            }
        }
    }
    Ok(graph)
}

impl ModuleGraph {
    /// The cycles, sorted.
    pub fn cycles(&self) -> Vec<Cycle> {
        // Sibling edges under each parent.
        let mut edges: BTreeMap<ModulePath, BTreeSet<(String, String)>> = BTreeMap::new();
        for (from, to) in &self.uses {
            let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
            if common == from.len() || common == to.len() {
                continue; // a parent and its descendant
            }
            edges
                .entry(from[..common].to_vec())
                .or_default()
                .insert((from[common].clone(), to[common].clone()));
        }
        let mut out = Vec::new();
        for (parent, e) in edges {
            for members in strongly_connected(&e) {
                if members.len() > 1 {
                    out.push(Cycle {
                        parent: parent.join("::"),
                        members,
                    });
                }
            }
        }
        out.sort();
        out
    }
}

/// The strongly connected sets of a directed graph (each sorted).
fn strongly_connected(edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.iter().flat_map(|(a, b)| [a, b]).collect();
    let reach = |start: &String| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![start.clone()];
        while let Some(n) = todo.pop() {
            for (a, b) in edges {
                if *a == n && seen.insert(b.clone()) {
                    todo.push(b.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for n in &nodes {
        if done.contains(*n) {
            continue;
        }
        let mut set = vec![(*n).clone()];
        for m in &nodes {
            if m != n && reachable[n].contains(*m) && reachable[m].contains(*n) {
                set.push((*m).clone());
            }
        }
        set.sort();
        done.extend(set.iter().cloned());
        out.push(set);
    }
    out
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_files(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
    Ok(())
}

/// `src/a/b.rs` is `["a", "b"]`; `lib.rs`, `main.rs` and `mod.rs` name
/// their folder; files under `src/bin/` are none.
fn module_path(src: &Path, file: &Path) -> Option<ModulePath> {
    let rel = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.first().is_some_and(|p| p == "bin") {
        return None;
    }
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs")?;
    let root_file = parts.is_empty() && (stem == "lib" || stem == "main");
    if !(root_file || stem == "mod") {
        parts.push(stem.to_string());
    }
    Some(parts)
}

/// Whether two paths name the same file (`a/./b.rs` and `a/b.rs` do).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// The `#[path = "file.rs"] mod name;` declarations of a file's text:
/// `(name, "file.rs")` each. Other attributes and `pub` may stand between
/// the attribute and `mod`.
fn path_attributes(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[path") {
        rest = &rest[at + "#[path".len()..];
        let Some(value) = rest
            .trim_start()
            .strip_prefix('=')
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix('"'))
        else {
            continue;
        };
        let Some(end) = value.find('"') else {
            continue;
        };
        let file = value[..end].to_string();
        let Some(after) = value[end + 1..].trim_start().strip_prefix(']') else {
            continue;
        };
        // Skip further attributes and the visibility up to `mod name;`.
        let t = tokens(&strip(after));
        let mut i = 0;
        while i < t.len() && t[i] != "mod" {
            if t[i] == "fn" || t[i] == ";" || t[i] == "{" {
                break;
            }
            i += 1;
        }
        if t.get(i).is_some_and(|s| s == "mod") && t.get(i + 2).is_some_and(|s| s == ";") {
            out.push((t[i + 1].clone(), file));
        }
    }
    out
}

/// The text with comments, string and character literals blanked out
/// (lifetimes kept).
fn strip(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < c.len() {
        let at = |k: usize| c.get(k).copied().unwrap_or('\0');
        if at(i) == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if at(i) == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if at(i) == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if at(i) == 'r'
            && (at(i + 1) == '"' || at(i + 1) == '#')
            && (i == 0
                || !ident_char(c[i - 1])
                || (c[i - 1] == 'b' && (i < 2 || !ident_char(c[i - 2]))))
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            if at(j) != '"' {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= c.len() {
                    break;
                }
                if c[j] == '"' && (0..hashes).all(|h| at(j + 1 + h) == '#') {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if at(i) == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if at(i) == '\'' {
            // A character literal ('a', '\n', '\u{1F600}'), else a lifetime.
            if at(i + 1) == '\\' {
                let mut j = i + 3;
                while j < c.len() && c[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("' '");
            } else if at(i + 2) == '\'' {
                i += 3;
                out.push_str("' '");
            } else {
                out.push('\'');
                i += 1;
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn tokens(text: &str) -> Vec<String> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if c[i].is_whitespace() {
            i += 1;
        } else if ident_char(c[i]) {
            let start = i;
            while i < c.len() && ident_char(c[i]) {
                i += 1;
            }
            out.push(c[start..i].iter().collect());
        } else if c[i] == ':' && c.get(i + 1) == Some(&':') {
            out.push("::".into());
            i += 2;
        } else {
            out.push(c[i].to_string());
            i += 1;
        }
    }
    out
}

struct Scan {
    /// Absolute paths named (module prefixes and items).
    paths: Vec<ModulePath>,
    /// File modules declared `#[cfg(test)] mod x;`.
    test_modules: Vec<ModulePath>,
}

/// Finds the paths a file's code names. `module` is the file's module.
fn scan(text: &str, module: &ModulePath) -> Scan {
    let t = tokens(text);
    let mut paths = Vec::new();
    let mut test_modules = Vec::new();
    // Inline modules open: (name, brace depth inside it).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut test_attr = false;
    let mut i = 0;
    while i < t.len() {
        let tok = t[i].as_str();
        // `#[cfg(test)]`
        if tok == "#"
            && t.get(i + 1).is_some_and(|s| s == "[")
            && t.get(i + 2).is_some_and(|s| s == "cfg")
            && t.get(i + 3).is_some_and(|s| s == "(")
            && t.get(i + 4).is_some_and(|s| s == "test")
            && t.get(i + 5).is_some_and(|s| s == ")")
        {
            test_attr = true;
            i += 7;
            continue;
        }
        if tok == "mod" && t.get(i + 1).is_some() {
            let name = t[i + 1].clone();
            let next = t.get(i + 2).map(String::as_str);
            if next == Some(";") {
                if test_attr {
                    let mut m = module.clone();
                    m.push(name);
                    test_modules.push(m);
                }
                test_attr = false;
                i += 3;
                continue;
            }
            if next == Some("{") {
                if test_attr {
                    // Skip the whole test module.
                    let mut d = 0usize;
                    let mut j = i + 2;
                    while j < t.len() {
                        if t[j] == "{" {
                            d += 1;
                        } else if t[j] == "}" {
                            d -= 1;
                            if d == 0 {
                                break;
                            }
                        }
                        j += 1;
                    }
                    test_attr = false;
                    i = j + 1;
                    continue;
                }
                depth += 1;
                inline.push((name, depth));
                i += 3;
                continue;
            }
        }
        match tok {
            "{" => depth += 1,
            "}" => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            "crate" | "super" | "self"
                if t.get(i + 1).is_some_and(|s| s == "::")
                    && !(i > 0 && t[i - 1] == "::")
                    && !(i > 0 && t[i - 1] == "$" && tok != "crate") =>
            {
                let mut here: ModulePath = module.clone();
                here.extend(inline.iter().map(|(n, _)| n.clone()));
                let (base, next) = path_base(&t, i, &here);
                i = collect(&t, next, base, &mut paths);
                test_attr = false;
                continue;
            }
            "#" | "[" | "]" | "(" | ")" | "pub" | "," => {}
            _ => test_attr = false,
        }
        i += 1;
    }
    Scan {
        paths,
        test_modules,
    }
}

/// The module a path starting at `t[i]` (`crate`, `super`, `self`) begins
/// in, and the index after its leading keywords and their `::`.
fn path_base(t: &[String], mut i: usize, here: &ModulePath) -> (ModulePath, usize) {
    let mut base = if t[i] == "crate" {
        Vec::new()
    } else {
        here.clone()
    };
    if t[i] == "crate" || t[i] == "self" {
        i += 2;
    }
    while t.get(i).is_some_and(|s| s == "super") && t.get(i + 1).is_some_and(|s| s == "::") {
        base.pop();
        i += 2;
    }
    (base, i)
}

/// Reads `a::b::{c, d::e}` from `t[i]` on under `base`; pushes every full
/// path; returns the index after it.
fn collect(t: &[String], mut i: usize, mut base: ModulePath, out: &mut Vec<ModulePath>) -> usize {
    loop {
        match t.get(i).map(String::as_str) {
            Some("{") => {
                i += 1;
                loop {
                    match t.get(i).map(String::as_str) {
                        Some("}") => return i + 1,
                        Some(",") => i += 1,
                        None => return i,
                        Some("self") => {
                            out.push(base.clone());
                            i += 1;
                        }
                        Some(_) => i = collect(t, i, base.clone(), out),
                    }
                }
            }
            Some(s) if s.chars().next().is_some_and(ident_char) => {
                base.push(s.to_string());
                i += 1;
                if t.get(i).is_some_and(|s| s == "::") {
                    i += 1;
                    continue;
                }
                out.push(base);
                return i;
            }
            _ => {
                out.push(base);
                return i;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("dir");
            std::fs::write(p, text).expect("write");
        }
    }

    #[test]
    fn finds_a_cycle_through_use_groups_and_inline_paths() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            &[
                ("lib.rs", "pub mod a; pub mod b; pub mod c;"),
                ("a.rs", "use crate::{b::{X, Y}, c};\n"),
                ("b.rs", "fn f() { let _ = crate::c::g(); }"),
                ("c.rs", "pub fn g() { super::a::h() }"),
            ],
        );
        let g = read_crate(dir.path()).expect("reads");
        assert_eq!(
            g.cycles(),
            vec![Cycle {
                parent: String::new(),
                members: vec!["a".into(), "b".into(), "c".into()],
            }]
        );
    }

    #[test]
    fn comments_strings_tests_and_parents_are_no_cycle() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            &[
                ("lib.rs", "pub mod a; pub mod b; pub mod n;"),
                (
                    "a.rs",
                    "use crate::b::X; // crate::n\n/* use crate::n; */ const S: &str = \"crate::n::x\"; const R: &str = r#\"crate::n\"#; fn l<'a>(c: char) -> bool { c == '\"' }",
                ),
                (
                    "b.rs",
                    "#[cfg(test)]\nmod tests { use crate::a::Y; }\n#[cfg(test)]\nmod more;",
                ),
                ("b/more.rs", "use crate::a::Z;"),
                ("n/mod.rs", "pub mod x; pub mod y;"),
                ("n/x.rs", "use super::y::Q; use crate::n::T;"),
                ("n/y.rs", "use super::super::a::P;"),
            ],
        );
        let g = read_crate(dir.path()).expect("reads");
        assert!(g.cycles().is_empty(), "{:?}", g.cycles());
        let uses: Vec<String> = g
            .uses
            .iter()
            .map(|(a, b)| format!("{}>{}", a.join("::"), b.join("::")))
            .collect();
        assert_eq!(uses, ["a>b", "n::x>n", "n::x>n::y", "n::y>a"]);
    }

    #[test]
    fn a_cycle_inside_a_folder_is_named_under_its_parent() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            &[
                ("lib.rs", "pub mod ingest;"),
                ("ingest/mod.rs", "pub mod read; pub mod spans;"),
                ("ingest/read.rs", "use super::spans::S;"),
                ("ingest/spans.rs", "pub fn f() { crate::ingest::read::g() }"),
            ],
        );
        let cycles = read_crate(dir.path()).expect("reads").cycles();
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].to_string(), "ingest: read / spans");
    }

    #[test]
    fn a_path_attribute_names_the_module() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            &[
                ("main.rs", "mod commands;"),
                (
                    "commands/mod.rs",
                    "pub mod runs;\n// The view.\n#[path = \"tests.rs\"]\npub mod tests_view;",
                ),
                ("commands/tests.rs", "use super::runs::R;"),
                ("commands/runs.rs", "fn f() { super::tests_view::g() }"),
            ],
        );
        let g = read_crate(dir.path()).expect("reads");
        assert!(g
            .modules
            .contains_key(&vec!["commands".to_string(), "tests_view".to_string()]));
        let cycles = g.cycles();
        assert_eq!(cycles.len(), 1, "{cycles:?}");
        assert_eq!(cycles[0].to_string(), "commands: runs / tests_view");
    }
}
