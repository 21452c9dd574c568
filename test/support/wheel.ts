// Builds tiny wheels for tests with Python's standard library zipfile on the host: no index, no build tools.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The host's Python: Debian's when there is one (CI installs python3 packages for it), else the first on PATH. */
export function hostPython(): string {
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

// Writes a wheel: the module, METADATA, WHEEL and a RECORD with each file's sha256, as the wheel spec asks.
const SCRIPT = `
import base64, hashlib, sys, zipfile
out, name, version, tag, source, requires = sys.argv[1:7]
dist = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": source,
    f"{dist}/METADATA": "Metadata-Version: 2.1\\nName: " + name + "\\nVersion: " + version + "\\n" + "".join(f"Requires-Dist: {r}\\n" for r in requires.split(",") if r),
    f"{dist}/WHEEL": "Wheel-Version: 1.0\\nGenerator: codecell-test\\nRoot-Is-Purelib: true\\nTag: " + tag + "\\n",
}
record = []
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for arc, text in files.items():
        data = text.encode()
        z.writestr(arc, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{arc},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    z.writestr(f"{dist}/RECORD", "\\n".join(record) + "\\n")
`;

export interface WheelOptions {
  /** Distribution and module name (letters, digits, underscores). */
  name: string;
  version?: string;
  /** The module's source: what `import NAME` runs. */
  source: string;
  /** Python, ABI and platform tag, default py3-none-any (pure Python). */
  tag?: string;
  /** Requires-Dist entries. */
  requires?: string[];
}

/** Writes NAME-VERSION-TAG.whl into `dir` and returns its path. */
export function buildWheel(dir: string, options: WheelOptions): string {
  const version = options.version ?? '0.1';
  const tag = options.tag ?? 'py3-none-any';
  const file = path.join(dir, `${options.name}-${version}-${tag}.whl`);
  execFileSync(hostPython(), ['-c', SCRIPT, file, options.name, version, tag, options.source, (options.requires ?? []).join(',')], { stdio: 'pipe' });
  return file;
}
