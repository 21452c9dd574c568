// Every configuration key: its type, default, valid range, environment variables and one-line description.
import { z } from 'zod';
import { priceTableSchema, type PriceTable } from '../llm/prices.js';
import { sizeSetting, parseSize } from './size.js';
import { DEFAULT_OUT_DIR } from '../store/paths.js';
import type { ToolMode } from '../llm/types.js';
import { APT_NAME } from '../sandbox/extras.js';
import { IMAGE_MODES, parseImageMode, type ImageMode } from '../render/image-mode.js';

/** Effective settings after precedence is applied (sizes in bytes, outDir absolute). */
export interface Settings {
  model: string;
  baseUrl?: string;
  apiKey?: string;
  outDir: string;
  /** Seconds per cell. */
  timeout: number;
  maxTurns: number;
  /** How the python tool is offered to the model. */
  tools: ToolMode;
  /** Seconds to wait for the model server to start answering, and the longest silence inside a reply. */
  requestTimeout: number;
  /** Bytes. */
  memory: number;
  cpus: number;
  pids: number;
  /** Bytes of /mnt/data. */
  disk: number;
  network: boolean;
  image?: string;
  /** Extra Debian packages for the sandbox (a derived image is built with them). */
  apt: string[];
  /** Extra pip specs for the sandbox; local wheel and folder paths are absolute after resolveConfig. */
  pip: string[];
  runtime?: string;
  /** Where cells run: auto, docker, podman, bubblewrap or firejail. */
  backend: 'auto' | 'docker' | 'podman' | 'bubblewrap' | 'firejail';
  /** How figures are drawn in the terminal (see render/terminal-graphics.ts). */
  images: ImageMode;
  confirm: boolean;
  /** USD. */
  budget?: number;
  prices: PriceTable;
  maxOutputBytes: number;
  modelOutputChars: number;
}

export type ConfigKey = keyof Settings;

/** A parsed value: what the config file stores (e.g. "1g") and what the program uses (1073741824). */
export interface Parsed<T> {
  stored: string | number | boolean | string[] | PriceTable;
  value: T;
}

export interface KeyInfo<K extends ConfigKey = ConfigKey> {
  key: K;
  description: string;
  /** Stored form of the default; undefined when the key has no default. */
  default?: string | number | boolean | string[] | PriceTable;
  /** Completes "<key> must be ...". */
  range: string;
  /** Environment variables, highest precedence first. */
  env: readonly string[];
  secret?: boolean;
  /** Accepts a string (command line, environment) or a JSON value (config file); undefined when invalid. */
  parse(input: unknown): Parsed<Settings[K]> | undefined;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function toNumber(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  return NUMBER.test(input.trim()) ? Number(input.trim()) : Number.NaN;
}

function fromSchema<T extends string | number | boolean>(schema: z.ZodType<T>, pre: (input: unknown) => unknown = (x) => x) {
  return (input: unknown): Parsed<T> | undefined => {
    const r = schema.safeParse(pre(input));
    return r.success ? { stored: r.data, value: r.data } : undefined;
  };
}

const integer = (min: number, max: number) => fromSchema(z.number().int().min(min).max(max), toNumber);
const decimal = (min: number, max: number) => fromSchema(z.number().min(min).max(max), toNumber);
const text = (schema: z.ZodType<string>) => fromSchema(schema, (x) => (typeof x === 'string' ? x.trim() : x));

const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);
function boolean(input: unknown): Parsed<boolean> | undefined {
  const v = typeof input === 'string' ? (TRUE.has(input.trim().toLowerCase()) ? true : FALSE.has(input.trim().toLowerCase()) ? false : undefined) : input;
  return typeof v === 'boolean' ? { stored: v, value: v } : undefined;
}

function size(min: number, max: number) {
  return (input: unknown): Parsed<number> | undefined => {
    if (typeof input !== 'string' && typeof input !== 'number') return undefined;
    const bytes = parseSize(input);
    if (bytes === undefined || bytes < min || bytes > max) return undefined;
    return { stored: sizeSetting(bytes), value: bytes };
  };
}

function prices(input: unknown): Parsed<PriceTable> | undefined {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      return undefined;
    }
  }
  const r = priceTableSchema.safeParse(value);
  return r.success ? { stored: r.data, value: r.data } : undefined;
}

/**
 * A list of packages: a JSON array (config file, or a string holding one) or a string of items
 * separated by spaces or commas (command line, environment). Each item must pass `check`.
 */
function list(check: (item: string) => boolean, separators: RegExp) {
  return (input: unknown): Parsed<string[]> | undefined => {
    let items: unknown = input;
    if (typeof input === 'string') {
      const text = input.trim();
      if (text.startsWith('[')) {
        try {
          items = JSON.parse(text);
        } catch {
          return undefined;
        }
      } else {
        items = text ? text.split(separators) : [];
      }
    }
    if (!Array.isArray(items) || !items.every((x) => typeof x === 'string')) return undefined;
    const value = [...new Set((items as string[]).map((x) => x.trim()).filter(Boolean))];
    return value.every(check) ? { stored: value, value } : undefined;
  };
}

// pip specs are judged by pip at build time, but an option or a line break would change the
// requirements file they are written to.
const pipItem = (spec: string): boolean => !spec.startsWith('-') && !/[\r\n]/.test(spec);

const K = 1024;
const M = 1024 ** 2;
const G = 1024 ** 3;
const NAME = /^\S+$/;

/** The keys in the order `config list` shows them. */
export const KEYS: { [P in ConfigKey]: KeyInfo<P> } = {
  model: {
    key: 'model',
    description: 'Model name sent to the chat completions API.',
    default: 'gpt-4o-mini',
    range: 'a model name without spaces, e.g. gpt-4o-mini',
    env: ['CODECELL_MODEL', 'OPENAI_MODEL'],
    parse: text(z.string().min(1).regex(NAME)),
  },
  baseUrl: {
    key: 'baseUrl',
    description: 'OpenAI-compatible API base URL (Ollama, vLLM, LM Studio, OpenRouter); unset means OpenAI.',
    range: 'an http:// or https:// URL, e.g. http://localhost:11434/v1',
    env: ['CODECELL_BASE_URL', 'OPENAI_BASE_URL'],
    parse: text(z.string().refine((s) => /^https?:\/\/[^\s]+$/i.test(s) && URL.canParse(s))),
  },
  apiKey: {
    key: 'apiKey',
    description: 'API key for the model server (secret: shown masked).',
    range: 'a non-empty string',
    env: ['CODECELL_API_KEY', 'OPENAI_API_KEY'],
    secret: true,
    parse: text(z.string().min(1)),
  },
  outDir: {
    key: 'outDir',
    description: 'Folder for generated files and manifest.jsonl; relative means relative to the current directory.',
    default: DEFAULT_OUT_DIR,
    range: 'a folder path',
    env: ['CODECELL_OUT_DIR'],
    parse: text(z.string().min(1)),
  },
  timeout: {
    key: 'timeout',
    description: 'Wall-clock limit for one cell, in seconds.',
    default: 120,
    range: 'an integer from 1 to 86400 seconds',
    env: ['CODECELL_TIMEOUT'],
    parse: integer(1, 86_400),
  },
  maxTurns: {
    key: 'maxTurns',
    description: 'Most model calls for one prompt before codecell stops.',
    default: 20,
    range: 'an integer from 1 to 100',
    env: ['CODECELL_MAX_TURNS'],
    parse: integer(1, 100),
  },
  tools: {
    key: 'tools',
    description:
      'How the model runs code: native tool calls, text (```python blocks, for models without tool calling), or auto (native, then text if the server refuses tools).',
    default: 'auto',
    range: 'one of auto, native, text',
    env: ['CODECELL_TOOLS'],
    parse: (input: unknown): Parsed<ToolMode> | undefined => {
      const v = typeof input === 'string' ? input.trim().toLowerCase() : undefined;
      return v === 'auto' || v === 'native' || v === 'text' ? { stored: v, value: v } : undefined;
    },
  },
  requestTimeout: {
    key: 'requestTimeout',
    description: 'Seconds to wait for the model server to answer, and the longest pause allowed inside a reply.',
    default: 300,
    range: 'an integer from 1 to 3600 seconds',
    env: ['CODECELL_REQUEST_TIMEOUT'],
    parse: integer(1, 3600),
  },
  memory: {
    key: 'memory',
    description: 'Sandbox memory limit (no swap), e.g. 512m, 2g.',
    default: '1g',
    range: 'a size from 64m to 64g (k, m, g suffixes)',
    env: ['CODECELL_MEMORY'],
    parse: size(64 * M, 64 * G),
  },
  cpus: {
    key: 'cpus',
    description: 'Sandbox CPU limit in cores.',
    default: 1,
    range: 'a number from 0.1 to 64',
    env: ['CODECELL_CPUS'],
    parse: decimal(0.1, 64),
  },
  pids: {
    key: 'pids',
    description: 'Most processes and threads in the sandbox.',
    default: 256,
    range: 'an integer from 16 to 4096',
    env: ['CODECELL_PIDS'],
    parse: integer(16, 4096),
  },
  disk: {
    key: 'disk',
    description: 'Size of the sandbox working folder /mnt/data (in memory, counts against memory).',
    default: '512m',
    range: 'a size from 16m to 64g (k, m, g suffixes)',
    env: ['CODECELL_DISK'],
    parse: size(16 * M, 64 * G),
  },
  network: {
    key: 'network',
    description: 'Give the sandbox network access (off by default).',
    default: false,
    range: 'true or false',
    env: ['CODECELL_NETWORK'],
    parse: boolean,
  },
  image: {
    key: 'image',
    description: 'Sandbox image to run; unset means the image built for this codecell version.',
    range: 'a Docker image reference without spaces, e.g. codecell-sandbox:custom',
    env: ['CODECELL_IMAGE'],
    parse: text(z.string().min(1).regex(NAME)),
  },
  apt: {
    key: 'apt',
    description: 'Extra Debian packages in the sandbox, e.g. python3-networkx; codecell builds and reuses an image with them.',
    default: [],
    range: 'a list of Debian package names (JSON array, or separated by spaces or commas), e.g. "python3-networkx graphviz"',
    env: ['CODECELL_APT'],
    parse: list((name) => APT_NAME.test(name), /[\s,]+/),
  },
  pip: {
    key: 'pip',
    description: 'Extra pip specs in the sandbox: names (need an index at build time), .whl files or project folders.',
    default: [],
    range: 'a list of pip specs (JSON array, or separated by spaces), e.g. "polars==1.2 ./wheels/tool-0.1-py3-none-any.whl"',
    env: ['CODECELL_PIP'],
    parse: list(pipItem, /\s+/),
  },
  runtime: {
    key: 'runtime',
    description: 'OCI runtime for the sandbox, e.g. runsc for gVisor; unset means Docker’s default (runc).',
    range: 'a runtime name such as runc or runsc',
    env: ['CODECELL_RUNTIME'],
    parse: text(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)),
  },
  backend: {
    key: 'backend',
    description:
      'Where cells run: auto (Docker or Podman when one answers, else bubblewrap, else firejail), docker, podman, bubblewrap or firejail (process sandboxes, no container engine).',
    default: 'auto',
    range: 'one of auto, docker, podman, bubblewrap, firejail',
    env: ['CODECELL_BACKEND'],
    parse: fromSchema(z.enum(['auto', 'docker', 'podman', 'bubblewrap', 'firejail']), (x) => (typeof x === 'string' ? x.trim().toLowerCase() : x)),
  },
  images: {
    key: 'images',
    description:
      'How figures are drawn in the terminal: auto picks kitty, iTerm2 or sixel graphics when the terminal has them, else half-blocks; off prints only the file path.',
    default: 'auto',
    range: `one of ${IMAGE_MODES.join(', ')} (true means auto, false means off)`,
    env: ['CODECELL_IMAGES'],
    parse: (input: unknown) => {
      const mode = parseImageMode(input);
      return mode ? { stored: mode, value: mode } : undefined;
    },
  },
  confirm: {
    key: 'confirm',
    description: 'Ask before running each cell.',
    default: false,
    range: 'true or false',
    env: ['CODECELL_CONFIRM'],
    parse: boolean,
  },
  budget: {
    key: 'budget',
    description: 'Stop a session once its estimated cost passes this many US dollars; unset means no limit.',
    range: 'a number of US dollars greater than 0 and at most 1000000',
    env: ['CODECELL_BUDGET'],
    parse: fromSchema(z.number().positive().max(1_000_000), toNumber),
  },
  prices: {
    key: 'prices',
    description: 'Model prices in USD per 1M tokens, added to the built-in table: {"model": {"input": 0.15, "output": 0.6}}.',
    default: {},
    range: 'a JSON object of model → {"input": USD, "output": USD} per 1M tokens',
    env: ['CODECELL_PRICES'],
    parse: prices,
  },
  maxOutputBytes: {
    key: 'maxOutputBytes',
    description: 'Output one cell may print before the rest is dropped and the cell is stopped.',
    default: '2m',
    range: 'a size from 1k to 1g (k, m, g suffixes)',
    env: ['CODECELL_MAX_OUTPUT_BYTES'],
    parse: size(1 * K, 1 * G),
  },
  modelOutputChars: {
    key: 'modelOutputChars',
    description: 'Characters of cell output given back to the model (head and tail; the rest stays on disk).',
    default: 8000,
    range: 'an integer from 200 to 1000000',
    env: ['CODECELL_MODEL_OUTPUT_CHARS'],
    parse: integer(200, 1_000_000),
  },
};

export const KEY_NAMES = Object.keys(KEYS) as ConfigKey[];

/** Finds a key by its name, ignoring case, dashes and underscores (`max-turns`, `MAX_TURNS`). */
export function findKey(name: string): ConfigKey | undefined {
  const wanted = name.replace(/[-_]/g, '').toLowerCase();
  return KEY_NAMES.find((k) => k.toLowerCase() === wanted);
}

/** `config list` shows secrets like this unless --show-secrets: enough to tell two keys apart. */
export function maskSecret(value: string): string {
  return value.length > 12 ? `${value.slice(0, 3)}…${value.slice(-4)}` : '****';
}

/** A stored value as text for `config get` and `config list`. */
export function formatStored(value: unknown): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.join(' ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
