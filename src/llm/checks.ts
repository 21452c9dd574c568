// Doctor checks for the model server: it answers, takes the key, offers the model, and the model calls tools (one tiny real request).
import OpenAI from 'openai';
import { check, type Check } from '../shared/check.js';
import { createModelClient, detectProvider, PLACEHOLDER_API_KEY, DEFAULT_BASE_URL } from './client.js';
import { toModelError, type ErrorContext } from './errors.js';
import { costUsd, type PriceTable } from './prices.js';
import { ModelError, type ToolCall, type Usage } from './types.js';
import { formatDuration } from '../shared/format.js';

export interface ModelCheckOptions {
  baseURL?: string;
  apiKey?: string;
  model: string;
  prices?: PriceTable;
  /** Send the tiny tool-calling request (it costs a fraction of a cent on paid APIs). */
  probe: boolean;
  /** Longest wait for the server, per request. */
  timeoutMs?: number;
  /** How the server was chosen, shown on the server line ("found on its own"). */
  source?: string;
  fetch?: typeof fetch;
}

const TOOL_FIX =
  'Choose a model that calls tools (e.g. qwen2.5-coder, llama3.1, gpt-4o-mini) with --model or `codecell config set model <name>`; ' +
  'vLLM needs --enable-auto-tool-choice and a --tool-call-parser for the model.';

/** "$0.000021" for small amounts, "$0.0123" otherwise. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  return usd < 0.001 ? `$${usd.toPrecision(2)}` : `$${usd.toFixed(4)}`;
}

const short = (text: string, n = 60): string => {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};

/** Asks the model to call the python tool once; resolves to what happened. */
async function probeTools(options: ModelCheckOptions): Promise<{ call?: ToolCall; text: string; usage?: Usage; ms: number }> {
  const client = createModelClient({
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    timeoutMs: options.timeoutMs ?? 60_000,
    maxRetries: 0,
    // Native only: in auto mode a refusal would switch to the text protocol instead of being reported.
    tools: 'native',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const started = Date.now();
  let text = '';
  let usage: Usage | undefined;
  let call: ToolCall | undefined;
  for await (const event of client.stream({
    model: options.model,
    messages: [
      { role: 'system', content: 'You are being tested. Answer only by calling the python tool.' },
      { role: 'user', content: 'Call the python tool with exactly this code: print(6 * 7)' },
    ],
  })) {
    if (event.type === 'usage') usage = event.usage;
    if (event.type === 'finish') {
      text = event.text;
      call = event.toolCalls.find((c) => c.name === 'python') ?? event.toolCalls[0];
    }
  }
  return { ...(call ? { call } : {}), text, ...(usage ? { usage } : {}), ms: Date.now() - started };
}

/** Runs the model checks in order; a check that cannot run because an earlier one failed is skipped. */
export async function checkModel(options: ModelCheckOptions): Promise<Check[]> {
  const baseURL = (options.baseURL || DEFAULT_BASE_URL).replace(/\/+$/, '');
  const provider = detectProvider(baseURL);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const ctx: ErrorContext = { baseURL, model: options.model, provider, timeoutMs };
  const source = options.source ? ` (${options.source})` : '';
  const skip = (id: string, title: string, why: string): Check =>
    check({ id, group: 'model', title, status: 'skip', detail: `not checked: ${why}`, required: true });

  const sdk = new OpenAI({
    apiKey: options.apiKey || PLACEHOLDER_API_KEY,
    baseURL,
    maxRetries: 0,
    timeout: Math.min(timeoutMs, 10_000),
    logLevel: 'off',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  let ids: string[] | undefined;
  let listError: ModelError | undefined;
  try {
    ids = [];
    for await (const m of sdk.models.list()) ids.push(m.id);
  } catch (err) {
    ids = undefined;
    listError = toModelError(err, ctx);
  }

  const checks: Check[] = [];
  if (listError && (listError.kind === 'connection' || listError.kind === 'timeout')) {
    checks.push(
      check({
        id: 'server',
        group: 'model',
        title: 'server',
        status: 'fail',
        detail: `${listError.message}${source}`,
        fix: listError.fix,
        required: true,
        data: { baseURL, provider },
      }),
    );
    checks.push(
      skip('api_key', 'API key', 'the server did not answer'),
      skip('model', 'model', 'the server did not answer'),
      skip('tool_calling', 'tool calling', 'the server did not answer'),
    );
    return checks;
  }
  checks.push(
    check({ id: 'server', group: 'model', title: 'server', status: 'ok', detail: `${baseURL} answers${source}`, required: true, data: { baseURL, provider } }),
  );

  if (listError?.kind === 'auth') {
    checks.push(check({ id: 'api_key', group: 'model', title: 'API key', status: 'fail', detail: listError.message, fix: listError.fix, required: true }));
    checks.push(skip('model', 'model', 'the key was refused'), skip('tool_calling', 'tool calling', 'the key was refused'));
    return checks;
  }
  checks.push(
    check({
      id: 'api_key',
      group: 'model',
      title: 'API key',
      status: 'ok',
      detail: options.apiKey ? 'accepted' : 'none set; this server takes requests without one',
      required: true,
    }),
  );

  let modelOk = true;
  if (ids && ids.length > 0) {
    if (ids.includes(options.model)) {
      checks.push(check({ id: 'model', group: 'model', title: 'model', status: 'ok', detail: `${options.model} is offered`, required: true }));
    } else {
      modelOk = false;
      const pull = provider === 'ollama' ? ` or fetch it: \`ollama pull ${options.model}\`` : '';
      checks.push(
        check({
          id: 'model',
          group: 'model',
          title: 'model',
          status: 'fail',
          detail: `${options.model} is not offered; the server offers ${ids.slice(0, 12).join(', ')}${ids.length > 12 ? ', …' : ''}`,
          fix: `Choose one with --model or \`codecell config set model <name>\`${pull}.`,
          required: true,
          data: { offered: ids },
        }),
      );
    }
  } else {
    checks.push(
      check({
        id: 'model',
        group: 'model',
        title: 'model',
        status: 'warn',
        detail: `the server does not list its models, so ${options.model} is tried below`,
        required: true,
      }),
    );
  }

  if (!options.probe) {
    checks.push(check({ id: 'tool_calling', group: 'model', title: 'tool calling', status: 'skip', detail: 'not checked (--no-probe)', required: true }));
    return checks;
  }
  if (!modelOk) {
    checks.push(skip('tool_calling', 'tool calling', 'the model is not offered'));
    return checks;
  }
  try {
    const r = await probeTools({ ...options, baseURL, timeoutMs });
    const cost = r.usage ? costUsd(options.model, r.usage, options.prices) : undefined;
    const tokens = r.usage ? `, ${r.usage.totalTokens} tokens` : '';
    const price =
      cost !== undefined
        ? `, cost ${formatUsd(cost)}`
        : provider === 'openai' || provider === 'openrouter'
          ? ', cost unknown (no price for this model)'
          : ', no cost (local server)';
    const data = { ms: r.ms, ...(r.usage ? { usage: r.usage } : {}), costUsd: cost ?? null };
    if (r.call?.name === 'python' && r.call.code !== undefined) {
      return [
        ...checks,
        check({
          id: 'tool_calling',
          group: 'model',
          title: 'tool calling',
          status: 'ok',
          detail: `${options.model} called the python tool (${formatDuration(r.ms)}${tokens}${price})`,
          required: true,
          data,
        }),
      ];
    }
    const what = r.call
      ? `called "${r.call.name}" without python code`
      : r.text
        ? `answered in text instead of calling the python tool ("${short(r.text)}")`
        : 'answered with nothing';
    return [
      ...checks,
      check({
        id: 'tool_calling',
        group: 'model',
        title: 'tool calling',
        status: 'fail',
        detail: `${options.model} ${what}${tokens ? ` (${tokens.slice(2)}${price})` : ''}`,
        fix: TOOL_FIX,
        required: true,
        data,
      }),
    ];
  } catch (err) {
    const e = err instanceof ModelError ? err : toModelError(err, ctx);
    return [...checks, check({ id: 'tool_calling', group: 'model', title: 'tool calling', status: 'fail', detail: e.message, fix: e.fix, required: true })];
  }
}
