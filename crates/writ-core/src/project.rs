//! A policy project on disk: `schema.cedarschema`, `policies/*.cedar` (static
//! policies and templates), and the entities: `inventory.toml` and/or
//! `entities.json` (at least one of the two), plus `links.json` when the
//! project links templates. Loaded and checked like a compiler checks code.

use crate::diagnostic::{from_miette, Diagnostic, Severity, SourceMap, Span};
use crate::entities_file::{self, EntityEntry};
use crate::inventory::{self, Inventory};
use crate::links;
use crate::policies::{parse_policy_files, PolicyCatalog, PolicySource};
use crate::schema::ProjectSchema;
use cedar_policy::{Entities, ValidationMode, Validator};
use std::path::{Path, PathBuf};

/// The schema file names Writ looks for, in order.
pub const SCHEMA_FILES: [&str; 3] = [
    "schema.cedarschema",
    "schema.cedarschema.json",
    "schema.json",
];
/// The inventory file name.
pub const INVENTORY_FILE: &str = "inventory.toml";
/// The folder holding policy files.
pub const POLICY_DIR: &str = "policies";
/// The entity data file name (Cedar's entities JSON).
pub const ENTITIES_FILE: &str = entities_file::ENTITIES_FILE;
/// The template links file name (the Cedar CLI's links format).
pub const LINKS_FILE: &str = links::LINKS_FILE;

/// One file of a project, as read from disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFile {
    /// Path relative to the project root, with `/` separators.
    pub relative: String,
    /// Path as shown in diagnostics (the root joined with `relative`).
    pub shown: PathBuf,
    /// The file's text.
    pub text: String,
}

/// The raw files of a project: what a version snapshot stores.
#[derive(Debug, Clone, Default)]
pub struct ProjectFiles {
    /// The schema file, if found.
    pub schema: Option<ProjectFile>,
    /// The policy files, sorted by name.
    pub policies: Vec<ProjectFile>,
    /// The inventory file, if found.
    pub inventory: Option<ProjectFile>,
    /// The entity data file (`entities.json`), if found.
    pub entities: Option<ProjectFile>,
    /// The template links file (`links.json`), if found.
    pub links: Option<ProjectFile>,
}

impl ProjectFiles {
    /// Reads a project folder. I/O problems become diagnostics.
    pub fn read(root: &Path) -> (ProjectFiles, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let mut files = ProjectFiles::default();
        if !root.is_dir() {
            diags.push(
                Diagnostic::error(
                    "project-missing",
                    root,
                    None,
                    format!("{} is not a folder", root.display()),
                )
                .with_hint(
                    "pass the folder that holds schema.cedarschema, policies/ and inventory.toml",
                ),
            );
            return (files, diags);
        }
        let read = |rel: &str, diags: &mut Vec<Diagnostic>| -> Option<ProjectFile> {
            let shown = root.join(rel);
            match std::fs::read_to_string(&shown) {
                Ok(text) => Some(ProjectFile {
                    relative: rel.to_string(),
                    shown,
                    text,
                }),
                Err(e) => {
                    diags.push(Diagnostic::error(
                        "project-io",
                        &shown,
                        None,
                        format!("cannot read {}: {e}", shown.display()),
                    ));
                    None
                }
            }
        };
        match SCHEMA_FILES.iter().find(|f| root.join(f).is_file()) {
            Some(f) => files.schema = read(f, &mut diags),
            None => diags.push(
                Diagnostic::error("project-no-schema", root.join(SCHEMA_FILES[0]), None, "the project has no schema")
                    .with_hint("add schema.cedarschema (Cedar schema syntax) or schema.cedarschema.json to the project folder"),
            ),
        }
        let pdir = root.join(POLICY_DIR);
        match std::fs::read_dir(&pdir) {
            Ok(entries) => {
                let mut names: Vec<String> = entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".cedar"))
                    .collect();
                names.sort();
                for n in names {
                    if let Some(f) = read(&format!("{POLICY_DIR}/{n}"), &mut diags) {
                        files.policies.push(f);
                    }
                }
                if files.policies.is_empty() {
                    diags.push(
                        Diagnostic::warning(
                            "project-no-policies",
                            &pdir,
                            None,
                            "the project has no policy files, so every request is denied",
                        )
                        .with_hint("add policies/*.cedar"),
                    );
                }
            }
            Err(_) => diags.push(
                Diagnostic::error(
                    "project-no-policies",
                    &pdir,
                    None,
                    "the project has no policies/ folder",
                )
                .with_hint("create policies/ and put the .cedar files in it"),
            ),
        }
        for (name, slot) in [
            (INVENTORY_FILE, &mut files.inventory),
            (ENTITIES_FILE, &mut files.entities),
            (LINKS_FILE, &mut files.links),
        ] {
            if root.join(name).is_file() {
                *slot = read(name, &mut diags);
            }
        }
        if !root.join(INVENTORY_FILE).is_file() && !root.join(ENTITIES_FILE).is_file() {
            diags.push(
                Diagnostic::error("project-no-inventory", root.join(INVENTORY_FILE), None, "the project has neither inventory.toml nor entities.json")
                    .with_hint("add inventory.toml listing the teams, agents and tools (see docs/inventory.md), or entities.json with the entities in Cedar's JSON format"),
            );
        }
        (files, diags)
    }

    /// Every file: schema, policies, inventory, entity data, links.
    pub fn all(&self) -> impl Iterator<Item = &ProjectFile> {
        self.schema
            .iter()
            .chain(self.policies.iter())
            .chain(self.inventory.iter())
            .chain(self.entities.iter())
            .chain(self.links.iter())
    }

    /// Every file, mutable, in the order of [`ProjectFiles::all`].
    pub fn all_mut(&mut self) -> impl Iterator<Item = &mut ProjectFile> {
        self.schema
            .iter_mut()
            .chain(self.policies.iter_mut())
            .chain(self.inventory.iter_mut())
            .chain(self.entities.iter_mut())
            .chain(self.links.iter_mut())
    }

    /// Files `f` where its relative path says it belongs: `policies/...` is
    /// a policy file, the inventory, entity data and links files by name,
    /// anything else is the schema. Used to rebuild a project from stored
    /// files.
    pub fn place(&mut self, f: ProjectFile) {
        if f.relative.starts_with(POLICY_DIR) {
            self.policies.push(f);
        } else if f.relative == INVENTORY_FILE {
            self.inventory = Some(f);
        } else if f.relative == ENTITIES_FILE {
            self.entities = Some(f);
        } else if f.relative == LINKS_FILE {
            self.links = Some(f);
        } else {
            self.schema = Some(f);
        }
    }
}

/// A project that checked without errors: everything needed to decide.
#[derive(Debug, Clone)]
pub struct Project {
    /// Where it was read from.
    pub root: PathBuf,
    /// Its files.
    pub files: ProjectFiles,
    /// The schema.
    pub schema: ProjectSchema,
    /// The policies.
    pub policies: PolicyCatalog,
    /// The inventory (empty when the project has no inventory.toml).
    pub inventory: Inventory,
    /// The Cedar entities: the inventory's merged with `entities.json`'s,
    /// validated against the schema.
    pub entities: Entities,
}

/// The result of checking a project: every diagnostic, the sources to
/// render them, and the project when there were no errors.
#[derive(Debug)]
pub struct CheckReport {
    /// All problems, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// The files' texts.
    pub sources: SourceMap,
    /// The project, when it has no errors.
    pub project: Option<Project>,
}

impl CheckReport {
    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }
}

/// Reads and checks the project at `root`; `today` decides which review
/// dates are overdue.
pub fn check_project(root: &Path, today: time::Date) -> CheckReport {
    let (files, diags) = ProjectFiles::read(root);
    check_files(root, files, diags, today)
}

/// Checks project files already read (from disk or from a stored version).
pub fn check_files(
    root: &Path,
    files: ProjectFiles,
    mut diags: Vec<Diagnostic>,
    today: time::Date,
) -> CheckReport {
    let mut sources = SourceMap::new();
    for f in files.all() {
        sources.insert(f.shown.clone(), f.text.clone());
    }
    let schema = files
        .schema
        .as_ref()
        .and_then(|f| match ProjectSchema::load(&f.shown, &f.text) {
            Ok((s, warnings)) => {
                diags.extend(warnings);
                Some(s)
            }
            Err(errs) => {
                diags.extend(errs);
                None
            }
        });
    if let (Some(schema), Some(f)) = (&schema, &files.schema) {
        diags.extend(now_diagnostics(&f.shown, &f.text, schema));
    }
    let sources_list: Vec<PolicySource<'_>> = files
        .policies
        .iter()
        .map(|f| PolicySource {
            path: &f.shown,
            text: &f.text,
        })
        .collect();
    let (mut catalog, policy_diags) = parse_policy_files(&sources_list);
    diags.extend(policy_diags);
    if let Some(f) = &files.links {
        diags.extend(links::link_templates(
            &mut catalog,
            &f.shown,
            &f.text,
            schema.as_ref().map(|s| &s.schema),
        ));
    }
    if let Some(schema) = &schema {
        let validator = Validator::new(schema.schema.clone());
        let result = validator.validate(&catalog.set, ValidationMode::Strict);
        for e in result.validation_errors() {
            let id = e.policy_id().to_string();
            if let Some(link) = catalog.link(&id) {
                diags.push(link_diagnostic(&catalog, link, Severity::Error, e));
                continue;
            }
            let file = catalog.get(&id).map(|p| p.file.clone()).unwrap_or_default();
            diags.push(
                from_miette("policy-validation", Severity::Error, &file, 0, e)
                    .with_related_if_missing(&catalog, &id),
            );
        }
        for w in result.validation_warnings() {
            let id = w.policy_id().to_string();
            // A link whose policy the validator warns about (it can never
            // apply, its values do not fit the scope) was given ill-typed
            // values: an error, unlike the same warning on a policy.
            if let Some(link) = catalog.link(&id) {
                diags.push(link_diagnostic(&catalog, link, Severity::Error, w));
                continue;
            }
            let file = catalog.get(&id).map(|p| p.file.clone()).unwrap_or_default();
            diags.push(from_miette(
                "policy-warning",
                Severity::Warning,
                &file,
                0,
                w,
            ));
        }
    }
    let mut inventory = None;
    if let Some(f) = &files.inventory {
        let (inv, inv_diags) = inventory::load(&f.shown, &f.text, today);
        diags.extend(inv_diags);
        inventory = inv;
    }
    let entity_file: Option<Vec<EntityEntry>> = files.entities.as_ref().map(|f| {
        let (entries, d) = entities_file::read_entities_file(&f.shown, &f.text);
        diags.extend(d);
        entries
    });
    let mut entities = None;
    if let Some(schema) = &schema {
        let inventory_part = match (&inventory, &files.inventory) {
            (Some(inv), Some(f)) => {
                diags.extend(inventory::check_against_schema(&f.shown, inv, schema));
                let places = inventory_places(inv);
                Some((f, inventory::to_entities_json(inv, schema), places))
            }
            _ => None,
        };
        let (merged, d) = entities_file::merge(
            inventory_part
                .as_ref()
                .map(|(f, json, places)| (f.shown.as_path(), json.clone(), places.as_slice())),
            entity_file.as_deref().unwrap_or(&[]),
            &schema.schema,
        );
        diags.extend(d);
        entities = merged;
    }
    // A project without inventory.toml has an empty inventory.
    let inventory = match (&files.inventory, inventory) {
        (None, _) if files.entities.is_some() => Some(Inventory::default()),
        (_, inv) => inv,
    };
    diags.sort_by(|a, b| {
        (&a.file, a.span.map(|s| s.start)).cmp(&(&b.file, b.span.map(|s| s.start)))
    });
    let has_errors = diags.iter().any(Diagnostic::is_error);
    let project = match (has_errors, schema, inventory, entities) {
        (false, Some(schema), Some(inventory), Some(entities)) => Some(Project {
            root: root.to_path_buf(),
            files,
            schema,
            policies: catalog,
            inventory,
            entities,
        }),
        _ => None,
    };
    CheckReport {
        diagnostics: diags,
        sources,
        project,
    }
}

/// A warning for each action whose context declares `now` with a shape Writ
/// does not fill (see [`crate::now_rule::NowRule`]), located at the `now`
/// declaration when it can be found in the schema's text.
fn now_diagnostics(shown: &Path, text: &str, schema: &ProjectSchema) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for action in schema.actions() {
        if let crate::now_rule::NowRule::CallerOnly { shape } = crate::now_rule::now_rule(action) {
            out.push(
                Diagnostic::warning(
                    "schema-now-not-filled",
                    shown,
                    find_word(text, "now").map(|at| Span::new(at, 3)),
                    format!(
                        "action {} declares `context.now` as a {shape}: Writ fills `now` from the request time only when it is a String or a datetime, so replay uses the recorded value and `writ serve` needs the caller's value (with --trust-request-time)",
                        crate::display::escaped(&action.uid.to_string())
                    ),
                )
                .with_hint("declare `now: datetime` (or String) to have Writ fill it, or send `now` with every request"),
            );
        }
    }
    out
}

/// The byte offset of the first occurrence of `word` as a whole word.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).map(|(at, _)| at).find(|&at| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// The places of the inventory's entities, as uids.
pub(crate) fn inventory_places(inv: &Inventory) -> Vec<entities_file::InventoryPlace> {
    use cedar_policy::{EntityId, EntityTypeName, EntityUid};
    let uid = |ty: &str, id: &str| -> Option<EntityUid> {
        let ty: EntityTypeName = ty.parse().ok()?;
        Some(EntityUid::from_type_name_and_id(ty, EntityId::new(id)))
    };
    let span_of = |r: std::ops::Range<usize>| Span::new(r.start, r.end - r.start);
    let teams = inv.team.iter().map(|t| ("Team", &t.id));
    let agents = inv.agent.iter().map(|a| ("Agent", &a.id));
    let tools = inv.tool.iter().map(|t| ("Tool", &t.name));
    teams
        .chain(agents)
        .chain(tools)
        .filter_map(|(ty, id)| Some((uid(ty, id.get_ref())?, span_of(id.span()))))
        .collect()
}

/// A validation problem of a template-linked policy, located at its link
/// in the links file (the template is the related place).
fn link_diagnostic(
    catalog: &PolicyCatalog,
    link: &crate::policies::LinkInfo,
    severity: Severity,
    err: &dyn miette::Diagnostic,
) -> Diagnostic {
    let inner = from_miette("link-validation", severity, &link.policy.file, 0, err);
    let args: Vec<String> = link
        .args
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    let mut d = Diagnostic::error(
        "link-validation",
        &link.policy.file,
        link.policy.span,
        format!(
            "link `{}` (template `{}`, {}): {}",
            link.id,
            link.template,
            args.join(", "),
            inner.message
        ),
    )
    .with_hint(inner.hint.unwrap_or_else(|| {
        "link the template with entities of the types its scope and the schema allow".to_string()
    }));
    d.severity = severity;
    if let Some(t) = catalog.template(&link.template) {
        d = d.with_related(
            t.info.file.clone(),
            t.info.span.map(|s| Span::new(s.start, 1)),
            "the template",
        );
    }
    d
}

trait LocateInPolicy {
    fn with_related_if_missing(self, catalog: &PolicyCatalog, id: &str) -> Self;
}

impl LocateInPolicy for Diagnostic {
    /// Validation errors without a label still point at their policy.
    fn with_related_if_missing(mut self, catalog: &PolicyCatalog, id: &str) -> Self {
        if self.span.is_none() {
            self.span = catalog
                .get(id)
                .and_then(|p| p.span)
                .map(|s| Span::new(s.start, 1));
        }
        if !self.message.contains(id) {
            self.message = format!("policy `{id}`: {}", self.message);
        }
        self
    }
}

/// Today's date in UTC.
pub fn today_utc() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_now_that_writ_cannot_fill_is_a_located_warning() {
        let text = "entity U;\ntype Clock = { now: { hour: Long } };\naction \"watch\" appliesTo { principal: [U], resource: [U], context: Clock };\naction \"read\" appliesTo { principal: [U], resource: [U], context: { now: datetime } };\n";
        let (schema, _) =
            ProjectSchema::load(Path::new("schema.cedarschema"), text).expect("schema");
        let diags = now_diagnostics(Path::new("schema.cedarschema"), text, &schema);
        assert_eq!(diags.len(), 1, "{diags:?}");
        let d = &diags[0];
        assert_eq!(d.code, "schema-now-not-filled");
        assert!(!d.is_error());
        assert!(d.message.contains("Action::\"watch\""), "{}", d.message);
        assert_eq!(d.span.map(|s| &text[s.start..s.end]), Some("now"));
    }
}
