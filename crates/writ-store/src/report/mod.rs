//! The evidence report of a version: everything an auditor needs about one
//! stored version gathered into a [`ReportData`] ([`Workspace::report_data`])
//! and rendered as one self-contained, script-free HTML file
//! ([`render_html`]).
//!
//! The data is drawn from the store only (the version, its inventory and
//! policies, the findings over a stored trace set, the scenario suites bound
//! to it, its review rounds and the bundles exported of it), so the same
//! workspace state always gives the same bytes: the generated-at time is
//! either given or the time of the newest audit event.

mod controls;
mod data;
mod html;

pub use controls::{parse_controls, ControlRef, Framework};
pub use data::{InventorySummary, ReportData, SuiteResult};
pub use html::render_html;

use crate::error::StoreError;
use crate::suites::Overrides;
use crate::workspace::Workspace;
use std::path::PathBuf;
use writ_core::findings::{find, InventoryInput, TraceInput};
use writ_core::policies::{parse_policy_files, PolicySource};

/// Why a report could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The workspace could not give what the report needs.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `--generated-at` is not an RFC 3339 time.
    #[error("`{0}` is not an RFC 3339 time (like 2026-11-30T12:00:00Z); give the generation time in that form")]
    BadTime(String),
}

/// What to gather.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions<'a> {
    /// The trace set for the findings (name or id); default: the set the
    /// current review used, else the inventory alone.
    pub traces: Option<&'a str>,
    /// The generated-at time (RFC 3339); default: the newest audit event's.
    pub generated_at: Option<&'a str>,
}

/// The date part of an RFC 3339 time.
fn date_of(ts: &str) -> Result<time::Date, ReportError> {
    let t = time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
        .map_err(|_| ReportError::BadTime(ts.to_string()))?;
    Ok(t.to_offset(time::UtcOffset::UTC).date())
}

impl Workspace {
    /// Gathers the evidence report of version `id_or_prefix`.
    pub fn report_data(
        &self,
        id_or_prefix: &str,
        opts: &ReportOptions<'_>,
    ) -> Result<ReportData, ReportError> {
        let version = self.version(id_or_prefix)?;
        let id = version.id.clone();
        let status = self.version_status(&id)?;
        let rounds = self.review_history(&id)?;
        let generated_at = match opts.generated_at {
            Some(t) => {
                date_of(t)?;
                t.to_string()
            }
            None => self
                .audit_events()?
                .last()
                .map(|e| e.ts.clone())
                .unwrap_or_else(|| version.created_at.to_string()),
        };
        let today = date_of(&generated_at)?;
        let (_, files) = self.version_files(&id)?;

        // Policies.
        let paths: Vec<PathBuf> = files
            .policies
            .iter()
            .map(|f| PathBuf::from(&f.relative))
            .collect();
        let sources: Vec<PolicySource<'_>> = files
            .policies
            .iter()
            .zip(&paths)
            .map(|(f, p)| PolicySource {
                path: p,
                text: &f.text,
            })
            .collect();
        let (catalog, _) = parse_policy_files(&sources);
        let policies = catalog.policies;

        // Inventory and findings.
        let traces = opts
            .traces
            .map(str::to_string)
            .or_else(|| rounds.last().map(|r| r.evidence.set.to_string()));
        let mut findings = Vec::new();
        let mut findings_source = None;
        let inventory = match &files.inventory {
            None => Err("this version has no inventory.toml".to_string()),
            Some(file) => {
                let (inv, _) = writ_core::inventory::load(
                    std::path::Path::new(&file.relative),
                    &file.text,
                    today,
                );
                match inv {
                    None => Err(format!(
                        "{} cannot be read (the version's check shows why)",
                        file.relative
                    )),
                    Some(inv) => {
                        let agg = match &traces {
                            Some(t) => Some(self.trace_aggregate(t, 5, &|_| {})?),
                            None => None,
                        };
                        let source = agg.as_ref().map(|(s, _)| format!("trace set `{}`", s.name));
                        findings = find(
                            InventoryInput {
                                inventory: &inv,
                                text: &file.text,
                                file: &file.relative,
                            },
                            agg.as_ref()
                                .zip(source.as_ref())
                                .map(|((_, a), s)| TraceInput {
                                    source: s,
                                    aggregate: a,
                                }),
                            today,
                        );
                        findings_source = source;
                        Ok(summarize(&inv))
                    }
                }
            }
        };

        // Suites bound to the version.
        let mut suites = Vec::new();
        for s in self.list_suites()? {
            if s.version.as_deref() != Some(id.as_str()) {
                continue;
            }
            let run = self.run_suites(&[s.name.as_str()], Overrides::default())?;
            let cases = run.run.cases;
            if let Some(outcome) = run.suites.into_iter().next() {
                suites.push(SuiteResult { outcome, cases });
            }
        }

        let bundles = self
            .bundles()?
            .into_iter()
            .filter(|b| b.bundle.version_id == id)
            .collect();

        Ok(ReportData {
            version,
            status,
            rounds,
            generated_at,
            inventory,
            findings_source,
            findings,
            policies,
            suites,
            bundles,
        })
    }
}

fn summarize(inv: &writ_core::inventory::Inventory) -> InventorySummary {
    let mut s = InventorySummary {
        agents: inv.agent.len(),
        ..Default::default()
    };
    for a in &inv.agent {
        let tier = format!("{:?}", a.risk_tier).to_lowercase();
        let status = format!("{:?}", a.status).to_lowercase();
        let owner = a
            .owner
            .as_ref()
            .map(|o| o.get_ref().clone())
            .unwrap_or_else(|| "(no owner)".to_string());
        *s.by_tier.entry(tier.clone()).or_default() += 1;
        *s.by_status.entry(status.clone()).or_default() += 1;
        *s.by_owner.entry(owner.clone()).or_default() += 1;
        s.rows
            .push([a.id.get_ref().clone(), a.name.clone(), tier, status, owner]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::create_sample;

    #[test]
    fn a_draft_sample_version_gathers_inventory_policies_and_suites_but_no_review() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sample = create_sample(&dir.path().join("s.writ"), "alice").expect("sample");
        let ws = Workspace::open(&dir.path().join("s.writ")).expect("open");
        let v1 = &sample.versions[0];
        let d = ws
            .report_data(v1, &ReportOptions::default())
            .expect("report data");
        assert_eq!(&d.version.id, v1);
        assert!(d.rounds.is_empty());
        assert!(d.bundles.is_empty());
        assert_eq!(d.findings_source, None, "no review, no set given");
        let inv = d.inventory.as_ref().expect("inventory");
        assert_eq!(inv.agents, inv.rows.len());
        assert_eq!(inv.by_tier.values().sum::<usize>(), inv.agents);
        assert!(d.policies.iter().any(|p| p.control.is_some()));
        assert!(!d.suites.is_empty(), "the sample binds suites to v1");
        assert!(d.suites.iter().all(|s| s.outcome.error.is_none()));
        let newest = ws.audit_events().expect("events");
        assert_eq!(Some(&d.generated_at), newest.last().map(|e| &e.ts));

        let with = ws
            .report_data(
                v1,
                &ReportOptions {
                    traces: Some("recorded"),
                    generated_at: Some("2026-01-01T00:00:00Z"),
                },
            )
            .expect("with a set");
        assert_eq!(with.generated_at, "2026-01-01T00:00:00Z");
        assert_eq!(
            with.findings_source.as_deref(),
            Some("trace set `recorded`")
        );
        assert!(with.findings.len() > d.findings.len());
        assert!(matches!(
            ws.report_data(
                v1,
                &ReportOptions {
                    traces: None,
                    generated_at: Some("noon")
                }
            ),
            Err(ReportError::BadTime(_))
        ));
        assert!(matches!(
            ws.report_data("ffff", &ReportOptions::default()),
            Err(ReportError::Store(StoreError::NotFound { .. }))
        ));
    }
}
