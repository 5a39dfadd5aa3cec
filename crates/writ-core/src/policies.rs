//! Policy files: parsing, Writ policy ids, and the catalogue of policies.
//!
//! Cedar numbers unnamed policies `policy0`, `policy1`, ... per parse. Analysts
//! name policies with `@id("...")`, so Writ renames every policy to its `@id`
//! (or `<file stem>:<index>` with a warning when it has none) and checks that
//! ids are unique across all files of a project.
//!
//! Templates (policies with `?principal` / `?resource` slots) are named the
//! same way and share the id space; [`crate::links`] links them from
//! `links.json` into the same policy set, under their link ids.

use crate::diagnostic::{from_miette, Diagnostic, Severity, Span};
use cedar_policy::{Effect, Policy, PolicyId, PolicySet, Template};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What a step-up policy asks for before the denied action may proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum StepUp {
    /// A human confirms the action.
    HumanApproval,
    /// The agent obtains time-limited elevated rights.
    Elevation,
}

impl StepUp {
    fn parse(value: &str) -> Option<StepUp> {
        match value {
            "human_approval" => Some(StepUp::HumanApproval),
            "elevation" => Some(StepUp::Elevation),
            _ => None,
        }
    }

    /// The annotation value naming this step-up.
    pub fn as_str(self) -> &'static str {
        match self {
            StepUp::HumanApproval => "human_approval",
            StepUp::Elevation => "elevation",
        }
    }
}

/// One policy as Writ shows it.
#[derive(Debug, Clone)]
pub struct PolicyInfo {
    /// The Writ id (`@id`, or `<file stem>:<index>`; for a template-linked
    /// policy, its link id).
    pub id: String,
    /// The file the policy came from (for a linked policy, the links file).
    pub file: PathBuf,
    /// Where the policy's text sits in its file, when it could be located
    /// (for a linked policy, where its link sits in the links file).
    pub span: Option<Span>,
    /// Permit or forbid.
    pub effect: Effect,
    /// The `@step_up` annotation, for forbid policies that approval or elevation lifts.
    pub step_up: Option<StepUp>,
    /// The `@description` annotation.
    pub description: Option<String>,
    /// The `@control` annotation: the framework controls this policy implements.
    pub control: Option<String>,
    /// Every annotation, by key.
    pub annotations: BTreeMap<String, String>,
    /// The policy's source text (for a linked policy, the template's text
    /// with its slots filled).
    pub text: String,
}

impl PolicyInfo {
    /// `permit` or `forbid`.
    pub fn effect_name(&self) -> &'static str {
        match self.effect {
            Effect::Permit => "permit",
            Effect::Forbid => "forbid",
        }
    }
}

/// One policy template (a policy with `?principal` and/or `?resource`
/// slots), as Writ shows it. Its fields mean what they mean for a policy;
/// `@step_up` on a template applies to every policy linked from it.
#[derive(Debug, Clone)]
pub struct TemplateInfo {
    /// What the template shares with a policy: id, file, span, effect,
    /// annotations, text.
    pub info: PolicyInfo,
    /// Its slots, as written (`?principal`, `?resource`), sorted.
    pub slots: Vec<String>,
    /// The name the Cedar CLI gives it when it has no `@id` (`policyN`,
    /// see [`PolicyCatalog::by_cedar_name`]).
    pub cedar_name: String,
}

/// One template-linked policy: a link of `links.json`.
#[derive(Debug, Clone)]
pub struct LinkInfo {
    /// The link id: the policy id decisions name.
    pub id: String,
    /// The Writ id of the template it links.
    pub template: String,
    /// The slot values (`?principal` -> `User::"bob"`), as Cedar prints them.
    pub args: BTreeMap<String, String>,
    /// The linked policy as decisions show it (file and span: the link in
    /// the links file; effect and annotations, `@step_up` included: the
    /// template's).
    pub policy: PolicyInfo,
}

/// The policies of one project: the Cedar policy set (with Writ ids) and
/// what Writ knows about each policy, template and link.
#[derive(Debug, Clone)]
pub struct PolicyCatalog {
    /// The Cedar policy set: every static policy and template renamed to its
    /// Writ id, and every link under its link id.
    pub set: PolicySet,
    /// Every static policy in file order, then source order.
    pub policies: Vec<PolicyInfo>,
    /// Every template in file order, then source order.
    pub templates: Vec<TemplateInfo>,
    /// Every link, in the order of the links file.
    pub links: Vec<LinkInfo>,
    index: HashMap<String, usize>,
    template_index: HashMap<String, usize>,
    link_index: HashMap<String, usize>,
    cedar_names: HashMap<String, String>,
}

impl Default for PolicyCatalog {
    fn default() -> Self {
        PolicyCatalog {
            set: PolicySet::new(),
            policies: Vec::new(),
            templates: Vec::new(),
            links: Vec::new(),
            index: HashMap::new(),
            template_index: HashMap::new(),
            link_index: HashMap::new(),
            cedar_names: HashMap::new(),
        }
    }
}

impl PolicyCatalog {
    /// The policy that decisions name `id`: a static policy, or a
    /// template-linked policy by its link id.
    pub fn get(&self, id: &str) -> Option<&PolicyInfo> {
        self.index
            .get(id)
            .map(|&i| &self.policies[i])
            .or_else(|| self.link(id).map(|l| &l.policy))
    }

    /// The position of static policy `id` in [`PolicyCatalog::policies`].
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The template with Writ id `id`.
    pub fn template(&self, id: &str) -> Option<&TemplateInfo> {
        self.template_index.get(id).map(|&i| &self.templates[i])
    }

    /// The link with link id `id`.
    pub fn link(&self, id: &str) -> Option<&LinkInfo> {
        self.link_index.get(id).map(|&i| &self.links[i])
    }

    /// Whether `id` names a static policy, a template or a link.
    pub fn uses_id(&self, id: &str) -> bool {
        self.index.contains_key(id)
            || self.template_index.contains_key(id)
            || self.link_index.contains_key(id)
    }

    /// The Writ id of what the Cedar CLI calls `name` when given this
    /// project's policy files concatenated: `policyN` is the Nth policy or
    /// template (counting both, from 0) of the files in the order Writ reads
    /// them (`policies/*.cedar` sorted by file name, byte order), in source
    /// order within each file.
    pub fn by_cedar_name(&self, name: &str) -> Option<&str> {
        self.cedar_names.get(name).map(String::as_str)
    }

    /// Records a link made in [`PolicyCatalog::set`].
    pub(crate) fn push_link(&mut self, link: LinkInfo) {
        self.link_index.insert(link.id.clone(), self.links.len());
        self.links.push(link);
    }
}

/// One policy file to parse: its path (as it should be shown) and its text.
pub struct PolicySource<'a> {
    /// Path shown in diagnostics.
    pub path: &'a Path,
    /// The file's text.
    pub text: &'a str,
}

/// A parsed statement of a file: a static policy or a template.
enum Statement<'a> {
    Static(&'a Policy),
    Template(&'a Template),
}

impl Statement<'_> {
    fn text(&self) -> String {
        match self {
            Statement::Static(p) => p.to_string(),
            Statement::Template(t) => t.to_string(),
        }
    }
    fn annotation(&self, key: &str) -> Option<&str> {
        match self {
            Statement::Static(p) => p.annotation(key),
            Statement::Template(t) => t.annotation(key),
        }
    }
    fn annotations(&self) -> BTreeMap<String, String> {
        let pairs: Vec<(&str, &str)> = match self {
            Statement::Static(p) => p.annotations().collect(),
            Statement::Template(t) => t.annotations().collect(),
        };
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
    fn effect(&self) -> Effect {
        match self {
            Statement::Static(p) => p.effect(),
            Statement::Template(t) => t.effect(),
        }
    }
    fn cedar_id(&self) -> &PolicyId {
        match self {
            Statement::Static(p) => p.id(),
            Statement::Template(t) => t.id(),
        }
    }
}

/// Parses every policy file, assigns Writ ids and reports every problem.
/// Templates are named like policies (`@id`, or `<file stem>:<index>`) and
/// share their id space. Returns the catalogue of what parsed (possibly
/// partial when there are errors) and the diagnostics.
pub fn parse_policy_files(sources: &[PolicySource<'_>]) -> (PolicyCatalog, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut infos: Vec<PolicyInfo> = Vec::new();
    let mut templates: Vec<TemplateInfo> = Vec::new();
    let mut renamed: Vec<Policy> = Vec::new();
    let mut renamed_templates: Vec<Template> = Vec::new();
    // Every id in use, policies and templates alike: (file, span, text) of its first use.
    let mut used: HashMap<String, (PathBuf, Option<Span>, String)> = HashMap::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut template_index: HashMap<String, usize> = HashMap::new();
    let mut cedar_names: HashMap<String, String> = HashMap::new();
    let mut cedar_counter = 0usize;

    for src in sources {
        let parsed = match PolicySet::from_str(src.text) {
            Ok(set) => set,
            Err(errs) => {
                for e in errs.iter() {
                    diags.push(
                        from_miette("policy-parse", Severity::Error, src.path, 0, e)
                            .with_hint(parse_hint(&e.to_string())),
                    );
                }
                continue;
            }
        };
        let mut in_order: Vec<Statement<'_>> = parsed
            .policies()
            .map(Statement::Static)
            .chain(parsed.templates().map(Statement::Template))
            .collect();
        in_order.sort_by_key(|s| cedar_index(s.cedar_id()));
        let stem = src
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut cursor = 0usize;
        for (n, statement) in in_order.into_iter().enumerate() {
            let cedar_name = format!("policy{}", cedar_counter);
            cedar_counter += 1;
            let text = statement.text();
            let span = src.text[cursor..].find(&text).map(|at| {
                let start = cursor + at;
                cursor = start + text.len();
                Span::new(start, text.len())
            });
            let what = match statement {
                Statement::Static(_) => "policy",
                Statement::Template(_) => "template",
            };
            let id = match statement.annotation("id") {
                Some(id) if !id.trim().is_empty() => id.to_string(),
                Some(_) => {
                    diags.push(
                        Diagnostic::error(
                            "policy-id-empty",
                            src.path,
                            id_span(src.text, span),
                            "the @id annotation is empty",
                        )
                        .with_hint("give the policy a short unique name, e.g. @id(\"deploy-needs-approval\")"),
                    );
                    format!("{stem}:{n}")
                }
                None => {
                    let id = format!("{stem}:{n}");
                    diags.push(
                        Diagnostic::warning(
                            "policy-id-missing",
                            src.path,
                            span.map(|s| Span::new(s.start, 1)),
                            format!("{what} has no @id annotation; it is shown as `{id}`"),
                        )
                        .with_hint(format!("add @id(\"...\") above the {what} so it keeps its name when files change")),
                    );
                    id
                }
            };
            if let Some((file, first_span, first_text)) = used.get(&id) {
                diags.push(
                    Diagnostic::error(
                        "policy-id-duplicate",
                        src.path,
                        id_span(src.text, span),
                        format!("policy id `{id}` is used more than once"),
                    )
                    .with_related(
                        file.clone(),
                        first_span.and_then(|s| id_span_in(first_text, s.start)),
                        "first used here",
                    )
                    .with_hint(
                        "policy and template ids must be unique across all policy files; rename one of them",
                    ),
                );
                continue;
            }
            used.insert(id.clone(), (src.path.to_path_buf(), span, text.clone()));
            cedar_names.insert(cedar_name.clone(), id.clone());
            let annotations = statement.annotations();
            let step_up = read_step_up(&statement, &id, src.path, span, &mut diags);
            let info = PolicyInfo {
                id: id.clone(),
                file: src.path.to_path_buf(),
                span,
                effect: statement.effect(),
                step_up,
                description: annotations.get("description").cloned(),
                control: annotations.get("control").cloned(),
                annotations,
                text,
            };
            match statement {
                Statement::Static(policy) => {
                    index.insert(id.clone(), infos.len());
                    renamed.push(policy.new_id(PolicyId::new(&id)));
                    infos.push(info);
                }
                Statement::Template(template) => {
                    let mut slots: Vec<String> =
                        template.slots().map(ToString::to_string).collect();
                    slots.sort();
                    slots.dedup();
                    template_index.insert(id.clone(), templates.len());
                    renamed_templates.push(template.new_id(PolicyId::new(&id)));
                    templates.push(TemplateInfo {
                        info,
                        slots,
                        cedar_name,
                    });
                }
            }
        }
    }

    let mut set = PolicySet::new();
    // Ids were checked unique above, so adding cannot collide.
    let mut refused: Vec<String> = Vec::new();
    for p in renamed {
        if let Err(e) = set.add(p) {
            refused.push(e.to_string());
        }
    }
    for t in renamed_templates {
        if let Err(e) = set.add_template(t) {
            refused.push(e.to_string());
        }
    }
    for e in refused {
        diags.push(Diagnostic::error(
            "policy-set",
            PathBuf::new(),
            None,
            e.to_string(),
        ));
    }
    (
        PolicyCatalog {
            set,
            policies: infos,
            templates,
            links: Vec::new(),
            index,
            template_index,
            link_index: HashMap::new(),
            cedar_names,
        },
        diags,
    )
}

/// Reads `@step_up`, which only a forbid may carry.
fn read_step_up(
    statement: &Statement<'_>,
    id: &str,
    path: &Path,
    span: Option<Span>,
    diags: &mut Vec<Diagnostic>,
) -> Option<StepUp> {
    let v = statement.annotation("step_up")?;
    match StepUp::parse(v) {
        Some(s) if statement.effect() == Effect::Forbid => Some(s),
        Some(_) => {
            diags.push(
                Diagnostic::error(
                    "policy-step-up-permit",
                    path,
                    span.map(|s| Span::new(s.start, 1)),
                    format!("policy `{id}` is a permit but carries @step_up"),
                )
                .with_hint("@step_up marks a forbid that human approval or elevation lifts; put it on the forbid"),
            );
            None
        }
        None => {
            diags.push(
                Diagnostic::error(
                    "policy-step-up-value",
                    path,
                    span.map(|s| Span::new(s.start, 1)),
                    format!("unknown @step_up value `{v}` on policy `{id}`"),
                )
                .with_hint("use @step_up(\"human_approval\") or @step_up(\"elevation\")"),
            );
            None
        }
    }
}

/// The numeric suffix of Cedar's default ids (`policy12` -> 12).
fn cedar_index(id: &PolicyId) -> usize {
    id.to_string()
        .trim_start_matches("policy")
        .parse()
        .unwrap_or(usize::MAX)
}

fn id_span(file_text: &str, policy_span: Option<Span>) -> Option<Span> {
    let s = policy_span?;
    id_span_in(&file_text[s.start..s.end], s.start)
}

/// The span of the `@id(...)` annotation inside a policy's text.
fn id_span_in(policy_text: &str, base: usize) -> Option<Span> {
    let at = policy_text.find("@id")?;
    let end = policy_text[at..].find(')').map_or(3, |e| e + 1);
    Some(Span::new(base + at, end))
}

fn parse_hint(message: &str) -> String {
    if message.contains("unexpected end of input") {
        "a policy must end with `;` after its closing parenthesis or condition".to_string()
    } else if message.contains("unexpected token") {
        "check the token under the caret; the Cedar grammar is `effect(principal, action, resource) when { ... };`".to_string()
    } else {
        "fix the policy text at the marked place and run `writ check` again".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(files: &[(&str, &str)]) -> (PolicyCatalog, Vec<Diagnostic>) {
        let paths: Vec<PathBuf> = files.iter().map(|(p, _)| PathBuf::from(p)).collect();
        let sources: Vec<PolicySource<'_>> = files
            .iter()
            .zip(&paths)
            .map(|((_, t), p)| PolicySource { path: p, text: t })
            .collect();
        parse_policy_files(&sources)
    }

    #[test]
    fn ids_come_from_annotations_and_stems() {
        let (cat, diags) = parse(&[(
            "policies/base.cedar",
            "@id(\"a\")\npermit(principal, action, resource);\n// c\nforbid(principal, action, resource);\n",
        )]);
        let ids: Vec<&str> = cat.policies.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["a", "base:1"]);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, "policy-id-missing");
        assert!(cat.set.policy(&PolicyId::new("a")).is_some());
        let span = cat.policies[1].span.expect("located");
        assert_eq!(span.start, 51);
    }

    #[test]
    fn duplicate_ids_point_at_both_files() {
        let (cat, diags) = parse(&[
            (
                "a.cedar",
                "@id(\"x\")\npermit(principal, action, resource);",
            ),
            (
                "b.cedar",
                "\n\n@id(\"x\")\nforbid(principal, action, resource);",
            ),
        ]);
        assert_eq!(cat.policies.len(), 1);
        let d = diags
            .iter()
            .find(|d| d.code == "policy-id-duplicate")
            .expect("dup");
        assert_eq!(d.file, PathBuf::from("b.cedar"));
        assert_eq!(d.span, Some(Span::new(2, 8)));
        assert_eq!(d.related[0].file, PathBuf::from("a.cedar"));
        assert_eq!(d.related[0].span, Some(Span::new(0, 8)));
    }

    #[test]
    fn every_parse_error_is_located() {
        let (_, diags) = parse(&[("bad.cedar", "permit(principal ==, action, resource);")]);
        assert!(!diags.is_empty());
        assert!(diags
            .iter()
            .all(|d| d.code == "policy-parse" && d.span.is_some()));
    }

    #[test]
    fn step_up_is_read_from_forbids() {
        let (cat, diags) = parse(&[(
            "r.cedar",
            "@id(\"s\")\n@step_up(\"human_approval\")\nforbid(principal, action, resource);",
        )]);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(cat.policies[0].step_up, Some(StepUp::HumanApproval));
    }
}
