//! Delivering bundles to enforcement points, at the library level: the
//! cedar-agent translation (what Cedar 2 cannot read is reported, a forbid
//! that does not translate refuses the push), request bodies, the HTTP
//! client's errors against real sockets, and the Amazon Verified
//! Permissions bodies checked against AVP's documented request shapes.
//! The push to a real cedar-agent is in `crates/writ-cli/tests/push_cedar_agent.rs`.

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;
use time::macros::datetime;
use writ_bundle::bundle::{self, Approval, TrustedKey};
use writ_bundle::targets::{self, avp, cedar_agent, TargetError, VerifiedBundle};

const AT: time::OffsetDateTime = datetime!(2026-12-01 00:00 UTC);

fn key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[9; 32])
}

/// The sample version `v` as a signed bundle written to a folder, opened
/// and verified.
fn sample_bundle(v: &str) -> (tempfile::TempDir, VerifiedBundle) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../sample-policies")
        .join(v);
    let project = writ_core::project::check_project(&root, writ_core::project::today_utc())
        .project
        .expect("the sample checks");
    let inputs = bundle::inputs_from_project(
        &format!("{v:0<64}"),
        &project,
        vec![Approval {
            approver: "bob".into(),
            at: "2026-11-30T10:00:00.000Z".into(),
            comment: None,
        }],
        "2026-11-30T10:00:00.000Z",
        None,
    );
    let b = bundle::build(&inputs, &key()).expect("builds");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("b");
    b.write_dir(&path).expect("written");
    let opened = targets::open_verified(&path, &[TrustedKey::new(key().verifying_key())], AT)
        .expect("verifies");
    (dir, opened)
}

/// A verified bundle's content replaced by the given texts (for features
/// the sample does not use).
fn with_content(
    base: &VerifiedBundle,
    policies: &str,
    schema: &str,
    entities: &str,
) -> VerifiedBundle {
    VerifiedBundle {
        verified: base.verified.clone(),
        policies: policies.into(),
        schema: schema.into(),
        entities: entities.into(),
        links: None,
    }
}

#[test]
fn sample_v1_translates_whole_but_for_the_datetime_context_attribute() {
    let (_d, b) = sample_bundle("v1");
    let t = cedar_agent::translate(&b).expect("translates");
    assert!(t.untranslated.is_empty(), "{:?}", t.untranslated);
    assert_eq!(t.refusal(), None);
    // Every policy, by @id, in the bundle's order, with its own text.
    let expected: Vec<String> = b
        .policies
        .lines()
        .filter_map(|l| l.trim().strip_prefix("@id(\""))
        .map(|l| l.trim_end_matches("\")").to_string())
        .collect();
    let ids: Vec<String> = t.policies.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids, expected);
    for p in &t.policies {
        assert!(
            p.content.contains(&format!("@id(\"{}\")", p.id)),
            "{}",
            p.content
        );
        assert!(p.content.trim_end().ends_with(';'), "{}", p.content);
    }
    // The schema: `now: datetime` left out and reported; every entity
    // type and action kept; common types inlined; no annotations.
    assert_eq!(
        t.dropped_context_attributes,
        BTreeSet::from(["now".to_string()])
    );
    assert!(
        t.schema_notes
            .iter()
            .any(|n| n.element == "AgentContext.now" && n.reason.contains("datetime")),
        "{:?}",
        t.schema_notes
    );
    let text = t.schema.to_string();
    assert!(!text.contains("commonTypes") && !text.contains("annotations"));
    assert!(!text.contains("EntityOrCommon") && !text.contains("datetime"));
    let ns = &t.schema[""];
    for e in ["Agent", "Team", "Tool", "User", "Table"] {
        assert!(ns["entityTypes"][e].is_object(), "{e}");
    }
    let ctx = &ns["actions"]["deploy_production"]["appliesTo"]["context"];
    assert_eq!(ctx["type"], "Record");
    assert_eq!(ctx["attributes"]["risk_score"]["type"], "Long");
    assert_eq!(ctx["attributes"]["on_behalf_of"]["type"], "Entity");
    assert_eq!(ctx["attributes"]["on_behalf_of"]["required"], false);
    assert_eq!(
        ctx["attributes"]["human_approval"]["attributes"]["approved"]["type"],
        "Boolean"
    );
    assert!(ctx["attributes"].get("now").is_none());
    assert_eq!(
        ns["entityTypes"]["Agent"]["shape"]["attributes"]["team"]["type"],
        "Entity"
    );
    assert_eq!(ns["entityTypes"]["Agent"]["memberOfTypes"], json!(["Team"]));
    // Entities go as they are (no tags, no Cedar 4 values in the sample),
    // followed by one entity per action with its groups as parents (Cedar
    // 2 takes the action hierarchy from the entity data).
    let bundled: Vec<Value> = serde_json::from_str(&b.entities).unwrap();
    let sent = t.entities.as_array().unwrap();
    assert!(
        sent[..bundled.len()] == bundled[..],
        "the bundle's entities first, unchanged"
    );
    let actions = &sent[bundled.len()..];
    assert_eq!(actions.len(), 33, "29 tools and 4 impact groups");
    assert_eq!(t.action_entities, 33);
    let parents = |id: &str| -> Vec<Value> {
        let e = actions
            .iter()
            .find(|e| e["uid"] == json!({"type": "Action", "id": id}))
            .unwrap_or_else(|| panic!("no action entity {id}"));
        e["parents"].as_array().unwrap().clone()
    };
    assert_eq!(
        parents("send_email"),
        [json!({"type": "Action", "id": "impact_external"})]
    );
    assert_eq!(
        parents("drop_table"),
        [json!({"type": "Action", "id": "impact_destructive"})]
    );
    assert_eq!(parents("impact_read"), Vec::<Value>::new());
    assert!(t.entity_notes.is_empty());
}

#[test]
fn sample_v2_is_refused_for_its_datetime_forbid() {
    let (_d, b) = sample_bundle("v2");
    let t = cedar_agent::translate(&b).expect("translates");
    let ids: Vec<&str> = t.untranslated.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["payouts-business-hours"]);
    assert_eq!(t.untranslated[0].effect, "forbid");
    assert!(
        t.untranslated[0]
            .reasons
            .iter()
            .any(|r| r.contains("toTime")),
        "{:?}",
        t.untranslated[0].reasons
    );
    let why = t.refusal().expect("refused");
    assert!(
        why.contains("payouts-business-hours") && why.contains("Nothing was sent"),
        "{why}"
    );
    // push refuses before touching the network (nothing listens on port 9).
    let err = cedar_agent::push("http://127.0.0.1:9", &t, &Default::default()).unwrap_err();
    assert!(matches!(err, TargetError::Refused(_)), "{err}");
    assert!(err.to_string().contains("refused"), "{err}");
}

const SCHEMA: &str = r#"
namespace App {
  type Meta = { at: datetime, note: String };
  entity Group enum ["a", "b"];
  entity User in [Group] = { name: String, ip: ipaddr, born: datetime, meta: Meta, tagsok: Set<Long> } tags String;
  entity Doc;
  action view appliesTo { principal: [User], resource: [Doc], context: { when?: datetime, level: Long, limit: decimal } };
}
"#;

#[test]
fn each_cedar4_feature_is_reported_with_its_reason() {
    let (_d, base) = sample_bundle("v1");
    let policies = r#"
@id("uses-is")
permit (principal is App::User, action, resource);
@id("uses-is-expr")
permit (principal, action, resource) when { resource is App::Doc };
@id("uses-isEmpty")
permit (principal, action, resource) when { principal.tagsok.isEmpty() };
@id("uses-tags")
forbid (principal, action, resource) when { principal.hasTag("x") && principal.getTag("x") == "y" };
@id("uses-datetime")
permit (principal, action, resource) when { context has when && context.when > datetime("2025-01-01") };
@id("reads-dropped")
permit (principal, action, resource) when { principal has born };
@id("fine-ip-decimal")
permit (principal, action == App::Action::"view", resource)
when { principal.ip.isInRange(ip("10.0.0.0/8")) && context.limit.lessThan(decimal("1.5")) && {"is": 1, getTag: 2}["is"] == 1 && "a is b" like "*is*" };
"#;
    let entities = r#"[
      {"uid": {"type": "App::User", "id": "u"}, "parents": [],
       "attrs": {"name": "U", "ip": {"__extn": {"fn": "ip", "arg": "10.1.2.3"}},
                 "born": {"__extn": {"fn": "datetime", "arg": "2000-01-01"}},
                 "meta": {"at": {"__extn": {"fn": "datetime", "arg": "2001-01-01"}}, "note": "n"},
                 "tagsok": [1]},
       "tags": {"x": "y"}}
    ]"#;
    let b = with_content(&base, policies, SCHEMA, entities);
    let t = cedar_agent::translate(&b).expect("translates");
    let reasons = |id: &str| -> String {
        t.untranslated
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.reasons.join("; "))
            .unwrap_or_else(|| panic!("{id} not reported: {:?}", t.untranslated))
    };
    assert!(reasons("uses-is").contains("principal is"));
    assert!(reasons("uses-is-expr").contains("`is` operator"));
    assert!(reasons("uses-isEmpty").contains("isEmpty"));
    assert!(reasons("uses-tags").contains("entity tags"));
    assert!(reasons("uses-datetime").contains("datetime"));
    assert!(reasons("reads-dropped").contains("`born`"));
    let sent: Vec<&str> = t.policies.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(sent, ["fine-ip-decimal"]);
    // A forbid among them: refused.
    assert!(t.refusal().expect("refused").contains("uses-tags"));

    // Schema: datetime attributes (also inside a common type) left out,
    // the enum and the tags noted, ipaddr and decimal kept.
    let notes: Vec<String> = t.schema_notes.iter().map(|n| n.element.clone()).collect();
    for e in [
        "App::Meta.at",
        "App::User.born",
        "entity App::User tags",
        "entity App::Group",
    ] {
        assert!(notes.iter().any(|n| n == e), "{e} missing from {notes:?}");
    }
    assert!(
        notes.iter().any(|n| n.ends_with("context.when")),
        "{notes:?}"
    );
    let ns = &t.schema["App"];
    let user = &ns["entityTypes"]["User"]["shape"]["attributes"];
    assert_eq!(user["ip"], json!({"type": "Extension", "name": "ipaddr"}));
    assert!(user.get("born").is_none());
    assert!(user["meta"]["attributes"].get("at").is_none());
    assert_eq!(user["meta"]["attributes"]["note"]["type"], "String");
    assert!(ns["entityTypes"]["User"].get("tags").is_none());
    assert!(ns["entityTypes"]["Group"].get("enum").is_none());
    let ctx = &ns["actions"]["view"]["appliesTo"]["context"]["attributes"];
    assert!(ctx.get("when").is_none());
    assert_eq!(
        ctx["limit"],
        json!({"type": "Extension", "name": "decimal"})
    );
    assert!(t.dropped_context_attributes.contains("when"));

    // Entities: tags and the datetime values left out, the rest kept.
    let u = &t.entities[0];
    assert!(u.get("tags").is_none());
    assert!(u["attrs"].get("born").is_none());
    assert!(u["attrs"]["meta"].get("at").is_none());
    assert_eq!(u["attrs"]["meta"]["note"], "n");
    assert_eq!(u["attrs"]["ip"]["__extn"]["fn"], "ip");
    let enotes: Vec<String> = t.entity_notes.iter().map(|n| n.element.clone()).collect();
    assert!(enotes.iter().any(|n| n.ends_with("tags")), "{enotes:?}");
    assert!(
        enotes.iter().any(|n| n.ends_with("attribute born")),
        "{enotes:?}"
    );
    assert!(
        enotes.iter().any(|n| n.ends_with("attribute meta.at")),
        "{enotes:?}"
    );
}

#[test]
fn requests_lose_only_what_cedar_agent_cannot_take() {
    let (_d, b) = sample_bundle("v1");
    let t = cedar_agent::translate(&b).expect("translates");
    let request = json!({
        "principal": {"type": "Agent", "id": "support-bot"},
        "action": {"type": "Action", "id": "read_ticket"},
        "resource": {"type": "Ticket", "id": "T-\"1\""},
        "context": {
            "intent": "support",
            "now": {"__extn": {"fn": "datetime", "arg": "2026-11-02T06:20:17Z"}},
            "on_behalf_of": {"__entity": {"type": "User", "id": "a@b"}},
            "nested": {"d": {"__extn": {"fn": "duration", "arg": "1h"}}, "ip": {"__extn": {"fn": "ip", "arg": "10.0.0.1"}}}
        }
    });
    let r = cedar_agent::agent_request(&request, &t).expect("builds");
    assert_eq!(r.body["principal"], "Agent::\"support-bot\"");
    assert_eq!(r.body["action"], "Action::\"read_ticket\"");
    assert_eq!(r.body["resource"], "Ticket::\"T-\\\"1\\\"\"");
    let ctx = &r.body["context"];
    assert!(ctx.get("now").is_none());
    assert!(ctx["nested"].get("d").is_none());
    assert_eq!(ctx["nested"]["ip"]["__extn"]["fn"], "ip");
    assert_eq!(ctx["on_behalf_of"]["__entity"]["id"], "a@b");
    assert_eq!(ctx["intent"], "support");
    assert_eq!(r.removed, ["now", "nested.d"]);
}

/// A one-shot HTTP server on 127.0.0.1 answering every request with
/// `status` and `body`; returns its base URL.
fn answering(status: u16, body: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut s) = stream else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 65536];
            let mut got = Vec::new();
            // Read the head and a body of the announced length.
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got);
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if got.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn http_errors_say_what_happened() {
    let (_d, b) = sample_bundle("v1");
    let t = cedar_agent::translate(&b).expect("translates");
    let opts = cedar_agent::PushOptions {
        timeout: Duration::from_secs(5),
        ..Default::default()
    };
    // https is refused up front.
    let e = cedar_agent::push("https://127.0.0.1:8180", &t, &opts).unwrap_err();
    assert!(matches!(e, TargetError::Url(_)), "{e}");
    assert!(e.to_string().contains("https is not supported"), "{e}");
    let e = cedar_agent::push("127.0.0.1:8180", &t, &opts).unwrap_err();
    assert!(e.to_string().contains("not an http:// URL"), "{e}");
    // Nothing listening: unreachable, naming the URL.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let url = format!("http://127.0.0.1:{port}");
    let e = cedar_agent::push(&url, &t, &opts).unwrap_err();
    assert!(matches!(e, TargetError::Unreachable { .. }), "{e}");
    assert!(e.to_string().contains(&format!("{url}/v1/schema")), "{e}");
    // An error answer: status and body quoted.
    let url = answering(400, r#"{"reason":"schema is invalid"}"#);
    let e = cedar_agent::push(&url, &t, &opts).unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(e, TargetError::Status { status: 400, .. }),
        "{text}"
    );
    assert!(
        text.contains("DELETE") && text.contains("schema is invalid"),
        "{text}"
    );
    // A dry run sends nothing (the same dead port answers nothing).
    let dry = cedar_agent::PushOptions {
        dry_run: true,
        ..opts
    };
    let o = cedar_agent::push(&format!("http://127.0.0.1:{port}"), &t, &dry).expect("dry run");
    assert!(!o.sent);
}

/// Checks a `CreatePolicy` body against AVP's documented request shape.
fn check_create_policy(body: &Value, store: &str) -> (String, String) {
    let obj = body.as_object().expect("an object");
    let keys: BTreeSet<&str> = obj.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["clientToken", "definition", "policyStoreId"])
    );
    assert_eq!(body["policyStoreId"], store);
    let token = body["clientToken"]
        .as_str()
        .expect("clientToken is a string");
    assert!((1..=64).contains(&token.len()), "{token}");
    assert!(
        token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
        "{token}"
    );
    let def = body["definition"].as_object().expect("definition");
    assert_eq!(
        def.keys().collect::<Vec<_>>(),
        ["static"],
        "a union: one member"
    );
    let st = body["definition"]["static"].as_object().expect("static");
    let keys: BTreeSet<&str> = st.keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["description", "statement"]));
    let description = st["description"].as_str().expect("description is a string");
    assert!(description.chars().count() <= 150, "{description}");
    let statement = st["statement"].as_str().expect("statement is a string");
    assert!((1..=10_000).contains(&statement.chars().count()));
    cedar_policy::Policy::parse(None, statement).expect("the statement parses with Cedar");
    (token.to_string(), statement.to_string())
}

fn check_put_schema(body: &Value, store: &str) {
    let keys: BTreeSet<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, BTreeSet::from(["definition", "policyStoreId"]));
    assert_eq!(body["policyStoreId"], store);
    let def = body["definition"].as_object().unwrap();
    assert_eq!(def.keys().collect::<Vec<_>>(), ["cedarJson"]);
    let text = def["cedarJson"].as_str().expect("cedarJson is a string");
    cedar_policy::Schema::from_json_str(text).expect("a Cedar JSON schema");
}

#[test]
fn avp_bodies_have_the_documented_shapes() {
    let (dir, b) = sample_bundle("v2");
    let out = dir.path().join("avp");
    let e = avp::export(&b, "PSEXAMPLEabcdefg111111", &out).expect("written");
    check_put_schema(
        &serde_json::from_slice(&std::fs::read(out.join("schema.json")).unwrap()).unwrap(),
        "PSEXAMPLEabcdefg111111",
    );
    let index: Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    let listed = index["policies"].as_array().unwrap();
    let files: Vec<_> = std::fs::read_dir(out.join("policies")).unwrap().collect();
    assert_eq!(listed.len(), files.len());
    assert_eq!(listed.len(), e.policies.len());
    let set = <cedar_policy::PolicySet as std::str::FromStr>::from_str(&b.policies).unwrap();
    assert_eq!(listed.len(), set.policies().count());
    let mut tokens = BTreeSet::new();
    for p in listed {
        let body: Value =
            serde_json::from_slice(&std::fs::read(out.join(p["file"].as_str().unwrap())).unwrap())
                .unwrap();
        let (token, statement) = check_create_policy(&body, "PSEXAMPLEabcdefg111111");
        assert_eq!(p["client_token"], token.as_str());
        assert!(statement.contains(&format!("@id(\"{}\")", p["id"].as_str().unwrap())));
        tokens.insert(token);
    }
    assert_eq!(tokens.len(), listed.len(), "one client token per policy");
    // The same bundle gives the same tokens (stable across exports).
    let again = avp::bodies(&b, "PSEXAMPLEabcdefg111111").unwrap().0;
    let t2: BTreeSet<String> = again
        .policies
        .iter()
        .map(|p| p.client_token.clone())
        .collect();
    assert_eq!(t2, tokens);
    // An existing folder is refused and left alone.
    let before = std::fs::read(out.join("index.json")).unwrap();
    let err = avp::export(&b, "PSEXAMPLEabcdefg111111", &out).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(std::fs::read(out.join("index.json")).unwrap(), before);
    // No temporary folder is left beside it.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
    // A bad store id is refused.
    assert!(avp::export(&b, "bad id!", &dir.path().join("x")).is_err());
    assert!(!dir.path().join("x").exists());
}

#[test]
fn avp_descriptions_are_cut_to_150_characters_and_names_are_safe() {
    let (_d, base) = sample_bundle("v1");
    let long = "é".repeat(400);
    let policies = format!(
        "@id(\"a/b c\")\n@description(\"{long}\")\npermit (principal, action, resource);\n\
         @id(\"a_b c\")\npermit (principal, action, resource) when {{ false }};\n\
         @id(\"plain\")\nforbid (principal, action, resource) when {{ false }};\n"
    );
    let b = with_content(&base, &policies, &base.schema, &base.entities);
    let (e, files) = avp::bodies(&b, avp::PLACEHOLDER_POLICY_STORE_ID).unwrap();
    assert!(e.policies[0].description_truncated);
    assert!(!e.policies[1].description_truncated);
    let names: Vec<&str> = e.policies.iter().map(|p| p.file.as_str()).collect();
    assert_eq!(
        names,
        [
            "policies/a_b_c.json",
            "policies/a_b_c-2.json",
            "policies/plain.json"
        ]
    );
    for (name, body) in &files[1..] {
        check_create_policy(body, avp::PLACEHOLDER_POLICY_STORE_ID);
        assert!(names.contains(&name.as_str()));
    }
    let d = files[1].1["definition"]["static"]["description"]
        .as_str()
        .unwrap();
    assert_eq!(d.chars().count(), 150);
    assert_eq!(files[2].1["definition"]["static"]["description"], "");
}

#[test]
fn links_go_to_cedar_agent_as_static_policies_or_are_refused_with_the_reason() {
    let (_d, b) = sample_bundle("cedar-native");
    assert!(b.links.is_some(), "the bundle carries links.json");
    let t = cedar_agent::translate(&b).expect("translates");
    let ids: BTreeSet<String> = t.policies.iter().map(|p| p.id.clone()).collect();
    for link in [
        "bob-views-roadmap",
        "carol-edits-specs",
        "eng-reviews-specs",
        "lock-finance",
    ] {
        assert!(ids.contains(link), "{link} missing from {ids:?}");
    }
    for p in &t.policies {
        assert!(
            !p.content.contains('?'),
            "a slot left in {}: {}",
            p.id,
            p.content
        );
    }
    let bob = t
        .policies
        .iter()
        .find(|p| p.id == "bob-views-roadmap")
        .expect("bob's link");
    assert!(bob.content.contains("User::\"bob\"") && bob.content.contains("Document::\"roadmap\""));
    // The legal-hold forbid reads entity tags (Cedar 4): the push is refused.
    assert!(t.untranslated.iter().any(|u| u.id == "legal-hold-freezes"));
    assert!(t.refusal().is_some());
    // The entities of entities.json are what cedar-agent gets.
    let sent = t.entities.as_array().expect("array");
    assert!(sent.iter().any(|e| e["uid"]["id"] == "carol"));

    // A linked forbid that does not translate refuses the push too, named
    // by its link id.
    let templated = VerifiedBundle {
        verified: b.verified.clone(),
        policies: "@id(\"base\")\npermit(principal, action, resource);\n@id(\"hold\")\nforbid(principal, action, resource in ?resource) when { resource.hasTag(\"x\") };\n".into(),
        schema: b.schema.clone(),
        entities: "[]".into(),
        links: Some(r#"[{"template_id":"hold","link_id":"hold-specs","args":{"?resource":"Folder::\"specs\""}}]"#.into()),
    };
    let t = cedar_agent::translate(&templated).expect("translates");
    let u = t
        .untranslated
        .iter()
        .find(|u| u.id == "hold-specs")
        .expect("the link is reported");
    assert_eq!(u.effect, "forbid");
    assert!(t.refusal().expect("refused").contains("hold-specs"));
}

#[test]
fn avp_export_writes_templates_links_with_placeholders_and_an_apply_order() {
    let (dir, b) = sample_bundle("cedar-native");
    let store = "PSEXAMPLEabcdefg111111";
    let out = dir.path().join("avp");
    let e = avp::export(&b, store, &out).expect("written");
    assert_eq!(e.templates.len(), 4);
    assert_eq!(e.links.len(), 5);
    for t in &e.templates {
        let body: Value =
            serde_json::from_slice(&std::fs::read(out.join(&t.file)).unwrap()).unwrap();
        let keys: BTreeSet<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from(["clientToken", "description", "policyStoreId", "statement"])
        );
        cedar_policy::Template::parse(None, body["statement"].as_str().unwrap())
            .expect("a Cedar template");
    }
    let body = |file: &str| -> Value {
        serde_json::from_slice(&std::fs::read(out.join(file)).unwrap()).unwrap()
    };
    let bob = e
        .links
        .iter()
        .find(|l| l.id == "bob-views-roadmap")
        .expect("bob");
    let linked = &body(&bob.file)["definition"]["templateLinked"];
    assert_eq!(linked["policyTemplateId"], "{{template:viewer}}");
    assert_eq!(
        linked["principal"],
        json!({"entityType": "User", "entityId": "bob"})
    );
    assert_eq!(
        linked["resource"],
        json!({"entityType": "Document", "entityId": "roadmap"})
    );
    let lock = e
        .links
        .iter()
        .find(|l| l.id == "lock-finance")
        .expect("lock");
    let linked = &body(&lock.file)["definition"]["templateLinked"];
    assert!(linked.get("principal").is_none());
    // The apply order: schema, templates, static policies, links.
    let index = body("index.json");
    let order: Vec<&str> = index["apply_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(order[0], "schema.json");
    let pos = |f: &str| order.iter().position(|o| *o == f).unwrap();
    for t in &e.templates {
        assert!(pos(&t.file) < pos(&bob.file));
    }
    assert_eq!(order.len(), 1 + 4 + e.policies.len() + 5);

    // With the ids AVP assigned, the bodies name them.
    let ids: std::collections::BTreeMap<String, String> = [
        ("viewer", "TPLviewer000001"),
        ("editor", "TPLeditor000002"),
        ("team-reviewer", "TPLreview000003"),
        ("edits-need-approval", "TPLapprove00004"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let (e2, files) = avp::bodies_with(&b, store, Some(&ids)).expect("filled");
    assert!(e2.links.iter().all(|l| l.template_id_filled));
    let bob_body = &files.iter().find(|(f, _)| *f == bob.file).expect("bob").1;
    assert_eq!(
        bob_body["definition"]["templateLinked"]["policyTemplateId"],
        "TPLviewer000001"
    );
    assert!(!files
        .iter()
        .any(|(_, v)| v.to_string().contains("{{template:")));
    // A linked template without an id is an error naming it.
    let mut partial = ids.clone();
    partial.remove("editor");
    let err = avp::bodies_with(&b, store, Some(&partial)).expect_err("refused");
    assert!(err.to_string().contains("editor"), "{err}");
}
