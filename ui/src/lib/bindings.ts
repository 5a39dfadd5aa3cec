// Generated from the Rust types of the desktop app's commands by
// src-tauri/src/bindings.rs (ts-rs). Do not edit: after changing a type, run
// `WRIT_UPDATE_BINDINGS=1 cargo test -p writ-app bindings` to regenerate.

/**
 * Trace actions a finding rests on: their count and the first lines.
 */
export type ActionEvidence = { 
/**
 * Where the actions are (`trace set \`recorded\``, a file path).
 */
source: string, 
/**
 * How many actions.
 */
count: number, 
/**
 * The first of their line numbers, ascending.
 */
lines: Array<number>, };

/**
 * The filters of the virtual table, as the front end sends them.
 */
export type ActionQuery = { set: number, run: number | null, agent: string | null, tool: string | null, verdict: string | null, 
/**
 * Only at or after this time (ISO 8601, e.g. `2026-11-02T06:00`).
 */
since: string | null, 
/**
 * Only before this time.
 */
until: string | null, };

/**
 * One inventory agent as views label it.
 */
export type AgentLabel = { 
/**
 * The inventory id (the Cedar entity id).
 */
id: string, 
/**
 * The inventory's display name.
 */
name: string, 
/**
 * Its workload identities (`spiffe://...`, `oidc:<issuer>|<subject>`).
 */
identities: Array<string>, };

/**
 * One approval of a version's current review round.
 */
export type ApprovalInfo = { 
/**
 * Who approved (as given).
 */
approver: string, 
/**
 * When.
 */
at: string, 
/**
 * What they said.
 */
comment: string | null, 
/**
 * The approver key that signed the approval (none in a legacy
 * workspace's unsigned steps).
 */
key_id: string | null, };

/**
 * One page of the trail, newest first.
 */
export type AuditPage = { 
/**
 * Events in the whole trail.
 */
all: number, 
/**
 * Events matching the filters.
 */
total: number, 
/**
 * Every kind in the trail, sorted.
 */
kinds: Array<string>, 
/**
 * Every actor in the trail, sorted.
 */
actors: Array<string>, 
/**
 * The page's events.
 */
events: Array<AuditRow>, };

/**
 * One audit event as the view lists it.
 */
export type AuditRow = { 
/**
 * Sequence number (1, 2, ...).
 */
id: number, 
/**
 * When (RFC 3339).
 */
ts: string, 
/**
 * Who.
 */
actor: string, 
/**
 * What kind of change (`version.commit`, `run.store`, ...).
 */
kind: string, 
/**
 * What it is about, drawn from the details (a version, run, set, ...).
 */
subject: string, 
/**
 * The details, as stored JSON text.
 */
details: string, 
/**
 * This event's hash.
 */
hash: string, };

/**
 * The result of checking the hash chain.
 */
export type AuditVerification = { 
/**
 * True when every event verifies.
 */
ok: boolean, 
/**
 * Events stored.
 */
events: number, 
/**
 * The newest event's hash, when intact and not empty.
 */
head: string | null, 
/**
 * The first event that does not verify (or the id of a missing one).
 */
broken_event: number | null, 
/**
 * Why it does not verify.
 */
reason: string | null, };

/**
 * An action of the schema, with what it applies to.
 */
export type BenchAction = { id: string, principals: Array<string>, resources: Array<string>, context: Array<BenchAttribute>, };

/**
 * An inventory agent, as the test bench lists it.
 */
export type BenchAgent = { id: string, name: string, };

/**
 * One attribute of a record type.
 */
export type BenchAttribute = { name: string, required: boolean, shape: BenchShape, };

/**
 * What the test bench's form is built from.
 */
export type BenchMeta = { agents: Array<BenchAgent>, 
/**
 * Sorted by id; only actions that apply to something (not groups).
 */
actions: Array<BenchAction>, };

/**
 * A determining policy, with its `@description`.
 */
export type BenchPolicy = { 
/**
 * Its Writ id (`@id`, or the link id).
 */
id: string, 
/**
 * `permit` or `forbid`.
 */
effect: string, 
/**
 * Its `@description`, if any.
 */
description: string | null, };

/**
 * One request composed in the test bench.
 */
export type BenchRequest = { 
/**
 * RFC 3339 time of the request (`context.now` when not given).
 */
ts: string, 
/**
 * An inventory agent id, a workload identity, any other identity (a
 * shadow agent) or a literal uid `Type::"id"`.
 */
agent: string, 
/**
 * The action: a bare id, or its uid `Ns::Action::"id"`.
 */
action: string, 
/**
 * The resource's entity type.
 */
resource_type: string, 
/**
 * The resource's id, exactly (spaces included).
 */
resource_id: string, 
/**
 * The person the agent acts for, if any (blank means none).
 */
on_behalf_of: string | null, 
/**
 * The context record.
 */
context: { [key in string]: JsonValue }, };

/**
 * The test bench's answer.
 */
export type BenchResult = { 
/**
 * The resolved principal, `Agent::"support-bot"`.
 */
principal: string, 
/**
 * How the principal was found.
 */
principal_kind: PrincipalKind, 
/**
 * Allow or deny.
 */
decision: Decision, 
/**
 * The classification of the decision.
 */
verdict: Verdict, 
/**
 * What would lift a step-up denial.
 */
step_up: StepUp | null, 
/**
 * The determining policies, sorted by id.
 */
policies: Array<BenchPolicy>, 
/**
 * Policies whose evaluation failed.
 */
errors: Array<PolicyError>, 
/**
 * Why the request could not be built, if it could not.
 */
request_error: string | null, };

/**
 * A declared type, serialised simply for the test bench's form.
 */
export type BenchShape = { "kind": "long" } | { "kind": "string" } | { "kind": "bool" } | { "kind": "set", of: BenchShape, } | { "kind": "record", attributes: Array<BenchAttribute>, } | { "kind": "entity", ty: string, } | { "kind": "extension", ty: string, };

/**
 * What checking a bundle found.
 */
export type BundleCheckView = { 
/**
 * The bundle's file or folder name.
 */
name: string, 
/**
 * Whether it verified.
 */
verified: boolean, 
/**
 * Why not (the message `writ bundle verify` prints), when it did not.
 */
problem: string | null, 
/**
 * `writ bundle verify`'s exit code (0 when verified).
 */
exit_code: number, 
/**
 * The version it ships.
 */
version: string | null, 
/**
 * The signing key's id.
 */
key_id: string | null, 
/**
 * The bundle digest.
 */
digest: string | null, 
/**
 * When it was created.
 */
created: string | null, 
/**
 * When it expires (none: never).
 */
expires: string | null, 
/**
 * Its release channel and sequence, when it has them.
 */
channel: string | null, 
/**
 * Its sequence in the channel.
 */
sequence: number | null, 
/**
 * Whether the approvals were checked (the workspace has approver keys).
 */
approvals_checked: boolean, 
/**
 * The approvals that counted.
 */
approvals: Array<CheckedApproval>, 
/**
 * Statements that did not count, and why.
 */
not_counted: Array<string>, };

/**
 * A recorded bundle export.
 */
export type BundleRecord = { 
/**
 * Sequence number.
 */
id: number, 
/**
 * When (RFC 3339).
 */
exported_at: string, 
/**
 * By whom.
 */
exported_by: string, 
/**
 * The bundled version (full id).
 */
version_id: string, 
/**
 * The signing key's id (registered).
 */
key_id: string, 
/**
 * The bundle's digest (SHA-256 of its manifest).
 */
digest: string, 
/**
 * Where it was written.
 */
path: string, 
/**
 * Whether it is a `.tar.gz` (else a folder).
 */
archive: boolean, 
/**
 * The manifest's creation time.
 */
created: string, 
/**
 * The manifest's expiry time.
 */
expires: string | null, 
/**
 * The release channel (format 2 bundles).
 */
channel: string | null, 
/**
 * The sequence number in the channel (format 2 bundles).
 */
sequence: number | null, };

/**
 * The exports (newest first) and the registered keys.
 */
export type BundlesView = { 
/**
 * Every export.
 */
bundles: Array<BundleRecord>, 
/**
 * Every registered key.
 */
keys: Array<KeyRow>, };

/**
 * The recorded tool calls an import keeps for re-mapping.
 */
export type CallsKept = { 
/**
 * How many.
 */
calls: number, 
/**
 * Their size as stored (JSON text, bytes).
 */
bytes: number, };

/**
 * One case of a run.
 */
export type CaseRow = { 
/**
 * The stored suite's name.
 */
suite: string, name: string, location: string, passed: boolean, failures: Array<string>, expected: CaseSide, actual: CaseSide, };

/**
 * What a case expected or got.
 */
export type CaseSide = { decision: string, 
/**
 * Expected: policies that must be among the determining ones;
 * actual: the determining policies.
 */
reasons: Array<string>, 
/**
 * `None` when the case does not check it.
 */
verdict: string | null, 
/**
 * `None` when the case does not check it.
 */
errors: number | null, };

/**
 * One action whose decision changed.
 */
export type Change = { 
/**
 * Line in the trace.
 */
line: number, 
/**
 * Kind of change.
 */
kind: ChangeKind, 
/**
 * The agent (inventory id or identity).
 */
agent: string, 
/**
 * The tool.
 */
action: string, 
/**
 * The resource, as `Type::"id"`.
 */
resource: string, 
/**
 * Before.
 */
from: Side, 
/**
 * After.
 */
to: Side, };

/**
 * How an action's decision changed between two versions.
 */
export type ChangeKind = "allow_to_deny" | "deny_to_allow" | "same_decision_other_reasons";

/**
 * A page of the changed actions of a run diff.
 */
export type ChangePage = { 
/**
 * Changed actions matching the agent filter.
 */
total: number, offset: number, changes: Array<Change>, };

/**
 * The check of the version under review.
 */
export type CheckEvidence = { 
/**
 * Errors (a version with any is not accepted for review).
 */
errors: number, 
/**
 * Warnings.
 */
warnings: number, };

/**
 * One approval that counted.
 */
export type CheckedApproval = { 
/**
 * Who approved (the name in the signed statement).
 */
approver: string, 
/**
 * The approver key that signed it.
 */
key_id: string, 
/**
 * When.
 */
at: string, };

/**
 * The profile file chosen for import, as the front end sees it.
 */
export type ChosenProfile = { 
/**
 * The file's name.
 */
file_name: string, 
/**
 * The profile's own name.
 */
name: string, 
/**
 * Its description.
 */
description: string, };

/**
 * The file chosen for import, as the front end sees it (never the path).
 */
export type ChosenTrace = { 
/**
 * The file's name.
 */
file_name: string, 
/**
 * The suggested set name (the file's stem).
 */
stem: string, 
/**
 * Its size in bytes.
 */
bytes: number, };

/**
 * What a commit did.
 */
export type CommitOutcome = { 
/**
 * The version id (the new one, or the existing one with that content).
 */
id: string, 
/**
 * False when the content equals an existing version: nothing changed.
 */
created: boolean, };

/**
 * Counts of one row of the diff tables.
 */
export type Counts = { name: string, total: number, allow_to_deny: number, deny_to_allow: number, other: number, };

/**
 * Policy coverage of one version.
 */
export type CoverageRow = { project: string, policies: number, missing: Array<string>, };

/**
 * An authorization decision.
 */
export type Decision = "allow" | "deny";

/**
 * The decision diff from the baseline to the version.
 */
export type DiffEvidence = { 
/**
 * Actions compared.
 */
actions: number, 
/**
 * Actions whose outcome did not change.
 */
unchanged: number, 
/**
 * Actions whose outcome changed.
 */
changed: number, 
/**
 * Allowed before, denied now.
 */
allow_to_deny: number, 
/**
 * Denied before, allowed now.
 */
deny_to_allow: number, 
/**
 * Same decision, other determining policies, errors or verdict.
 */
same_decision_other_reasons: number, 
/**
 * Changed actions per agent.
 */
changed_by_agent: { [key in string]: number }, 
/**
 * Agents for which some action's decision or verdict changes (what
 * they may do changes, not only why).
 */
agents_with_decision_changes: Array<string>, };

/**
 * What replaying the trace against its draft showed.
 */
export type DraftCheck = { 
/**
 * Actions replayed.
 */
actions: number, 
/**
 * Actions allowed.
 */
allowed: number, 
/**
 * Executed, not denied calls inside a plain grant.
 */
granted_calls: number, 
/**
 * Of those, the allowed ones (equal to `granted_calls` when the draft holds).
 */
granted_allowed: number, 
/**
 * Calls inside a step-up grant that need a step-up.
 */
needs_step_up: number, 
/**
 * Actions whose agent resolved to no inventory entry.
 */
shadow_actions: number, 
/**
 * Actions whose context holds a value the draft could not type (see
 * [`DraftReport::untyped`]) or that Cedar cannot read even without a
 * schema (an extension value with a bad argument): not judged.
 */
undecidable: number, 
/**
 * Decisions outside what the draft states, counted.
 */
problem_count: number, 
/**
 * The first of them, with their lines.
 */
problems: Array<string>, };

/**
 * Which principals or resources a grant covers: listed ones of one
 * entity type, or (widened) any of the type.
 */
export type DraftEntityScope = { "kind": "listed", 
/**
 * Entity type.
 */
entity_type: string, 
/**
 * Entity ids, sorted.
 */
ids: Array<string>, } | { "kind": "any_of", 
/**
 * Entity type.
 */
entity_type: string, 
/**
 * How many distinct ones were seen (at least).
 */
seen: number, };

/**
 * One drafted file, as it would be stored.
 */
export type DraftFile = { 
/**
 * Its path in the project (`schema.cedarschema`, `inventory.toml`,
 * `policies/grants.cedar`, ...).
 */
path: string, 
/**
 * Its text.
 */
text: string, };

/**
 * Something a human must look at before the draft is used.
 */
export type DraftFinding = { 
/**
 * `step-up-draft`, `widened-grant`, `shadow-identity`, `name-only-identity`.
 */
code: string, 
/**
 * The policy, tool or identity it is about.
 */
subject: string, 
/**
 * What was drafted and why (no instructions: see `next`).
 */
message: string, 
/**
 * What a person can do about it.
 */
next: DraftNextStep, };

/**
 * One permit of the draft.
 */
export type DraftGrant = { 
/**
 * The policy's `@id`.
 */
id: string, 
/**
 * The tool (action id).
 */
tool: string, 
/**
 * Who.
 */
principals: DraftEntityScope, 
/**
 * On what.
 */
resources: DraftEntityScope, 
/**
 * Executed calls it covers.
 */
calls: number, 
/**
 * Whether a step-up forbid also applies (a sensitive tool or a shadow).
 */
step_up: boolean, 
/**
 * What was widened and why, if anything.
 */
widened: string | null, 
/**
 * The first and last time of the calls it covers (RFC 3339).
 */
window: [string, string] | null, };

/**
 * One identity of the trace, as the draft treats it.
 */
export type DraftIdentity = { 
/**
 * The identity as recorded.
 */
recorded: string, 
/**
 * How it was recorded.
 */
kind: DraftIdentityKind, 
/**
 * The principal's entity type.
 */
entity_type: string, 
/**
 * The principal's entity id (the inventory agent id for agents).
 */
entity_id: string, 
/**
 * Actions recorded under it.
 */
calls: number, };

/**
 * How an identity was recorded.
 */
export type DraftIdentityKind = { "kind": "spiffe" } | { "kind": "oidc", 
/**
 * The issuer.
 */
issuer: string, 
/**
 * The subject.
 */
subject: string, } | { "kind": "name" } | { "kind": "agent_uid" } | { "kind": "entity", 
/**
 * Its entity type.
 */
entity_type: string, } | { "kind": "shadow", 
/**
 * Why it is a shadow.
 */
why: string, };

/**
 * The draft's limits and marks as the front end sends them.
 */
export type DraftLimits = { 
/**
 * Distinct resources of one type a permit lists before it leaves the
 * resource open (`@widened`); 1 to 100,000 (default 20).
 */
max_resources: number, 
/**
 * Principals of one type a permit lists before it leaves the principal
 * open (`@widened`); 1 to 100,000 (default 25).
 */
max_principals: number, 
/**
 * Tools to put behind a human approval whatever their names suggest.
 */
step_up: Array<string>, 
/**
 * Tools to grant outright although their names suggest a write.
 */
plain: Array<string>, };

/**
 * What a person can do about a [`DraftFinding`]; each caller (the CLI,
 * the app) says it in its own words.
 */
export type DraftNextStep = "keep_or_mark_plain" | "narrow_or_raise_limit" | "map_identity" | "add_workload_identity";

/**
 * A pair the draft does not grant, and why.
 */
export type DraftNotGranted = { 
/**
 * The identity as recorded.
 */
identity: string, 
/**
 * The tool.
 */
tool: string, 
/**
 * Why (`blocked 3 times, never executed`).
 */
reason: string, 
/**
 * Its first lines.
 */
lines: Array<number>, };

/**
 * A draft for review: what it holds and why, its replay check and files.
 */
export type DraftOutcome = { 
/**
 * The set it was drafted from.
 */
set: TraceSetInfo, 
/**
 * What the draft holds and why.
 */
report: DraftReport, 
/**
 * The replay of the set against the draft.
 */
check: DraftCheck, 
/**
 * Whether every decision of the replay is what the draft states (it
 * can be saved only then).
 */
holds: boolean, 
/**
 * The drafted files, schema first, then the policies and the inventory.
 */
files: Array<DraftFile>, 
/**
 * The version id the files would be stored under (their content hash);
 * saving checks that a new draft still has it.
 */
version: string, 
/**
 * Whether a version with exactly these files is stored already.
 */
stored: boolean, };

/**
 * What a draft holds and why.
 */
export type DraftReport = { 
/**
 * Where the traffic came from (`trace set \`x\``).
 */
source: string, 
/**
 * Actions read.
 */
actions: number, 
/**
 * Malformed lines skipped.
 */
bad_lines: number, 
/**
 * Each identity.
 */
identities: Array<DraftIdentity>, 
/**
 * Each tool.
 */
tools: Array<DraftTool>, 
/**
 * The permits.
 */
grants: Array<DraftGrant>, 
/**
 * The step-up forbids.
 */
step_ups: Array<DraftStepUp>, 
/**
 * Pairs seen and not granted.
 */
not_granted: Array<DraftNotGranted>, 
/**
 * What to review.
 */
findings: Array<DraftFinding>, 
/**
 * What could not be declared (context values Cedar cannot type, ...).
 */
left_out: Array<string>, 
/**
 * Per tool, the context attributes holding something left out: calls
 * carrying one cannot be decided until a profile maps them to values
 * Cedar can type (`numbers = "decimal"`, `complex_args = "present"`).
 */
untyped: { [key in string]: Array<string> }, };

/**
 * A tool the draft puts behind a human approval.
 */
export type DraftStepUp = { 
/**
 * The policy's `@id`.
 */
id: string, 
/**
 * The tools it covers.
 */
tools: Array<string>, 
/**
 * For a shadow identity, its principal (`Agent::"unknown-agent"`).
 */
principal: [string, string] | null, 
/**
 * Why.
 */
reason: string, };

/**
 * A tool as the draft treats it.
 */
export type DraftTool = { 
/**
 * The action id.
 */
name: string, 
/**
 * Calls recorded.
 */
calls: number, 
/**
 * The impact written to the inventory.
 */
impact: string, 
/**
 * Why it needs a step-up, if it does.
 */
step_up: string | null, };

/**
 * One change to the inventory text.
 */
export type Edit = { "op": "set", 
/**
 * The agent's id.
 */
agent: string, 
/**
 * The inventory key.
 */
field: string, 
/**
 * The new value (a tier or status name, a `YYYY-MM-DD` date, or text).
 */
value: string, } | { "op": "clear", 
/**
 * The agent's id.
 */
agent: string, 
/**
 * The inventory key.
 */
field: string, } | { "op": "add_identity", 
/**
 * The agent's id.
 */
agent: string, 
/**
 * What to add.
 */
identity: NewIdentity, } | { "op": "remove_identity", 
/**
 * The agent's id.
 */
agent: string, 
/**
 * Position among the agent's identities.
 */
index: number, } | { "op": "add_agent", 
/**
 * The new entry.
 */
agent: NewAgent, } | { "op": "remove_agent", 
/**
 * The agent's id.
 */
agent: string, };

/**
 * How many entities a version has, and how many match the search.
 */
export type EntityCount = { 
/**
 * All entities of the version.
 */
total: number, 
/**
 * Those matching the search.
 */
matched: number, };

/**
 * One entity as shown.
 */
export type EntityRow = { 
/**
 * Its type, `Agent` or `Ns::User`.
 */
type: string, 
/**
 * Its id, escaped.
 */
id: string, 
/**
 * Its uid as Cedar writes it, escaped: `Agent::"support-bot"`.
 */
uid: string, 
/**
 * Where it is defined.
 */
source: EntitySource, 
/**
 * The uids of its declared parents (not their ancestors), escaped.
 */
parents: Array<string>, 
/**
 * Its attributes, in the order written.
 */
attributes: Array<NamedValue>, 
/**
 * Its tags, in the order written.
 */
tags: Array<NamedValue>, };

/**
 * Where an entity is defined.
 */
export type EntitySource = { 
/**
 * The project file: `inventory.toml` or `entities.json`.
 */
file: string, 
/**
 * The 1-based line of its definition, when known.
 */
line: number | null, };

/**
 * What a review round was decided on, stored with it as JSON.
 */
export type Evidence = { 
/**
 * The version under review (full id).
 */
version: string, 
/**
 * The most recently approved other version when reviewed, if any.
 */
baseline: string | null, 
/**
 * The trace set replayed (id).
 */
set: number, 
/**
 * Its name.
 */
set_name: string, 
/**
 * SHA-256 of its imported bytes.
 */
set_sha256: string, 
/**
 * The version's check.
 */
check: CheckEvidence, 
/**
 * The suites bound to the version, run against it.
 */
suites: Array<SuiteEvidence>, 
/**
 * The stored run of the version over the set.
 */
run: number, 
/**
 * The stored run of the baseline over the set.
 */
baseline_run: number | null, 
/**
 * The version's replay summary.
 */
replay: ReplayEvidence, 
/**
 * The decision diff from the baseline (none without a baseline).
 */
diff: DiffEvidence | null, 
/**
 * Agents of `critical` tier (in the version's or the baseline's
 * inventory) whose decisions the diff changes.
 */
critical_agents: Array<string>, 
/**
 * Distinct approvers needed: 2 when `critical_agents` is not empty.
 */
required_approvals: number, };

/**
 * One edited file's changes, for the commit dialog.
 */
export type FileChanges = { 
/**
 * The file's path in the project.
 */
path: string, 
/**
 * Its unified diff against the version the edits are based on (empty
 * when the edit gives back the stored text).
 */
unified: string, };

/**
 * One file of a version.
 */
export type FileEntry = { path: string, kind: "schema" | "inventory" | "policy", text: string, };

/**
 * One finding.
 */
export type Finding = { 
/**
 * Stable code.
 */
code: FindingCode, 
/**
 * How serious it is.
 */
severity: FindingSeverity, 
/**
 * What it is about: an agent id, an identity or a tool name.
 */
subject: string, 
/**
 * One sentence saying what is wrong.
 */
message: string, 
/**
 * Inventory locations.
 */
inventory: Array<InventoryEvidence>, 
/**
 * Trace actions, when the finding comes from the trace.
 */
actions: ActionEvidence | null, };

/**
 * The kind of a finding; its stable code is [`FindingCode::as_str`].
 */
export type FindingCode = "no-owner" | "review-overdue" | "static-credential" | "static-credential-used" | "shared-identity" | "traffic-under-shared-identity" | "retired-agent-acting" | "suspended-agent-acting" | "shadow-agent" | "unlisted-tool" | "off-use-case" | "unconfirmed-field" | "unused-grant";

/**
 * How serious a finding is.
 */
export type FindingSeverity = "low" | "medium" | "high" | "critical";

/**
 * The findings of one version (and trace set).
 */
export type FindingsReport = { 
/**
 * The version's full id.
 */
version: string, 
/**
 * The trace set's name, when one was read.
 */
set: string | null, 
/**
 * Actions read from the set.
 */
actions: number | null, 
/**
 * The date reviews were judged against (`YYYY-MM-DD`).
 */
today: string, 
/**
 * Findings per severity (`critical`, `high`, `medium`, `low`).
 */
counts: { [key in string]: number }, 
/**
 * The findings, most severe first.
 */
findings: Array<Finding>, 
/**
 * Over a trace set, the version's unused grants and their proposed
 * narrowing (none when the version has errors: see `grants_note`).
 */
grants: Grants | null, 
/**
 * Why unused grants are not reported, when a set was read but the
 * version has errors (or its grants could not be replayed).
 */
grants_note: string | null, };

/**
 * A trace file format.
 */
export type Format = "native" | "decision-log" | "otlp" | "tempo" | "jaeger" | "mcp-json-rpc" | "mcp-cassette" | "claude-mcp-log" | "toolhive-audit" | "claude-code" | "codex-exec";

/**
 * The formatted text, or why the file cannot be formatted.
 */
export type FormatOutcome = { 
/**
 * The formatted text, when the file parses.
 */
text: string | null, 
/**
 * Whether formatting changed anything.
 */
changed: boolean, 
/**
 * The syntax errors that prevent formatting.
 */
problems: Array<FormatProblem>, };

/**
 * Where formatting stopped: a located problem (1-based line and column).
 */
export type FormatProblem = { message: string, line: number | null, column: number | null, };

/**
 * Unused grants of a project over a trace, with the proposed narrowing.
 */
export type GrantReview = { 
/**
 * Actions replayed.
 */
actions: number, 
/**
 * The trace window (RFC 3339), when records carried times.
 */
window: [string, string] | null, 
/**
 * Pairs with an allow, or denied only by `@step_up` forbids.
 */
used_pairs: number, 
/**
 * Every unused grant, by agent then action.
 */
unused: Array<UnusedGrant>, 
/**
 * One proposal per permit covering an unused grant.
 */
narrowings: Array<Narrowing>, 
/**
 * Permits that cover unused grants but cannot be rewritten (template
 * links, unlocated text), with why.
 */
not_narrowed: Array<string>, 
/**
 * The replay check of the narrowed project; `None` when it does not
 * check (`narrowed_errors` says why).
 */
check: NarrowingCheck | null, 
/**
 * Why the narrowed project could not be checked, if it could not.
 */
narrowed_errors: string | null, };

/**
 * A version's unused grants over a trace set, with the proposed narrowing.
 */
export type Grants = { 
/**
 * The review: unused grants, proposals, their replay check.
 */
review: GrantReview, 
/**
 * Whether the narrowing keeps every allow and adds none (it can be
 * committed only then).
 */
holds: boolean, 
/**
 * The version id the narrowed files would be stored under (their
 * content hash), when there is a narrowing; committing checks that a
 * new review still gives it.
 */
narrowed_version: string | null, };

/**
 * Who the app acts as, as the header shows it.
 */
export type IdentityView = { 
/**
 * Whether the workspace requires signed review steps.
 */
mode: SignatureMode, 
/**
 * The chosen key file's name, if a key was chosen.
 */
file: string | null, 
/**
 * The key's id.
 */
key_id: string | null, 
/**
 * The name it is registered under in this workspace (none when it is
 * not an approver key here).
 */
name: string | null, 
/**
 * Whether the registration was revoked.
 */
revoked: boolean, };

/**
 * The import options as the front end sends them: names only, never a
 * path (a profile file is chosen with [`choose_profile_file`]).
 */
export type ImportChoice = { 
/**
 * `auto` (or absent) to detect, else a format name (`jaeger`, ...).
 */
format: string | null, 
/**
 * A built-in profile name, or `file` for the chosen profile file;
 * absent is the default profile (`writ`).
 */
profile: string | null, 
/**
 * An extra attribute naming the user (e.g. `kagent.user_id`); blank
 * for none.
 */
user_attribute: string | null, };

/**
 * What an import did.
 */
export type ImportOutcome = { 
/**
 * The new set.
 */
set: TraceSetInfo, 
/**
 * The first few malformed lines (all are kept with the set).
 */
errors: Array<LineError>, 
/**
 * The format read.
 */
format: Format, 
/**
 * Items read, actions extracted, items skipped by reason.
 */
counts: IngestCounts, };

/**
 * Progress of an import, sent over a channel.
 */
export type ImportStage = { "stage": "importing", 
/**
 * Bytes read so far.
 */
bytes: number, 
/**
 * The file's size.
 */
total: number, 
/**
 * Actions stored so far.
 */
actions: number, 
/**
 * Malformed lines so far.
 */
bad_lines: number, } | { "stage": "done", 
/**
 * The new set.
 */
set: number, };

/**
 * What an import read: spans (or messages) read, actions extracted, and
 * spans skipped by reason.
 */
export type IngestCounts = { 
/**
 * Spans, messages or lines read.
 */
read: number, 
/**
 * Actions extracted.
 */
actions: number, 
/**
 * Items skipped, by reason (`not a tool call`, `duplicate of the
 * client span`, ...).
 */
skipped: { [key in string]: number }, };

/**
 * One agent as a table row. Missing required keys are empty strings;
 * values of the wrong type are shown as their TOML text.
 */
export type InventoryAgent = { 
/**
 * Position among the `[[agent]]` entries (0-based).
 */
index: number, 
/**
 * Inventory id.
 */
id: string, 
/**
 * Display name.
 */
name: string, 
/**
 * The accountable person, when the key is present.
 */
owner: string | null, 
/**
 * Team id.
 */
team: string, 
/**
 * Risk tier.
 */
risk_tier: string, 
/**
 * Status.
 */
status: string, 
/**
 * Next review date (`YYYY-MM-DD`), when present.
 */
review_due: string | null, 
/**
 * Workload identities, in file order.
 */
identities: Array<InventoryIdentity>, 
/**
 * First line of the entry (its `[[agent]]` header), 1-based.
 */
start_line: number, 
/**
 * Last line of the entry (its last key or sub-table), 1-based.
 */
end_line: number, };

/**
 * A place in the inventory file that a finding rests on.
 */
export type InventoryEvidence = { 
/**
 * The inventory file as shown (`sample-policies/v2/inventory.toml`, `@e1145c3bb4be/inventory.toml`).
 */
file: string, 
/**
 * 1-based line.
 */
line: number, 
/**
 * 1-based column (characters).
 */
column: number, 
/**
 * What is there (`status = "retired"`, `agent legacy-report-bot`).
 */
note: string, };

/**
 * A field of an agent that the table edits.
 */
export type InventoryField = "name" | "owner" | "team" | "risk_tier" | "status" | "review_due";

/**
 * One workload identity of a row.
 */
export type InventoryIdentity = { 
/**
 * `spiffe`, `oidc`, or `invalid` (neither form complete).
 */
kind: "spiffe" | "oidc" | "invalid", 
/**
 * How the table shows it: the SPIFFE ID, `issuer | subject`, or the raw text.
 */
label: string, };

/**
 * The agents of an inventory text as rows, or the syntax error that keeps
 * them from being read.
 */
export type InventoryRows = { 
/**
 * The agents (empty when the text does not parse).
 */
agents: Array<InventoryAgent>, 
/**
 * The team ids defined (for choosing an agent's team).
 */
teams: Array<string>, 
/**
 * The accepted risk tier names.
 */
risk_tiers: Array<string>, 
/**
 * The accepted status names.
 */
statuses: Array<string>, 
/**
 * Why the text could not be read, when it could not.
 */
error: InventorySyntaxError | null, };

/**
 * A TOML syntax error, located.
 */
export type InventorySyntaxError = { 
/**
 * The parser's message.
 */
message: string, 
/**
 * 1-based line.
 */
line: number, 
/**
 * 1-based column (characters).
 */
column: number, };

/**
 * Where in the input something was found: a line (JSON Lines inputs) or
 * a JSON path within a document (`$.data[0].spans[12]`), or both.
 */
export type ItemLocation = { 
/**
 * 1-based line number, when the input is line oriented.
 */
line: number | null, 
/**
 * A JSON path within the document or line.
 */
path: string | null, };

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

/**
 * What choosing a key file led to.
 */
export type KeyChoice = { "outcome": "cancelled" } | { "outcome": "chosen", 
/**
 * Who the app acts as now.
 */
identity: IdentityView, } | { "outcome": "needs_passphrase", 
/**
 * The file's name.
 */
file: string, };

/**
 * A key generated or registered, and the view after it.
 */
export type KeyOutcome = { 
/**
 * The key id.
 */
key_id: string, 
/**
 * The private key's file name (none when only a public key was added).
 */
private_file: string | null, 
/**
 * The public key's file name.
 */
public_file: string, 
/**
 * False when the key was registered already (nothing changed).
 */
registered: boolean, 
/**
 * The exports and keys, updated.
 */
view: BundlesView, };

/**
 * A registered key, as the view lists it.
 */
export type KeyRow = { 
/**
 * The key id.
 */
key_id: string, 
/**
 * Where it was written or read.
 */
name: string, 
/**
 * When it was registered.
 */
added_at: string, 
/**
 * Who registered it.
 */
added_by: string, };

/**
 * A line that is not a valid trace record.
 */
export type LineError = { 
/**
 * 1-based line number.
 */
line: number, 
/**
 * 1-based column of the problem within the line.
 */
column: number, 
/**
 * What is wrong.
 */
message: string, };

/**
 * An attribute or tag: its name and its value, compact and escaped.
 */
export type NamedValue = { 
/**
 * The attribute or tag name (escaped).
 */
name: string, 
/**
 * The value in a compact Cedar-like form: `"text"`, `3`, `true`,
 * `Team::"eng"`, `[a, b]`, `{k: v}`, `datetime("2026-03-01")`.
 */
value: string, };

/**
 * A proposed change of one permit.
 */
export type Narrowing = { 
/**
 * The permit's Writ id.
 */
policy: string, 
/**
 * The file it is in, as shown.
 */
file: string, 
/**
 * Its text now.
 */
original: string, 
/**
 * The proposed text (empty when the proposal is to remove it).
 */
proposed: string, 
/**
 * The pairs the proposal keeps.
 */
keeps: number, 
/**
 * The pairs it takes away.
 */
removes: number, };

/**
 * What replaying the trace against the narrowed project showed.
 */
export type NarrowingCheck = { 
/**
 * Actions replayed.
 */
actions: number, 
/**
 * Allowed by the project as it is.
 */
allowed_before: number, 
/**
 * Allowed by the narrowed project.
 */
allowed_after: number, 
/**
 * Allowed (or needing a step-up) before and neither after (must be 0).
 */
lost: number, 
/**
 * Allowed (or needing a step-up) after and neither before (must be 0).
 */
gained: number, 
/**
 * The first changed decisions, with their lines.
 */
examples: Array<string>, };

/**
 * A new agent entry with the fields the inventory requires.
 */
export type NewAgent = { 
/**
 * Inventory id (the Cedar entity id); must not exist yet.
 */
id: string, 
/**
 * Display name.
 */
name: string, 
/**
 * The accountable person (blank or absent: none, which the checker reports).
 */
owner: string | null, 
/**
 * Team id.
 */
team: string, 
/**
 * Risk tier name.
 */
risk_tier: string, 
/**
 * Status name.
 */
status: string, 
/**
 * Next review date, `YYYY-MM-DD` (blank or absent: none).
 */
review_due: string | null, };

/**
 * A workload identity to add to an agent.
 */
export type NewIdentity = { "kind": "spiffe", 
/**
 * The SPIFFE ID.
 */
id: string, } | { "kind": "oidc", 
/**
 * The issuer URL.
 */
issuer: string, 
/**
 * The subject.
 */
subject: string, };

/**
 * What the Start view shows.
 */
export type Overview = { path: string, created: boolean, versions: Array<VersionInfo>, trace_sets: Array<TraceSetInfo>, runs: Array<RunRow>, };

/**
 * A policy that failed to evaluate.
 */
export type PolicyError = { 
/**
 * The policy's Writ id.
 */
policy: string, 
/**
 * Cedar's message.
 */
message: string, };

/**
 * The place of one policy's text.
 */
export type PolicyLocation = { 
/**
 * The policy's Writ id.
 */
id: string, 
/**
 * The file holding it, relative to the project root (`policies/base.cedar`).
 */
file: string, 
/**
 * First byte of the policy's text in the file.
 */
start: number, 
/**
 * One past its last byte.
 */
end: number, 
/**
 * The same range in UTF-16 code units, as editors in a web view count.
 */
start_utf16: number, 
/**
 * One past the last UTF-16 code unit.
 */
end_utf16: number, };

/**
 * Where the named policies are in a version.
 */
export type PolicyLocations = { 
/**
 * The located policies, in the order asked.
 */
located: Array<PolicyLocation>, 
/**
 * Ids the version does not hold (or whose text could not be found).
 */
missing: Array<string>, };

/**
 * One previewed item.
 */
export type PreviewItem = { 
/**
 * 1-based position among the items read.
 */
index: number, 
/**
 * Where it was found.
 */
location: ItemLocation, 
/**
 * A short excerpt of the recorded input, when the caller can give one.
 */
recorded: string | null, 
/**
 * The extracted action (tool calls only; native records have none).
 */
action: ToolCall | null, 
/**
 * The mapped trace record.
 */
record: TraceRecord | null, 
/**
 * The Cedar request, in Cedar's JSON request form.
 */
request: JsonValue | null, 
/**
 * The replayed verdict against the evaluator's version, when one was given
 * and the request could be built.
 */
verdict: Verdict | null, 
/**
 * Every problem found with this item.
 */
problems: Array<string>, };

/**
 * How a recorded agent was identified.
 */
export type PrincipalKind = "inventory" | "shadow" | "literal";

/**
 * A located problem, positions 1-based (columns in characters).
 */
export type Problem = { severity: "error" | "warning", code: string, message: string, 
/**
 * The file's path relative to the project (`policies/x.cedar`), or the
 * shown name when the problem is not in one of the version's files.
 */
file: string, line: number | null, column: number | null, end_line: number | null, end_column: number | null, hint: string | null, };

/**
 * Progress of a replay, sent over a channel.
 */
export type Progress = { "stage": "preparing" } | { "stage": "replaying", bytes: number, } | { "stage": "done", run: number, };

/**
 * One recent workspace as the Start view lists it.
 */
export type RecentEntry = { 
/**
 * The workspace file.
 */
path: string, 
/**
 * Its file name alone.
 */
name: string, 
/**
 * Whether the file is gone (it can still be removed from the list).
 */
missing: boolean, };

/**
 * What happened to the action when it was recorded.
 */
export type RecordedOutcome = "executed" | "blocked" | "failed";

/**
 * The re-mapping options as the front end sends them: names only, never
 * a path (a profile file is chosen with [`choose_profile_file`]).
 */
export type RemapChoice = { 
/**
 * A built-in profile name, or `file` for the chosen profile file;
 * blank is the default profile (`writ`).
 */
profile: string, 
/**
 * An attribute of each call naming the user, tried before the user
 * found at import (e.g. `kagent.user_id`); blank for none.
 */
user_attribute: string | null, 
/**
 * The new set's name; blank for the store's `<set>-<profile>`.
 */
name: string | null, };

/**
 * The re-mapping preview of a trace set.
 */
export type RemapPreview = { 
/**
 * The profile's name.
 */
profile: string, 
/**
 * The version the requests were built and decided against (short id);
 * `None` when the workspace holds no version.
 */
version: string | null, 
/**
 * The first kept calls as the profile maps them.
 */
items: Array<PreviewItem>, };

/**
 * The version's own replay over the trace set.
 */
export type ReplayEvidence = { 
/**
 * Actions decided.
 */
actions: number, 
/**
 * Allowed.
 */
allowed: number, 
/**
 * Denied.
 */
denied: number, 
/**
 * Count per verdict (`allowed`, `denied_by_forbid`, ...).
 */
verdicts: { [key in string]: number }, };

/**
 * The resource an action touched.
 */
export type ResourceRef = { 
/**
 * Entity type, e.g. `Repository`.
 */
type: string, 
/**
 * Entity id.
 */
id: string, };

/**
 * One policy responsible for decision changes (see
 * [`DecisionDiff::responsible_ranked`]).
 */
export type ResponsiblePolicy = { 
/**
 * The policy's Writ id.
 */
policy: string, 
/**
 * Changed actions whose old outcome it determined.
 */
before: number, 
/**
 * Changed actions whose new outcome it determined.
 */
after: number, };

/**
 * One approval or rejection.
 */
export type ReviewDecision = { 
/**
 * `approve` or `reject`.
 */
decision: string, 
/**
 * Who.
 */
actor: string, 
/**
 * When.
 */
at: string, 
/**
 * What they said.
 */
comment: string | null, 
/**
 * The approver key that signed the step, if it was signed.
 */
key_id: string | null, };

/**
 * One submission of a version for review, with its outcome.
 */
export type ReviewRound = { 
/**
 * 1 for the first submission, then 2, ...
 */
round: number, 
/**
 * `in_review`, `approved` or `rejected`.
 */
state: ReviewState, 
/**
 * Who submitted it.
 */
submitted_by: string, 
/**
 * The approver key that signed the submission, if it was signed.
 */
submitted_key: string | null, 
/**
 * When.
 */
submitted_at: string, 
/**
 * When it was approved or rejected.
 */
decided_at: string | null, 
/**
 * Distinct approvers needed.
 */
required_approvals: number, 
/**
 * What was reviewed.
 */
evidence: Evidence, 
/**
 * Approvals and the rejection, oldest first.
 */
decisions: Array<ReviewDecision>, };

/**
 * Where a version is in its review.
 */
export type ReviewState = "draft" | "in_review" | "approved" | "rejected";

/**
 * A version's review, as the view shows it.
 */
export type ReviewView = { 
/**
 * State and the approvals of the latest round.
 */
status: VersionStatus, 
/**
 * Who committed the version (who may not approve it).
 */
author: string, 
/**
 * What the last step did (`submitted`, `updated`, `current`, `stale`,
 * `history`), or `shown` when only read.
 */
action: string, 
/**
 * Why the evidence is stale, when it is.
 */
stale: string | null, 
/**
 * Every round, oldest first; the last is the current one.
 */
rounds: Array<ReviewRound>, };

/**
 * What the charts of one run show.
 */
export type RunCharts = { run: number, version: string, actions: number, 
/**
 * Every agent, most actions first.
 */
by_agent: Array<VerdictRow>, 
/**
 * Every tool, most actions first.
 */
by_tool: Array<VerdictRow>, timeline: RunTimeline, };

/**
 * The decision diff of two runs, as counts.
 */
export type RunDiff = { a: number, b: number, actions: number, unchanged: number, changed: Counts, by_agent: Array<Counts>, 
/**
 * Changes per tool, most first.
 */
by_tool: Array<Counts>, 
/**
 * The policies determining changed actions before or after, most
 * first (`DecisionDiff::responsible_ranked`, as `writ diff` prints them).
 */
responsible: Array<ResponsiblePolicy>, };

/**
 * One action's stored result in a run.
 */
export type RunResult = { 
/**
 * The run.
 */
run: number, 
/**
 * The action's line in the trace set.
 */
line: number, 
/**
 * The principal decided for, as `Type::"id"`.
 */
principal: string, 
/**
 * Allow or deny.
 */
decision: Decision, 
/**
 * The verdict.
 */
verdict: Verdict, 
/**
 * The determining policies.
 */
reasons: Array<string>, 
/**
 * Policies that failed to evaluate (`policy`: message).
 */
errors: Array<string>, 
/**
 * Why the request could not be built, if it could not.
 */
request_error: string | null, 
/**
 * The step-up the action needs, if any.
 */
step_up: string | null, };

/**
 * A run as the tables show it.
 */
export type RunRow = { id: number, version: string, set: number, started_at: string, finished_at: string, actor: string, actions: number, 
/**
 * Counts per verdict (`allowed`, `denied_by_forbid`, ...).
 */
verdicts: { [key in string]: number }, };

/**
 * A run's decisions over the recorded time of its actions, in equal,
 * consecutive intervals (empty ones included) across the trace's span.
 */
export type RunTimeline = { 
/**
 * The run.
 */
run: number, 
/**
 * The width of every interval in seconds (a round length: 1 s, 5 min, 3 h, 1 day, ...).
 */
interval_secs: number, 
/**
 * The intervals, oldest first; empty when the run has no timed action.
 */
buckets: Array<TimeBucket>, 
/**
 * Actions whose recorded time could not be read (counted nowhere else).
 */
untimed: number, };

/**
 * A request saved as a test case.
 */
export type SavedCase = { 
/**
 * The suite it was added to.
 */
suite: string, 
/**
 * How many cases the suite has now.
 */
cases: number, 
/**
 * What the case expects (the decision of `version`).
 */
decision: Decision, 
/**
 * The verdict it expects.
 */
verdict: Verdict, };

/**
 * Where the report went.
 */
export type SavedReport = { 
/**
 * The file written.
 */
path: string, 
/**
 * Its size in bytes.
 */
bytes: number, };

/**
 * One side of a change.
 */
export type Side = { 
/**
 * Decision.
 */
decision: Decision, 
/**
 * Verdict.
 */
verdict: Verdict, 
/**
 * Determining policies.
 */
reasons: Array<string>, 
/**
 * Policies that failed to evaluate.
 */
errors: Array<string>, };

/**
 * Whether review steps must be signed.
 */
export type SignatureMode = "legacy" | "required";

/**
 * What a step-up policy asks for before the denied action may proceed.
 */
export type StepUp = "human_approval" | "elevation";

/**
 * One stored action.
 */
export type StoredAction = { 
/**
 * Line in the imported file (the action's key within its set).
 */
line: number, 
/**
 * Timestamp.
 */
ts: string, 
/**
 * Recorded agent.
 */
agent: string, 
/**
 * Tool.
 */
action: string, 
/**
 * The record as imported (JSON).
 */
record: string, 
/**
 * The verdict in the run used for filtering, when one was given.
 */
verdict: Verdict | null, };

/**
 * One suite bound to the version, run against it.
 */
export type SuiteEvidence = { 
/**
 * The suite's name.
 */
name: string, 
/**
 * SHA-256 of its text, to notice a suite replaced after review.
 */
sha256: string, 
/**
 * The trace set it is bound to, by id.
 */
set: number | null, 
/**
 * Cases run.
 */
cases: number, 
/**
 * Cases passed.
 */
passed: number, 
/**
 * Names of the cases that failed.
 */
failed: Array<string>, 
/**
 * Why it could not run at all.
 */
error: string | null, };

/**
 * How one suite went.
 */
export type SuiteResult = { name: string, version: string | null, set: string | null, cases: number, passed: number, error: string | null, };

/**
 * A suite as the list shows it.
 */
export type SuiteRow = { name: string, title: string | null, version: string | null, set: string | null, cases: number, source: string, };

/**
 * The result of running suites.
 */
export type TestReport = { passed: number, failed: number, suites: Array<SuiteResult>, cases: Array<CaseRow>, coverage: Array<CoverageRow>, };

/**
 * How a policy's text changed.
 */
export type TextChange = "added" | "removed" | "changed";

/**
 * A changed policy, schema or inventory, with its unified diff.
 */
export type TextDiffEntry = { 
/**
 * The policy id, or `schema` / `inventory`.
 */
name: string, 
/**
 * What happened.
 */
change: TextChange, 
/**
 * The unified diff.
 */
unified: string, 
/**
 * For a policy rewritten under a new id in place: the old id (as
 * [`TextSides::renamed_from`]; the diff runs from the old text to the
 * new one).
 */
renamed_from: string | null, };

/**
 * A changed policy, schema or inventory with both of its full texts, for
 * a side-by-side view.
 */
export type TextSides = { 
/**
 * The policy id, or `schema` / `inventory`.
 */
name: string, 
/**
 * What happened.
 */
change: TextChange, 
/**
 * The text in the old version (empty when added).
 */
old: string, 
/**
 * The text in the new version (empty when removed).
 */
new: string, 
/**
 * For a policy rewritten under a new id in place (the old one removed
 * and the new one added at the same position of the same file): the
 * old id. `name` is then the new id and `change` is `changed`.
 */
renamed_from: string | null, };

/**
 * One interval of a run's timeline: how many actions recorded in it the
 * run allowed and denied.
 */
export type TimeBucket = { 
/**
 * Start of the interval (Unix seconds, inclusive).
 */
start: number, 
/**
 * End of the interval (Unix seconds, exclusive).
 */
end: number, 
/**
 * Actions the run allowed.
 */
allowed: number, 
/**
 * Actions the run denied.
 */
denied: number, };

/**
 * One recorded tool call, as the recording system saw it, before a
 * mapping profile turns it into a Cedar request (stored as JSON with its
 * trace set, so that the set can be mapped again).
 */
export type ToolCall = { 
/**
 * Where it was found.
 */
location: ItemLocation, 
/**
 * When it started (RFC 3339, UTC, nanosecond precision kept).
 */
ts: string, 
/**
 * The acting agent as recorded (`gen_ai.agent.id` or name, found on
 * the span, an `invoke_agent` ancestor or the resource), if any.
 */
agent: string | null, 
/**
 * The user the agent acted for (`enduser.id`, `user.id`, a configured
 * attribute or a known one such as `kagent.user_id`), if any.
 */
user: string | null, 
/**
 * Where [`ToolCall::user`] was found: the attribute key
 * (`kagent.user_id`) or the envelope field (`user`, `claims.sub`).
 */
user_key?: string, 
/**
 * The tool's name.
 */
tool: string, 
/**
 * The tool call id, if recorded.
 */
call_id: string | null, 
/**
 * The tool's type (`function`, `MCPTool`, ...), if recorded.
 */
tool_type: string | null, 
/**
 * The arguments (JSON strings already parsed), if recorded.
 */
args: JsonValue | null, 
/**
 * Every attribute of the span, its ancestors' agent attributes and its
 * resource, flattened (`key` → value), for mapping profiles to read.
 */
attributes: { [key in string]: JsonValue }, 
/**
 * Trace id of the recording system.
 */
trace_id: string | null, 
/**
 * Span id (or JSON-RPC request id) of the recording system.
 */
span_id: string | null, 
/**
 * Whether the call ran, failed or was blocked.
 */
outcome: RecordedOutcome, };

/**
 * The mapping preview of the chosen file.
 */
export type TracePreview = { 
/**
 * The format detected from the first bytes, if any.
 */
detected: Format | null, 
/**
 * The format read (the chosen one, else the detected one).
 */
format: Format | null, 
/**
 * The profile's name.
 */
profile: string, 
/**
 * The version the requests were built and decided against (short id).
 */
version: string | null, 
/**
 * The first items; empty when the file could not be read.
 */
items: Array<PreviewItem>, 
/**
 * Why the file could not be read as the format, if it could not.
 */
problem: string | null, };

/**
 * One recorded agent action.
 */
export type TraceRecord = { 
/**
 * When it happened (RFC 3339).
 */
ts: string, 
/**
 * Trace id of the recording system.
 */
trace_id?: string | null, 
/**
 * Span id of the recording system.
 */
span_id?: string | null, 
/**
 * The acting agent: a SPIFFE ID, `oidc:<issuer>|<subject>`, an
 * inventory id, or a Cedar entity uid such as `User::"alice"`.
 */
agent: string, 
/**
 * The user the agent acts for.
 */
on_behalf_of?: string | null, 
/**
 * Tool or API name (a Cedar action id), or an action uid.
 */
action: string, 
/**
 * The resource; when absent, `Tool::"<action>"`.
 */
resource?: ResourceRef | null, 
/**
 * The tool's arguments as recorded (not part of the Cedar request).
 */
args?: unknown, 
/**
 * The Cedar context.
 */
context: { [key in string]: JsonValue }, 
/**
 * What happened.
 */
outcome: RecordedOutcome, 
/**
 * The decision an enforcement point made, when it was recorded by one.
 */
recorded_decision?: Decision | null, };

/**
 * A stored trace set.
 */
export type TraceSetInfo = { 
/**
 * Id.
 */
id: number, 
/**
 * Name.
 */
name: string, 
/**
 * SHA-256 of the imported bytes.
 */
sha256: string, 
/**
 * Where it came from.
 */
source: string, 
/**
 * When it was imported.
 */
imported_at: string, 
/**
 * Actions stored.
 */
actions: number, 
/**
 * Malformed lines reported (not stored as actions).
 */
bad_lines: number, 
/**
 * Size of the imported file in bytes.
 */
bytes: number, };

/**
 * One unused grant.
 */
export type UnusedGrant = { 
/**
 * The inventory agent id.
 */
agent: string, 
/**
 * The action uid, as Cedar prints it.
 */
action: string, 
/**
 * The permits whose scope covers the pair.
 */
policies: Array<string>, 
/**
 * Whether the action's tool is destructive or external in the inventory.
 */
high_impact: boolean, };

/**
 * How the replayed decision is classified for an analyst.
 */
export type Verdict = "allowed" | "denied_by_forbid" | "not_permitted" | "needs_step_up" | "error";

/**
 * Verdict counts of one agent or tool.
 */
export type VerdictRow = { name: string, total: number, 
/**
 * Counts per verdict (`allowed`, `denied_by_forbid`, ...).
 */
verdicts: { [key in string]: number }, };

/**
 * A stored version (without its files).
 */
export type VersionInfo = { 
/**
 * The content hash (hex).
 */
id: string, 
/**
 * The version it was committed on top of.
 */
parent: string | null, 
/**
 * Who committed it.
 */
author: string, 
/**
 * Why.
 */
message: string, 
/**
 * When (RFC 3339).
 */
created_at: string, 
/**
 * Its files' relative paths.
 */
files: Array<string>, 
/**
 * Where it is in its review (its latest round's state; draft when
 * never submitted).
 */
review: ReviewState, };

/**
 * A version's review state and the approvals of its current round.
 */
export type VersionStatus = { 
/**
 * The full version id.
 */
id: string, 
/**
 * Its state.
 */
state: ReviewState, 
/**
 * The approvals of its latest review round, oldest first (for an
 * approved version: who approved it).
 */
approvals: Array<ApprovalInfo>, };
