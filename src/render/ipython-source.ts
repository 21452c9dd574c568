// Turns IPython-only lines of a cell (magics, `!cmd`) into the plain Python IPython itself runs, for `.py` exports.
/** A Python string literal for `text` (JSON's escapes are valid Python). */
const py = (text: string): string => JSON.stringify(text);

const LINE = /^(\s*)(?:([\w.,\s[\]]+?)\s*=\s*)?(%%?|!!?)(.*)$/;

/**
 * The cell as Python that runs without IPython's input transformers: `%magic args` becomes
 * `get_ipython().run_line_magic(...)`, `!cmd` `get_ipython().system(...)`, `x = !cmd`
 * `x = get_ipython().getoutput(...)`, a `%%magic` cell `get_ipython().run_cell_magic(...)` — what
 * `jupyter nbconvert --to script` writes. Lines inside multi-line strings are not told apart.
 */
export function ipythonToPython(code: string): string {
  const lines = code.split('\n');
  const first = /^%%(\S+)\s*(.*)$/.exec(lines[0] ?? '');
  if (first) return `get_ipython().run_cell_magic(${py(first[1]!)}, ${py(first[2]!.trim())}, ${py(lines.slice(1).join('\n'))})`;
  return lines
    .map((line) => {
      const m = LINE.exec(line);
      if (!m) return line;
      const [, indent, target, sigil, rest] = m as unknown as [string, string, string | undefined, string, string];
      if (sigil === '%%') return line; // a cell magic after the first line is an error in IPython too
      const assign = target ? `${target} = ` : '';
      if (sigil === '%') {
        const magic = /^(\S+)\s*(.*)$/.exec(rest);
        if (!magic) return line;
        return `${indent}${assign}get_ipython().run_line_magic(${py(magic[1]!)}, ${py(magic[2]!)})`;
      }
      const command = rest.trim();
      if (sigil === '!!' || target) return `${indent}${assign}get_ipython().getoutput(${py(command)})`;
      return `${indent}get_ipython().system(${py(command)})`;
    })
    .join('\n');
}
