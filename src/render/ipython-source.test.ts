import { describe, expect, it } from 'vitest';
import { ipythonToPython } from './ipython-source.js';

describe('ipythonToPython', () => {
  it('turns line magics and shell lines into get_ipython() calls, as nbconvert does', () => {
    const cell = '%matplotlib inline\nimport numpy as np\n!ls -l "a b"\nfiles = !ls\nt = %timeit -o sum(range(9))\nfor f in files:\n    !echo {f}';
    expect(ipythonToPython(cell)).toBe(
      [
        'get_ipython().run_line_magic("matplotlib", "inline")',
        'import numpy as np',
        'get_ipython().system("ls -l \\"a b\\"")',
        'files = get_ipython().getoutput("ls")',
        't = get_ipython().run_line_magic("timeit", "-o sum(range(9))")',
        'for f in files:',
        '    get_ipython().system("echo {f}")',
      ].join('\n'),
    );
  });

  it('turns a %% cell into run_cell_magic with its body', () => {
    expect(ipythonToPython('%%time\nx = 1\nprint(x)')).toBe('get_ipython().run_cell_magic("time", "", "x = 1\\nprint(x)")');
    expect(ipythonToPython('%%writefile out.txt\nhello')).toBe('get_ipython().run_cell_magic("writefile", "out.txt", "hello")');
  });

  it('leaves plain Python alone, modulo and comparisons included', () => {
    const code = 'x = 10 % 3\ny = x != 1\nprint(f"{x}%")';
    expect(ipythonToPython(code)).toBe(code);
  });
});
