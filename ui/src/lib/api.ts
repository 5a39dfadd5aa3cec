// Typed wrappers over the Rust commands in src-tauri/src/commands/*.rs.
// Every command returns a readable error string on failure. The types the
// commands take and return are generated from the Rust types into
// ./bindings.ts (see src-tauri/src/bindings.rs) and re-exported here.
import { invoke, Channel } from '@tauri-apps/api/core';
import type {
  ActionQuery, AgentLabel, AuditPage, CallsKept, SavedCase, BundleCheckView, KeyOutcome, AuditVerification, BenchMeta, BenchRequest, BenchResult, BundlesView,
  ChangePage, ChosenProfile, ChosenTrace, CommitOutcome, DraftLimits, DraftOutcome, Edit, FileChanges, EntityCount, EntityRow, FileEntry,
  FindingsReport, FormatOutcome, IdentityView, ImportChoice, KeyChoice, ImportOutcome, ImportStage, InventoryRows, Overview,
  PolicyLocations, Problem, Progress, RecentEntry, ReviewView, RunCharts, RunDiff, RunResult, RunRow,
  RemapChoice, RemapPreview, SavedReport, StoredAction, SuiteRow, TestReport, TextDiffEntry, TextSides, TracePreview, TraceSetInfo,
} from './bindings';

export type * from './bindings';

export const openWorkspace = () => invoke<Overview>('open_workspace');

export const versionFiles = (version: string) =>
  invoke<FileEntry[]>('version_files', { version });

export const checkVersion = (version: string, edits: Record<string, string>) =>
  invoke<Problem[]>('check_version', { version, edits });

/** The inventory agents of a version: name, id and identities. */
export const agentNames = (version: string) => invoke<AgentLabel[]>('agent_names', { version });

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

export const runResult = (run: number, line: number) =>
  invoke<RunResult>('run_result', { run, line });

export const diffChanges = (
  a: number,
  b: number,
  agent: string | null,
  policy: string | null,
  offset: number,
  limit: number,
) => invoke<ChangePage>('diff_changes', { a, b, agent, policy, offset, limit });

export const policyDiff = (a: number, b: number) => invoke<TextDiffEntry[]>('policy_diff', { a, b });

export const benchMeta = (version: string) => invoke<BenchMeta>('bench_meta', { version });

/** Adds a composed request to a suite as a case expecting `version`'s decision. */
export const saveBenchCase = (version: string, request: BenchRequest, suite: string, name: string) =>
  invoke<SavedCase>('save_bench_case', { version, request, suite, name });

export const benchDecide = (version: string, request: BenchRequest) =>
  invoke<BenchResult>('bench_decide', { version, request });

// --- Workspaces, versions, commit and format (Start, Versions, Policies) ---

/** "Open workspace…": a native dialog; null when cancelled. */
export const chooseWorkspace = () => invoke<Overview | null>('choose_workspace');

/** "New workspace…": a native save dialog, then an empty workspace; null when cancelled. */
export const newWorkspace = () => invoke<Overview | null>('new_workspace');

export const recentWorkspaces = () => invoke<RecentEntry[]>('recent_workspaces');

/** Opens a recent workspace by its index in `recentWorkspaces()`. */
export const openRecent = (index: number) => invoke<Overview>('open_recent', { index });

export const removeRecent = (index: number) => invoke<RecentEntry[]>('remove_recent', { index });

export const commitEdits = (version: string, edits: Record<string, string>, message: string) =>
  invoke<CommitOutcome>('commit_edits', { version, edits, message });

/** What committing `edits` on top of `version` changes: each edited file's unified diff. */
export const editChanges = (version: string, edits: Record<string, string>) =>
  invoke<FileChanges[]>('edit_changes', { version, edits });

export const formatPolicy = (path: string, text: string) =>
  invoke<FormatOutcome>('format_policy', { path, text });

// --- Run charts, side-by-side policy diff, policies shown in the editor (Runs, Traces, Policies) ---

/** Verdicts by agent and tool, and decisions over time in at most `buckets` intervals. */
export const runCharts = (run: number, buckets: number) =>
  invoke<RunCharts>('run_charts', { run, buckets });

export const policySides = (a: number, b: number) => invoke<TextSides[]>('policy_sides', { a, b });

/** The unified text diff from stored version `from` to `to`. */
export const versionTextDiff = (from: string, to: string) =>
  invoke<TextDiffEntry[]>('version_text_diff', { from, to });

/** Both texts of everything that differs from stored version `from` to `to`. */
export const versionTextSides = (from: string, to: string) =>
  invoke<TextSides[]>('version_text_sides', { from, to });

export const policyLocations = (version: string, ids: string[]) =>
  invoke<PolicyLocations>('policy_locations', { version, ids });

/** A request to show policies: open `version` in the Policies view and highlight `policies`, starting at `focus`. */
export interface PolicyTarget {
  version: string;
  policies: string[];
  focus: string;
  /** A place to open instead of (or besides) policies: a file of the version and a 1-based line and column. */
  at?: { file: string; line: number; column: number };
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

export const inventoryRows = (text: string) => invoke<InventoryRows>('inventory_rows', { text });

/** Applies one edit to an inventory text; resolves to the new text. */
export const inventoryEdit = (text: string, edit: Edit) =>
  invoke<string>('inventory_edit', { text, edit });

// --- Trace import (progress, cancel), the virtual table's positional
// access, replay cancel ---

/** How many actions match the filters. */
export const countActions = (query: ActionQuery) => invoke<number>('count_actions', { query });

/** Where line `line` is among the actions matching `query` (0-based), or null when it does not match. */
export const actionPosition = (query: ActionQuery, line: number) =>
  invoke<number | null>('action_position', { query, line });

/** Up to `limit` matching actions from position `offset` (0-based). */
export const actionsAt = (query: ActionQuery, offset: number, limit: number) =>
  invoke<StoredAction[]>('actions_at', { query, offset, limit });

/** Opens the native "Import trace" dialog; null when cancelled. */
export const chooseTraceFile = () => invoke<ChosenTrace | null>('choose_trace_file');

/** Stops the running import; false when none runs. */
export const cancelImport = () => invoke<boolean>('cancel_import');

/** Stops the running replay; false when none runs. */
export const cancelReplay = () => invoke<boolean>('cancel_replay');

// --- Tests view: scenario suites stored in the workspace (commands/tests.rs) ---

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

/** The findings of `version`'s inventory, over trace set `set` when given. */
export const inventoryFindings = (version: string, set: number | null) =>
  invoke<FindingsReport>('inventory_findings', { version, set });

/** Commits the proposed narrowing of `version`'s grants over set `set` as a new version;
 * `expected` is the narrowed files' version id shown (refused when a new review differs). */
export const commitNarrowing = (version: string, set: number, expected: string, message: string) =>
  invoke<CommitOutcome>('commit_narrowing', { version, set, expected, message });

// --- Approvals view: four-eyes review of versions (commands/approvals.rs, `writ review|approve|reject`) ---

/** A version's review state, evidence and history (read only). */
export const reviewShow = (version: string) => invoke<ReviewView>('review_show', { version });
// Each step is signed with the chosen approver key; `actor` (a typed name)
// is only used by a legacy workspace when no key is chosen.
/** Submits a version for review (`resubmit` for a rejected one) over trace set `set` (null: newest). */
export const reviewSubmit = (version: string, set: number | null, actor: string | null, resubmit: boolean) =>
  invoke<ReviewView>('review_submit', { version, set, actor, resubmit });
/** Approves a version in review. */
export const reviewApprove = (version: string, actor: string | null, comment: string | null) =>
  invoke<ReviewView>('review_approve', { version, actor, comment });
/** Rejects a version in review (a comment is required). */
export const reviewReject = (version: string, actor: string | null, comment: string) =>
  invoke<ReviewView>('review_reject', { version, actor, comment });

// --- Who acts: the approver key review steps are signed with (commands/identity.rs) ---

/** Who the app acts as in the open workspace, and whether it requires signatures. */
export const identityShow = () => invoke<IdentityView>('identity_show');
/** Asks for an approver key file (native dialog): chosen, cancelled, or waiting for its passphrase. */
export const identityChoose = () => invoke<KeyChoice>('identity_choose');
/** Decrypts the encrypted key file chosen last with `passphrase`. */
export const identityUnlock = (passphrase: string) => invoke<IdentityView>('identity_unlock', { passphrase });
/** Stops acting with the chosen key. */
export const identityForget = () => invoke<IdentityView>('identity_forget');
/** Makes a legacy workspace require signed review steps (signed by the chosen key). */
export const requireSignatures = () => invoke<IdentityView>('require_signatures');

// --- Bundles view: signed policy bundles (commands/bundles.rs, `writ bundle export|list`, `writ key list`) ---

/** The exported bundles and the registered keys. */
export const bundleList = () => invoke<BundlesView>('bundle_list');
/** Exports an approved version: native dialogs choose the private key and the target; null when cancelled. */
export const bundleExport = (version: string, archive: boolean, expiresDays: number | null) =>
  invoke<BundlesView | null>('bundle_export', { version, archive, expiresDays });
/** Verifies a bundle chosen in a dialog (a folder, else an archive) against the workspace's keys; null when cancelled. */
export const bundleVerify = (folder: boolean) => invoke<BundleCheckView | null>('bundle_verify', { folder });
/** Generates a signing key pair where a save dialog says and registers it; null when cancelled. */
export const generateSigningKey = () => invoke<KeyOutcome | null>('generate_signing_key');
/** Registers a public key chosen in a dialog as a bundle-signing key; null when cancelled. */
export const registerSigningKey = () => invoke<KeyOutcome | null>('register_signing_key');

// --- Audit view: the workspace's audit trail (commands/audit.rs, `writ audit list|verify`) ---

/** `limit` events from `offset`, newest first, filtered by kind and actor (null: any). */
export const auditList = (kind: string | null, actor: string | null, offset: number, limit: number) =>
  invoke<AuditPage>('audit_list', { kind, actor, offset, limit });
/** Checks the whole hash chain. */
export const auditVerify = () => invoke<AuditVerification>('audit_verify');

// --- The evidence report --------------------------------------------------

/** Writes `writ report`'s HTML for `version` to a file chosen in a save
 * dialog opened by Rust; null when the dialog was cancelled. */
export const exportReport = (version: string) =>
  invoke<SavedReport | null>('export_report', { version });

// --- Trace import: format, mapping profile, user attribute and the
// mapping preview (commands/traces.rs) ---

/** The trace formats the import reads (`auto` detects). */
export const TRACE_FORMATS = [
  'native', 'decision-log', 'otlp', 'tempo', 'jaeger', 'mcp-jsonrpc', 'mcp-cassette',
  'claude-mcp-log', 'toolhive-audit', 'claude-code', 'codex-exec',
] as const;

/** The built-in mapping profiles, the default first. */
export const BUILTIN_PROFILES = ['writ', 'toolhive', 'agentcore'] as const;

/** Opens the native "Mapping profile" dialog; null when cancelled. */
export const chooseProfileFile = () => invoke<ChosenProfile | null>('choose_profile_file');

/** Previews the chosen trace file's first items under `options`. */
export const previewTraceImport = (options: ImportChoice, version: string | null = null) =>
  invoke<TracePreview>('preview_trace_import', { options, version });

/** Imports the chosen file as set `name` with format, profile and user
 * attribute, reporting progress. */
export function importTraceWith(
  name: string,
  options: ImportChoice,
  onProgress: (p: ImportStage) => void,
): Promise<ImportOutcome> {
  const channel = new Channel<ImportStage>();
  channel.onmessage = onProgress;
  return invoke<ImportOutcome>('import_trace', { name, options, onProgress: channel });
}

// --- Trace sets: mapping a set's recorded calls again, removing a set
// (commands/traces.rs, `writ traces remap|remove`) ---

/** How many recorded tool calls set `set` kept for re-mapping (none: it cannot be re-mapped). */
export const traceSetCalls = (set: number) => invoke<CallsKept>('trace_set_calls', { set });

/** Maps the recorded calls of set `set` again with another profile, as a new set. */
export const remapTraceSet = (set: number, options: RemapChoice) =>
  invoke<ImportOutcome>('remap_trace_set', { set, options });

/** The first `limit` recorded calls of set `set` as `options` would map them, decided against the newest version; nothing is stored. */
export const previewRemapTraceSet = (set: number, options: RemapChoice, limit = 5) =>
  invoke<RemapPreview>('preview_remap_trace_set', { set, options, limit });

/** Removes set `set`; refused (naming them) while runs, reviews, suites or re-mapped sets refer to it. */
export const removeTraceSet = (set: number) => invoke<TraceSetInfo>('remove_trace_set', { set });

// --- Drafting a first project from a trace set (commands/draft.rs, `writ draft --traces SET`) ---

/** The limits a draft is made with by default (`writ_core::draft::Limits::default()`). */
export const DRAFT_DEFAULTS = { max_resources: 20, max_principals: 25 } as const;

/** Drafts a project from set `set` under `limits`: report, replay check, files; nothing stored. */
export const draftTraceSet = (set: number, limits: DraftLimits) =>
  invoke<DraftOutcome>('draft_trace_set', { set, limits });

/** Drafts again and saves the files as a version when they are the reviewed ones (`expected`). */
export const saveDraft = (set: number, limits: DraftLimits, expected: string, message: string) =>
  invoke<CommitOutcome>('save_draft', { set, limits, expected, message });

// --- Entities view: every entity a version decides with (commands/entities.rs, `writ entities`) ---

/** How many entities `version` has, and how many match `search`. */
export const entitiesCount = (version: string, search: string) =>
  invoke<EntityCount>('entities_count', { version, search });

/** Up to `limit` entities matching `search` from position `offset` (0-based). */
export const entitiesAt = (version: string, search: string, offset: number, limit: number) =>
  invoke<EntityRow[]>('entities_at', { version, search, offset, limit });
