//! Every generated case is valid Cedar material: the schema parses, the
//! entities validate against it, the policies and templates parse, links
//! link, and the organisation is valid too. Cases are deterministic.

use cedar_policy::{Entities, EntityUid, PolicyId, PolicySet, Schema, SlotId};
use std::collections::HashMap;
use std::str::FromStr;
use writ_cedargen::{generate, organisation, GenOptions, OrgStream};

fn check(seed: u64, options: &GenOptions) {
    let case = generate(seed, options);
    let (schema, _) = Schema::from_cedarschema_str(&case.schema_text)
        .unwrap_or_else(|e| panic!("seed {seed}: schema: {e:?}\n{}", case.schema_text));
    Entities::from_json_value(case.entities.clone(), Some(&schema)).unwrap_or_else(|e| {
        panic!(
            "seed {seed}: entities: {e:?}\n{}\n{}",
            case.schema_text,
            serde_json::to_string_pretty(&case.entities).expect("json")
        )
    });
    for set in [&case.policies, &case.policies_b] {
        let text = writ_cedargen::policies_text(set);
        let mut pset = PolicySet::from_str(&text)
            .unwrap_or_else(|e| panic!("seed {seed}: policies: {e:?}\n{text}"));
        let templates: HashMap<String, PolicyId> = pset
            .templates()
            .map(|t| (t.annotation("id").expect("@id").to_string(), t.id().clone()))
            .collect();
        for l in &case.links {
            let vals: HashMap<SlotId, EntityUid> = l
                .args
                .iter()
                .map(|(slot, ty, id)| {
                    let slot = if slot == "?principal" {
                        SlotId::principal()
                    } else {
                        SlotId::resource()
                    };
                    let uid =
                        EntityUid::from_str(&writ_cedargen::ids::cedar_uid(ty, id)).expect("uid");
                    (slot, uid)
                })
                .collect();
            pset.link(
                templates[&l.template_id].clone(),
                PolicyId::new(&l.link_id),
                vals,
            )
            .unwrap_or_else(|e| panic!("seed {seed}: link {}: {e}", l.link_id));
        }
    }
    assert!(case.stream.iter().all(|&i| i < case.pool.len()));
}

#[test]
fn generated_cases_are_valid_cedar() {
    for seed in 0..30 {
        check(seed, &GenOptions::full());
        check(seed, &GenOptions::today());
    }
}

#[test]
fn the_same_seed_gives_the_same_case() {
    let (a, b) = (
        generate(9, &GenOptions::full()),
        generate(9, &GenOptions::full()),
    );
    assert_eq!(a.schema_text, b.schema_text);
    assert_eq!(a.entities, b.entities);
    assert_eq!(a.policies, b.policies);
    assert_eq!(a.pool, b.pool);
    assert_eq!(a.stream, b.stream);
    assert_ne!(a.schema_text, generate(10, &GenOptions::full()).schema_text);
}

#[test]
fn the_organisation_is_valid_and_its_stream_never_repeats() {
    let org = organisation(50, 20);
    let (schema, _) = Schema::from_cedarschema_str(&org.schema_text).expect("schema");
    Entities::from_json_value(org.entities.clone(), Some(&schema)).expect("entities");
    let set = PolicySet::from_str(&org.policies_text).expect("policies");
    assert!(set.policies().count() >= 1_000);
    let lines: std::collections::HashSet<String> = OrgStream::new(&org, 1)
        .take(2_000)
        .map(|r| r.trace_line("2026-01-01T00:00:00Z"))
        .collect();
    assert_eq!(lines.len(), 2_000);
}
