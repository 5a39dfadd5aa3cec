//! Regression tests for the wrong or refused decisions of issue 12: each
//! builds a small Cedar project, decides it through Writ's replay (with and
//! without decision reuse) and checks the answer against Cedar itself.
//! With the `fault-injection` feature, each bug is switched back on and the
//! matching test is shown to fail.

use cedar_policy::{Authorizer, Context, Entities, EntityUid, PolicySet, Request};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use writ_core::evaluate::{Evaluator, Outcome, Verdict};
use writ_core::policies::{parse_policy_files, PolicySource};
use writ_core::replay::{replay, Collect, ReplayOptions};
use writ_core::resolve::Resolver;
use writ_core::schema::ProjectSchema;
use writ_core::trace::Decision;

// The fault switches (feature `fault-injection`) are process-wide: a test
// that turns one on holds `FAULTS` (in `common`) for writing, every other
// test holds it for reading, so no test sees another's fault.
use crate::common::no_faults;

/// An evaluator over a schema and policies, with no entities.
fn evaluator(schema: &str, policies: &str) -> Evaluator {
    let (schema, _) = ProjectSchema::load(Path::new("schema.cedarschema"), schema)
        .unwrap_or_else(|d| panic!("schema: {d:?}"));
    let path = PathBuf::from("policies.cedar");
    let (catalog, diags) = parse_policy_files(&[PolicySource {
        path: &path,
        text: policies,
    }]);
    assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
    let entities = Entities::from_json_value(json!([]), Some(&schema.schema)).expect("entities");
    Evaluator::new("test", catalog, Some(schema), entities, Resolver::default())
}

/// Replays `records` (JSON values of native records) and returns each
/// outcome, with reuse on or off.
fn run(ev: &Evaluator, records: &[Value], reuse: bool) -> Vec<Outcome> {
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    let mut sink = Collect::default();
    let options = ReplayOptions {
        reuse,
        ..ReplayOptions::default()
    };
    replay(text.as_bytes(), &[ev], &options, &mut sink, &|_| {}).expect("replay");
    assert!(sink.bad_lines.is_empty(), "{:?}", sink.bad_lines);
    sink.results
        .iter()
        .map(|r| (*r.evaluations[0].outcome).clone())
        .collect()
}

fn record(agent: &str, action: &str, resource: (&str, &str), context: Value) -> Value {
    json!({
        "ts": "2026-01-01T00:00:00Z",
        "agent": agent,
        "action": action,
        "resource": {"type": resource.0, "id": resource.1},
        "context": context,
        "outcome": "executed",
    })
}

/// Cedar's own decision, with the request built and validated by Cedar.
fn cedar(schema: &str, policies: &str, p: &str, a: &str, r: &str, ctx: Value) -> Decision {
    let (schema, _) = cedar_policy::Schema::from_cedarschema_str(schema).expect("schema");
    let set = PolicySet::from_str(policies).expect("policies");
    let action = EntityUid::from_str(a).expect("action");
    let context = Context::from_json_value(ctx, Some((&schema, &action))).expect("context");
    let request = Request::new(
        EntityUid::from_str(p).expect("principal"),
        action,
        EntityUid::from_str(r).expect("resource"),
        context,
        Some(&schema),
    )
    .expect("request");
    let entities = Entities::from_json_value(json!([]), Some(&schema)).expect("entities");
    Authorizer::new()
        .is_authorized(&request, &set, &entities)
        .decision()
        .into()
}

/// One principal and resource type shared by two namespaces that both
/// declare an action `a`.
const TWO_NAMESPACES: &str = r#"
entity U;
namespace N1 { action "a" appliesTo { principal: [U], resource: [U] }; }
namespace N2 { action "a" appliesTo { principal: [U], resource: [U] }; }
"#;
const N1_ONLY: &str = r#"@id("n1") permit(principal, action == N1::Action::"a", resource);"#;

fn n1() -> Value {
    record("U::\"x\"", "N1::Action::\"a\"", ("U", "r"), json!({}))
}
fn n2() -> Value {
    record("U::\"x\"", "N2::Action::\"a\"", ("U", "r"), json!({}))
}

#[test]
fn decision_reuse_keeps_namespaces_apart() {
    let _shared = no_faults();
    let ev = evaluator(TWO_NAMESPACES, N1_ONLY);
    assert_eq!(
        cedar(
            TWO_NAMESPACES,
            N1_ONLY,
            "U::\"x\"",
            "N2::Action::\"a\"",
            "U::\"r\"",
            json!({})
        ),
        Decision::Deny
    );
    for reuse in [true, false] {
        let got = run(&ev, &[n1(), n2()], reuse);
        assert_eq!(got[0].decision, Decision::Allow, "reuse {reuse}");
        assert_eq!(
            got[1].decision,
            Decision::Deny,
            "reuse {reuse}: N2 must not reuse N1's allow"
        );
        let got = run(&ev, &[n2(), n1()], reuse);
        assert_eq!(got[0].decision, Decision::Deny, "reuse {reuse}");
        assert_eq!(
            got[1].decision,
            Decision::Allow,
            "reuse {reuse}: N1 must not reuse N2's deny"
        );
    }
}

#[test]
fn a_bare_action_id_of_several_namespaces_is_a_request_error_naming_them() {
    let _shared = no_faults();
    let ev = evaluator(TWO_NAMESPACES, N1_ONLY);
    let got = run(&ev, &[record("U::\"x\"", "a", ("U", "r"), json!({}))], true);
    assert_eq!(got[0].verdict, Verdict::Error);
    let msg = got[0].request_error.as_deref().expect("request error");
    assert!(
        msg.contains("N1::Action::\"a\"") && msg.contains("N2::Action::\"a\""),
        "{msg}"
    );
}

#[test]
fn action_ids_that_need_escaping_decide_in_every_spelling() {
    let _shared = no_faults();
    let schema = "entity U;\naction \"t\\u{9}x\\\\y\\\"z\\u{7f}\\u{b9}\" appliesTo { principal: [U], resource: [U] };";
    let policies =
        "@id(\"p\") permit(principal, action == Action::\"t\\tx\\\\y\\\"z\\u{7f}¹\", resource);";
    let ev = evaluator(schema, policies);
    let id = "t\tx\\y\"z\u{7f}\u{b9}";
    for spelling in [
        id.to_string(),
        "Action::\"t\\tx\\\\y\\\"z\\u{7f}\\u{b9}\"".to_string(),
        "Action::\"t\\u{9}x\\\\y\\\"z\\u{7f}¹\"".to_string(),
    ] {
        let got = run(
            &ev,
            &[record("U::\"u\"", &spelling, ("U", "r"), json!({}))],
            true,
        );
        assert_eq!(
            got[0].decision,
            Decision::Allow,
            "{spelling:?}: {:?}",
            got[0]
        );
    }
}

#[test]
fn every_cedar_extension_value_form_is_accepted() {
    let _shared = no_faults();
    let schema = r#"entity U;
action "a" appliesTo { principal: [U], resource: [U], context: { t: datetime, d: decimal, i: ipaddr, span?: duration } };"#;
    let policies = r#"@id("p") permit(principal, action, resource) when {
        context.t > datetime("2026-01-01T00:30:00Z") && context.d.greaterThan(decimal("1.0")) && context.i.isInRange(ip("10.0.0.0/8"))
    };"#;
    let ev = evaluator(schema, policies);
    let forms = [
        // `offset` with several arguments, explicit.
        json!({"t": {"__extn": {"fn": "offset", "args": [{"__extn": {"fn": "datetime", "arg": "2026-01-01"}}, {"__extn": {"fn": "duration", "arg": "1h"}}]}},
               "d": "1.5", "i": "10.1.2.3"}),
        // Implicit constructors, and the escape without `__extn`.
        json!({"t": "2026-01-01T01:00:00Z", "d": {"fn": "decimal", "arg": "1.5"}, "i": {"__extn": {"fn": "ip", "arg": "10.1.2.3"}}, "span": "1h30m"}),
        // `offset` with implicit datetime and duration arguments.
        json!({"t": {"__extn": {"fn": "offset", "args": ["2026-01-01", "2h"]}}, "d": "2.0", "i": "10.0.0.1"}),
    ];
    for ctx in forms {
        let want = cedar(
            schema,
            policies,
            "U::\"u\"",
            "Action::\"a\"",
            "U::\"r\"",
            ctx.clone(),
        );
        assert_eq!(want, Decision::Allow, "Cedar on {ctx}");
        for reuse in [true, false] {
            let got = run(
                &ev,
                &[record("U::\"u\"", "a", ("U", "r"), ctx.clone())],
                reuse,
            );
            assert_eq!(got[0].decision, want, "{ctx}: {:?}", got[0]);
            assert_eq!(got[0].verdict, Verdict::Allowed, "{ctx}");
        }
    }
    // Forms Cedar refuses stay request errors.
    let bad = json!({"t": {"__extn": {"fn": "offset", "args": ["2026-01-01"]}}, "d": "1.5", "i": "10.1.2.3"});
    let got = run(&ev, &[record("U::\"u\"", "a", ("U", "r"), bad)], true);
    assert_eq!(got[0].verdict, Verdict::Error);
    assert!(got[0].request_error.is_some());
}

#[test]
fn principals_of_any_cedar_type_and_with_control_characters_are_decided() {
    let _shared = no_faults();
    let schema = r#"namespace N1 { entity User; entity Doc; action "read" appliesTo { principal: [User], resource: [Doc] }; }"#;
    let policies =
        "@id(\"p\") permit(principal == N1::User::\"a\\u{7f}\\u{85}b\", action, resource);";
    let ev = evaluator(schema, policies);
    let got = run(
        &ev,
        &[
            record(
                "N1::User::\"a\\u{7f}\\u{85}b\"",
                "read",
                ("N1::Doc", "d"),
                json!({}),
            ),
            record("N1::User::\"ab\"", "read", ("N1::Doc", "d"), json!({})),
        ],
        true,
    );
    assert_eq!(got[0].decision, Decision::Allow, "{:?}", got[0]);
    assert_eq!(&*got[0].reasons[0], "p");
    assert_eq!(got[1].decision, Decision::Deny);
}

#[cfg(feature = "fault-injection")]
mod faults_put_back {
    //! Each bug switched back on makes its regression test fail.
    use super::*;
    use writ_core::faults::{set, Fault};

    fn with<T>(fault: Fault, f: impl FnOnce() -> T) -> T {
        let _alone = crate::common::faults_alone();
        set(fault, true);
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        set(fault, false);
        out.unwrap_or_else(|p| std::panic::resume_unwind(p))
    }

    #[test]
    fn bare_action_reuse_key_mixes_namespaces() {
        let got = with(Fault::BareActionReuseKey, || {
            run(&evaluator(TWO_NAMESPACES, N1_ONLY), &[n1(), n2()], true)
        });
        assert_eq!(got[1].decision, Decision::Allow, "the fault is visible");
    }

    #[test]
    fn first_namespace_wins_hides_the_ambiguity() {
        let got = with(Fault::FirstNamespaceWins, || {
            run(
                &evaluator(TWO_NAMESPACES, N1_ONLY),
                &[record("U::\"x\"", "a", ("U", "r"), json!({}))],
                true,
            )
        });
        assert_ne!(got[0].verdict, Verdict::Error, "the fault is visible");
    }

    #[test]
    fn uids_from_text_refuse_escaped_action_ids() {
        let loaded = with(Fault::UidFromText, || {
            ProjectSchema::load(
                Path::new("s.cedarschema"),
                "entity U;\naction \"c\\u{1}\" appliesTo { principal: [U], resource: [U] };",
            )
            .is_ok()
        });
        assert!(!loaded, "the fault is visible");
    }

    #[test]
    fn refusing_the_args_form_refuses_offset() {
        let schema = "entity U;\naction \"a\" appliesTo { principal: [U], resource: [U], context: { t: datetime } };";
        let ctx = json!({"t": {"__extn": {"fn": "offset", "args": ["2026-01-01", "1h"]}}});
        let got = with(Fault::NoExtnArgs, || {
            run(
                &evaluator(schema, "@id(\"p\") permit(principal, action, resource);"),
                &[record("U::\"u\"", "a", ("U", "r"), ctx)],
                true,
            )
        });
        assert_eq!(got[0].verdict, Verdict::Error, "the fault is visible");
    }

    #[test]
    fn raw_spelling_misses_escaped_actions() {
        let schema = "entity U;\naction \"s\\u{b9}\" appliesTo { principal: [U], resource: [U] };";
        let got = with(Fault::RawActionSpelling, || {
            run(
                &evaluator(schema, "@id(\"p\") permit(principal, action, resource);"),
                &[record(
                    "U::\"u\"",
                    "Action::\"s\\u{b9}\"",
                    ("U", "r"),
                    json!({}),
                )],
                true,
            )
        });
        assert_eq!(got[0].verdict, Verdict::Error, "the fault is visible");
    }
}
