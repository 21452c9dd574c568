// The text protocol for models without tool calling: code in ```python blocks, output back in a delimited user message.
import type { ChatMessage, ModelEvent, ToolCall } from './types.js';
import { FenceScanner } from './fence-scanner.js';
import { finalCode } from './tool-calls.js';
import { PYTHON_TOOL_NAME } from './tool.js';

/** Added to the system prompt in text mode: how to call `python` without a tool-calling API. */
export const TEXT_PROTOCOL_PROMPT = [
  'How to call `python` here: this server has no tool-calling API, so write the code in a fenced block that starts with a line ```python and ends with a line ```.',
  '- The block runs as soon as its closing ``` arrives; your reply ends there. The output comes back in the next user message, between <python-output> and </python-output>.',
  '- One block per reply. Never write the output yourself; wait for it.',
  '- Blocks in any other language (```text, ```bash, ```json) or marked ```python example are shown, not run.',
  '- When you are done, give your final answer with no ```python block in it.',
].join('\n');

export const OUTPUT_OPEN = '<python-output>';
export const OUTPUT_CLOSE = '</python-output>';

/** The user message that carries cell results back to the model in text mode. */
export function outputMessage(views: string[]): string {
  const blocks = views.map((v) => `${OUTPUT_OPEN}\n${v}\n${OUTPUT_CLOSE}`);
  return `${blocks.join('\n')}\nWrite another \`\`\`python block to run more code, or answer without one when you are done.`;
}

function contentText(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => ('text' in part && typeof part.text === 'string' ? part.text : '')).join('');
}

/**
 * The conversation as a model without tool calling reads it. Codecell keeps one conversation format (native
 * tool calls), so a session can switch modes: assistant tool calls become ```python blocks, tool results
 * become output messages, and neighbouring user messages merge (strict templates want turns to alternate).
 */
export function toTextMessages(messages: ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  const pushUser = (text: string): void => {
    const last = out[out.length - 1];
    if (last?.role === 'user') last.content = `${contentText(last.content)}\n\n${text}`;
    else out.push({ role: 'user', content: text });
  };
  let pendingOutputs: string[] = [];
  const flush = (): void => {
    if (pendingOutputs.length) pushUser(outputMessage(pendingOutputs));
    pendingOutputs = [];
  };
  for (const m of messages) {
    if (m.role === 'tool') {
      pendingOutputs.push(contentText(m.content));
      continue;
    }
    flush();
    if (m.role === 'system') out.push({ role: 'system', content: `${contentText(m.content)}\n\n${TEXT_PROTOCOL_PROMPT}` });
    else if (m.role === 'assistant') {
      const parts = [contentText(m.content ?? '').trim()];
      for (const call of m.tool_calls ?? []) {
        if (call.type !== 'function') continue;
        const code = finalCode(call.function.arguments) ?? call.function.arguments;
        parts.push('```python\n' + code + '\n```');
      }
      out.push({ role: 'assistant', content: parts.filter(Boolean).join('\n\n') });
    } else if (m.role === 'user') pushUser(contentText(m.content));
    else out.push(m);
  }
  flush();
  return out;
}

let ids = 0;
const newId = (): string => `call_blk${Date.now().toString(36)}${(ids++).toString(36)}`;

/**
 * Turns one streamed reply (reasoning already removed) into model events: prose as text, the first
 * ```python block as a python tool call that streams like one. After the block closes, `stopped` is set:
 * the caller ends the reply there, so the model never writes past code whose output it has not seen.
 */
export class TextProtocolStream {
  private readonly scanner = new FenceScanner();
  private call: { id: string; code: string } | undefined;
  private done: ToolCall | undefined;

  get stopped(): boolean {
    return this.done !== undefined;
  }

  push(chunk: string): ModelEvent[] {
    if (this.done) return [];
    return this.translate(this.scanner.push(chunk));
  }

  /**
   * The reply ended without a closed block after it. A block left open by a reply that ended normally
   * runs (models often stop right at the end of the code); one cut by the token limit does not.
   */
  end(options: { truncated?: boolean } = {}): { events: ModelEvent[]; calls: ToolCall[] } {
    if (this.done) return { events: [], calls: [this.done] };
    const { events: fence, open } = this.scanner.end();
    const events = this.translate(fence);
    if (this.call && open !== undefined) {
      const call: ToolCall = { id: this.call.id, name: PYTHON_TOOL_NAME, arguments: JSON.stringify({ code: open }) };
      if (options.truncated) {
        call.problem = 'Not run: the reply hit the token limit before the ```python block closed. Send shorter code in a new block.';
      } else call.code = open;
      this.done = call;
      events.push({ type: 'tool_call_end', index: 0, call });
    }
    return { events, calls: this.done ? [this.done] : [] };
  }

  private translate(fence: ReturnType<FenceScanner['push']>): ModelEvent[] {
    const events: ModelEvent[] = [];
    for (const e of fence) {
      if (this.done) break;
      switch (e.type) {
        case 'text':
          events.push({ type: 'text_delta', text: e.text });
          break;
        case 'open':
          this.call = { id: newId(), code: '' };
          events.push({ type: 'tool_call_start', index: 0, id: this.call.id, name: PYTHON_TOOL_NAME });
          break;
        case 'code':
          if (this.call) events.push({ type: 'code_delta', index: 0, id: this.call.id, text: e.text });
          break;
        case 'close': {
          const id = this.call?.id ?? newId();
          this.done = { id, name: PYTHON_TOOL_NAME, arguments: JSON.stringify({ code: e.code }), code: e.code };
          events.push({ type: 'tool_call_end', index: 0, call: this.done });
          break;
        }
      }
    }
    return events;
  }
}
