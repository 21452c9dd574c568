// Shared setup of the model-client tests: a fake OpenAI server per test (closed after it), a real client on it, event pickers.
import { afterEach } from 'vitest';
import { createModelClient, type ModelClientOptions } from '../../src/llm/client.js';
import type { ModelClient, ModelEvent } from '../../src/llm/types.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from './fake-openai.js';

/**
 * Returns `setup`, which starts a fake server and a client for it (the client's options over `defaults`);
 * every server a test started is closed after it.
 */
export function fakeServerPerTest(
  defaults: ModelClientOptions,
): (options: FakeOpenAIOptions, client?: ModelClientOptions) => Promise<{ server: FakeOpenAI; client: ModelClient }> {
  const servers: FakeOpenAI[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (options, client = {}) => {
    const server = await startFakeOpenAI(options);
    servers.push(server);
    return { server, client: createModelClient({ baseURL: server.url, apiKey: 'sk-test', ...defaults, ...client }) };
  };
}

/** The events of one type, typed. */
export const ofType = <T extends ModelEvent['type']>(events: ModelEvent[], type: T) =>
  events.filter((e): e is Extract<ModelEvent, { type: T }> => e.type === type);

/** The code streamed for the tool call at `index`. */
export const codeOf = (events: ModelEvent[], index = 0): string => events.map((e) => (e.type === 'code_delta' && e.index === index ? e.text : '')).join('');
