// Fidelity benchmark: runs a corpus of notebooks cell by cell through codecell's agent path (`codecell run --json`
// with a scripted model calling the tool once per cell) and through ipykernel + jupyter_client on the same image,
// then compares each cell's text output and figures. ipykernel's output is the reference; nothing is stored.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startFakeOpenAI } from '../test/support/fake-openai.js';
import { connectEngine } from '../src/sandbox/engine.js';
import { ensureBenchImage, ensureImage } from '../src/sandbox/image.js';
import { DockerSandbox } from '../src/sandbox/docker-sandbox.js';
import { finalLines } from '../src/core/model-output.js';
import { printTable, type Row } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(here, '..');
const NOTEBOOKS = path.join(here, 'fidelity', 'notebooks');

/** One output of a cell, as both sides are reduced to. */
type Item =
  | { kind: 'stdout' | 'stderr'; text: string }
  | { kind: 'result' | 'display'; text: string; png: boolean; displayId?: string; update?: boolean }
  | { kind: 'error'; ename: string; evalue: string }
  | { kind: 'clear'; wait: boolean };

interface CellOutput {
  stdout: string;
  stderr: string;
  /** Results, displays and errors in order, as text. */
  rich: string[];
  figures: number;
}

export function parseNotebook(text: string): string[] {
  return text
    .split(/^# %%[^\n]*\n/m)
    .slice(1)
    .map((c) => c.replace(/\n+$/, ''));
}

/** Applies clear_output and display updates the way a notebook front end does, then splits streams from rich items. */
export function reduce(items: Item[]): CellOutput {
  let kept: Item[] = [];
  let pendingClear = false;
  for (const item of items) {
    if (item.kind === 'clear') {
      if (item.wait) pendingClear = true;
      else kept = [];
      continue;
    }
    if (pendingClear) {
      kept = [];
      pendingClear = false;
    }
    if ((item.kind === 'display' || item.kind === 'result') && item.update) {
      const at = kept.findIndex((k) => k.kind === 'display' && k.displayId === item.displayId);
      if (at >= 0) kept[at] = { ...item, update: false };
      continue;
    }
    kept.push(item);
  }
  const out: CellOutput = { stdout: '', stderr: '', rich: [], figures: 0 };
  for (const item of kept) {
    if (item.kind === 'stdout' || item.kind === 'stderr') out[item.kind] += item.text;
    else if (item.kind === 'error') {
      // IPython shows a UsageError as one stderr line; codecell also fails the cell with it.
      if (item.ename === 'UsageError') out.stderr += `UsageError: ${item.evalue}\n`;
      else out.rich.push(`error ${item.ename}: ${item.evalue}`);
    } else if (item.kind === 'result' || item.kind === 'display') {
      if (item.png) out.figures++;
      out.rich.push(`${item.png ? 'image' : item.kind} ${item.text}`);
    }
  }
  out.stdout = finalLines(out.stdout);
  out.stderr = finalLines(out.stderr);
  return out;
}

/** Timings, memory addresses and temp paths differ run to run in any kernel. */
function masked(o: CellOutput): string {
  const m = (s: string) =>
    s
      .replace(/0x[0-9a-f]{6,}/g, '0x…')
      .replace(/\d+(\.\d+)?(e[+-]\d+)?\s?(ns|µs|μs|us|ms|s)\b/g, 'T')
      .replace(/\/tmp\/ipykernel_\d+\/\d+\.py/g, 'CELL');
  return JSON.stringify({ stdout: m(o.stdout), stderr: m(o.stderr), rich: o.rich.map(m) });
}

const same = (a: CellOutput, b: CellOutput): boolean => a.stdout === b.stdout && a.stderr === b.stderr && JSON.stringify(a.rich) === JSON.stringify(b.rich);

// ---------------------------------------------------------------- codecell: the real agent path
async function runCodecell(cells: string[], image: string): Promise<Item[][]> {
  const fake = await startFakeOpenAI({ script: [...cells.map((code) => [{ toolCall: { code }, chunk: 'whole' as const }]), [{ text: 'done' }]] });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-fidelity-'));
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      const env = {
        ...process.env,
        OPENAI_API_KEY: 'sk-bench',
        OPENAI_BASE_URL: fake.url,
        CODECELL_HOME: path.join(home, 'data'),
        CODECELL_CONFIG_DIR: path.join(home, 'config'),
        CODECELL_IMAGE: image,
        CODECELL_MAX_TURNS: String(Math.min(100, cells.length + 1)),
        NO_COLOR: '1',
      };
      const child = spawn(
        process.execPath,
        [path.join(ROOT, 'bin', 'codecell.js'), 'run', 'run the notebook', '--json', '--model', 'fake-model', '--out-dir', path.join(home, 'out')],
        { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 || code === 1 ? resolve(out) : reject(new Error(`codecell run exited ${code}: ${err.slice(-500)}`))));
    });
    const byCall = new Map<string, Item[]>();
    const order: string[] = [];
    for (const raw of stdout.split('\n')) {
      if (!raw.trim()) continue;
      // biome-ignore lint/suspicious/noExplicitAny: one JSON event line of any kind, read field by field
      const line = JSON.parse(raw) as Record<string, any>;
      const id = line.call_id as string | undefined;
      if (!id) continue;
      if (!byCall.has(id)) {
        byCall.set(id, []);
        order.push(id);
      }
      const items = byCall.get(id)!;
      if (line.stream_type === 'code_execution') {
        const chunk = line.chunk;
        if (chunk.type === 'hot_code_output' && chunk.stream !== 'result') items.push({ kind: chunk.stream, text: chunk.content });
        else if (chunk.type === 'hot_code_output')
          items.push({ kind: 'result', text: chunk.bundle?.['text/plain'] ?? chunk.content.replace(/\n$/, ''), png: false });
        else if (chunk.type === 'code_interpreter_stream' && /^figure-\d+-\d+/.test(chunk.content.filename)) {
          items.push({
            kind: 'display',
            text: chunk.content.text ?? '',
            png: true,
            ...(chunk.content.display_id ? { displayId: chunk.content.display_id } : {}),
          });
        }
      } else if (line.stream_type === 'display') {
        items.push({
          kind: 'display',
          text: line.bundle['text/plain'] ?? line.content,
          png: false,
          ...(line.display_id ? { displayId: line.display_id } : {}),
          ...(line.update ? { update: true } : {}),
        });
      } else if (line.stream_type === 'clear_output') items.push({ kind: 'clear', wait: line.wait });
      else if (line.stream_type === 'cell_error') items.push({ kind: 'error', ename: line.ename, evalue: line.evalue });
    }
    return order.map((id) => byCall.get(id)!);
  } finally {
    await fake.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- ipykernel: the reference
const DRIVER = (cells: string[]) => `
import base64, json, os
os.environ.setdefault('JUPYTER_RUNTIME_DIR', '/tmp/jupyter-runtime')
os.environ.pop('MPLBACKEND', None)  # set by codecell's kernel that runs this driver; Jupyter's default is inline
from jupyter_client.manager import start_new_kernel
cells = json.loads(base64.b64decode(${JSON.stringify(Buffer.from(JSON.stringify(cells)).toString('base64'))}))
km, kc = start_new_kernel(kernel_name='python3', cwd='/mnt/data')
out = []
for code in cells:
    msg_id = kc.execute(code, store_history=True, allow_stdin=False)
    items = []
    while True:
        msg = kc.get_iopub_msg(timeout=300)
        if msg['parent_header'].get('msg_id') != msg_id:
            continue
        t, c = msg['msg_type'], msg['content']
        if t == 'status' and c['execution_state'] == 'idle':
            break
        if t == 'stream':
            items.append({'kind': c['name'], 'text': c['text']})
        elif t in ('execute_result', 'display_data', 'update_display_data'):
            d = c.get('data', {})
            item = {'kind': 'result' if t == 'execute_result' else 'display', 'text': d.get('text/plain', ''), 'png': 'image/png' in d}
            did = (c.get('transient') or {}).get('display_id')
            if did:
                item['displayId'] = did
            if t == 'update_display_data':
                item['update'] = True
            items.append(item)
        elif t == 'error':
            items.append({'kind': 'error', 'ename': c['ename'], 'evalue': c['evalue']})
        elif t == 'clear_output':
            items.append({'kind': 'clear', 'wait': c['wait']})
    while True:
        reply = kc.get_shell_msg(timeout=300)
        if reply['parent_header'].get('msg_id') == msg_id:
            break
    out.append(items)
kc.stop_channels()
km.shutdown_kernel(now=True)
print('FIDELITY' + json.dumps(out))
`;

async function runIpykernel(cells: string[], benchImage: string, docker: Awaited<ReturnType<typeof connectEngine>>['docker']): Promise<Item[][]> {
  const sb = new DockerSandbox(docker, { image: benchImage, limits: { timeoutMs: 900_000, maxOutputBytes: 256 * 1024 * 1024, memoryBytes: 2 * 1024 ** 3 } });
  await sb.start();
  try {
    let out = '';
    const r = await sb.run(DRIVER(cells), {
      onEvent: (e) => {
        if (e.type === 'stdout' || e.type === 'stderr') out += e.text;
      },
    });
    const line = out.split('\n').find((l) => l.startsWith('FIDELITY'));
    if (!line) throw new Error(`ipykernel driver failed (${r.status}): ${out.slice(-800)}`);
    return JSON.parse(line.slice('FIDELITY'.length)) as Item[][];
  } finally {
    await sb.close();
  }
}

export async function benchFidelity(): Promise<string> {
  const { docker } = await connectEngine();
  const { ref: image } = await ensureImage(docker);
  const benchImage = await ensureBenchImage(docker);
  const only = process.env.BENCH_NOTEBOOKS?.split(',');
  const files = fs
    .readdirSync(NOTEBOOKS)
    .filter((f) => f.endsWith('.py') && (!only || only.some((o) => f.includes(o))))
    .sort();
  const rows: Row[] = [];
  const differences: string[] = [];
  const totals = { cells: 0, identical: 0, masked: 0, ipyFigures: 0, ccFigures: 0 };
  for (const file of files) {
    const cells = parseNotebook(fs.readFileSync(path.join(NOTEBOOKS, file), 'utf8'));
    const [cc, ipy] = await Promise.all([runCodecell(cells, image), runIpykernel(cells, benchImage, docker)]);
    let identical = 0;
    let maskedSame = 0;
    let ipyFigures = 0;
    let ccFigures = 0;
    cells.forEach((code, i) => {
      const a = reduce(cc[i] ?? []);
      const b = reduce(ipy[i] ?? []);
      ipyFigures += b.figures;
      ccFigures += a.figures;
      if (same(a, b)) identical++;
      else if (masked(a) === masked(b)) maskedSame++;
      else {
        const first = code.split('\n')[0]!.slice(0, 60);
        differences.push(`${file} cell ${i + 1} (${first}):\n  ipykernel: ${JSON.stringify(b).slice(0, 400)}\n  codecell:  ${JSON.stringify(a).slice(0, 400)}`);
      }
      if (a.figures !== b.figures) differences.push(`${file} cell ${i + 1}: figures ipykernel ${b.figures}, codecell ${a.figures}`);
    });
    totals.cells += cells.length;
    totals.identical += identical;
    totals.masked += maskedSame;
    totals.ipyFigures += ipyFigures;
    totals.ccFigures += ccFigures;
    rows.push({
      notebook: file.replace(/\.py$/, ''),
      cells: String(cells.length),
      identical: String(identical),
      'same but timings': String(maskedSame),
      different: String(cells.length - identical - maskedSame),
      'figures ipykernel': String(ipyFigures),
      'figures codecell': String(ccFigures),
    });
  }
  rows.push({
    notebook: 'total',
    cells: String(totals.cells),
    identical: String(totals.identical),
    'same but timings': String(totals.masked),
    different: String(totals.cells - totals.identical - totals.masked),
    'figures ipykernel': String(totals.ipyFigures),
    'figures codecell': String(totals.ccFigures),
  });
  const table = printTable('Fidelity: codecell (agent path) vs ipykernel on the same image', rows);
  console.log(`\nDifferences (${differences.length}):\n${differences.join('\n')}`);
  return table;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchFidelity().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
