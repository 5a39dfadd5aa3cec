//! `writ draft`'s engine: a project drafted from a trace checks, and
//! replaying the trace against it allows every executed call it grants and
//! nothing outside its grants — on a hand-written trace and on generated
//! ones with hostile names, mixed outcomes, resources past the limits and
//! context values Cedar cannot type.

use serde_json::{json, Value};
use writ_core::draft::{draft, verify, Limits, Observations, Principals, Resources};
use writ_core::project::today_utc;
use writ_core::trace::TraceLines;

fn record(
    agent: &str,
    tool: &str,
    resource: Option<(&str, &str)>,
    ctx: Value,
    outcome: &str,
) -> String {
    let mut r = json!({
        "ts": "2026-11-02T09:00:00Z",
        "agent": agent,
        "action": tool,
        "context": ctx,
        "outcome": outcome,
    });
    if let Some((ty, id)) = resource {
        r["resource"] = json!({"type": ty, "id": id});
    }
    r.to_string()
}

fn drafted(
    trace: &str,
    limits: &Limits,
) -> (writ_core::draft::Draft, writ_core::draft::DraftCheck) {
    let obs = Observations::read(&mut TraceLines::new(trace.as_bytes()), &|_| {}).expect("reads");
    let (d, project) =
        draft(&obs, "trace `t`", limits).unwrap_or_else(|e| panic!("drafts: {e}\n{trace}"));
    let check = verify(
        &project,
        &d.report,
        TraceLines::new(trace.as_bytes()),
        &|_| {},
    )
    .expect("replays");
    (d, check)
}

fn support_trace() -> String {
    let a = "spiffe://acme.example/agents/support";
    let b = "spiffe://acme.example/agents/billing";
    [
        record(
            a,
            "search_tickets",
            None,
            json!({"intent": "triage", "limit": 5}),
            "executed",
        ),
        record(
            a,
            "search_tickets",
            None,
            json!({"intent": "triage"}),
            "executed",
        ),
        record(
            a,
            "read_ticket",
            Some(("Ticket", "T-1")),
            json!({"intent": "triage"}),
            "executed",
        ),
        record(
            a,
            "read_ticket",
            Some(("Ticket", "T-2")),
            json!({"intent": "triage"}),
            "executed",
        ),
        record(
            b,
            "read_ticket",
            Some(("Ticket", "T-9")),
            json!({"intent": "refunds"}),
            "executed",
        ),
        record(
            b,
            "issue_refund",
            Some(("Invoice", "I-1")),
            json!({"amount_cents": 1200}),
            "executed",
        ),
        record(a, "close_account", None, json!({}), "blocked"),
        record(
            "unknown-agent",
            "search_tickets",
            None,
            json!({}),
            "executed",
        ),
        "not a record".to_string(),
    ]
    .join("\n")
}

#[test]
fn a_drafted_project_grants_what_was_executed_and_no_more() {
    let (d, check) = drafted(&support_trace(), &Limits::default());
    assert!(check.holds(), "{check:#?}\n{}", d.policies[0].1);
    let r = &d.report;
    assert_eq!(r.actions, 8);
    assert_eq!(r.bad_lines, 1);
    // Executed, not denied, plain: 2 search + 2 read by support, 1 read by billing.
    assert_eq!(check.granted_calls, 5, "{check:#?}");
    assert_eq!(check.granted_allowed, 5);
    // The refund needs a step-up, and so does the shadow's search.
    assert_eq!(check.needs_step_up, 2, "{check:#?}");
    assert_eq!(check.allowed, 5);
    assert_eq!(check.shadow_actions, 1, "the unnamed agent stays a shadow");
    // Support and billing read different tickets: two permits, each listing its own.
    let reads: Vec<_> = r
        .grants
        .iter()
        .filter(|g| g.tool == "read_ticket")
        .collect();
    assert_eq!(reads.len(), 2, "{reads:#?}");
    assert!(reads.iter().all(
        |g| matches!(&g.resources, Resources::Listed { entity_type, .. } if entity_type == "Ticket")
    ));
    assert!(r.grants.iter().all(|g| g.widened.is_none()));
    // The blocked close_account is declared but not granted.
    assert!(
        d.schema.contains("action \"close_account\""),
        "{}",
        d.schema
    );
    assert!(r.grants.iter().all(|g| g.tool != "close_account"));
    assert!(r
        .not_granted
        .iter()
        .any(|n| n.tool == "close_account" && n.reason.contains("blocked 1")));
    // The refund is a payment; close_account a deletion-free write? No: not granted at all.
    let refund = r
        .tools
        .iter()
        .find(|t| t.name == "issue_refund")
        .expect("tool");
    assert!(
        refund.step_up.as_deref().unwrap_or("").contains("payment"),
        "{refund:?}"
    );
    assert_eq!(refund.impact, "external");
    // Every policy is annotated.
    let text = d
        .policies
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<String>();
    for g in &r.grants {
        assert!(text.contains(&format!("@id(\"{}\")", g.id)));
    }
    assert_eq!(
        text.matches("@generated(").count(),
        text.matches("@id(").count()
    );
    assert_eq!(
        text.matches("@description(").count(),
        text.matches("@id(").count()
    );
    // The inventory leaves owner, team and tier to a human.
    assert!(d
        .inventory
        .contains("unconfirmed = [\"owner\", \"team\", \"risk_tier\"]"));
    assert_eq!(
        d.inventory.matches("[[agent]]").count(),
        2,
        "{}",
        d.inventory
    );
    assert!(d.inventory.contains("use_cases = [\"refunds\"]"));
    // Context typed from values: limit seen once of two calls → optional.
    assert!(d.schema.contains("limit?: Long"), "{}", d.schema);
    assert!(d.schema.contains("intent: String") || d.schema.contains("intent?: String"));
    // Each placeholder is a finding until a human fills it in.
    let (inv, diags) = writ_core::inventory::load(
        std::path::Path::new("inventory.toml"),
        &d.inventory,
        today_utc(),
    );
    assert!(diags.iter().all(|x| !x.is_error()), "{diags:?}");
    let inv = inv.expect("inventory");
    let found = writ_core::findings::find(
        writ_core::findings::InventoryInput {
            inventory: &inv,
            text: &d.inventory,
            file: "inventory.toml",
        },
        None,
        today_utc(),
    );
    let unconfirmed: Vec<_> = found
        .iter()
        .filter(|f| f.code == writ_core::findings::FindingCode::UnconfirmedField)
        .collect();
    assert_eq!(unconfirmed.len(), 6, "{found:#?}");
    assert!(unconfirmed.iter().any(
        |f| f.severity == writ_core::findings::Severity::High && f.message.contains("`owner`")
    ));
    let bad = d.inventory.replacen("\"risk_tier\"]", "\"colour\"]", 1);
    let (_, diags) =
        writ_core::inventory::load(std::path::Path::new("inventory.toml"), &bad, today_utc());
    assert!(
        diags
            .iter()
            .any(|x| x.is_error() && x.message.contains("`colour`")),
        "an unknown field in unconfirmed is an error"
    );
    let codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(
        codes.contains(&"step-up-draft") && codes.contains(&"shadow-identity"),
        "{codes:?}"
    );
}

#[test]
fn past_the_limits_a_grant_is_widened_and_says_so() {
    let mut lines = Vec::new();
    for i in 0..5 {
        lines.push(record(
            "spiffe://acme.example/agents/reader",
            "read_doc",
            Some(("Doc", &format!("d{i}"))),
            json!({}),
            "executed",
        ));
    }
    for agent in ["a1", "a2", "a3"] {
        lines.push(record(agent, "ping", None, json!({}), "executed"));
    }
    let limits = Limits {
        max_resources: 3,
        max_principals: 2,
        ..Limits::default()
    };
    let (d, check) = drafted(&lines.join("\n"), &limits);
    assert!(check.holds(), "{check:#?}");
    let read = d
        .report
        .grants
        .iter()
        .find(|g| g.tool == "read_doc")
        .expect("grant");
    assert!(
        matches!(read.resources, Resources::AnyOf { seen: 5, .. }),
        "{read:?}"
    );
    assert!(read.widened.as_deref().unwrap_or("").contains("limit of 3"));
    let ping = d
        .report
        .grants
        .iter()
        .find(|g| g.tool == "ping")
        .expect("grant");
    assert!(
        matches!(ping.principals, Principals::AnyOf { seen: 3, .. }),
        "{ping:?}"
    );
    let text = &d.policies[0].1;
    assert_eq!(text.matches("@widened(").count(), 2, "{text}");
    assert!(d.report.findings.iter().any(|f| f.code == "widened-grant"));
}

#[test]
fn marks_override_the_name_heuristics() {
    let trace = [
        record(
            "spiffe://x.example/a",
            "delete_cache",
            None,
            json!({}),
            "executed",
        ),
        record(
            "spiffe://x.example/a",
            "lookup",
            None,
            json!({}),
            "executed",
        ),
    ]
    .join("\n");
    let limits = Limits {
        plain: ["delete_cache".to_string()].into(),
        step_up: ["lookup".to_string()].into(),
        ..Limits::default()
    };
    let (d, check) = drafted(&trace, &limits);
    assert!(check.holds());
    let step: Vec<&str> = d
        .report
        .step_ups
        .iter()
        .flat_map(|s| s.tools.iter().map(String::as_str))
        .collect();
    assert_eq!(step, vec!["lookup"]);
    assert_eq!(check.granted_allowed, 1);
    assert_eq!(check.needs_step_up, 1);
}

#[test]
fn an_empty_trace_has_no_draft() {
    let obs =
        Observations::read(&mut TraceLines::new("junk\n".as_bytes()), &|_| {}).expect("reads");
    let e = draft(&obs, "trace `t`", &Limits::default()).expect_err("nothing to draft");
    assert!(e.to_string().contains("0 read, 1 malformed"), "{e}");
}

#[test]
fn the_draft_is_written_whole_and_never_over_a_folder() {
    let (d, _) = drafted(&support_trace(), &Limits::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("draft");
    d.write(&out).expect("writes");
    let report = writ_core::project::check_project(&out, today_utc());
    assert_eq!(report.error_count(), 0);
    assert!(out.join("policies/grants.cedar").is_file());
    let again = d.write(&out).expect_err("refused");
    assert!(again.to_string().contains("not empty"), "{again}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        leftovers,
        vec!["draft".to_string()],
        "no staging folder left"
    );
}

/// A small deterministic generator (xorshift) for the property test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn generated_traces_replay_exactly_as_their_drafts_state() {
    let agents = [
        "spiffe://x.example/agents/a",
        "spiffe://y.example/a",
        "oidc:https://login.example|bot \"quoted\"",
        "plain-name",
        "name with spaces/and\\slashes",
        "Client::\"c\\\"1\"",
        "Agent::\"uid-agent\"",
        "unknown-agent",
        "ünïcode-agent",
    ];
    let tools = [
        "search",
        "read_file",
        "deleteRepo",
        "send email",
        "tool\"quote",
        "Action::\"qualified\"",
        "NS::Action::\"foreign\"",
        "wire_transfer",
    ];
    let types = ["Repo", "Doc", "Ticket", "NS::Doc", "Action", ".bad"];
    let outcomes = ["executed", "executed", "executed", "blocked", "failed"];
    for seed in 1..=40u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut lines = Vec::new();
        for _ in 0..(20 + rng.next() % 80) {
            let agent = rng.pick(&agents);
            let tool = rng.pick(&tools);
            let id = format!("r{}", rng.next() % 6);
            let ty = rng.pick(&types);
            let resource = (!rng.next().is_multiple_of(3)).then_some((ty, id.as_str()));
            let mut ctx = json!({});
            if rng.next().is_multiple_of(2) {
                ctx["n"] = json!(rng.next() % 100);
            }
            if rng.next().is_multiple_of(3) {
                ctx["tags"] = json!(["a", "b"]);
            }
            if rng.next().is_multiple_of(5) {
                ctx["ratio"] = json!(0.5);
            }
            if rng.next().is_multiple_of(4) {
                ctx["nested"] = json!({"k": "v", "deep": {"x": true}});
            }
            if rng.next().is_multiple_of(7) {
                ctx["human_approval"] = json!({"approved": rng.next().is_multiple_of(2)});
            }
            if rng.next().is_multiple_of(11) {
                ctx["human_approval"] = json!("yes");
            }
            if rng.next().is_multiple_of(8) {
                let arg = rng.pick(&["1.5", "2.25", "not a number"]);
                ctx["price"] = json!({"__extn": {"fn": "decimal", "arg": arg}});
            }
            if rng.next().is_multiple_of(6) {
                let ty = rng.pick(&["User", "NS::Owner", "Action"]);
                ctx["owner"] = json!({"__entity": {"type": ty, "id": "o1"}});
            }
            let mut line = record(agent, tool, resource, ctx, rng.pick(&outcomes));
            if rng.next().is_multiple_of(9) {
                let mut v: Value = serde_json::from_str(&line).expect("json");
                v["recorded_decision"] = json!("deny");
                line = v.to_string();
            }
            lines.push(line);
        }
        let trace = lines.join("\n");
        let limits = Limits {
            max_resources: (rng.next() % 4) as usize + 1,
            max_principals: (rng.next() % 3) as usize + 1,
            ..Limits::default()
        };
        let (d, check) = drafted(&trace, &limits);
        assert!(
            check.holds(),
            "seed {seed}: {check:#?}\n{}\n{}",
            d.schema,
            d.policies
                .iter()
                .map(|(_, t)| t.as_str())
                .collect::<String>()
        );
        // Every fourth seed: the grants over the same trace, and the
        // narrowing they propose, which must keep every decision.
        if seed % 4 == 0 {
            let (_, review) = review_of(&d, &trace);
            if let Some(c) = &review.check {
                assert!(c.holds(), "seed {seed}: {c:#?}");
            }
            assert!(
                review.narrowed_errors.is_none(),
                "seed {seed}: {:?}",
                review.narrowed_errors
            );
        }
    }
}

/// Reviews the grants of a drafted project over `trace`.
fn review_of(
    d: &writ_core::draft::Draft,
    trace: &str,
) -> (writ_core::project::Project, writ_core::grants::GrantReview) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("p");
    d.write(&out).expect("writes");
    let project = writ_core::project::check_project(&out, today_utc())
        .project
        .expect("checks");
    let review =
        writ_core::grants::review(&project, || Ok(TraceLines::new(trace.as_bytes())), &|_| {})
            .expect("reviews");
    (project, review)
}

#[test]
fn a_widened_draft_shows_its_extra_grants_as_unused_and_a_narrowing_that_keeps_every_allow() {
    let mut lines = Vec::new();
    for (agent, tools) in [
        ("spiffe://acme.example/agents/a", vec!["search", "read"]),
        ("spiffe://acme.example/agents/b", vec!["search"]),
        ("spiffe://acme.example/agents/c", vec!["read"]),
    ] {
        for t in tools {
            lines.push(record(agent, t, None, json!({}), "executed"));
        }
    }
    let trace = lines.join("\n");
    // Exact draft: nothing unused.
    let (exact, _) = drafted(&trace, &Limits::default());
    let (_, review) = review_of(&exact, &trace);
    assert!(review.unused.is_empty(), "{:#?}", review.unused);
    assert_eq!(review.used_pairs, 4);
    // Widened on principals: search and read are open to every agent.
    let limits = Limits {
        max_principals: 1,
        ..Limits::default()
    };
    let (wide, check) = drafted(&trace, &limits);
    assert!(check.holds());
    let (project, review) = review_of(&wide, &trace);
    let unused: Vec<(String, String)> = review
        .unused
        .iter()
        .map(|u| (u.agent.clone(), u.action.clone()))
        .collect();
    assert_eq!(
        unused,
        vec![
            ("b".to_string(), "Action::\"read\"".to_string()),
            ("c".to_string(), "Action::\"search\"".to_string()),
        ]
    );
    let findings = review.findings(&project);
    assert_eq!(findings.len(), 2);
    assert!(findings
        .iter()
        .all(|f| f.code == writ_core::findings::FindingCode::UnusedGrant
            && f.inventory
                .iter()
                .any(|e| e.file.ends_with("grants.cedar") && e.line > 1)));
    assert_eq!(review.narrowings.len(), 2, "{:#?}", review.narrowings);
    let check = review.check.as_ref().expect("the narrowed project checks");
    assert!(check.holds(), "{check:#?}");
    assert_eq!(check.allowed_before, 4);
    assert_eq!(check.allowed_after, 4);
    // The narrowed project has no unused grant left.
    let dir = tempfile::tempdir().expect("tempdir");
    for f in review.narrowed_files.all() {
        let path = dir.path().join(&f.relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &f.text).expect("write");
    }
    let narrowed = writ_core::project::check_project(dir.path(), today_utc());
    let narrowed = narrowed.project.expect("narrowed checks");
    let again =
        writ_core::grants::review(&narrowed, || Ok(TraceLines::new(trace.as_bytes())), &|_| {})
            .expect("reviews");
    assert!(
        again.unused.is_empty(),
        "{:#?}\n{}",
        again.unused,
        review.narrowings[0].proposed
    );
}
