import { describe, expect, it } from 'vitest';
import { extraLibraries, systemPrompt } from './system-prompt.js';

const base = { network: false, timeoutSeconds: 120, memory: '1g' };

describe('system prompt', () => {
  it('lists the built-in libraries and says nothing else is there without extras', () => {
    const text = systemPrompt(base);
    expect(text).toContain('Installed libraries: numpy, pandas');
    expect(text).not.toContain('Also installed');
  });

  it('lists extra libraries by the name they install, and other Debian packages apart', () => {
    expect(
      extraLibraries({ apt: ['python3-networkx', 'graphviz', 'python3-polars=1.0-1'], pip: ['tinycell-0.1-py3-none-any.whl', 'duckdb>=1', 'proj/'] }),
    ).toEqual({
      python: ['networkx', 'polars', 'tinycell', 'duckdb', 'proj'],
      system: ['graphviz'],
    });
    const text = systemPrompt({ ...base, extraPackages: { apt: ['python3-networkx', 'graphviz'], pip: ['tinycell-0.1-py3-none-any.whl'] } });
    expect(text).toMatch(/Installed libraries: numpy, .*reportlab, networkx, tinycell\./);
    expect(text).toContain('Also installed (Debian packages): graphviz.');
  });
});
