// Core depends on interfaces, not on implementations: an import scan of src/core fails when a file there reaches Docker, the store's files or the settings.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What core may not import: the Docker client and sandbox class, the store's classes, the settings, and the layers above it. */
const FORBIDDEN: { what: string; matches: (target: string) => boolean }[] = [
  { what: 'dockerode', matches: (t) => t === 'dockerode' || t.startsWith('dockerode/') },
  { what: 'sandbox/docker-sandbox', matches: (t) => t === path.join(SRC, 'sandbox', 'docker-sandbox.ts') },
  { what: 'store/output-store', matches: (t) => t === path.join(SRC, 'store', 'output-store.ts') },
  { what: 'store/session-log', matches: (t) => t === path.join(SRC, 'store', 'session-log.ts') },
  { what: 'config/keys', matches: (t) => t === path.join(SRC, 'config', 'keys.ts') },
  { what: 'cli/', matches: (t) => t.startsWith(path.join(SRC, 'cli') + path.sep) },
  { what: 'ui/', matches: (t) => t.startsWith(path.join(SRC, 'ui') + path.sep) },
];

/** Every module a file imports (static, re-exports, `import type` and dynamic import()), resolved to a .ts path or a package name. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(
      /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g,
    ),
  ].map((m) => (m[1] ?? m[2] ?? m[3])!);
  return specs.map((spec) => {
    if (!spec.startsWith('.'))
      return spec.startsWith('node:')
        ? spec
        : spec
            .split('/')
            .slice(0, spec.startsWith('@') ? 2 : 1)
            .join('/');
    const resolved = path.resolve(path.dirname(file), spec);
    for (const candidate of [resolved.replace(/\.js$/, '.ts'), resolved.replace(/\.js$/, '.tsx'), resolved]) {
      if (fs.existsSync(candidate)) return candidate;
    }
    return resolved;
  });
}

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f))
    .map((f) => path.join(dir, f));
}

/** Every module reachable from `files` through imports inside src (packages are leaves). */
function closure(files: string[]): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const todo = [...files];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    const imports = importsOf(file);
    seen.set(file, imports);
    for (const i of imports) if (i.startsWith(SRC) && fs.existsSync(i)) todo.push(i);
  }
  return seen;
}

const rel = (p: string): string => (p.startsWith(SRC) ? path.relative(SRC, p) : p);

describe('core layer imports', () => {
  const core = sources(path.join(SRC, 'core'));

  it('no file in src/core imports Docker, the store classes, the settings, cli or ui', () => {
    const bad = core.flatMap((file) =>
      importsOf(file)
        .filter((target) => FORBIDDEN.some((f) => f.matches(target)))
        .map((target) => `${rel(file)} → ${rel(target)}`),
    );
    expect(bad).toEqual([]);
  });

  it('nothing core reaches, directly or through other modules, loads dockerode or the Docker sandbox', () => {
    const reached = closure(core);
    const bad = [...reached].flatMap(([file, imports]) =>
      imports.filter((t) => FORBIDDEN[0]!.matches(t) || FORBIDDEN[1]!.matches(t)).map((t) => `${rel(file)} → ${rel(t)}`),
    );
    expect(bad).toEqual([]);
  });

  it('the scan sees such imports where they are (it would fail if core had one)', () => {
    // cli/runtime.ts builds the Docker sandbox; its closure reaches dockerode through the sandbox package.
    const runtime = path.join(SRC, 'cli', 'runtime.ts');
    expect(importsOf(runtime)).toContain(path.join(SRC, 'sandbox', 'docker-sandbox.ts'));
    expect(importsOf(runtime)).toContain(path.join(SRC, 'store', 'output-store.ts'));
    const reached = closure([runtime]);
    expect([...reached.values()].flat()).toContain('dockerode');
  });
});
