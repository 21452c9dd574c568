import { describe, expect, it } from 'vitest';
import { processBackendProblem, resolveBackend } from './backend.js';

const nowhere = { ...process.env, DOCKER_HOST: 'unix:///nonexistent/codecell-test.sock' };

describe('resolveBackend', () => {
  it.skipIf(processBackendProblem() !== null)('auto falls back to bubblewrap when no engine answers, and says so', async () => {
    const backend = await resolveBackend('auto', nowhere, 1000);
    expect(backend.kind).toBe('process');
    expect(backend.note).toMatch(/no container engine answered .*nonexistent.*; using the bubblewrap process sandbox/);
  });

  it('an explicit docker backend without an engine is an error with a fix', async () => {
    await expect(resolveBackend('docker', nowhere, 500)).rejects.toMatchObject({ code: 'no_engine', fix: expect.stringMatching(/bubblewrap/) });
  });
});
