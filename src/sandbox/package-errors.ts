// Turns apt's and pip's own error lines from a failed derived-image build into a message with a fix.

export interface PackageFailure {
  /** The package manager's own words (its error lines), prefixed with what went wrong. */
  message: string;
  fix: string;
}

const UNREACHABLE =
  /NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|Network is unreachable|ConnectTimeoutError|Connection refused|ProxyError|No route to host|Read timed out/;

/** apt's error lines ("E: Unable to locate package foo"), without repeats. */
function aptErrors(lines: string[]): string[] {
  return [...new Set(lines.filter((l) => /^(E|Err):/.test(l.trim())).map((l) => l.trim()))];
}

/** pip's error lines ("ERROR: ..."), and the warning that carries a connection's cause. */
function pipErrors(lines: string[]): string[] {
  return [...new Set(lines.filter((l) => /^ERROR:/.test(l.trim())).map((l) => l.trim()))];
}

/**
 * Explains a failed build from its last output lines and the failing step ("RUN apt-get …" or
 * "RUN python3 -m pip …"); undefined when neither package manager said anything it recognises.
 */
export function explainPackageFailure(raw: string[], step: string | undefined): PackageFailure | undefined {
  // The engine colours a step's stderr (ESC[91m … ESC[0m); the words are what count.
  // eslint-disable-next-line no-control-regex
  const lines = raw.map((l) => l.replace(/\u001b\[[0-9;]*m/g, '').trim()).filter(Boolean);
  const isPip = step?.includes('pip install') ?? lines.some((l) => /^ERROR:/.test(l.trim()));
  if (isPip) {
    const errors = pipErrors(lines);
    const said = errors.join(' | ');
    const cause = lines.find((l) => UNREACHABLE.test(l));
    if (cause) {
      const reason =
        /Failed to establish a new connection: ([^')"]+)/.exec(cause)?.[1] ??
        /(Temporary failure in name resolution|Name or service not known|Network is unreachable|Connection refused|No route to host|Read timed out)/.exec(
          cause,
        )?.[1];
      return {
        message: `no Python package index is reachable from the build${reason ? ` (${reason.trim()})` : ''}; pip said: ${said || cause.trim()}`,
        fix:
          'pip specs that name packages need an index at build time (PyPI, or a mirror in PIP_INDEX_URL). Without one, bring a wheel ' +
          '(`--pip ./NAME-VERSION-py3-none-any.whl`, made with `pip wheel NAME` where an index is reachable) or a project folder, ' +
          "or use Debian's package (`--apt python3-NAME`).",
      };
    }
    const platform = errors.find((l) => /is not a supported wheel on this platform/.test(l));
    if (platform) {
      return {
        message: `pip refused a wheel: ${platform.replace(/^ERROR:\s*/, '')}`,
        fix: "The wheel was built for another Python or machine. The sandbox runs Debian trixie's Python 3.13 on Linux: give a pure-Python wheel (…-py3-none-any.whl) or one tagged cp313 and manylinux for this machine's architecture.",
      };
    }
    const badName = errors.find((l) => /is not a valid wheel filename|Invalid requirement/.test(l));
    if (badName) {
      return {
        message: `pip could not read a spec: ${badName.replace(/^ERROR:\s*/, '')}`,
        fix: 'Write specs as pip does: NAME, NAME==VERSION, NAME>=VERSION, or the path of a .whl file (keep the name pip gave it) or a project folder.',
      };
    }
    const missing = errors.find((l) => /No matching distribution found for|Could not find a version that satisfies/.test(l));
    if (missing) {
      const name = /found for (\S+)/.exec(missing)?.[1] ?? /requirement (\S+)/.exec(missing)?.[1] ?? 'it';
      return {
        message: `pip found no package for ${name}: ${said}`,
        fix: `Check the name and version of ${name} on the index. When every pip spec is a local wheel or folder, pip runs with --no-index: add the wheels of their dependencies too, or install them from Debian with --apt python3-NAME.`,
      };
    }
    if (errors.length)
      return {
        message: `pip failed: ${said}`,
        fix: "Read pip's messages above, fix the pip list (--pip, --requirements, or the pip key in config or codecell.json), then build again.",
      };
    return undefined;
  }
  const errors = aptErrors(lines);
  if (errors.length === 0) return undefined;
  const said = errors.join(' | ');
  if (errors.some((l) => /Failed to fetch|Temporary failure resolving|Could not resolve|Unable to connect/.test(l))) {
    return {
      message: `the Debian mirror is not reachable from the build; apt said: ${said}`,
      fix: "The build installs Debian packages with the host's network: check that the engine's machine reaches its Debian mirror (apt-get update), then build again.",
    };
  }
  const unknown = errors.filter((l) => /Unable to locate package|has no installation candidate|Couldn't find any package/.test(l));
  if (unknown.length) {
    const names = unknown.map((l) => /package (\S+)/i.exec(l)?.[1]?.replace(/^'|'$/g, '')).filter(Boolean);
    return {
      message: `apt does not know ${names.length ? names.join(', ') : 'a package'}: ${said}`,
      fix: 'Check the name in Debian trixie (`apt-cache search NAME`, or https://packages.debian.org/trixie/NAME); Debian calls Python libraries python3-NAME. Then fix the apt list (--apt, or the apt key in config or codecell.json).',
    };
  }
  return {
    message: `apt-get failed: ${said}`,
    fix: "Read apt's messages above, fix the apt list (--apt, or the apt key in config or codecell.json), then build again.",
  };
}
