// The model client contract: a stream of typed events from one chat completion.
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { EXIT_FAILURE, EXIT_USAGE, UserError } from '../shared/user-error.js';

export type ChatMessage = ChatCompletionMessageParam;

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** A tool call whose arguments arrived completely and parsed. */
export interface ToolCall {
  id: string;
  name: string;
  /** Raw JSON arguments as the model sent them. */
  arguments: string;
  /** The `code` argument of the python tool, when present. */
  code?: string;
  /** Why `code` could not be read, told to the model instead of running anything (a default when absent). */
  problem?: string;
}

/** How the python tool is offered: the tool-calling API, or code in ```python blocks (the text protocol). */
export type ToolProtocol = 'native' | 'text';
/** The `tools` setting: `auto` starts native and falls back to text when the server refuses tools. */
export type ToolMode = 'auto' | ToolProtocol;

export type ModelEvent =
  | { type: 'text_delta'; text: string }
  | { type: 'reasoning_delta'; text: string }
  | { type: 'tool_call_start'; index: number; id: string; name: string }
  /** New characters of the python tool's `code` argument, decoded from the partial JSON. */
  | { type: 'code_delta'; index: number; id: string; text: string }
  | { type: 'tool_call_end'; index: number; call: ToolCall }
  | { type: 'usage'; usage: Usage }
  /** `auto` switched to the text protocol because the server refused tools; `reason` is its message. */
  | { type: 'protocol_switch'; protocol: ToolProtocol; reason: string }
  | { type: 'finish'; reason: string; text: string; toolCalls: ToolCall[]; protocol?: ToolProtocol };

export interface StreamRequest {
  model: string;
  messages: ChatMessage[];
  signal?: AbortSignal;
}

export interface ModelClient {
  /**
   * Streams one completion. Ends with exactly one `finish` event on success. A stream that dies
   * mid-way throws ModelError('stream_dropped') and never yields `tool_call_end` for a partial call.
   */
  stream(request: StreamRequest): AsyncGenerator<ModelEvent>;
  /** Model ids the server offers (for "unknown model" messages); empty when it cannot tell. */
  listModels(signal?: AbortSignal): Promise<string[]>;
  /** The protocol the next request for `model` will use. */
  protocolFor?(model: string): ToolProtocol;
}

export type ModelErrorKind =
  | 'no_api_key'
  | 'auth'
  | 'unknown_model'
  | 'rate_limit'
  | 'connection'
  | 'server'
  | 'timeout'
  | 'stream_dropped'
  | 'bad_request'
  | 'aborted';

/** A model failure with a message and a fix written for the user. A missing key is a setup problem the user fixes before running again, like bad usage (exit 2). */
export class ModelError extends UserError {
  declare readonly kind: ModelErrorKind;
  declare readonly fix: string;
  /** The server's own words, when it sent an error body. */
  serverMessage?: string;
  constructor(
    kind: ModelErrorKind,
    message: string,
    fix: string,
    readonly status?: number,
  ) {
    super(message, { kind, area: 'model', fix, exitCode: kind === 'no_api_key' ? EXIT_USAGE : EXIT_FAILURE });
    this.name = 'ModelError';
  }
}
