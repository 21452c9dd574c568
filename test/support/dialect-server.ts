// A fake model server that speaks every dialect at once: the request's model name picks the dialect.
import { DIALECTS, dialectScript, startFakeOpenAI, TOOLS_REFUSED, type Dialect, type FakeOpenAI } from './fake-openai.js';

/** The code each dialect's model writes: a file named after the dialect, and the number the answer must carry. */
export const dialectCode = (dialect: string): string => `n = 6 * 7\nopen("/mnt/data/${dialect}.txt", "w").write(str(n))\nprint(n)`;

/** The answer every dialect gives once it has seen the output (so the answer proves the output reached the model). */
export const dialectAnswer = (dialect: string, result: string): string => `${dialect} says ${/\b42\b/.test(result) ? '42' : 'unknown'}.`;

/** Models named after a dialect answer in it; the `no-tools` model is refused tools as Ollama refuses them. */
export function startDialectServer(): Promise<FakeOpenAI> {
  return startFakeOpenAI({
    models: DIALECTS,
    script: (request, index) => {
      const dialect = request.model as Dialect;
      if (!DIALECTS.includes(dialect)) return [{ status: 404 }];
      if (dialect === 'no-tools' && request.tools) return [TOOLS_REFUSED.ollama];
      // Only the latest prompt counts: a chat sends several in one conversation.
      const users = request.messages.filter((m) => m.role === 'user' && !String(m.content).includes('<python-output>'));
      const lastPrompt = users.at(-1)!;
      const fromPrompt = { ...request, messages: [lastPrompt, ...request.messages.slice(request.messages.indexOf(lastPrompt) + 1)] };
      return dialectScript(
        dialect,
        () => dialectCode(dialect),
        (_u, r) => dialectAnswer(dialect, r),
      )(fromPrompt, index);
    },
  });
}
