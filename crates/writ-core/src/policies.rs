//! Policy files: parsing, Writ policy ids, and the catalogue of policies.
//!
//! Cedar numbers unnamed policies `policy0`, `policy1`, ... per parse. Analysts
//! name policies with `@id("...")`, so Writ renames every policy to its `@id`
//! (or `<file stem>:<index>` with a warning when it has none) and checks that
//! ids are unique across all files of a project.

use crate::diagnostic::{from_miette, Diagnostic, Severity, Span};
use cedar_policy::{Effect, Policy, PolicyId, PolicySet};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What a step-up policy asks for before the denied action may proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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
    /// The Writ id (`@id`, or `<file stem>:<index>`).
    pub id: String,
    /// The file the policy came from.
    pub file: PathBuf,
    /// Where the policy's text sits in its file, when it could be located.
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
    /// The policy's source text.
    pub text: String,
}

/// The policies of one project: the Cedar policy set (with Writ ids) and
/// what Writ knows about each policy.
#[derive(Debug, Clone)]
pub struct PolicyCatalog {
    /// The Cedar policy set, every policy renamed to its Writ id.
    pub set: PolicySet,
    /// Every policy in file order, then source order.
    pub policies: Vec<PolicyInfo>,
    index: HashMap<String, usize>,
}

impl PolicyCatalog {
    /// The policy with Writ id `id`.
    pub fn get(&self, id: &str) -> Option<&PolicyInfo> {
        self.index.get(id).map(|&i| &self.policies[i])
    }

    /// The position of policy `id` in [`PolicyCatalog::policies`].
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }
}

/// One policy file to parse: its path (as it should be shown) and its text.
pub struct PolicySource<'a> {
    /// Path shown in diagnostics.
    pub path: &'a Path,
    /// The file's text.
    pub text: &'a str,
}

/// Parses every policy file, assigns Writ ids and reports every problem.
/// Returns the catalogue of the policies that parsed (possibly partial when
/// there are errors) and the diagnostics.
pub fn parse_policy_files(sources: &[PolicySource<'_>]) -> (PolicyCatalog, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut infos: Vec<PolicyInfo> = Vec::new();
    let mut renamed: Vec<Policy> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();

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
        if parsed.templates().next().is_some() {
            diags.push(
                Diagnostic::error(
                    "policy-template",
                    src.path,
                    None,
                    "policy templates (with ?principal or ?resource slots) are not supported in a Writ project",
                )
                .with_hint("write a static policy for each principal or resource instead"),
            );
        }
        let mut in_order: Vec<&Policy> = parsed.policies().collect();
        in_order.sort_by_key(|p| cedar_index(p.id()));
        let stem = src
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut cursor = 0usize;
        for (n, policy) in in_order.into_iter().enumerate() {
            let text = policy.to_string();
            let span = src.text[cursor..].find(&text).map(|at| {
                let start = cursor + at;
                cursor = start + text.len();
                Span::new(start, text.len())
            });
            let id = match policy.annotation("id") {
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
                            format!("policy has no @id annotation; it is shown as `{id}`"),
                        )
                        .with_hint("add @id(\"...\") above the policy so it keeps its name when files change"),
                    );
                    id
                }
            };
            if let Some(&first) = index.get(&id) {
                let prev: &PolicyInfo = &infos[first];
                diags.push(
                    Diagnostic::error(
                        "policy-id-duplicate",
                        src.path,
                        id_span(src.text, span),
                        format!("policy id `{id}` is used more than once"),
                    )
                    .with_related(
                        prev.file.clone(),
                        prev.span.and_then(|s| id_span_in(&prev.text, s.start)),
                        "first used here",
                    )
                    .with_hint(
                        "policy ids must be unique across all policy files; rename one of them",
                    ),
                );
                continue;
            }
            let annotations: BTreeMap<String, String> = policy
                .annotations()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let step_up = match policy.annotation("step_up") {
                None => None,
                Some(v) => match StepUp::parse(v) {
                    Some(s) if policy.effect() == Effect::Forbid => Some(s),
                    Some(_) => {
                        diags.push(
                            Diagnostic::error(
                                "policy-step-up-permit",
                                src.path,
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
                                src.path,
                                span.map(|s| Span::new(s.start, 1)),
                                format!("unknown @step_up value `{v}` on policy `{id}`"),
                            )
                            .with_hint(
                                "use @step_up(\"human_approval\") or @step_up(\"elevation\")",
                            ),
                        );
                        None
                    }
                },
            };
            index.insert(id.clone(), infos.len());
            renamed.push(policy.new_id(PolicyId::new(&id)));
            infos.push(PolicyInfo {
                id,
                file: src.path.to_path_buf(),
                span,
                effect: policy.effect(),
                step_up,
                description: annotations.get("description").cloned(),
                control: annotations.get("control").cloned(),
                annotations,
                text,
            });
        }
    }

    let mut set = PolicySet::new();
    for p in renamed {
        // Ids were checked unique above, so adding cannot collide.
        if let Err(e) = set.add(p) {
            diags.push(Diagnostic::error(
                "policy-set",
                PathBuf::new(),
                None,
                e.to_string(),
            ));
        }
    }
    (
        PolicyCatalog {
            set,
            policies: infos,
            index,
        },
        diags,
    )
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
