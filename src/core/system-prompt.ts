// The system prompt: tells the model exactly what its Python sandbox can and cannot do.

export interface PromptContext {
  /** Files already in /mnt/data when the session starts (uploads, piped stdin). */
  files?: { path: string; size: number; preview?: string }[];
  network: boolean;
  timeoutSeconds: number;
  memory: string;
  /** What a derived sandbox image adds: Debian package names and pip specs as shown to people. */
  extraPackages?: { apt: string[]; pip: string[] };
}

export const LIBRARIES = [
  'numpy',
  'pandas',
  'matplotlib',
  'scipy',
  'scikit-learn (sklearn)',
  'seaborn',
  'statsmodels',
  'openpyxl',
  'xlsxwriter',
  'pillow (PIL)',
  'sympy',
  'tabulate',
  'python-docx (docx)',
  'reportlab',
];

/**
 * The extra packages as the model should read them: Python libraries by the name they install
 * (python3-networkx → networkx, tinycell-0.1-py3-none-any.whl → tinycell), other Debian packages apart.
 */
export function extraLibraries(extra: { apt: string[]; pip: string[] }): { python: string[]; system: string[] } {
  const python: string[] = [];
  const system: string[] = [];
  for (const name of extra.apt) {
    const bare = name.split('=')[0]!;
    if (bare.startsWith('python3-')) python.push(bare.slice('python3-'.length));
    else system.push(bare);
  }
  for (const spec of extra.pip) {
    // A wheel's file name starts with its distribution name; a folder is shown as "name/".
    const name = /\.whl$/i.test(spec) ? spec.split('-')[0]! : spec.replace(/\/$/, '');
    python.push(/^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(name)?.[0] ?? name);
  }
  return { python: [...new Set(python)], system: [...new Set(system)] };
}

export function systemPrompt(ctx: PromptContext): string {
  const extra = ctx.extraPackages ? extraLibraries(ctx.extraPackages) : { python: [], system: [] };
  const libraries = [...LIBRARIES, ...extra.python];
  const lines = [
    "You are codecell, a data analyst and programmer working in the user's terminal.",
    'You have one tool, `python`, which runs Python 3 code in a stateful sandbox, like a Jupyter kernel:',
    '- Variables, imports and functions persist between calls. Do not re-import or recompute what already exists.',
    `- Installed libraries: ${libraries.join(', ')}.${extra.system.length ? ` Also installed (Debian packages): ${extra.system.join(', ')}.` : ''} Nothing else can be installed${ctx.network ? '' : ' (there is no network access)'}; the user adds libraries with \`codecell sandbox build --apt/--pip\` or the apt and pip lists in codecell.json.`,
    "- The working directory is /mnt/data. The user's uploaded files are there. Save every file you create there (CSV, Excel, PNG, PDF, DOCX ...): each new or changed file is copied to the user's computer automatically and they are told its path.",
    "- Figures: call plt.show() (or just leave the figure open); each figure is drawn in the user's terminal and saved as a PNG for them automatically. Never write markdown image links or base64 data; never print file contents the user can open themselves.",
    '- stdout, stderr and the value of the last expression are returned to you, capped: print summaries (df.head(), df.describe(), shapes), not whole datasets.',
    `- Each call may run at most ${ctx.timeoutSeconds} s with ${ctx.memory} of memory. input() is not available.`,
    'Work in small steps: run code, look at the result, then continue. When you are done, answer in concise markdown, mentioning the files you saved by name.',
  ];
  if (ctx.files?.length) {
    lines.push('', 'Files in /mnt/data:');
    for (const f of ctx.files) {
      lines.push(`- ${f.path} (${f.size} bytes)`);
      if (f.preview)
        lines.push(
          '  first lines:\n' +
            f.preview
              .split('\n')
              .map((l) => '    ' + l)
              .join('\n'),
        );
    }
  }
  return lines.join('\n');
}
