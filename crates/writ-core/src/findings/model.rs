//! What a finding is: its code, severity, message and evidence. The
//! types every other part of [`crate::findings`] builds on.

use crate::inventory::RiskTier;
use serde::{Deserialize, Serialize};

/// How serious a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "lowercase")]
#[ts(rename = "FindingSeverity")]
pub enum Severity {
    /// Worth knowing.
    Low,
    /// Should be fixed in the normal course of work.
    Medium,
    /// Should be fixed soon: governance does not hold.
    High,
    /// Fix now: an agent acts where it must not, unaccounted for.
    Critical,
}

impl Severity {
    /// Every severity, most serious first.
    pub const DESCENDING: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The severity of a risk tier's own name (`low` tier → `Low`, ...).
    pub fn of_tier(tier: RiskTier) -> Severity {
        match tier {
            RiskTier::Low => Severity::Low,
            RiskTier::Medium => Severity::Medium,
            RiskTier::High => Severity::High,
            RiskTier::Critical => Severity::Critical,
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "`{s}` is not a severity; use low, medium, high or critical"
            )),
        }
    }
}

/// The kind of a finding; its stable code is [`FindingCode::as_str`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "kebab-case")]
pub enum FindingCode {
    /// An agent without an accountable owner.
    NoOwner,
    /// An agent whose governance review date has passed.
    ReviewOverdue,
    /// A high or critical agent whose inventory credential is static.
    StaticCredential,
    /// Actions presented with a static credential or one living longer than
    /// the inventory allows (any static one for high and critical agents).
    StaticCredentialUsed,
    /// One identity claimed by several agents (a shared service account).
    SharedIdentity,
    /// An agent's traffic arrives under an identity it shares with another.
    TrafficUnderSharedIdentity,
    /// A retired agent acting in the trace.
    RetiredAgentActing,
    /// A suspended agent acting in the trace.
    SuspendedAgentActing,
    /// An identity no inventory entry claims, acting in the trace.
    ShadowAgent,
    /// A tool used in the trace that the inventory does not list.
    UnlistedTool,
    /// An agent acting for an intent outside its approved use cases.
    OffUseCase,
    /// An agent field still holding a placeholder (listed in `unconfirmed`,
    /// as `writ draft` writes it) that a human has to fill in.
    UnconfirmedField,
    /// A permit whose scope lets an inventory agent take an action it never
    /// took with an allow in the trace: a grant nobody used.
    UnusedGrant,
}

impl FindingCode {
    /// Every code, in documentation order.
    pub const ALL: [FindingCode; 13] = [
        FindingCode::NoOwner,
        FindingCode::ReviewOverdue,
        FindingCode::StaticCredential,
        FindingCode::StaticCredentialUsed,
        FindingCode::SharedIdentity,
        FindingCode::TrafficUnderSharedIdentity,
        FindingCode::RetiredAgentActing,
        FindingCode::SuspendedAgentActing,
        FindingCode::ShadowAgent,
        FindingCode::UnlistedTool,
        FindingCode::OffUseCase,
        FindingCode::UnconfirmedField,
        FindingCode::UnusedGrant,
    ];

    /// The codes found by reading policies against a replay (see
    /// `crate::grants`), not by the inventory and trace rules.
    pub const FROM_POLICIES: [FindingCode; 1] = [FindingCode::UnusedGrant];

    /// The stable code, e.g. `shadow-agent`.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::NoOwner => "no-owner",
            FindingCode::ReviewOverdue => "review-overdue",
            FindingCode::StaticCredential => "static-credential",
            FindingCode::StaticCredentialUsed => "static-credential-used",
            FindingCode::SharedIdentity => "shared-identity",
            FindingCode::TrafficUnderSharedIdentity => "traffic-under-shared-identity",
            FindingCode::RetiredAgentActing => "retired-agent-acting",
            FindingCode::SuspendedAgentActing => "suspended-agent-acting",
            FindingCode::ShadowAgent => "shadow-agent",
            FindingCode::UnlistedTool => "unlisted-tool",
            FindingCode::OffUseCase => "off-use-case",
            FindingCode::UnconfirmedField => "unconfirmed-field",
            FindingCode::UnusedGrant => "unused-grant",
        }
    }
}

/// A place in the inventory file that a finding rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct InventoryEvidence {
    /// The inventory file as shown (`sample-policies/v2/inventory.toml`, `@e1145c3bb4be/inventory.toml`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// What is there (`status = "retired"`, `agent legacy-report-bot`).
    pub note: String,
}

/// Trace actions a finding rests on: their count and the first lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ActionEvidence {
    /// Where the actions are (`trace set \`recorded\``, a file path).
    pub source: String,
    /// How many actions.
    pub count: u64,
    /// The first of their line numbers, ascending.
    pub lines: Vec<usize>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Finding {
    /// Stable code.
    pub code: FindingCode,
    /// How serious it is.
    pub severity: Severity,
    /// What it is about: an agent id, an identity or a tool name.
    pub subject: String,
    /// One sentence saying what is wrong.
    pub message: String,
    /// Inventory locations.
    pub inventory: Vec<InventoryEvidence>,
    /// Trace actions, when the finding comes from the trace.
    pub actions: Option<ActionEvidence>,
}
