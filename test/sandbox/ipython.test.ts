// Integration: cells run with IPython's semantics in the real sandbox (magics, shell lines, display, Out/In), each checked on its events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import type { DockerSandbox } from '../../src/sandbox/docker-sandbox.js';
import type { CellEvent } from '../../src/sandbox/types.js';
import { makeSandbox, ourContainers, runCollect } from './sandbox-image.js';

const docker = await engineOrSkip();

const results = (events: CellEvent[]) => events.flatMap((e) => (e.type === 'result' ? [e.text] : []));
const displays = (events: CellEvent[]) => events.flatMap((e) => (e.type === 'display' ? [e] : []));

describe.skipIf(!docker)('IPython semantics in the sandbox kernel', () => {
  let sandbox: DockerSandbox;
  beforeAll(async () => {
    sandbox = await makeSandbox(docker!);
  });
  afterAll(async () => {
    await sandbox?.close();
    expect(await ourContainers(docker!)).toEqual([]);
  });

  it('runs the first cell at once, before IPython has loaded, and numbers it 1', async () => {
    const out = await runCollect(sandbox, 'early = 40 + 2\nearly');
    expect(out.status).toBe('ok');
    expect(results(out.events)).toEqual(['42']);
    expect(out.count).toBe(1);
    // IPython takes over from there and knows that cell: In[1], Out[1], _1.
    const next = await runCollect(sandbox, 'In[1], Out[1], _1');
    expect(results(next.events)).toEqual(["('early = 40 + 2\\nearly', 42, 42)"]);
  });

  it('an early cell that plots while IPython is still being imported in the background waits for it, and its figure comes', async () => {
    // matplotlib looks IPython up in sys.modules and calls it: with IPython half-imported by the warming
    // thread that failed with "partially initialized module 'IPython'". The cell is sent at a spread of
    // moments after ready, so some land while the warming thread imports IPython.
    for (const delay of [0, 60, 120, 180, 240, 320]) {
      const fresh = await makeSandbox(docker!);
      try {
        await new Promise((resolve) => setTimeout(resolve, delay));
        const out = await runCollect(fresh, 'import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()');
        expect(out.status, `sent ${delay} ms after ready: ${JSON.stringify(out.error)}`).toBe('ok');
        expect(out.events.filter((e) => e.type === 'image')).toHaveLength(1);
      } finally {
        await fresh.close();
      }
    }
  }, 60_000);

  it('accepts %matplotlib inline on the first line and runs the rest of the cell', async () => {
    const out = await runCollect(sandbox, '%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 3, 2]);');
    expect(out.status).toBe('ok');
    expect(out.events.filter((e) => e.type === 'image')).toHaveLength(1);
    // The trailing `;` hides `[<matplotlib.lines.Line2D ...>]`.
    expect(results(out.events)).toEqual([]);
    expect(out.stdout + out.stderr).not.toContain('Line2D');
  });

  it('times with %time, %%time and %timeit', async () => {
    const time = await runCollect(sandbox, '%time total = sum(range(1000))\ntotal');
    expect(time.stdout).toMatch(/CPU times: .*\nWall time: /);
    expect(results(time.events)).toEqual(['499500']);
    const cell = await runCollect(sandbox, '%%time\nx = 1\nx + 1');
    expect(cell.stdout).toMatch(/Wall time: /);
    expect(results(cell.events)).toEqual(['2']);
    const timeit = await runCollect(sandbox, '%timeit -n 5 -r 2 sum(range(10))');
    expect(timeit.stdout).toMatch(/per loop \(mean ± std\. dev\. of 2 runs, 5 loops each\)/);
  });

  it('streams !cmd output live on stdout and stderr, and captures x = !cmd as a list', async () => {
    const out = await runCollect(sandbox, '!echo out; echo err >&2; exit 3');
    expect(out.stdout).toBe('out\n');
    expect(out.stderr).toBe('err\n');
    const code = await runCollect(sandbox, '_exit_code');
    expect(results(code.events)).toEqual(['3']);
    const captured = await runCollect(sandbox, 'lines = !printf "a\\nb\\n"\nlines');
    expect(results(captured.events)).toEqual(["['a', 'b']"]);
    const live = await runCollect(sandbox, '!echo one; sleep 1; echo two', {});
    expect(live.stdout).toBe('one\ntwo\n');
  });

  it("fails an unknown magic with IPython's own message and keeps the kernel", async () => {
    await runCollect(sandbox, 'kept = "yes"');
    const out = await runCollect(sandbox, '%nosuchmagic 1');
    expect(out.status).toBe('error');
    expect(out.error).toMatchObject({ ename: 'UsageError', evalue: 'Line magic function `%nosuchmagic` not found.' });
    expect(results((await runCollect(sandbox, 'kept')).events)).toEqual(["'yes'"]);
  });

  it('keeps _, __ and Out[n], and hides a value after a trailing semicolon', async () => {
    await runCollect(sandbox, '10');
    const second = await runCollect(sandbox, '20');
    const both = await runCollect(sandbox, '(_, __, Out[' + second.count + '])');
    expect(results(both.events)).toEqual(['(20, 10, 20)']);
    const hidden = await runCollect(sandbox, 'y = 5\ny;');
    expect(results(hidden.events)).toEqual([]);
    expect(hidden.status).toBe('ok');
  });

  it('sends display() and IPython.display objects as bundles, with display handles and clear_output', async () => {
    const out = await runCollect(
      sandbox,
      [
        'from IPython.display import display, Markdown, HTML, JSON, Latex, clear_output',
        'display(Markdown("# Title"), HTML("<b>bold</b>"), JSON({"a": 1}), Latex(r"$x^2$"))',
        'h = display(Markdown("v1"), display_id="prog")',
        'h.update(Markdown("v2"))',
        'clear_output(wait=True)',
        'print("after")',
      ].join('\n'),
    );
    expect(out.status).toBe('ok');
    const shown = displays(out.events);
    expect(shown.map((d) => Object.keys(d.bundle).filter((m) => m !== 'text/plain'))).toEqual([
      ['text/markdown'],
      ['text/html'],
      ['application/json'],
      ['text/latex'],
      ['text/markdown'],
      ['text/markdown'],
    ]);
    expect(shown[0]!.bundle['text/markdown']).toBe('# Title');
    expect(JSON.parse(shown[2]!.bundle['application/json']!)).toEqual({ a: 1 });
    expect(shown[4]).toMatchObject({ displayId: 'prog', bundle: { 'text/markdown': 'v1' } });
    expect(shown[5]).toMatchObject({ displayId: 'prog', update: true, bundle: { 'text/markdown': 'v2' } });
    const clear = out.events.findIndex((e) => e.type === 'clear');
    expect(out.events[clear]).toEqual({ type: 'clear', wait: true });
    expect(out.events.findIndex((e) => e.type === 'stdout')).toBeGreaterThan(clear);
  });

  it('shows a DataFrame with display() as text/plain plus text/html, and uses _repr_*_ methods', async () => {
    const out = await runCollect(sandbox, 'import pandas as pd\ndf = pd.DataFrame({"a": [1, 2]})\ndisplay(df)\ndf');
    const [shown] = displays(out.events);
    expect(shown!.bundle['text/plain']).toBe('   a\n0  1\n1  2');
    expect(shown!.bundle['text/html']).toContain('<table');
    const result = out.events.find((e) => e.type === 'result');
    expect(result).toMatchObject({ text: '   a\n0  1\n1  2', bundle: { 'text/html': expect.stringContaining('<table') } });
    const rich = await runCollect(sandbox, 'class R:\n    def _repr_markdown_(self): return "**r**"\n    def _repr_html_(self): return "<i>r</i>"\nR()');
    expect(rich.events.find((e) => e.type === 'result')).toMatchObject({ bundle: { 'text/markdown': '**r**', 'text/html': '<i>r</i>' } });
  });

  it('draws IPython.display.Image and display(fig) as images', async () => {
    const out = await runCollect(
      sandbox,
      [
        'import io, matplotlib.pyplot as plt',
        'from IPython.display import Image',
        'fig, ax = plt.subplots(); ax.plot([1, 2])',
        'buf = io.BytesIO(); fig.savefig(buf, format="png"); plt.close(fig)',
        'display(Image(buf.getvalue()))',
        'fig2, ax2 = plt.subplots(); ax2.bar([1, 2], [3, 4]); display(fig2); plt.close(fig2)',
      ].join('\n'),
    );
    expect(out.status, JSON.stringify(out.error)).toBe('ok');
    const images = out.events.filter((e) => e.type === 'image');
    expect(images).toHaveLength(2);
    expect(images[1]).toMatchObject({ text: '<Figure size 640x480 with 1 Axes>' });
  });

  it('makes pip install fail fast without a network, saying what is installed and how to get more', async () => {
    for (const code of ['%pip install requests', '!pip install requests pandas']) {
      const started = performance.now();
      const out = await runCollect(sandbox, code);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(out.stderr).toContain('this sandbox has no network');
      expect(out.stderr).toMatch(/Installed: numpy [\d.]+/);
      expect(out.stderr).toContain('--network');
      expect(out.stderr).toContain('requests is not installed');
    }
    const already = await runCollect(sandbox, '!pip install pandas');
    expect(already.stderr).toMatch(/pandas [\d.]+\S* is already installed/);
  });

  it('installs a local wheel with !pip without a network, into /tmp, importable in the same session', async () => {
    const wheel = [
      'import zipfile, base64, hashlib',
      'def rec(name, data):',
      '    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()',
      '    return f"{name},sha256={digest},{len(data)}"',
      'files = {"tinywheel/__init__.py": b"ANSWER = 42\\n",',
      '         "tinywheel-0.1.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: tinywheel\\nVersion: 0.1\\n",',
      '         "tinywheel-0.1.dist-info/WHEEL": b"Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}',
      'record = "\\n".join(rec(n, d) for n, d in files.items()) + "\\ntinywheel-0.1.dist-info/RECORD,,\\n"',
      'with zipfile.ZipFile("tinywheel-0.1-py3-none-any.whl", "w") as z:',
      '    for n, d in files.items():',
      '        z.writestr(n, d)',
      '    z.writestr("tinywheel-0.1.dist-info/RECORD", record)',
    ].join('\n');
    expect((await runCollect(sandbox, wheel)).status).toBe('ok');
    const install = await runCollect(sandbox, '!pip install tinywheel-0.1-py3-none-any.whl', { timeoutMs: 60_000 });
    expect(install.stdout + install.stderr).toMatch(/Successfully installed tinywheel-0\.1/);
    const used = await runCollect(sandbox, 'import tinywheel\ntinywheel.ANSWER, tinywheel.__file__.startswith("/tmp/")');
    expect(results(used.events)).toEqual(['(42, True)']);
  });

  it('runs %%capture, %who, %cd, %pwd, %env, %%writefile and %history', async () => {
    const cap = await runCollect(sandbox, '%%capture captured\nprint("hidden")');
    expect(cap.stdout).toBe('');
    expect(results((await runCollect(sandbox, 'captured.stdout')).events)).toEqual(["'hidden\\n'"]);
    const who = await runCollect(sandbox, 'zz_var = 1\n%who int');
    expect(who.stdout).toContain('zz_var');
    const cd = await runCollect(sandbox, '%cd /tmp\n%pwd');
    expect(results(cd.events)).toEqual(["'/tmp'"]);
    expect(cd.stderr).toBe('');
    await runCollect(sandbox, '%cd /mnt/data');
    const write = await runCollect(sandbox, '%%writefile notes.txt\nhello from a magic');
    expect(write.stdout).toBe('Writing notes.txt\n');
    const file = write.events.find((e) => e.type === 'file');
    expect(file?.type === 'file' && file.file.data.toString()).toBe('hello from a magic\n');
    const env = await runCollect(sandbox, '%env HOME');
    expect(results(env.events)).toEqual(["'/tmp'"]);
    const hist = await runCollect(sandbox, '%history -n 1');
    expect(hist.stdout).toMatch(/1:\s*early = 40 \+ 2\nearly\n/);
  });

  it('imports a module the cell wrote to the working folder, and lays out wide frames as Jupyter does', async () => {
    await runCollect(sandbox, '%%writefile helper_mod.py\ndef double(x):\n    return 2 * x');
    expect(results((await runCollect(sandbox, 'from helper_mod import double\ndouble(21)')).events)).toEqual(['42']);
    const wide = await runCollect(sandbox, 'import pandas as pd\npd.DataFrame([list(range(20))], columns=[f"column_{i}" for i in range(20)])');
    const text = results(wide.events)[0]!;
    expect(text).not.toContain('...');
    expect(text).toContain('\\\n');
  });

  it('runs top-level await, async for and async with', async () => {
    const out = await runCollect(
      sandbox,
      'import asyncio\nawait asyncio.sleep(0.01)\nasync def gen():\n    yield 1\n    yield 2\nseen = [v async for v in gen()]\nseen',
    );
    expect(out.status, JSON.stringify(out.error)).toBe('ok');
    expect(results(out.events)).toEqual(['[1, 2]']);
  });

  it('interrupts a running !cmd and keeps the kernel', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1000);
    const out = await runCollect(sandbox, '!sleep 30', { signal: controller.signal });
    expect(['interrupted', 'ok']).toContain(out.status);
    expect(out.stateLost).toBe(false);
    expect(results((await runCollect(sandbox, '1 + 1')).events)).toEqual(['2']);
  });
});
