//! `writ export avp` on a real sample workspace: the Amazon Verified
//! Permissions request bodies of a verified bundle, checked against the
//! documented `PutSchema` and `CreatePolicy` shapes; a bundle that does not
//! verify writes nothing and exits with `writ bundle verify`'s code.

use serde_json::Value;
use std::collections::BTreeSet;

use crate::common;
use crate::common::SampleWorkspace as Ws;
use crate::common::{exits, ok};

fn read_json(p: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn export_avp_writes_put_schema_and_create_policy_bodies() {
    let ws = Ws::sample();
    ok(ws.by("alice", &["key", "generate", "--out", "release"]));
    // `writ export avp --bundle B --trust T --out OUT EXTRA...` as alice.
    let export_avp = |bundle: &str, trust: &str, out: &str, extra: &[&str]| {
        let mut args = vec![
            "export", "avp", "--bundle", bundle, "--trust", trust, "--out", out,
        ];
        args.extend_from_slice(extra);
        ws.by("alice", &args)
    };
    ok(ws.by("alice", &["review", &ws.v1]));
    ok(ws.by("bob", &["approve", &ws.v1]));
    ok(ws.by("alice", &["review", &ws.v2]));
    ok(ws.by("bob", &["approve", &ws.v2]));
    ok(ws.by("carol", &["approve", &ws.v2]));
    ok(ws.by(
        "alice",
        &[
            "bundle",
            "export",
            &ws.v2,
            "--key",
            "release.pem",
            "--out",
            "v2.tar.gz",
            "--archive",
        ],
    ));

    let out = ok(export_avp(
        "v2.tar.gz",
        "release.pub.pem",
        "avp",
        &["--policy-store-id", "PSEXAMPLEabcdefg111111"],
    ));
    assert!(out.contains("30 CreatePolicy bodies"), "{out}");
    let dir = ws.path("avp");
    let schema = read_json(&dir.join("schema.json"));
    assert_eq!(schema["policyStoreId"], "PSEXAMPLEabcdefg111111");
    let text = schema["definition"]["cedarJson"]
        .as_str()
        .expect("cedarJson is a string");
    let parsed = cedar_policy::Schema::from_json_str(text).expect("a Cedar JSON schema");
    assert!(parsed.action_entities().is_ok());

    let index = read_json(&dir.join("index.json"));
    let listed = index["policies"].as_array().expect("policies");
    assert_eq!(listed.len(), 30);
    let mut ids = BTreeSet::new();
    for p in listed {
        let body = read_json(&dir.join(p["file"].as_str().unwrap()));
        let keys: BTreeSet<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from(["clientToken", "definition", "policyStoreId"])
        );
        let st = &body["definition"]["static"];
        let statement = st["statement"].as_str().expect("statement");
        let policy = cedar_policy::Policy::parse(None, statement).expect("parses");
        assert_eq!(policy.annotation("id"), p["id"].as_str());
        let d = st["description"].as_str().expect("description");
        assert!(d.chars().count() <= 150);
        assert_eq!(
            Some(d),
            policy.annotation("description"),
            "the sample's descriptions are short"
        );
        let token = body["clientToken"].as_str().unwrap();
        assert!(token.len() <= 64 && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        ids.insert(p["id"].as_str().unwrap().to_string());
    }
    assert!(
        ids.contains("payouts-business-hours"),
        "AVP takes datetime policies as they are"
    );

    // A tampered archive: exit 20 (hash mismatch), nothing written.
    let mut bytes = std::fs::read(ws.path("v2.tar.gz")).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0x40;
    std::fs::write(ws.path("bad.tar.gz"), &bytes).unwrap();
    let o = export_avp("bad.tar.gz", "release.pub.pem", "avp-bad", &[]);
    assert!(
        matches!(o.status.code(), Some(10..=23)),
        "{}",
        common::both(&o)
    );
    assert!(!ws.path("avp-bad").exists());
    // An untrusted key: exit 17, nothing written.
    ok(ws.by("alice", &["key", "generate", "--out", "other"]));
    let o = export_avp("v2.tar.gz", "other.pub.pem", "avp-untrusted", &[]);
    exits(o, 17);
    assert!(!ws.path("avp-untrusted").exists());
    // An existing folder: refused, left alone.
    let before = std::fs::read(dir.join("index.json")).unwrap();
    let o = export_avp("v2.tar.gz", "release.pub.pem", "avp", &[]);
    let err = exits(o, 1);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(dir.join("index.json")).unwrap(), before);
    // A bad store id: refused before anything.
    let o = export_avp(
        "v2.tar.gz",
        "release.pub.pem",
        "avp2",
        &["--policy-store-id", "no spaces"],
    );
    exits(o, 1);
    assert!(!ws.path("avp2").exists());
}
