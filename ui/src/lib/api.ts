// Typed wrappers over the Rust commands in src-tauri/src/commands.rs.
// Every command returns a readable error string on failure.
import { invoke, Channel } from '@tauri-apps/api/core';

export interface VersionInfo {
  id: string;
  parent: string | null;
  author: string;
  message: string;
  created_at: string;
  files: string[];
}

export interface TraceSetInfo {
  id: number;
  name: string;
  sha256: string;
  source: string;
  imported_at: string;
  actions: number;
  bad_lines: number;
}

export interface RunRow {
  id: number;
  version: string;
  set: number;
  started_at: string;
  finished_at: string;
  actor: string;
  actions: number;
  verdicts: Record<string, number>;
}

export interface Overview {
  path: string;
  created: boolean;
  versions: VersionInfo[];
  trace_sets: TraceSetInfo[];
  runs: RunRow[];
}

export interface FileEntry {
  path: string;
  kind: 'schema' | 'inventory' | 'policy';
  text: string;
}

export interface Problem {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  file: string;
  line: number | null;
  column: number | null;
  end_line: number | null;
  end_column: number | null;
  hint: string | null;
}

export type Progress =
  | { stage: 'preparing' }
  | { stage: 'replaying'; bytes: number }
  | { stage: 'done'; run: number };

export interface Counts {
  name: string;
  total: number;
  allow_to_deny: number;
  deny_to_allow: number;
  other: number;
}

export interface RunDiff {
  a: number;
  b: number;
  actions: number;
  unchanged: number;
  changed: Counts;
  by_agent: Counts[];
  by_tool: Counts[];
}

export const openWorkspace = () => invoke<Overview>('open_workspace');

export const versionFiles = (version: string) =>
  invoke<FileEntry[]>('version_files', { version });

export const checkVersion = (version: string, edits: Record<string, string>) =>
  invoke<Problem[]>('check_version', { version, edits });

export const listRuns = () => invoke<RunRow[]>('list_runs');

export function storeRun(
  version: string,
  set: number,
  onProgress: (p: Progress) => void,
): Promise<RunRow> {
  const channel = new Channel<Progress>();
  channel.onmessage = onProgress;
  return invoke<RunRow>('store_run', { version, set, onProgress: channel });
}

export const diffRuns = (a: number, b: number) => invoke<RunDiff>('diff_runs', { a, b });

export const short = (id: string) => id.slice(0, 12);

export const errorText = (e: unknown) => (typeof e === 'string' ? e : String(e));

export const VERDICTS = ['allowed', 'denied_by_forbid', 'not_permitted', 'needs_step_up', 'error'];

export interface StoredAction {
  line: number;
  ts: string;
  agent: string;
  action: string;
  /** The record as imported (JSON text). */
  record: string;
  /** The verdict in the chosen run, when one was chosen. */
  verdict: string | null;
}

export interface RunResult {
  run: number;
  line: number;
  principal: string;
  decision: string;
  verdict: string;
  reasons: string[];
  errors: string[];
  request_error: string | null;
  step_up: string | null;
}

export const runResult = (run: number, line: number) =>
  invoke<RunResult>('run_result', { run, line });

export interface Side {
  decision: string;
  verdict: string;
  reasons: string[];
  errors: string[];
}

export interface Change {
  line: number;
  kind: 'allow_to_deny' | 'deny_to_allow' | 'same_decision_other_reasons';
  agent: string;
  action: string;
  resource: string;
  from: Side;
  to: Side;
}

export interface ChangePage {
  total: number;
  offset: number;
  changes: Change[];
}

export const diffChanges = (a: number, b: number, agent: string | null, offset: number, limit: number) =>
  invoke<ChangePage>('diff_changes', { a, b, agent, offset, limit });

export interface TextDiffEntry {
  name: string;
  change: 'added' | 'removed' | 'changed';
  unified: string;
}

export const policyDiff = (a: number, b: number) => invoke<TextDiffEntry[]>('policy_diff', { a, b });

export interface BenchAgent {
  id: string;
  name: string;
}

export type BenchShape =
  | { kind: 'long' }
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'set'; of: BenchShape }
  | { kind: 'record'; attributes: BenchAttribute[] }
  | { kind: 'entity'; ty: string }
  | { kind: 'extension'; ty: string };

export interface BenchAttribute {
  name: string;
  required: boolean;
  shape: BenchShape;
}

export interface BenchAction {
  id: string;
  principals: string[];
  resources: string[];
  context: BenchAttribute[];
}

export interface BenchMeta {
  agents: BenchAgent[];
  actions: BenchAction[];
}

export interface BenchRequest {
  ts: string;
  agent: string;
  action: string;
  resource_type: string;
  resource_id: string;
  on_behalf_of: string | null;
  context: Record<string, unknown>;
}

export interface BenchPolicy {
  id: string;
  effect: string;
  description: string | null;
}

export interface BenchResult {
  principal: string;
  principal_kind: 'inventory' | 'shadow' | 'literal';
  decision: 'allow' | 'deny';
  verdict: string;
  step_up: string | null;
  policies: BenchPolicy[];
  errors: { policy: string; message: string }[];
  request_error: string | null;
}

export const benchMeta = (version: string) => invoke<BenchMeta>('bench_meta', { version });

export const benchDecide = (version: string, request: BenchRequest) =>
  invoke<BenchResult>('bench_decide', { version, request });

// --- Workspaces, versions, commit and format (Start, Versions, Policies) ---

export interface RecentEntry {
  path: string;
  name: string;
  /** The file is gone; it can only be removed from the list. */
  missing: boolean;
}

/** "Open workspace…": a native dialog; null when cancelled. */
export const chooseWorkspace = () => invoke<Overview | null>('choose_workspace');

/** "New workspace…": a native save dialog, then an empty workspace; null when cancelled. */
export const newWorkspace = () => invoke<Overview | null>('new_workspace');

export const recentWorkspaces = () => invoke<RecentEntry[]>('recent_workspaces');

/** Opens a recent workspace by its index in `recentWorkspaces()`. */
export const openRecent = (index: number) => invoke<Overview>('open_recent', { index });

export const removeRecent = (index: number) => invoke<RecentEntry[]>('remove_recent', { index });

export interface CommitOutcome {
  id: string;
  /** False: the content equals an existing version, nothing changed. */
  created: boolean;
}

export const commitEdits = (version: string, edits: Record<string, string>, message: string) =>
  invoke<CommitOutcome>('commit_edits', { version, edits, message });

export interface FormatOutcome {
  text: string | null;
  changed: boolean;
  problems: { message: string; line: number | null; column: number | null }[];
}

export const formatPolicy = (path: string, text: string) =>
  invoke<FormatOutcome>('format_policy', { path, text });

// --- Run charts, side-by-side policy diff, policies shown in the editor (Runs, Traces, Policies) ---

export interface VerdictRow {
  name: string;
  total: number;
  verdicts: Record<string, number>;
}

export interface TimeBucket {
  /** Unix seconds, inclusive. */
  start: number;
  /** Unix seconds, exclusive. */
  end: number;
  allowed: number;
  denied: number;
}

export interface RunTimeline {
  run: number;
  interval_secs: number;
  buckets: TimeBucket[];
  /** Actions whose recorded time could not be read. */
  untimed: number;
}

export interface RunCharts {
  run: number;
  version: string;
  actions: number;
  /** Every agent, most actions first. */
  by_agent: VerdictRow[];
  /** Every tool, most actions first. */
  by_tool: VerdictRow[];
  timeline: RunTimeline;
}

/** Verdicts by agent and tool, and decisions over time in at most `buckets` intervals. */
export const runCharts = (run: number, buckets: number) =>
  invoke<RunCharts>('run_charts', { run, buckets });

export interface TextSides {
  name: string;
  change: 'added' | 'removed' | 'changed';
  /** Full text in run a's version (empty when added). */
  old: string;
  /** Full text in run b's version (empty when removed). */
  new: string;
  /** The old id, when the policy was rewritten in place under a new id. */
  renamed_from: string | null;
}

export const policySides = (a: number, b: number) => invoke<TextSides[]>('policy_sides', { a, b });

export interface PolicyLocation {
  id: string;
  /** The file, as `versionFiles` names it. */
  file: string;
  start: number;
  end: number;
  /** The range in UTF-16 code units (editor positions). */
  start_utf16: number;
  end_utf16: number;
}

export interface PolicyLocations {
  located: PolicyLocation[];
  missing: string[];
}

export const policyLocations = (version: string, ids: string[]) =>
  invoke<PolicyLocations>('policy_locations', { version, ids });

/** A request to show policies: open `version` in the Policies view and highlight `policies`, starting at `focus`. */
export interface PolicyTarget {
  version: string;
  policies: string[];
  focus: string;
  /** Bumped by each request, so the same target can be asked again. */
  seq: number;
}

/** A request to show a version in the Policies view; `seq` makes each request new. */
export interface OpenRequest {
  version: string;
  readonly: boolean;
  seq: number;
}

/** What the Start view's workspace buttons do (App.svelte switches the workspace). */
export interface WorkspaceActions {
  open: () => void;
  create: () => void;
  openRecent: (index: number) => void;
  removeRecent: (index: number) => void;
}

// ---- Inventory table (commands/inventory.rs over writ_core::inventory_edit) ----

export interface InventoryIdentity {
  kind: 'spiffe' | 'oidc' | 'invalid';
  label: string;
}

export interface InventoryAgent {
  index: number;
  id: string;
  name: string;
  owner: string | null;
  team: string;
  risk_tier: string;
  status: string;
  review_due: string | null;
  identities: InventoryIdentity[];
  /** 1-based lines the `[[agent]]` entry spans in the text. */
  start_line: number;
  end_line: number;
}

export interface InventoryRows {
  agents: InventoryAgent[];
  teams: string[];
  risk_tiers: string[];
  statuses: string[];
  /** Why the text could not be read (then `agents` is empty). */
  error: { message: string; line: number; column: number } | null;
}

export type InventoryField = 'name' | 'owner' | 'team' | 'risk_tier' | 'status' | 'review_due';

export type NewIdentity =
  | { kind: 'spiffe'; id: string }
  | { kind: 'oidc'; issuer: string; subject: string };

export interface NewAgent {
  id: string;
  name: string;
  owner: string | null;
  team: string;
  risk_tier: string;
  status: string;
  review_due: string | null;
}

export type InventoryEdit =
  | { op: 'set'; agent: string; field: InventoryField; value: string }
  | { op: 'clear'; agent: string; field: InventoryField }
  | { op: 'add_identity'; agent: string; identity: NewIdentity }
  | { op: 'remove_identity'; agent: string; index: number }
  | { op: 'add_agent'; agent: NewAgent }
  | { op: 'remove_agent'; agent: string };

export const inventoryRows = (text: string) => invoke<InventoryRows>('inventory_rows', { text });

/** Applies one edit to an inventory text; resolves to the new text. */
export const inventoryEdit = (text: string, edit: InventoryEdit) =>
  invoke<string>('inventory_edit', { text, edit });

// --- Trace import (progress, cancel), the virtual table's positional
// access, replay cancel ---

/** The filters of the Traces view's virtual table. */
export interface ActionFilters {
  set: number;
  run: number | null;
  agent: string | null;
  tool: string | null;
  verdict: string | null;
  /** ISO 8601 (UTC), at or after. */
  since: string | null;
  /** ISO 8601 (UTC), before. */
  until: string | null;
}

/** How many actions match the filters. */
export const countActions = (query: ActionFilters) => invoke<number>('count_actions', { query });

/** Up to `limit` matching actions from position `offset` (0-based). */
export const actionsAt = (query: ActionFilters, offset: number, limit: number) =>
  invoke<StoredAction[]>('actions_at', { query, offset, limit });

/** The file chosen in the native import dialog (the path stays in Rust). */
export interface ChosenTrace {
  file_name: string;
  stem: string;
  bytes: number;
}

/** Opens the native "Import trace" dialog; null when cancelled. */
export const chooseTraceFile = () => invoke<ChosenTrace | null>('choose_trace_file');

export type ImportStage =
  | { stage: 'importing'; bytes: number; total: number; actions: number; bad_lines: number }
  | { stage: 'done'; set: number };

export interface LineError {
  line: number;
  column: number;
  message: string;
}

export interface ImportOutcome {
  set: TraceSetInfo;
  /** The first few malformed lines. */
  errors: LineError[];
}

/** Stops the running import; false when none runs. */
export const cancelImport = () => invoke<boolean>('cancel_import');

/** Stops the running replay; false when none runs. */
export const cancelReplay = () => invoke<boolean>('cancel_replay');

// --- Tests view: scenario suites stored in the workspace (commands/tests.rs) ---

export interface SuiteRow {
  name: string;
  /** The scenario's own `name`, if it has one. */
  title: string | null;
  /** The bound version (full id). */
  version: string | null;
  /** The bound trace set's name. */
  set: string | null;
  cases: number;
  source: string;
}

/** What a case expected or got; `null` when the case does not check it. */
export interface CaseSide {
  decision: string;
  reasons: string[];
  verdict: string | null;
  errors: number | null;
}

export interface CaseRow {
  suite: string;
  name: string;
  location: string;
  passed: boolean;
  failures: string[];
  expected: CaseSide;
  actual: CaseSide;
}

export interface SuiteResult {
  name: string;
  version: string | null;
  set: string | null;
  cases: number;
  passed: number;
  /** Why the suite could not run at all. */
  error: string | null;
}

export interface CoverageRow {
  project: string;
  policies: number;
  missing: string[];
}

export interface TestReport {
  passed: number;
  failed: number;
  suites: SuiteResult[];
  cases: CaseRow[];
  coverage: CoverageRow[];
}

export const listSuites = () => invoke<SuiteRow[]>('list_suites');

/** Runs one suite, or `all`, against `version` instead of each suite's bound one when given. */
export const runSuites = (suite: string, version: string | null) =>
  invoke<TestReport>('run_suites', { suite, version });

// --- The Cedar request built from a stored action -------------------------

/** Cedar's JSON request form for one stored action under a version, plus
 * the principal's inventory entity (null for a shadow agent). */
export interface CedarRequest {
  principal: { type: string; id: string };
  action: { type: string; id: string };
  resource: { type: string; id: string };
  context: Record<string, unknown>;
  principal_entity: unknown;
}

/** The request the action at `line` of `set` becomes under `version`. */
export function actionRequest(version: string, set: number, line: number): Promise<CedarRequest> {
  return invoke('action_request', { version, set, line });
}

// --- Findings view: inventory and trace findings (commands/findings.rs, `writ findings`) ---

export type FindingSeverity = 'critical' | 'high' | 'medium' | 'low';

/** A place in the inventory file a finding rests on. */
export interface FindingLocation {
  file: string;
  line: number;
  column: number;
  note: string;
}

/** The trace actions a finding rests on: how many, and the first lines. */
export interface FindingActions {
  source: string;
  count: number;
  lines: number[];
}

export interface Finding {
  /** Stable code, e.g. `shadow-agent` (docs/findings.md). */
  code: string;
  severity: FindingSeverity;
  /** An agent id, an identity or a tool name. */
  subject: string;
  message: string;
  inventory: FindingLocation[];
  actions: FindingActions | null;
}

export interface FindingsReport {
  version: string;
  set: string | null;
  actions: number | null;
  today: string;
  counts: Record<FindingSeverity, number>;
  findings: Finding[];
}

/** The findings of `version`'s inventory, over trace set `set` when given. */
export const inventoryFindings = (version: string, set: number | null) =>
  invoke<FindingsReport>('inventory_findings', { version, set });

// --- Approvals view: four-eyes review of versions (commands/approvals.rs, `writ review|approve|reject`) ---

export type ReviewState = 'draft' | 'in_review' | 'approved' | 'rejected';

export interface ApprovalInfo {
  approver: string;
  at: string;
  comment: string | null;
}

export interface VersionStatus {
  id: string;
  state: ReviewState;
  approvals: ApprovalInfo[];
}

export interface SuiteEvidence {
  name: string;
  sha256: string;
  set: number | null;
  cases: number;
  passed: number;
  failed: string[];
  error: string | null;
}

export interface DiffEvidence {
  actions: number;
  unchanged: number;
  changed: number;
  allow_to_deny: number;
  deny_to_allow: number;
  same_decision_other_reasons: number;
  changed_by_agent: Record<string, number>;
  agents_with_decision_changes: string[];
}

export interface ReviewEvidence {
  version: string;
  baseline: string | null;
  set: number;
  set_name: string;
  set_sha256: string;
  check: { errors: number; warnings: number };
  suites: SuiteEvidence[];
  run: number;
  baseline_run: number | null;
  replay: { actions: number; allowed: number; denied: number; verdicts: Record<string, number> };
  diff: DiffEvidence | null;
  critical_agents: string[];
  required_approvals: number;
}

export interface ReviewRound {
  round: number;
  state: ReviewState;
  submitted_by: string;
  submitted_at: string;
  decided_at: string | null;
  required_approvals: number;
  evidence: ReviewEvidence;
  decisions: { decision: 'approve' | 'reject'; actor: string; at: string; comment: string | null }[];
}

export interface ReviewView {
  status: VersionStatus;
  author: string;
  /** `shown`, `submitted`, `updated`, `current`, `stale`, `history`, `approved` or `rejected`. */
  action: string;
  stale: string | null;
  rounds: ReviewRound[];
}

/** A version's review state, evidence and history (read only). */
export const reviewShow = (version: string) => invoke<ReviewView>('review_show', { version });
/** Submits a version for review (`resubmit` for a rejected one) over trace set `set` (null: newest). */
export const reviewSubmit = (version: string, set: number | null, actor: string, resubmit: boolean) =>
  invoke<ReviewView>('review_submit', { version, set, actor, resubmit });
/** Approves a version in review as `actor`. */
export const reviewApprove = (version: string, actor: string, comment: string | null) =>
  invoke<ReviewView>('review_approve', { version, actor, comment });
/** Rejects a version in review as `actor` (a comment is required). */
export const reviewReject = (version: string, actor: string, comment: string) =>
  invoke<ReviewView>('review_reject', { version, actor, comment });

// --- Bundles view: signed policy bundles (commands/bundles.rs, `writ bundle export|list`, `writ key list`) ---

/** One recorded bundle export. */
export interface BundleRecord {
  id: number;
  version_id: string;
  key_id: string;
  /** SHA-256 of the bundle's manifest.json. */
  digest: string;
  path: string;
  archive: boolean;
  created: string;
  expires: string | null;
  exported_at: string;
  exported_by: string;
}

/** A registered public signing key. */
export interface KeyRow {
  key_id: string;
  name: string;
  added_at: string;
  added_by: string;
}

export interface BundlesView {
  /** Newest first. */
  bundles: BundleRecord[];
  keys: KeyRow[];
}

/** The exported bundles and the registered keys. */
export const bundleList = () => invoke<BundlesView>('bundle_list');
/** Exports an approved version: native dialogs choose the private key and the target; null when cancelled. */
export const bundleExport = (version: string, archive: boolean, expiresDays: number | null) =>
  invoke<BundlesView | null>('bundle_export', { version, archive, expiresDays });

// --- Audit view: the workspace's audit trail (commands/audit.rs, `writ audit list|verify`) ---

/** One audit event. */
export interface AuditRow {
  id: number;
  /** RFC 3339. */
  ts: string;
  actor: string;
  /** `version.commit`, `traces.import`, `run.store`, ... */
  kind: string;
  /** What it is about (a version, run, trace set, ...), drawn from the details. */
  subject: string;
  /** The stored JSON text. */
  details: string;
  hash: string;
}

/** One page of the trail, newest first. */
export interface AuditPage {
  /** Events in the whole trail. */
  all: number;
  /** Events matching the filters. */
  total: number;
  kinds: string[];
  actors: string[];
  events: AuditRow[];
}

/** The hash chain's verification (as `writ audit verify`). */
export interface AuditVerification {
  ok: boolean;
  events: number;
  /** The newest event's hash when intact. */
  head: string | null;
  /** The first event that does not verify (or the id of a missing one). */
  broken_event: number | null;
  reason: string | null;
}

/** `limit` events from `offset`, newest first, filtered by kind and actor (null: any). */
export const auditList = (kind: string | null, actor: string | null, offset: number, limit: number) =>
  invoke<AuditPage>('audit_list', { kind, actor, offset, limit });
/** Checks the whole hash chain. */
export const auditVerify = () => invoke<AuditVerification>('audit_verify');

// --- The evidence report --------------------------------------------------

/** Where `export_report` wrote the report. */
export interface SavedReport {
  path: string;
  bytes: number;
}

/** Writes `writ report`'s HTML for `version` to a file chosen in a save
 * dialog opened by Rust; null when the dialog was cancelled. */
export const exportReport = (version: string) =>
  invoke<SavedReport | null>('export_report', { version });

// --- Trace import: format, mapping profile, user attribute and the
// mapping preview (commands/traces.rs) ---

/** The trace formats the import reads (`auto` detects). */
export const TRACE_FORMATS = [
  'native', 'decision-log', 'otlp', 'tempo', 'jaeger', 'mcp-jsonrpc', 'mcp-cassette',
] as const;

/** The built-in mapping profiles, the default first. */
export const BUILTIN_PROFILES = ['writ', 'toolhive', 'agentcore'] as const;

/** How the chosen file is read and mapped: `format` is `auto` or a format
 * name, `profile` a built-in name or `file` (the chosen profile file). */
export interface ImportChoice {
  format: string;
  profile: string;
  user_attribute: string;
}

/** Where an item was found: a line, a JSON path, or both. */
export interface ItemLocation {
  line?: number;
  path?: string;
}

/** A recorded tool call as extracted before mapping. */
export interface ExtractedCall {
  location: ItemLocation;
  ts: string;
  agent: string | null;
  user: string | null;
  tool: string;
  call_id: string | null;
  tool_type: string | null;
  args: unknown;
  attributes: Record<string, unknown>;
  trace_id: string | null;
  span_id: string | null;
  /** `executed`, `failed` or `blocked`. */
  outcome: string;
}

/** One previewed item. */
export interface PreviewItem {
  index: number;
  location: ItemLocation;
  recorded?: string;
  action?: ExtractedCall;
  /** The mapped trace record. */
  record?: Record<string, unknown>;
  /** The Cedar request (Cedar's JSON request form). */
  request?: unknown;
  verdict?: string;
  problems: string[];
}

/** The mapping preview of the chosen trace file. */
export interface TracePreview {
  detected: string | null;
  format: string | null;
  profile: string;
  /** The version requests were decided against (short id). */
  version: string | null;
  items: PreviewItem[];
  /** Why the file could not be read, if it could not. */
  problem: string | null;
}

/** The profile file chosen in the native dialog (the path stays in Rust). */
export interface ChosenProfile {
  file_name: string;
  name: string;
  description: string;
}

/** Opens the native "Mapping profile" dialog; null when cancelled. */
export const chooseProfileFile = () => invoke<ChosenProfile | null>('choose_profile_file');

/** Previews the chosen trace file's first items under `options`. */
export const previewTraceImport = (options: ImportChoice, version: string | null = null) =>
  invoke<TracePreview>('preview_trace_import', { options, version });

/** Items read, actions extracted, items skipped by reason. */
export interface IngestCounts {
  read: number;
  actions: number;
  skipped: Record<string, number>;
}

/** Imports the chosen file as set `name` with format, profile and user
 * attribute, reporting progress. */
export function importTraceWith(
  name: string,
  options: ImportChoice,
  onProgress: (p: ImportStage) => void,
): Promise<ImportOutcome & { format: string; counts: IngestCounts }> {
  const channel = new Channel<ImportStage>();
  channel.onmessage = onProgress;
  return invoke('import_trace', { name, options, onProgress: channel });
}

// --- Entities view: every entity a version decides with (commands/entities.rs, `writ entities`) ---

export interface NamedValue {
  name: string;
  value: string;
}

export interface EntityRow {
  type: string;
  id: string;
  uid: string;
  source: { file: string; line: number | null };
  parents: string[];
  attributes: NamedValue[];
  tags: NamedValue[];
}

export interface EntityCount {
  total: number;
  matched: number;
}

/** How many entities `version` has, and how many match `search`. */
export const entitiesCount = (version: string, search: string) =>
  invoke<EntityCount>('entities_count', { version, search });

/** Up to `limit` entities matching `search` from position `offset` (0-based). */
export const entitiesAt = (version: string, search: string, offset: number, limit: number) =>
  invoke<EntityRow[]>('entities_at', { version, search, offset, limit });
