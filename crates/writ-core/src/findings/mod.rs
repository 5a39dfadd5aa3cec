//! Inventory findings: governance problems found in a project's inventory
//! and in what agents really did (a trace).
//!
//! The trace is reduced first, in one streaming pass, to a
//! [`TraceAggregate`] (per recorded identity: actions, tools, intents and
//! credentials, each with a count and its first line numbers), so a trace
//! file and a stored trace set give the same findings. [`find`] is then a
//! pure function of the inventory, its text (for locations), the date and
//! the aggregate: it works out the run's facts once and runs one rule per
//! finding code (`rules.rs`). The codes and severities are documented in
//! `docs/findings.md`.
//!
//! Modules, each using only those listed before it: `model` (the finding
//! types), `aggregate` (the trace reduction), `facts` (what the rules
//! read), `rules` (one function per code).

mod aggregate;
mod facts;
mod model;
mod rules;

pub use aggregate::{CredentialSeen, IdentityActivity, Occurrences, TraceAggregate};
pub use facts::{InventoryInput, TraceInput};
pub use model::{ActionEvidence, Finding, FindingCode, InventoryEvidence, Severity};

use std::collections::BTreeMap;

/// Every finding of an inventory (and, when given, a trace), most severe
/// first, then by code and subject. Reviews due before `today` are overdue.
pub fn find(
    inventory: InventoryInput<'_>,
    trace: Option<TraceInput<'_>>,
    today: time::Date,
) -> Vec<Finding> {
    let facts = facts::Facts::new(inventory, trace, today);
    let mut out = Vec::new();
    for (_, rule) in rules::RULES {
        rule(&facts, &mut out);
    }
    sort(&mut out);
    out
}

/// Puts findings in report order: most severe first, then by code and
/// subject. Stable: equal findings keep their order (a rule's own order),
/// so findings added later (unused grants) sort in as [`find`]'s do.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.code.cmp(&b.code))
            .then(a.subject.cmp(&b.subject))
    });
}

/// Counts of findings per severity.
pub fn counts(findings: &[Finding]) -> BTreeMap<Severity, usize> {
    let mut m: BTreeMap<Severity, usize> = Severity::DESCENDING.iter().map(|s| (*s, 0)).collect();
    for f in findings {
        *m.entry(f.severity).or_default() += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::aggregate::tool_name;
    use super::*;
    use crate::inventory::{load, Inventory};
    use std::path::Path;

    fn today() -> time::Date {
        time::macros::date!(2026 - 11 - 30)
    }

    const INV: &str = r#"[[team]]
id = "ops"
name = "Ops"

[[agent]]
id = "deployer"
name = "Deployer"
owner = "a@x.example"
team = "ops"
risk_tier = "critical"
status = "active"
use_cases = ["deploy"]
review_due = 2027-01-01
[agent.credential]
kind = "static"
max_ttl_secs = 86400
[[agent.identity]]
spiffe = "spiffe://x.example/agents/deployer"

[[agent]]
id = "old-bot"
name = "Old"
team = "ops"
risk_tier = "low"
status = "retired"
use_cases = ["report"]
review_due = 2026-01-01
[agent.credential]
kind = "short_lived"
max_ttl_secs = 900
[[agent.identity]]
spiffe = "spiffe://x.example/agents/old-bot"

[[agent]]
id = "twin-a"
name = "Twin A"
owner = "b@x.example"
team = "ops"
risk_tier = "medium"
status = "active"
use_cases = ["report"]
[[agent.identity]]
spiffe = "spiffe://x.example/agents/twin"

[[agent]]
id = "twin-b"
name = "Twin B"
owner = "b@x.example"
team = "ops"
risk_tier = "low"
status = "suspended"
[[agent.identity]]
spiffe = "spiffe://x.example/agents/twin"

[[tool]]
name = "deploy"
impact = "destructive"

[[tool]]
name = "read"
impact = "read"
"#;

    fn inventory() -> Inventory {
        let (inv, _) = load(Path::new("inventory.toml"), INV, today());
        inv.expect("parses")
    }

    fn line(agent: &str, action: &str, context: &str) -> String {
        format!(
            r#"{{"ts":"2026-11-02T09:00:00Z","agent":"{agent}","action":"{action}","context":{context},"outcome":"executed"}}"#
        )
    }

    fn aggregate(lines: &[String], keep: usize) -> TraceAggregate {
        let text = lines.join("\n");
        let mut src = crate::trace::TraceLines::new(text.as_bytes());
        TraceAggregate::read(&mut src, keep, &|_| {}).expect("reads")
    }

    fn run(agg: Option<&TraceAggregate>) -> Vec<Finding> {
        let inv = inventory();
        find(
            InventoryInput {
                inventory: &inv,
                text: INV,
                file: "p/inventory.toml",
            },
            agg.map(|a| TraceInput {
                source: "t.jsonl",
                aggregate: a,
            }),
            today(),
        )
    }

    fn one<'a>(fs: &'a [Finding], code: FindingCode, subject: &str) -> &'a Finding {
        let hits: Vec<&Finding> = fs
            .iter()
            .filter(|f| f.code == code && f.subject == subject)
            .collect();
        assert_eq!(hits.len(), 1, "{code:?} {subject}: {fs:#?}");
        hits[0]
    }

    /// The 1-based line of INV holding `needle` (first occurrence after `after`).
    fn line_of(needle: &str, after: &str) -> usize {
        let start = INV.find(after).expect("after");
        let at = start + INV[start..].find(needle).expect("needle");
        INV[..at].matches('\n').count() + 1
    }

    #[test]
    fn inventory_alone() {
        let fs = run(None);
        let codes: Vec<(FindingCode, &str)> =
            fs.iter().map(|f| (f.code, f.subject.as_str())).collect();
        assert_eq!(
            codes,
            vec![
                (FindingCode::StaticCredential, "deployer"),
                (FindingCode::NoOwner, "old-bot"),
                (
                    FindingCode::SharedIdentity,
                    "spiffe://x.example/agents/twin"
                ),
                (FindingCode::ReviewOverdue, "old-bot"),
            ]
        );
        let stat = one(&fs, FindingCode::StaticCredential, "deployer");
        assert_eq!(stat.severity, Severity::Critical);
        assert_eq!(
            stat.inventory[0].line,
            line_of("kind = \"static\"", "deployer")
        );
        assert_eq!(stat.inventory[0].column, 1);
        let review = one(&fs, FindingCode::ReviewOverdue, "old-bot");
        assert_eq!(review.severity, Severity::Medium);
        assert_eq!(review.inventory[0].line, line_of("review_due", "old-bot"));
        assert!(review.message.contains("2026-01-01"), "{}", review.message);
        let shared = one(
            &fs,
            FindingCode::SharedIdentity,
            "spiffe://x.example/agents/twin",
        );
        assert_eq!(shared.inventory.len(), 2);
        assert!(shared.actions.is_none());
        assert_eq!(
            one(&fs, FindingCode::NoOwner, "old-bot").inventory[0].line,
            line_of("id = \"old-bot\"", "[[team]]")
        );
    }

    #[test]
    fn trace_findings_with_evidence() {
        let st = r#"{"intent":"deploy","credential_kind":"static","credential_ttl_secs":86400}"#;
        let sl = r#"{"intent":"deploy","credential_kind":"short_lived","credential_ttl_secs":600}"#;
        let mut lines = vec![
            line("spiffe://x.example/agents/deployer", "deploy", sl), // 1
            line("spiffe://x.example/agents/deployer", "deploy", st), // 2: static, critical
            line(
                "spiffe://x.example/agents/old-bot",
                "read",
                r#"{"intent":"report","credential_kind":"short_lived","credential_ttl_secs":3600}"#,
            ), // 3: retired, ttl over
            line("spiffe://x.example/agents/ghost", "deploy", sl),    // 4: shadow, destructive
            line("spiffe://x.example/agents/twin", "read", sl),       // 5: shared identity
            line("deployer", "format_disk", r#"{"intent":"mischief"}"#), // 6: by id; unlisted tool, off use case
            line("User::\\\"alice\\\"", "read", "{}"),                   // 7: a user, not an agent
            "{not json".to_string(),                                     // 8
        ];
        for _ in 0..6 {
            lines.push(line("spiffe://x.example/agents/ghost", "read", "{}")); // 9..14
        }
        let agg = aggregate(&lines, 3);
        assert_eq!(agg.actions, 13);
        assert_eq!(agg.bad_line_count, 1);
        assert_eq!(agg.bad_lines[0].line, 8);
        let fs = run(Some(&agg));

        let used = one(&fs, FindingCode::StaticCredentialUsed, "deployer");
        assert_eq!(used.severity, Severity::Critical);
        let ev = used.actions.as_ref().expect("actions");
        assert_eq!((ev.count, ev.lines.clone()), (1, vec![2]));
        assert_eq!(ev.source, "t.jsonl");

        let retired = one(&fs, FindingCode::RetiredAgentActing, "old-bot");
        assert_eq!(retired.severity, Severity::Critical);
        assert_eq!(retired.actions.as_ref().expect("a").lines, vec![3]);
        assert_eq!(retired.inventory[0].line, line_of("status", "old-bot"));
        // A low-tier agent using a credential longer-lived than its 15 minutes.
        let old_cred = one(&fs, FindingCode::StaticCredentialUsed, "old-bot");
        assert_eq!(old_cred.severity, Severity::Low);
        assert!(old_cred.message.contains("15 min"), "{}", old_cred.message);

        let ghost = one(
            &fs,
            FindingCode::ShadowAgent,
            "spiffe://x.example/agents/ghost",
        );
        assert_eq!(ghost.severity, Severity::Critical);
        let ev = ghost.actions.as_ref().expect("actions");
        assert_eq!(ev.count, 7);
        assert_eq!(ev.lines, vec![4, 9, 10], "the first three kept");

        let twin = one(&fs, FindingCode::TrafficUnderSharedIdentity, "twin-a");
        assert_eq!(twin.actions.as_ref().expect("a").lines, vec![5]);
        assert!(twin.message.contains("`twin-b`"), "{}", twin.message);
        one(&fs, FindingCode::TrafficUnderSharedIdentity, "twin-b");
        // Shared traffic is nobody's own: the suspended twin is not "acting".
        assert!(!fs
            .iter()
            .any(|f| f.code == FindingCode::SuspendedAgentActing));
        assert_eq!(
            one(
                &fs,
                FindingCode::SharedIdentity,
                "spiffe://x.example/agents/twin"
            )
            .actions
            .as_ref()
            .expect("a")
            .count,
            1
        );

        let unlisted = one(&fs, FindingCode::UnlistedTool, "format_disk");
        assert!(
            unlisted.message.contains("`deployer`"),
            "{}",
            unlisted.message
        );
        let off = one(&fs, FindingCode::OffUseCase, "deployer");
        assert_eq!(off.severity, Severity::High);
        assert!(off.message.contains("`mischief` (1)"), "{}", off.message);
        assert_eq!(off.actions.as_ref().expect("a").lines, vec![6]);
        // `User::"alice"` is neither a shadow agent nor anyone's action.
        assert!(!fs.iter().any(|f| f.subject.contains("alice")));
        // Most severe first.
        assert!(fs.windows(2).all(|w| w[0].severity >= w[1].severity));
    }

    #[test]
    fn quiet_inventory_and_trace_give_nothing() {
        let text = "[[team]]\nid=\"t\"\nname=\"T\"\n[[agent]]\nid=\"a\"\nname=\"A\"\nowner=\"o\"\nteam=\"t\"\nrisk_tier=\"high\"\nstatus=\"active\"\nuse_cases=[\"x\"]\n[agent.credential]\nkind=\"short_lived\"\nmax_ttl_secs=600\n[[agent.identity]]\nspiffe=\"spiffe://x.example/a\"\n[[tool]]\nname=\"t1\"\nimpact=\"read\"\n";
        let (inv, _) = load(Path::new("inventory.toml"), text, today());
        let inv = inv.expect("parses");
        let agg = aggregate(
            &[line(
                "spiffe://x.example/a",
                "Action::\\\"t1\\\"",
                r#"{"intent":"x","credential_kind":"short_lived","credential_ttl_secs":600}"#,
            )],
            5,
        );
        let fs = find(
            InventoryInput {
                inventory: &inv,
                text,
                file: "inventory.toml",
            },
            Some(TraceInput {
                source: "t",
                aggregate: &agg,
            }),
            today(),
        );
        assert!(fs.is_empty(), "{fs:#?}");
    }

    #[test]
    fn merged_occurrences_keep_the_first_lines_overall() {
        let a = Occurrences {
            count: 10,
            first_lines: vec![5, 9, 12],
        };
        let b = Occurrences {
            count: 2,
            first_lines: vec![1, 30],
        };
        let m = Occurrences::merged([&a, &b], 3);
        assert_eq!(m.count, 12);
        assert_eq!(m.first_lines, vec![1, 5, 9]);
    }

    #[test]
    fn codes_serialize_as_their_stable_names() {
        for code in FindingCode::ALL {
            assert_eq!(
                serde_json::to_value(code).expect("json"),
                serde_json::Value::from(code.as_str())
            );
        }
        let docs = include_str!("../../../../docs/findings.md");
        for code in FindingCode::ALL {
            assert!(
                docs.contains(&format!("| `{}` |", code.as_str())),
                "docs/findings.md documents `{}`",
                code.as_str()
            );
        }
    }

    #[test]
    fn severities_parse_and_order() {
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("urgent".parse::<Severity>().is_err());
        assert!(Severity::Critical > Severity::High && Severity::Medium > Severity::Low);
        assert_eq!(tool_name("Action::\"x\""), "x");
        assert_eq!(tool_name("plain"), "plain");
    }

    #[test]
    fn one_rule_per_code_in_documentation_order() {
        let codes: Vec<FindingCode> = rules::RULES.iter().map(|(c, _)| *c).collect();
        let expected: Vec<FindingCode> = FindingCode::ALL
            .into_iter()
            .filter(|c| !FindingCode::FROM_POLICIES.contains(c))
            .collect();
        assert_eq!(codes, expected);
    }

    #[test]
    fn each_rule_finds_only_its_own_code_and_together_they_are_find() {
        let st = r#"{"intent":"deploy","credential_kind":"static","credential_ttl_secs":86400}"#;
        let lines = vec![
            line("spiffe://x.example/agents/deployer", "deploy", st),
            line("spiffe://x.example/agents/old-bot", "read", "{}"),
            line("spiffe://x.example/agents/ghost", "deploy", "{}"),
            line("spiffe://x.example/agents/twin", "read", "{}"),
            line("deployer", "format_disk", r#"{"intent":"mischief"}"#),
        ];
        let agg = aggregate(&lines, 3);
        let inv = inventory();
        let input = InventoryInput {
            inventory: &inv,
            text: INV,
            file: "p/inventory.toml",
        };
        for trace in [
            None,
            Some(TraceInput {
                source: "t.jsonl",
                aggregate: &agg,
            }),
        ] {
            let facts = facts::Facts::new(input, trace, today());
            let mut all = Vec::new();
            for (code, rule) in rules::RULES {
                let mut out = Vec::new();
                rule(&facts, &mut out);
                assert!(
                    out.iter().all(|f| f.code == code),
                    "{code:?} rule: {out:#?}"
                );
                all.extend(out);
            }
            let found = find(input, trace, today());
            assert_eq!(all.len(), found.len());
            assert!(all.iter().all(|f| found.contains(f)));
        }
    }
}
