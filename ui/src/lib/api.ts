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

export interface ActionPage {
  rows: StoredAction[];
  more: boolean;
}

export interface ActionQuery {
  set: number;
  run: number | null;
  agent: string | null;
  tool: string | null;
  verdict: string | null;
}

export const listActions = (q: ActionQuery, after: number, limit: number) =>
  invoke<ActionPage>('list_actions', { ...q, after, limit });

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
