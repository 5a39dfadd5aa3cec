//! No module of any crate in the workspace (`crates/*/src`, and the desktop
//! app's `src-tauri/src`) uses a sibling that uses it back (directly or
//! round a longer circle): each module only uses modules below it. Reads
//! the source text (see `writ_testkit::modules` for what counts).
//!
//! A cycle that has to stay for a while can be listed in [`KNOWN`], per
//! crate: a cycle that is not listed there (or is larger than the one
//! listed) fails the test. When a listed cycle is gone, the test says so;
//! remove its line. None is listed now; writ-bundle and writ-base may
//! never be.

use writ_testkit::modules::{read_crate, Cycle};

/// Known cycles still to be taken apart: (crate folder, parent module
/// (`""` for the crate root), the siblings in the cycle). A cycle found
/// passes when its members are all within one listed entry.
const KNOWN: &[(&str, &str, &[&str])] = &[];

/// The crates' source folders, relative to the repository root.
fn crates() -> Vec<(String, std::path::PathBuf)> {
    let root = writ_testkit::root();
    let mut out: Vec<(String, std::path::PathBuf)> = std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("src").is_dir())
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, p.join("src"))
        })
        .collect();
    if root.join("src-tauri/src").is_dir() {
        out.push(("src-tauri".into(), root.join("src-tauri/src")));
    }
    out.sort();
    out
}

fn known(krate: &str, c: &Cycle) -> bool {
    KNOWN.iter().any(|(k, parent, members)| {
        *k == krate
            && *parent == c.parent
            && c.members.iter().all(|m| members.contains(&m.as_str()))
    })
}

#[test]
fn no_crate_has_a_module_cycle_beyond_the_known_ones() {
    let crates = crates();
    assert!(
        crates.iter().any(|(k, _)| k == "writ-bundle"),
        "the crates were not found under {}",
        writ_testkit::root().display()
    );
    assert!(
        crates.iter().any(|(k, _)| k == "src-tauri"),
        "the desktop app's src-tauri/src was not found under {}",
        writ_testkit::root().display()
    );
    let mut new = Vec::new();
    let mut found = Vec::new();
    for (krate, src) in &crates {
        let graph = read_crate(src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        assert!(
            !graph.modules.is_empty(),
            "{}: no module read",
            src.display()
        );
        for c in graph.cycles() {
            eprintln!("{krate}: {c}");
            if !known(krate, &c) {
                new.push(format!("{krate}: {c}"));
            }
            found.push((krate.clone(), c));
        }
    }
    for (krate, parent, members) in KNOWN {
        let still = found.iter().any(|(k, c)| {
            k == krate
                && c.parent == *parent
                && c.members.iter().any(|m| members.contains(&m.as_str()))
        });
        if !still {
            eprintln!(
                "the known cycle {krate}: {parent} {members:?} is gone; remove it from KNOWN"
            );
        }
    }
    assert!(
        new.is_empty(),
        "module cycles (each module should only use modules below it; move the shared types down a level):\n{}",
        new.join("\n")
    );
}

#[test]
fn writ_bundle_and_writ_base_are_not_excused() {
    assert!(KNOWN
        .iter()
        .all(|(k, _, _)| *k != "writ-bundle" && *k != "writ-base"));
}
