//! The workspace's crates point one way: the decision point (`writ-pdp`,
//! `writ serve`) and the bundle crate link no workspace code and no SQLite,
//! and `writ-base` sits below every other crate. Read from each crate's
//! `Cargo.toml` (`[dependencies]` only: tests may use anything).

use std::collections::{BTreeMap, BTreeSet};

/// Each workspace crate's normal dependencies, by package name.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = writ_testkit::root();
    let mut dirs: Vec<_> = std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .map(|e| e.expect("entry").path())
        .collect();
    dirs.push(root.join("src-tauri"));
    let mut out = BTreeMap::new();
    for dir in dirs {
        let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let manifest: toml::Table = text.parse().expect("Cargo.toml parses");
        let name = manifest["package"]["name"]
            .as_str()
            .expect("package.name")
            .to_string();
        let deps = manifest
            .get("dependencies")
            .and_then(|d| d.as_table())
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default();
        out.insert(name, deps);
    }
    out
}

/// `krate` and everything it depends on, directly or not.
fn closure(g: &BTreeMap<String, BTreeSet<String>>, krate: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::from([krate.to_string()]);
    let mut todo = vec![krate.to_string()];
    while let Some(k) = todo.pop() {
        for d in g.get(&k).into_iter().flatten() {
            if seen.insert(d.clone()) {
                todo.push(d.clone());
            }
        }
    }
    seen
}

#[test]
fn the_decision_point_and_the_bundle_crate_link_no_workspace_store_or_sqlite() {
    let g = graph();
    assert!(
        g.contains_key("writ-pdp") && g.contains_key("writ-store"),
        "{g:?}"
    );
    for krate in ["writ-pdp", "writ-bundle", "writ-core", "writ-base"] {
        let c = closure(&g, krate);
        assert!(
            !c.contains("writ-store"),
            "{krate} depends on writ-store: {c:?}"
        );
        assert!(
            !c.contains("rusqlite"),
            "{krate} depends on rusqlite: {c:?}"
        );
    }
    // The store uses the bundle crate (exports), not the other way round.
    assert!(g["writ-store"].contains("writ-bundle"));
}

#[test]
fn writ_base_is_at_the_bottom_and_testkit_is_only_a_dev_dependency() {
    let g = graph();
    let base = &g["writ-base"];
    assert!(base.iter().all(|d| !d.starts_with("writ-")), "{base:?}");
    for (krate, deps) in &g {
        assert!(
            !deps.contains("writ-testkit"),
            "{krate} has writ-testkit under [dependencies]; it belongs under [dev-dependencies]"
        );
    }
    let testkit = &g["writ-testkit"];
    assert!(
        testkit.iter().all(|d| !d.starts_with("writ-")),
        "{testkit:?}"
    );
}
