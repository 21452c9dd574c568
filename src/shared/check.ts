// One line of `codecell doctor` (shared: the sandbox, model, store and terminal checks all make them): what was checked, how it went, and the fix when something is wrong.

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export type CheckGroup = 'sandbox' | 'model' | 'terminal' | 'files';

export interface Check {
  /** Stable id for scripts: engine, image, disk, server, api_key, model, tool_calling, colours, graphics, size, config, data, output. */
  id: string;
  group: CheckGroup;
  /** A few words for people: "engine", "tool calling". */
  title: string;
  status: CheckStatus;
  /** What was found, one line. */
  detail: string;
  /** What to do, when status is warn or fail. */
  fix?: string;
  /** A failure of this check stops `codecell run`. */
  required: boolean;
  /** Facts for --json (versions, sizes, paths, cost). */
  data?: Record<string, unknown>;
}

export function check(fields: Check): Check {
  return fields;
}

/** True when nothing `codecell run` needs has failed (warnings and skipped checks do not count). */
export function readyToRun(checks: readonly Check[]): boolean {
  return !checks.some((c) => c.required && c.status === 'fail');
}
