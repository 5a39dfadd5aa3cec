//! The entities of a checked project as rows to show and search: every
//! entity Cedar decides with (the inventory's teams, agents and tools as
//! Writ builds them, then those of `entities.json`), each with where it is
//! defined, its declared parents, its attributes and tags in a compact
//! Cedar-like form. Ids are escaped for display ([`crate::display::escaped`]).
//!
//! The search ([`EntityFilter`]) is what `writ entities --search` and the
//! app's Entities view use: whitespace-separated terms that must all match,
//! each a case-insensitive substring of the type, id, uid, an attribute or
//! tag value, or a parent; a term may name its field (`type:Agent`,
//! `id:bot`, `attr:high`, `tag:case`, `parent:eng`, `source:entities.json`)
//! and quote a value with spaces (`attr:"Support bot"`).

use crate::display::escaped;
use crate::project::{Project, ProjectFile};
use cedar_policy::EntityUid;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// Where an entity is defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct EntitySource {
    /// The project file: `inventory.toml` or `entities.json`.
    pub file: String,
    /// The 1-based line of its definition, when known.
    pub line: Option<usize>,
}

/// An attribute or tag: its name and its value, compact and escaped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct NamedValue {
    /// The attribute or tag name (escaped).
    pub name: String,
    /// The value in a compact Cedar-like form: `"text"`, `3`, `true`,
    /// `Team::"eng"`, `[a, b]`, `{k: v}`, `datetime("2026-03-01")`.
    pub value: String,
}

/// One entity as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct EntityRow {
    /// Its type, `Agent` or `Ns::User`.
    #[serde(rename = "type")]
    pub ty: String,
    /// Its id, escaped.
    pub id: String,
    /// Its uid as Cedar writes it, escaped: `Agent::"support-bot"`.
    pub uid: String,
    /// Where it is defined.
    pub source: EntitySource,
    /// The uids of its declared parents (not their ancestors), escaped.
    pub parents: Vec<String>,
    /// Its attributes, in the order written.
    pub attributes: Vec<NamedValue>,
    /// Its tags, in the order written.
    pub tags: Vec<NamedValue>,
}

impl EntityRow {
    /// The attributes as one line: `name: "x", clearance: 4`.
    pub fn attributes_text(&self) -> String {
        join_named(&self.attributes)
    }

    /// The tags as one line.
    pub fn tags_text(&self) -> String {
        join_named(&self.tags)
    }
}

fn join_named(values: &[NamedValue]) -> String {
    values
        .iter()
        .map(|v| format!("{}: {}", v.name, v.value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The entities matching a filter, and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityListing {
    /// How many entities the project has.
    pub total: usize,
    /// How many match the filter (`rows.len()`).
    pub matched: usize,
    /// The matching entities, in definition order.
    pub rows: Vec<EntityRow>,
}

/// Every entity of `project` as a row, in definition order: the
/// inventory's (teams, agents, tools) then `entities.json`'s. Action
/// entities, which Cedar makes from the schema, are not listed.
pub fn rows(project: &Project) -> Vec<EntityRow> {
    let mut out = Vec::new();
    if let Some(file) = &project.files.inventory {
        let places: HashMap<EntityUid, usize> =
            crate::project::inventory_places(&project.inventory)
                .into_iter()
                .map(|(uid, span)| (uid, span.start))
                .collect();
        let lines = LineIndex::new(&file.text);
        if let Value::Array(items) =
            crate::inventory::to_entities_json(&project.inventory, &project.schema)
        {
            for item in &items {
                let line = uid_of(item)
                    .and_then(|uid| places.get(&uid))
                    .map(|&at| lines.line(at));
                out.extend(row(item, source(file, line)));
            }
        }
    }
    if let Some(file) = &project.files.entities {
        let (entries, _) = crate::entities_file::read_entities_file(&file.shown, &file.text);
        let lines = LineIndex::new(&file.text);
        for e in &entries {
            let line = e.span.map(|s| lines.line(s.start));
            out.extend(row(&e.json, source(file, line)));
        }
    }
    out
}

/// The byte offsets of a text's line breaks, to find the line of many
/// offsets without scanning the text for each.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(text: &str) -> Self {
        LineIndex(text.match_indices('\n').map(|(i, _)| i).collect())
    }

    /// The 1-based line of byte `offset`.
    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&nl| nl < offset) + 1
    }
}

/// The entities of `project` that match `filter` (all of them for an empty
/// filter), with the total count.
pub fn list(project: &Project, filter: &EntityFilter) -> EntityListing {
    filter_rows(rows(project), filter)
}

/// Keeps the rows that match `filter`, counting them all.
pub fn filter_rows(all: Vec<EntityRow>, filter: &EntityFilter) -> EntityListing {
    let total = all.len();
    let rows: Vec<EntityRow> = all.into_iter().filter(|r| filter.matches(r)).collect();
    EntityListing {
        total,
        matched: rows.len(),
        rows,
    }
}

fn source(file: &ProjectFile, line: Option<usize>) -> EntitySource {
    EntitySource {
        file: file.relative.clone(),
        line,
    }
}

fn uid_of(item: &Value) -> Option<EntityUid> {
    EntityUid::from_json(item.get("uid")?.clone()).ok()
}

/// The row of one entity in Cedar's entities JSON; `None` without a
/// readable uid (a checked project has none such).
fn row(item: &Value, source: EntitySource) -> Option<EntityRow> {
    let uid = uid_of(item)?;
    let ty = uid.type_name().to_string();
    let id = escaped(uid.id().unescaped()).into_owned();
    let parents = match item.get("parents") {
        Some(Value::Array(ps)) => ps.iter().map(entity_ref).collect(),
        _ => Vec::new(),
    };
    Some(EntityRow {
        uid: escaped(&uid.to_string()).into_owned(),
        ty,
        id,
        source,
        parents,
        attributes: named(item.get("attrs")),
        tags: named(item.get("tags")),
    })
}

fn named(map: Option<&Value>) -> Vec<NamedValue> {
    match map {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| NamedValue {
                name: escaped(k).into_owned(),
                value: compact(v),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// An entity reference (`{"type", "id"}` or `{"__entity": {...}}`) as an
/// escaped uid; anything else compact.
fn entity_ref(v: &Value) -> String {
    let inner = v.get("__entity").unwrap_or(v);
    match EntityUid::from_json(inner.clone()) {
        Ok(uid) => escaped(&uid.to_string()).into_owned(),
        Err(_) => compact(v),
    }
}

/// A JSON attribute value in a compact Cedar-like form, escaped.
fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => escaped(&Value::String(s.clone()).to_string()).into_owned(),
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(compact).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => {
            if m.len() == 1 {
                if let Some(e) = m.get("__entity") {
                    return entity_ref(e);
                }
                if let Some(Value::Object(x)) = m.get("__extn") {
                    let func = x.get("fn").and_then(Value::as_str).unwrap_or("?");
                    let arg = x.get("arg").map(compact).unwrap_or_default();
                    return format!("{}({arg})", escaped(func));
                }
            }
            let fields: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", escaped(k), compact(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
    }
}

/// Which part of a row a search term looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// Type, id, uid, attribute and tag values, parents.
    Any,
    Type,
    Id,
    Attr,
    Tag,
    Parent,
    Source,
}

impl Field {
    fn named(name: &str) -> Option<Field> {
        Some(match name.to_ascii_lowercase().as_str() {
            "type" => Field::Type,
            "id" => Field::Id,
            "attr" => Field::Attr,
            "tag" => Field::Tag,
            "parent" => Field::Parent,
            "source" => Field::Source,
            _ => return None,
        })
    }
}

/// One search term: a field and a lower-cased needle.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    field: Field,
    needle: String,
}

/// A search over entity rows: every term must match (see the module doc).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityFilter {
    terms: Vec<Term>,
}

impl EntityFilter {
    /// Reads a search text. Never fails: a `word:` prefix that names no
    /// field is part of the text (so `Ns::User` searches for itself), an
    /// unclosed quote runs to the end.
    pub fn parse(text: &str) -> EntityFilter {
        let mut terms = Vec::new();
        let mut rest = text.trim_start();
        while !rest.is_empty() {
            let (token, after) = next_token(rest);
            rest = after.trim_start();
            let (field, value) = match token.split_once(':') {
                Some((name, value)) if !value.is_empty() && !value.starts_with(':') => {
                    match Field::named(name) {
                        Some(f) => (f, value),
                        None => (Field::Any, token),
                    }
                }
                _ => (Field::Any, token),
            };
            let value = unquote(value);
            if !value.is_empty() {
                terms.push(Term {
                    field,
                    needle: value.to_lowercase(),
                });
            }
        }
        EntityFilter { terms }
    }

    /// Whether the filter has no terms (matches everything).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether `row` matches every term.
    pub fn matches(&self, row: &EntityRow) -> bool {
        self.terms.iter().all(|t| term_matches(t, row))
    }
}

/// The first token of `text` (which starts with no whitespace) and what
/// follows it. A quote right at the start, or right after `word:`, runs to
/// the closing quote, spaces included.
fn next_token(text: &str) -> (&str, &str) {
    let value_start = match text.find(':') {
        Some(i) if !text[..i].contains(char::is_whitespace) => i + 1,
        _ => 0,
    };
    let end = if text[value_start..].starts_with('"') {
        let body = value_start + 1;
        match text[body..].find('"') {
            Some(close) => body + close + 1,
            None => text.len(),
        }
    } else {
        text.find(char::is_whitespace).unwrap_or(text.len())
    };
    (&text[..end], &text[end..])
}

/// `"x y"` as `x y`; anything else as it is.
fn unquote(value: &str) -> &str {
    match value.strip_prefix('"') {
        Some(inner) => inner.strip_suffix('"').unwrap_or(inner),
        None => value,
    }
}

fn term_matches(t: &Term, row: &EntityRow) -> bool {
    let has = |s: &str| s.to_lowercase().contains(&t.needle);
    let values = |vs: &[NamedValue]| vs.iter().any(|v| has(&v.value));
    match t.field {
        Field::Type => has(&row.ty),
        Field::Id => has(&row.id),
        Field::Attr => values(&row.attributes),
        Field::Tag => values(&row.tags),
        Field::Parent => row.parents.iter().any(|p| has(p)),
        Field::Source => has(&row.source.file),
        Field::Any => {
            has(&row.ty)
                || has(&row.id)
                || has(&row.uid)
                || values(&row.attributes)
                || values(&row.tags)
                || row.parents.iter().any(|p| has(p))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{check_project, today_utc};
    use std::path::Path;

    fn sample(name: &str) -> Project {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../sample-policies")
            .join(name);
        check_project(&root, today_utc())
            .project
            .expect("the sample project checks")
    }

    fn uids(l: &EntityListing) -> Vec<&str> {
        l.rows.iter().map(|r| r.uid.as_str()).collect()
    }

    #[test]
    fn inventory_entities_are_listed_with_their_lines() {
        let p = sample("v2");
        let all = list(&p, &EntityFilter::default());
        let expected = p.inventory.team.len() + p.inventory.agent.len() + p.inventory.tool.len();
        assert_eq!(all.total, expected);
        assert_eq!(all.matched, expected);
        // Cedar decides with exactly these (plus the schema's actions).
        let cedar = p
            .entities
            .iter()
            .filter(|e| e.uid().type_name().basename() != "Action")
            .count();
        assert_eq!(all.total, cedar);
        let text = &p.files.inventory.as_ref().expect("inventory").text;
        let bot = all
            .rows
            .iter()
            .find(|r| r.uid == "Agent::\"support-bot\"")
            .expect("support-bot is listed");
        assert_eq!(bot.source.file, "inventory.toml");
        let line = bot.source.line.expect("a line");
        let line_text = text.lines().nth(line - 1).expect("the line exists");
        assert!(
            line_text.contains("support-bot"),
            "line {line}: {line_text}"
        );
        assert_eq!(bot.parents.len(), 1);
        assert!(bot.parents[0].starts_with("Team::\""));
        assert!(bot.attributes.iter().any(|a| a.name == "risk_tier"));
        assert!(bot.attributes_text().contains("team: Team::\""));
    }

    #[test]
    fn entities_json_entities_are_listed_with_tags_and_extensions() {
        let p = sample("cedar-native");
        let all = list(&p, &EntityFilter::default());
        let text = &p.files.entities.as_ref().expect("entities.json").text;
        let written = serde_json::from_str::<Value>(text)
            .expect("json")
            .as_array()
            .map(Vec::len)
            .expect("an array");
        assert_eq!(all.total, written);
        let alice = all
            .rows
            .iter()
            .find(|r| r.uid == "User::\"alice\"")
            .expect("alice");
        assert_eq!(alice.source.file, "entities.json");
        assert_eq!(alice.parents, vec!["Team::\"eng\"".to_string()]);
        assert_eq!(alice.attributes_text(), "clearance: 4");
        let line = alice.source.line.expect("a line");
        assert!(text.lines().nth(line - 1).expect("line").contains('{'));
        let roadmap = all
            .rows
            .iter()
            .find(|r| r.uid == "Document::\"roadmap\"")
            .expect("roadmap");
        assert!(roadmap.attributes_text().contains("owner: User::\"alice\""));
        assert!(roadmap
            .attributes_text()
            .contains("created: datetime(\"2026-03-01\")"));
        let tagged = all.rows.iter().filter(|r| !r.tags.is_empty()).count();
        assert!(tagged >= 1);
        let hold = list(&p, &EntityFilter::parse("tag:\"case 2026\""));
        assert!(hold.matched >= 1 && hold.matched <= tagged);
        assert!(hold
            .rows
            .iter()
            .all(|r| r.tags_text().contains("case 2026")));
    }

    #[test]
    fn search_is_case_insensitive_and_every_term_must_match() {
        let p = sample("cedar-native");
        let users = list(&p, &EntityFilter::parse("TYPE:user"));
        assert!(users.matched >= 4);
        assert!(users.rows.iter().all(|r| r.ty == "User"));
        assert_eq!(users.total, list(&p, &EntityFilter::default()).total);
        let eng = list(&p, &EntityFilter::parse("type:User parent:eng"));
        assert_eq!(uids(&eng), vec!["User::\"alice\"", "User::\"bob\""]);
        // A plain term looks at ids, types, attribute values and parents.
        let alice = list(&p, &EntityFilter::parse("ALICE"));
        assert!(uids(&alice).contains(&"User::\"alice\""));
        assert!(
            uids(&alice).contains(&"Folder::\"specs\""),
            "owner attribute"
        );
        let by_id = list(&p, &EntityFilter::parse("id:alice"));
        assert_eq!(uids(&by_id), vec!["User::\"alice\""]);
        let attr = list(&p, &EntityFilter::parse("attr:internal"));
        assert!(attr
            .rows
            .iter()
            .all(|r| r.attributes_text().contains("internal")));
        assert!(attr.matched >= 1);
        // Attribute names are not values.
        assert_eq!(list(&p, &EntityFilter::parse("attr:clearance")).matched, 0);
        assert_eq!(
            list(&p, &EntityFilter::parse("nothing-is-called-this")).matched,
            0
        );
        let uid = list(&p, &EntityFilter::parse("User::\"bob\""));
        assert_eq!(uids(&uid), vec!["User::\"bob\""]);
        let source = list(&p, &EntityFilter::parse("source:entities.json"));
        assert_eq!(source.matched, source.total);
    }

    #[test]
    fn search_texts_parse() {
        let f = EntityFilter::parse("  type:Agent  attr:\"Support bot\" Ns::User unknown:x \"a b");
        let got: Vec<(Field, &str)> = f
            .terms
            .iter()
            .map(|t| (t.field, t.needle.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Field::Type, "agent"),
                (Field::Attr, "support bot"),
                (Field::Any, "ns::user"),
                (Field::Any, "unknown:x"),
                (Field::Any, "a b"),
            ]
        );
        assert!(EntityFilter::parse("   ").is_empty());
        assert!(EntityFilter::parse("type:")
            .terms
            .iter()
            .all(|t| t.field == Field::Any));
    }

    #[test]
    fn lines_are_found_as_line_column_finds_them() {
        let text = "a\nbc\n\nd\n";
        let index = LineIndex::new(text);
        for at in 0..=text.len() {
            assert_eq!(
                index.line(at),
                crate::diagnostic::line_column(text, at).0,
                "{at}"
            );
        }
    }

    #[test]
    fn hostile_ids_are_escaped() {
        let item = serde_json::json!({
            "uid": {"type": "User", "id": "evil\u{1b}[2J\u{202e}"},
            "attrs": {"note": "a\u{7}b", "when": {"__extn": {"fn": "decimal", "arg": "1.5"}}},
            "parents": [{"type": "Team", "id": "x\u{0}"}],
            "tags": {"t": ["a", 1, true, {"k": null}]}
        });
        let src = EntitySource {
            file: "entities.json".into(),
            line: Some(1),
        };
        let r = row(&item, src).expect("a row");
        let shown = format!(
            "{} {} {:?} {} {}",
            r.id,
            r.uid,
            r.parents,
            r.attributes_text(),
            r.tags_text()
        );
        assert!(!shown.chars().any(crate::display::needs_escape), "{shown}");
        assert_eq!(r.id, "evil\\u{1b}[2J\\u{202e}");
        assert!(r.attributes_text().contains("when: decimal(\"1.5\")"));
        assert_eq!(r.tags_text(), "t: [\"a\", 1, true, {k: null}]");
    }
}
