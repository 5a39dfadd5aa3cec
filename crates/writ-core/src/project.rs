//! A policy project on disk: `schema.cedarschema`, `policies/*.cedar` and
//! `inventory.toml`, loaded and checked like a compiler checks code.

use crate::diagnostic::{from_miette, Diagnostic, Severity, SourceMap, Span};
use crate::inventory::{self, Inventory};
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
        if root.join(INVENTORY_FILE).is_file() {
            files.inventory = read(INVENTORY_FILE, &mut diags);
        } else {
            diags.push(
                Diagnostic::error("project-no-inventory", root.join(INVENTORY_FILE), None, "the project has no inventory.toml")
                    .with_hint("add inventory.toml listing the teams, agents and tools (see docs/inventory.md)"),
            );
        }
        (files, diags)
    }

    /// Every file, schema first, then policies, then inventory.
    pub fn all(&self) -> impl Iterator<Item = &ProjectFile> {
        self.schema
            .iter()
            .chain(self.policies.iter())
            .chain(self.inventory.iter())
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
    /// The inventory.
    pub inventory: Inventory,
    /// The inventory's Cedar entities, validated against the schema.
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
    let (catalog, policy_diags) = parse_policy_files(&sources_list);
    diags.extend(policy_diags);
    if let Some(schema) = &schema {
        let validator = Validator::new(schema.schema.clone());
        let result = validator.validate(&catalog.set, ValidationMode::Strict);
        for e in result.validation_errors() {
            let id = e.policy_id().to_string();
            let file = catalog.get(&id).map(|p| p.file.clone()).unwrap_or_default();
            diags.push(
                from_miette("policy-validation", Severity::Error, &file, 0, e)
                    .with_related_if_missing(&catalog, &id),
            );
        }
        for w in result.validation_warnings() {
            let id = w.policy_id().to_string();
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
    let mut entities = None;
    if let (Some(inv), Some(schema), Some(f)) = (&inventory, &schema, &files.inventory) {
        diags.extend(inventory::check_against_schema(&f.shown, inv, schema));
        let json = inventory::to_entities_json(inv, schema);
        match Entities::from_json_value(json, Some(&schema.schema)) {
            Ok(e) => entities = Some(e),
            Err(e) => {
                let message = e.to_string();
                let span = inventory::entity_spans(inv)
                    .into_iter()
                    .find(|(uid, _)| message.contains(uid.as_str()))
                    .map(|(_, s)| s);
                diags.push(
                    Diagnostic::error(
                        "inventory-entities",
                        &f.shown,
                        span,
                        format!("the inventory does not fit the schema: {message}"),
                    )
                    .with_hint(
                        "declare the attribute in the schema's entity type, or fix the entry",
                    ),
                );
            }
        }
    }
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
/// does not fill (see [`crate::evaluate::NowRule`]), located at the `now`
/// declaration when it can be found in the schema's text.
fn now_diagnostics(shown: &Path, text: &str, schema: &ProjectSchema) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for action in schema.actions() {
        if let crate::evaluate::NowRule::CallerOnly { shape } = crate::evaluate::now_rule(action) {
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
