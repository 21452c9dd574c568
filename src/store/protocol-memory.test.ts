import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { protocolMemory } from './protocol-memory.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tempFile = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-protocols-'));
  dirs.push(dir);
  return path.join(dir, 'sub', 'tool-protocols.json');
};

describe('protocolMemory', () => {
  it('remembers per base URL and model, across instances', () => {
    const file = tempFile();
    protocolMemory('http://localhost:11434/v1/', file).set('gemma3', 'text', 'gemma3 does not support tools');
    expect(protocolMemory('http://localhost:11434/v1', file).get('gemma3')).toBe('text');
    expect(protocolMemory('http://localhost:11434/v1', file).get('qwen3')).toBeUndefined();
    expect(protocolMemory('http://other:8080/v1', file).get('gemma3')).toBeUndefined();
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, { reason: string }>;
    expect(saved['http://localhost:11434/v1 gemma3']?.reason).toBe('gemma3 does not support tools');
  });

  it('treats a missing or damaged file as nothing learned', () => {
    const file = tempFile();
    expect(protocolMemory('http://x/v1', file).get('m')).toBeUndefined();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{not json');
    expect(protocolMemory('http://x/v1', file).get('m')).toBeUndefined();
    protocolMemory('http://x/v1', file).set('m', 'text', 'no tools');
    expect(protocolMemory('http://x/v1', file).get('m')).toBe('text');
  });
});
