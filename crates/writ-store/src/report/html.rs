//! The report as one self-contained HTML file: inline CSS, inline SVG
//! charts, no scripts and no remote content; every value from the
//! workspace is escaped.

use super::controls::{parse_controls, ControlRef, Framework};
use super::data::ReportData;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "
:root{--bg:#fff;--fg:#1d2330;--muted:#5b6475;--line:#d9dde5;--head:#f2f4f8;--bar:#3c6fd1;--bad:#b42318;--good:#137333}
@media (prefers-color-scheme:dark){:root{--bg:#15181e;--fg:#e6e9ef;--muted:#9aa3b2;--line:#333a46;--head:#1f242d;--bar:#6f9cf0;--bad:#f07167;--good:#5cc98a}}
body{font:14px/1.45 system-ui,sans-serif;background:var(--bg);color:var(--fg);max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px}h2{font-size:19px;border-bottom:1px solid var(--line);padding-bottom:4px;margin-top:32px}h3{font-size:15px}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{background:var(--head)}code,pre{font-family:ui-monospace,monospace;font-size:12px}pre{white-space:pre-wrap;background:var(--head);padding:6px}
.muted{color:var(--muted)}.fail,.critical{color:var(--bad);font-weight:600}.pass{color:var(--good)}.missing{font-style:italic;color:var(--muted)}
svg text{fill:var(--fg);font:12px system-ui,sans-serif}svg rect{fill:var(--bar)}
";

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

fn section(out: &mut String, id: &str, title: &str, body: impl FnOnce(&mut String)) {
    let _ = writeln!(out, "<section id=\"{id}\">\n<h2>{}</h2>", escape(title));
    body(out);
    out.push_str("</section>\n");
}

fn missing(out: &mut String, text: &str) {
    let _ = writeln!(out, "<p class=\"missing\">{}</p>", escape(text));
}

fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    out.push_str("<table><thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>\n");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{}</td>", escape(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

/// A horizontal bar chart as inline SVG; `bars` are (label, value).
fn bar_chart(out: &mut String, title: &str, bars: &[(String, u64)]) {
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let (label_w, bar_w, row_h) = (300u64, 480u64, 22u64);
    let h = row_h * bars.len() as u64 + 8;
    let _ = writeln!(
        out,
        "<svg role=\"img\" aria-label=\"{}\" width=\"{}\" height=\"{h}\" viewBox=\"0 0 {} {h}\">",
        escape(title),
        label_w + bar_w + 80,
        label_w + bar_w + 80
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = i as u64 * row_h + 4;
        let w = (v * bar_w / max).max(1);
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{w}\" height=\"{}\"/><text x=\"{}\" y=\"{}\">{v}</text>",
            label_w - 6,
            y + 14,
            escape(label),
            row_h - 6,
            label_w + w + 6,
            y + 14
        );
    }
    out.push_str("</svg>\n");
}

/// Renders the report as one HTML document (the same data gives the same bytes).
pub fn render_html(d: &ReportData) -> String {
    let v = &d.version;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Writ evidence report: version {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>Evidence report: version {}</h1>\n<p class=\"muted\">Generated at {} by Writ from the workspace; every value below is drawn from its stored state.</p>\n",
        escape(short(&v.id)),
        escape(short(&v.id)),
        escape(&d.generated_at)
    );

    section(&mut out, "version", "Version", |o| {
        let first = d.rounds.first().map(|r| r.submitted_at.to_string());
        let decided = d
            .rounds
            .last()
            .and_then(|r| r.decided_at.map(|t| t.to_string()));
        table(
            o,
            &["Field", "Value"],
            &[
                vec!["Id".into(), v.id.clone()],
                vec![
                    "Parent".into(),
                    v.parent.clone().unwrap_or_else(|| "(none)".into()),
                ],
                vec!["Author".into(), v.author.clone()],
                vec!["Message".into(), v.message.clone()],
                vec!["Committed".into(), v.created_at.to_string()],
                vec!["Review state".into(), d.status.state.as_str().to_string()],
                vec![
                    "First submitted for review".into(),
                    first.unwrap_or_else(|| "never".into()),
                ],
                vec![
                    "Decided".into(),
                    decided.unwrap_or_else(|| "not yet".into()),
                ],
                vec!["Files".into(), v.files.join(", ")],
            ],
        );
    });

    section(&mut out, "inventory", "Inventory", |o| match &d.inventory {
        Err(why) => missing(o, &format!("No inventory summary: {why}.")),
        Ok(s) => {
            let _ = writeln!(o, "<p>{} agents.</p>", s.agents);
            for (title, key, map) in [
                ("By risk tier", "Tier", &s.by_tier),
                ("By status", "Status", &s.by_status),
                ("By owner", "Owner", &s.by_owner),
            ] {
                let _ = writeln!(o, "<h3>{}</h3>", escape(title));
                let rows: Vec<Vec<String>> = map
                    .iter()
                    .map(|(k, n)| vec![k.clone(), n.to_string()])
                    .collect();
                table(o, &[key, "Agents"], &rows);
            }
            o.push_str("<h3>Agents</h3>\n");
            let rows: Vec<Vec<String>> = s.rows.iter().map(|r| r.to_vec()).collect();
            table(o, &["Id", "Name", "Tier", "Status", "Owner"], &rows);
        }
    });

    section(&mut out, "findings", "Findings", |o| {
        let _ = writeln!(
            o,
            "<p>From the inventory{}; {} finding(s).</p>",
            match &d.findings_source {
                Some(s) => format!(" and {}", escape(s)),
                None => " alone (no trace set: no review yet and none given)".to_string(),
            },
            d.findings.len()
        );
        if d.findings.is_empty() {
            missing(o, "No findings.");
            return;
        }
        let rows: Vec<Vec<String>> = d
            .findings
            .iter()
            .map(|f| {
                let mut ev: Vec<String> = f
                    .inventory
                    .iter()
                    .map(|e| format!("{}:{}:{} {}", e.file, e.line, e.column, e.note))
                    .collect();
                if let Some(a) = &f.actions {
                    let lines: Vec<String> = a.lines.iter().map(|l| l.to_string()).collect();
                    ev.push(format!(
                        "{} action(s) in {}, lines {}",
                        a.count,
                        a.source,
                        lines.join(", ")
                    ));
                }
                vec![
                    f.code.as_str().to_string(),
                    f.severity.as_str().to_string(),
                    f.subject.clone(),
                    f.message.clone(),
                    ev.join("; "),
                ]
            })
            .collect();
        table(
            o,
            &["Code", "Severity", "Subject", "Message", "Evidence"],
            &rows,
        );
    });

    let mut index: BTreeMap<ControlRef, Vec<String>> = BTreeMap::new();
    section(&mut out, "policies", "Policies", |o| {
        if d.policies.is_empty() {
            missing(o, "This version has no policies.");
        }
        for p in &d.policies {
            let controls = p.control.as_deref().map(parse_controls).unwrap_or_default();
            for c in &controls {
                let ids = index.entry(c.clone()).or_default();
                if !ids.contains(&p.id) {
                    ids.push(p.id.clone());
                }
            }
            let _ = writeln!(
                o,
                "<article class=\"policy\" id=\"policy-{}\">\n<h3><code>{}</code></h3>",
                escape(&p.id),
                escape(&p.id)
            );
            let mut rows = vec![
                vec!["File".into(), p.file.display().to_string()],
                vec!["Effect".into(), p.effect.to_string()],
                vec![
                    "Description".into(),
                    p.description.clone().unwrap_or_else(|| "(none)".into()),
                ],
                vec![
                    "Step-up".into(),
                    p.step_up
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_else(|| "(none)".into()),
                ],
            ];
            for (k, val) in &p.annotations {
                if k.contains("risk") {
                    rows.push(vec![format!("@{k}"), val.clone()]);
                }
            }
            for f in Framework::ALL {
                let names: Vec<&str> = controls
                    .iter()
                    .filter(|c| c.framework == f)
                    .map(|c| c.control.as_str())
                    .collect();
                if !names.is_empty() {
                    rows.push(vec![f.title().to_string(), names.join(", ")]);
                }
            }
            if controls.is_empty() {
                rows.push(vec!["Controls".into(), "(no @control annotation)".into()]);
            }
            table(o, &["Property", "Value"], &rows);
            let _ = writeln!(o, "<pre>{}</pre>\n</article>", escape(&p.text));
        }
    });

    section(&mut out, "controls", "Controls index", |o| {
        if index.is_empty() {
            missing(o, "No policy names a framework control (@control).");
            return;
        }
        for f in Framework::ALL {
            let rows: Vec<Vec<String>> = index
                .iter()
                .filter(|(c, _)| c.framework == f)
                .map(|(c, ids)| vec![c.control.clone(), ids.join(", ")])
                .collect();
            if !rows.is_empty() {
                let _ = writeln!(o, "<h3>{}</h3>", escape(f.title()));
                table(o, &["Control", "Policies"], &rows);
            }
        }
    });

    section(&mut out, "tests", "Test results", |o| {
        if d.suites.is_empty() {
            missing(o, "No scenario suite is bound to this version.");
        }
        for s in &d.suites {
            let passed = s.cases.iter().filter(|c| c.passed).count();
            let _ = writeln!(
                o,
                "<h3>Suite <code>{}</code>: {} passed, {} failed</h3>",
                escape(&s.outcome.name),
                passed,
                s.cases.len() - passed
            );
            if let Some(e) = &s.outcome.error {
                let _ = writeln!(
                    o,
                    "<p class=\"fail\">The suite could not run: {}</p>",
                    escape(e)
                );
            }
            let rows: Vec<Vec<String>> = s
                .cases
                .iter()
                .map(|c| {
                    vec![
                        c.name.clone(),
                        c.location.clone(),
                        if c.passed {
                            "passed".into()
                        } else {
                            "failed".into()
                        },
                        c.failures.join("; "),
                    ]
                })
                .collect();
            table(o, &["Case", "Where", "Result", "What did not match"], &rows);
        }
    });

    section(&mut out, "changes", "Decision changes", |o| {
        let Some(round) = d.rounds.last() else {
            missing(o, "No review yet: the decision changes are measured when the version is submitted for review.");
            return;
        };
        let e = &round.evidence;
        let _ = writeln!(
            o,
            "<p>Replayed over trace set <code>{}</code> ({} actions; run {}).</p>",
            escape(&e.set_name),
            e.replay.actions,
            e.run
        );
        match (&e.baseline, &e.diff) {
            (Some(base), Some(diff)) => {
                let _ = writeln!(
                    o,
                    "<p>Against baseline version <code>{}</code> (the version approved before): {} of {} actions changed.</p>",
                    escape(short(base)),
                    diff.changed,
                    diff.actions
                );
                let kinds = vec![
                    ("allow → deny".to_string(), diff.allow_to_deny),
                    ("deny → allow".to_string(), diff.deny_to_allow),
                    (
                        "same decision, other reasons".to_string(),
                        diff.same_decision_other_reasons,
                    ),
                ];
                o.push_str("<h3>By kind</h3>\n");
                table(
                    o,
                    &["Kind", "Actions"],
                    &kinds
                        .iter()
                        .map(|(k, n)| vec![k.clone(), n.to_string()])
                        .collect::<Vec<_>>(),
                );
                bar_chart(o, "Decision changes by kind", &kinds);
                o.push_str("<h3>By agent</h3>\n");
                let mut agents: Vec<(String, u64)> = diff
                    .changed_by_agent
                    .iter()
                    .map(|(a, n)| (a.clone(), *n))
                    .collect();
                agents.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                if agents.is_empty() {
                    missing(o, "No agent's decisions changed.");
                } else {
                    let rows: Vec<Vec<String>> = agents
                        .iter()
                        .map(|(a, n)| {
                            let crit = if e.critical_agents.contains(a) {
                                "critical"
                            } else {
                                ""
                            };
                            vec![a.clone(), n.to_string(), crit.to_string()]
                        })
                        .collect();
                    table(o, &["Agent", "Changed actions", "Critical"], &rows);
                    bar_chart(o, "Decision changes by agent", &agents);
                }
            }
            _ => {
                missing(o, "No baseline: no version was approved before this one's review, so there is nothing to compare against. The replay's verdicts:");
                let rows: Vec<(String, u64)> = e
                    .replay
                    .verdicts
                    .iter()
                    .map(|(k, n)| (k.clone(), *n))
                    .collect();
                table(
                    o,
                    &["Verdict", "Actions"],
                    &rows
                        .iter()
                        .map(|(k, n)| vec![k.clone(), n.to_string()])
                        .collect::<Vec<_>>(),
                );
                bar_chart(o, "Replay verdicts", &rows);
            }
        }
    });

    section(&mut out, "approvals", "Approvals", |o| {
        let _ = writeln!(
            o,
            "<p>State: <strong>{}</strong>.</p>",
            escape(d.status.state.as_str())
        );
        if d.rounds.is_empty() {
            missing(
                o,
                "No review yet: this version has not been submitted for approval.",
            );
            return;
        }
        for r in &d.rounds {
            let _ = writeln!(
                o,
                "<h3>Round {}: {} (submitted by {} at {}; {} approval(s) required)</h3>",
                r.round,
                escape(r.state.as_str()),
                escape(&r.submitted_by),
                escape(&r.submitted_at.to_string()),
                r.required_approvals
            );
            if r.decisions.is_empty() {
                missing(o, "No approval or rejection yet.");
                continue;
            }
            let rows: Vec<Vec<String>> = r
                .decisions
                .iter()
                .map(|x| {
                    vec![
                        x.decision.clone(),
                        x.actor.clone(),
                        x.at.to_string(),
                        x.comment.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            table(o, &["Decision", "By", "At", "Comment"], &rows);
        }
    });

    section(&mut out, "bundles", "Signed bundles", |o| {
        if d.bundles.is_empty() {
            missing(o, "No bundle has been exported of this version yet.");
            return;
        }
        let rows: Vec<Vec<String>> = d
            .bundles
            .iter()
            .map(|b| {
                vec![
                    b.bundle.digest.clone(),
                    b.bundle.key_id.clone(),
                    b.bundle.created.clone(),
                    b.bundle.expires.clone().unwrap_or_else(|| "never".into()),
                    b.exported_at.to_string(),
                    b.exported_by.clone(),
                    b.bundle.path.clone(),
                ]
            })
            .collect();
        table(
            o,
            &[
                "Digest", "Key id", "Created", "Expires", "Exported", "By", "Path",
            ],
            &rows,
        );
    });

    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(
            escape(r#"<script>a("x") & 'y'</script>"#),
            "&lt;script&gt;a(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn bars_scale_to_the_largest_and_labels_are_escaped() {
        let mut out = String::new();
        bar_chart(
            &mut out,
            "t",
            &[("<a>".into(), 10), ("b".into(), 5), ("c".into(), 0)],
        );
        assert!(out.contains("&lt;a&gt;"));
        assert!(out.contains("width=\"480\""), "{out}");
        assert!(out.contains("width=\"240\""));
        assert!(out.contains("width=\"1\""), "a zero still shows");
    }
}
