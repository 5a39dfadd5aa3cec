//! End-to-end tests of `writ report`: the evidence report of a version on a
//! temporary sample workspace, written by the real `writ` binary, checked
//! as text and rendered by headless Chromium when it is installed.

use std::path::Path;
use std::process::Command;

use crate::common::SampleWorkspace as Ws;
use crate::common::{both, ok, version_ids};

/// More commands on the sample workspace, run in its temporary folder.
impl Ws {
    /// Version ids, newest first.
    fn versions(&self) -> Vec<String> {
        version_ids(&ok(self.by("alice", &["version", "list"])))
    }

    fn report(&self, version: &str, out: &str, extra: &[&str]) -> String {
        let mut args = vec!["report", version, "--out", out];
        args.extend_from_slice(extra);
        ok(self.by("auditor", &args));
        std::fs::read_to_string(self.path(out)).expect("report written")
    }

    /// The governance story of the task: v1 approved by bob, v2 by bob and
    /// carol, a key generated and v2 exported as a signed bundle.
    fn govern(&self) {
        ok(self.by("alice", &["review", &self.v1]));
        ok(self.by("bob", &["approve", &self.v1, "--comment", "baseline"]));
        ok(self.by("alice", &["review", &self.v2]));
        ok(self.by("bob", &["approve", &self.v2]));
        ok(self.by(
            "carol",
            &["approve", &self.v2, "--comment", "checked the diff"],
        ));
        ok(self.by("alice", &["key", "generate", "--out", "release"]));
        ok(self.by(
            "alice",
            &[
                "bundle",
                "export",
                &self.v2,
                "--key",
                "release.pem",
                "--out",
                "bundle",
            ],
        ));
    }
}

const SECTIONS: [(&str, &str); 9] = [
    ("version", "Version"),
    ("inventory", "Inventory"),
    ("findings", "Findings"),
    ("policies", "Policies"),
    ("controls", "Controls index"),
    ("tests", "Test results"),
    ("changes", "Decision changes"),
    ("approvals", "Approvals"),
    ("bundles", "Signed bundles"),
];

/// The text of the element `<section id="id">`.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let open = format!("<section id=\"{id}\">");
    let start = html
        .find(&open)
        .unwrap_or_else(|| panic!("no section {id}"));
    let len = html[start..]
        .find("</section>")
        .unwrap_or_else(|| panic!("section {id} not closed"));
    &html[start..start + len]
}

/// The cells of every table row of `html` that contains `needle`.
fn row_with<'a>(html: &'a str, needle: &str) -> &'a str {
    html.split("<tr>")
        .find(|r| r.contains(needle))
        .unwrap_or_else(|| panic!("no row with {needle}"))
}

#[test]
fn the_report_of_an_approved_exported_version_holds_every_section_and_fact() {
    let ws = Ws::sample();
    ws.govern();
    let bundles = ok(ws.by("alice", &["bundle", "list"]));
    let html = ws.report(&ws.v2, "report.html", &[]);

    assert!(html.starts_with("<!DOCTYPE html>"));
    for (id, title) in SECTIONS {
        assert!(
            section(&html, id).contains(&format!("<h2>{title}</h2>")),
            "section {id}"
        );
    }
    // Self-contained: no scripts, no remote content.
    assert!(!html.contains("<script"), "no scripts");
    for remote in ["src=", "<link", "url(", "@import", "=\"http"] {
        assert!(!html.contains(remote), "remote reference {remote}");
    }

    // The version.
    let version = section(&html, "version");
    assert!(version.contains(&ws.v2[..12]));
    assert!(row_with(version, "Author").contains("<td>alice</td>"));
    assert!(row_with(version, "Message").contains("policy version v2"));
    assert!(row_with(version, "Review state").contains("approved"));

    // The inventory and findings (the shadow agents are critical ones).
    let inventory = section(&html, "inventory");
    assert!(row_with(inventory, "<td>critical</td><td>").contains("<td>2</td>"));
    assert!(inventory.contains("deploy-agent"));
    let findings = section(&html, "findings");
    assert!(
        findings.contains("trace set `recorded`"),
        "from the review's set"
    );
    assert!(findings.contains("docs-writer"), "the overdue review");
    assert!(row_with(findings, "spiffe://contractor.example/agents/helper").contains("critical"));

    // Policies with their controls, grouped by framework, and the index.
    let policies = section(&html, "policies");
    let lt = policies
        .split("<article")
        .find(|a| a.contains("<code>low-tier-no-production-changes</code>"))
        .expect("the regression's policy");
    assert!(lt.contains("<td>forbid</td>"));
    assert!(policies.contains("<td>OWASP Agentic AI Top 10</td>"));
    assert!(policies.contains("<td>CSA MAESTRO</td>"));
    assert!(policies.contains("<td>NIST AI RMF</td>"));
    let controls = section(&html, "controls");
    assert!(controls.contains("<h3>OWASP Agentic AI Top 10</h3>"));
    let asi03 = row_with(controls, "<td>ASI03</td>");
    assert!(
        asi03.matches(", ").count() >= 1,
        "several policies: {asi03}"
    );
    assert!(row_with(controls, "<td>MANAGE 2.4</td>").contains("-"));

    // Tests: both suites bound to v2 pass, case by case.
    let tests = section(&html, "tests");
    assert!(tests.contains("passed, 0 failed"), "{tests}");
    assert!(!tests.contains("<td>failed</td>"));
    assert!(tests.matches("<td>passed</td>").count() > 10);

    // Decision changes against v1: the 887 allow-to-deny flips, with charts.
    let changes = section(&html, "changes");
    assert!(changes.contains(&ws.v1[..12]), "the baseline");
    assert!(row_with(changes, "allow → deny").contains("<td>887</td>"));
    assert!(row_with(changes, "<td>deploy-agent</td>").contains("critical"));
    assert!(changes.matches("<svg").count() >= 2);

    // Approvals: bob and carol with carol's comment.
    let approvals = section(&html, "approvals");
    assert!(row_with(approvals, "<td>bob</td>").contains("approve"));
    assert!(row_with(approvals, "<td>carol</td>").contains("checked the diff"));

    // The bundle's digest and key id, as `writ bundle list` shows them.
    let bundles_section = section(&html, "bundles");
    let digest = bundles
        .split_whitespace()
        .find(|w| w.len() == 64 && w.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| panic!("a digest in {bundles}"));
    assert!(bundles_section.contains(digest), "{bundles_section}");
    let key_id = bundles
        .split_whitespace()
        .find(|w| w.len() == 32 && w.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| panic!("a key id in {bundles}"));
    assert!(bundles_section.contains(key_id));

    // Renders: headless Chromium shows every section's heading.
    if let Some(dom) = chromium_dom(&ws.path("report.html")) {
        for (id, title) in SECTIONS {
            assert!(
                dom.contains(&format!("<h2>{title}</h2>")),
                "section {id} rendered"
            );
        }
    }
}

#[test]
fn missing_review_and_bundle_are_stated_plainly() {
    let ws = Ws::sample();
    let html = ws.report(&ws.v1, "draft.html", &[]);
    assert!(row_with(section(&html, "version"), "Review state").contains("draft"));
    assert!(section(&html, "approvals").contains("No review yet"));
    assert!(section(&html, "changes").contains("No review yet"));
    assert!(section(&html, "bundles").contains("No bundle has been exported"));
    assert!(section(&html, "findings").contains("From the inventory alone"));
    // Given a set, the findings use it.
    let html = ws.report(&ws.v1, "set.html", &["--traces", "recorded"]);
    assert!(section(&html, "findings").contains("trace set `recorded`"));
}

#[test]
fn the_same_workspace_gives_the_same_bytes() {
    let ws = Ws::sample();
    ws.govern();
    let a = ws.report(&ws.v2, "a.html", &[]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let b = ws.report(&ws.v2, "b.html", &[]);
    assert_eq!(a, b, "same inputs, same bytes");
    let newest = ok(ws.by("alice", &["audit", "list"]));
    assert!(!newest.is_empty());
    let c = ws.report(
        &ws.v2,
        "c.html",
        &["--generated-at", "2027-01-02T03:04:05Z"],
    );
    assert!(c.contains("Generated at 2027-01-02T03:04:05Z"));
    assert_ne!(a, c);
    assert_eq!(
        c,
        ws.report(
            &ws.v2,
            "d.html",
            &["--generated-at", "2027-01-02T03:04:05Z"]
        )
    );
    let bad = ws.by(
        "auditor",
        &[
            "report",
            &ws.v2,
            "--out",
            "e.html",
            "--generated-at",
            "yesterday",
        ],
    );
    assert_eq!(bad.status.code(), Some(1), "{}", both(&bad));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("RFC 3339"));
    assert!(!ws.path("e.html").exists());
}

#[test]
fn workspace_text_is_escaped() {
    let ws = Ws::sample();
    ok(ws.by("alice", &["version", "checkout", &ws.v2, "p"]));
    let inv = ws.path("p/inventory.toml");
    let text = std::fs::read_to_string(&inv).unwrap();
    assert!(text.contains("name = \"Support Bot\""));
    std::fs::write(
        &inv,
        text.replace(
            "name = \"Support Bot\"",
            "name = \"<script>alert(1)</script>\"",
        ),
    )
    .unwrap();
    let pol = ws.path("p/policies/baseline.cedar");
    let text = std::fs::read_to_string(&pol).unwrap();
    std::fs::write(
        &pol,
        text.replacen(
            "@description(\"",
            "@description(\"<script>steal()</script> & ",
            1,
        ),
    )
    .unwrap();
    ok(ws.by(
        "mallory",
        &[
            "version",
            "commit",
            "p",
            "-m",
            "<img src=x onerror=alert(2)>",
        ],
    ));
    let v3 = ws.versions()[0].clone();
    assert_ne!(v3, ws.v2);
    let html = ws.report(&v3, "x.html", &[]);
    assert!(!html.contains("<script"), "a script tag came through");
    assert!(!html.contains("<img"), "an img tag came through");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;script&gt;steal()&lt;/script&gt; &amp; "));
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    if let Some(dom) = chromium_dom(&ws.path("x.html")) {
        assert!(!dom.contains("<script"), "no script element in the DOM");
        assert!(
            dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "shown as text"
        );
    }
}

/// The DOM headless Chromium renders of `file`, or `None` (printing why)
/// when Chromium is not installed; under `CI` it must be.
fn chromium_dom(file: &Path) -> Option<String> {
    let bin = ["chromium", "chromium-browser"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(bin) = bin else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is missing; `apt-get install chromium` (.ci/run does)");
        }
        println!("skipped: chromium is not installed");
        return None;
    };
    let profile = tempfile::tempdir().expect("tempdir");
    let out = Command::new(bin)
        .args(["--headless", "--disable-gpu", "--no-sandbox", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", file.display()))
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium failed:\n{}", both(&out));
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}
