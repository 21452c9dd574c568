// One model call of a prompt: streams the reply as SessionEvents and returns its text, reasoning and tool calls.
import type { ChatMessage, ModelClient, ToolCall, ToolProtocol, Usage } from '../llm/types.js';
import { ModelError } from '../llm/types.js';
import { errorEvent } from './error-event.js';
import type { SessionEvent, UsageTotals } from './events.js';
import { unreachable } from './events.js';

/** The price of one usage report in USD, when the model's price is known. */
export type PriceFn = (model: string, usage: Usage) => number | undefined;

export interface ModelTurnRequest {
  client: ModelClient;
  model: string;
  /** The conversation so far, system prompt first. */
  messages: ChatMessage[];
  /** The prompt's turn number, carried by every event. */
  turn: number;
  /** The protocol of the previous model call: a call that starts in the text protocol is announced once. */
  lastProtocol: ToolProtocol | undefined;
  price?: PriceFn;
  /** Adds one usage report to the prompt's and the session's totals and returns both, for the usage event. */
  addUsage(usage: UsageTotals): { turn: UsageTotals; session: UsageTotals };
  signal?: AbortSignal;
}

/** The model's complete reply. */
export interface ModelReply {
  status: 'ok';
  /** The client's final text (a late `</think>` takes reasoning out of what streamed). */
  text: string;
  reasoning: string;
  calls: ToolCall[];
  protocol: ToolProtocol;
}

/** The call ended early; `text` is what streamed before it did. The events already said why. */
export interface ModelTurnStop {
  status: 'cancelled' | 'error';
  text: string;
}

/**
 * Streams one completion. Text, reasoning, code of python calls and usage become events as they
 * arrive; a cancel or a failure ends in a notice or an error event and a stop, never a throw.
 */
export async function* modelTurn(request: ModelTurnRequest): AsyncGenerator<SessionEvent, ModelReply | ModelTurnStop> {
  const { client, model, turn, signal } = request;
  const planned = client.protocolFor?.(model);
  if (planned === 'text' && request.lastProtocol !== 'text') {
    yield {
      type: 'notice',
      level: 'info',
      text: `text protocol for ${model}: code runs from its \`\`\`python blocks (--tools text, or remembered by --tools auto)`,
    };
  }
  let text = '';
  let reasoning = '';
  let calls: ToolCall[] = [];
  let protocol: ToolProtocol = planned ?? 'native';
  // Code deltas carry the stream's index; the first event of a call says which id that index has.
  const callIds = new Map<number, string>();
  try {
    for await (const ev of client.stream({ model, messages: request.messages, signal })) {
      switch (ev.type) {
        case 'text_delta':
          text += ev.text;
          yield { type: 'text_delta', turn, text: ev.text };
          break;
        case 'reasoning_delta':
          reasoning += ev.text;
          yield { type: 'reasoning_delta', turn, text: ev.text };
          break;
        case 'protocol_switch':
          yield {
            type: 'notice',
            level: 'warn',
            text: `the server refused tools for ${model} (${ev.reason}); switched to the text protocol (code runs from \`\`\`python blocks) and will start in it next time`,
          };
          break;
        case 'tool_call_start':
          callIds.set(ev.index, ev.id);
          if (ev.name === 'python') yield { type: 'code_start', turn, callId: ev.id };
          break;
        case 'code_delta':
          yield { type: 'code_delta', turn, callId: callIds.get(ev.index) ?? ev.id, text: ev.text };
          break;
        case 'tool_call_end':
          if (ev.call.code !== undefined) yield { type: 'code_end', turn, callId: ev.call.id, code: ev.call.code };
          break;
        case 'usage': {
          const cost = request.price?.(model, ev.usage);
          const totals = request.addUsage({ ...ev.usage, ...(cost !== undefined ? { costUsd: cost } : {}) });
          yield { type: 'usage', turn, usage: totals.turn, session: totals.session };
          break;
        }
        case 'finish':
          text = ev.text;
          calls = ev.toolCalls;
          protocol = ev.protocol ?? protocol;
          break;
        default:
          unreachable(ev);
      }
    }
  } catch (err) {
    if (signal?.aborted || (err instanceof ModelError && err.kind === 'aborted')) {
      yield { type: 'notice', level: 'info', text: 'turn cancelled' };
      return { status: 'cancelled', text };
    }
    yield errorEvent(err);
    return { status: 'error', text };
  }
  return { status: 'ok', text, reasoning, calls, protocol };
}
