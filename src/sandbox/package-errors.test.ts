import { describe, expect, it } from 'vitest';
import { explainPackageFailure } from './package-errors.js';

const PIP = 'python3 -m pip install --break-system-packages -r /tmp/codecell-extra/pip/requirements.txt';
const APT = 'apt-get update  && xargs -a /tmp/codecell-extra/apt.txt apt-get install -y --no-install-recommends';

// Lines as pip 25.1 (Debian trixie) and apt print them in a build on a machine with no Python index.
describe('explaining a failed package step', () => {
  it("says at once that no index is reachable, with pip's words and what to do instead", () => {
    const out = explainPackageFailure(
      [
        "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f72553c2120>: Failed to establish a new connection: [Errno -2] Name or service not known')': /simple/nosuchpkg-xyz/",
        'ERROR: Could not find a version that satisfies the requirement nosuchpkg-xyz (from versions: none)',
        'ERROR: No matching distribution found for nosuchpkg-xyz',
      ],
      PIP,
    );
    expect(out?.message).toMatch(/^no Python package index is reachable from the build \(\[Errno -2\] Name or service not known\)/);
    expect(out?.message).toContain('No matching distribution found for nosuchpkg-xyz');
    expect(out?.fix).toMatch(/need an index at build time/);
    expect(out?.fix).toMatch(/--pip \.\/NAME-VERSION-py3-none-any\.whl/);
  });
  it('names the Python a wheel must be built for', () => {
    const out = explainPackageFailure(['ERROR: tiny-0.1-cp311-cp311-linux_x86_64.whl is not a supported wheel on this platform.'], PIP);
    expect(out?.message).toBe('pip refused a wheel: tiny-0.1-cp311-cp311-linux_x86_64.whl is not a supported wheel on this platform.');
    expect(out?.fix).toMatch(/Python 3\.13/);
  });
  it('names a missing dependency of a local wheel', () => {
    const out = explainPackageFailure(
      [
        'Processing /tmp/codecell-extra/pip/0/tiny-0.1-py3-none-any.whl',
        'ERROR: Could not find a version that satisfies the requirement nosuchdep (from tiny) (from versions: none)',
        'ERROR: No matching distribution found for nosuchdep',
      ],
      PIP,
    );
    expect(out?.message).toMatch(/^pip found no package for nosuchdep: /);
    expect(out?.fix).toMatch(/--no-index/);
  });
  it("names an unknown Debian package from apt's own (coloured) line", () => {
    const out = explainPackageFailure(['Reading state information...', '\u001b[91mE: Unable to locate package python3-no-such-xyz', '\u001b[0m'], APT);
    expect(out?.message).toBe('apt does not know python3-no-such-xyz: E: Unable to locate package python3-no-such-xyz');
    expect(out?.fix).toMatch(/apt-cache search NAME/);
  });
  it('tells an unreachable mirror from an unknown package', () => {
    const out = explainPackageFailure(
      ["E: Failed to fetch http://deb.debian.org/debian/dists/trixie/InRelease  Temporary failure resolving 'deb.debian.org'"],
      APT,
    );
    expect(out?.message).toMatch(/^the Debian mirror is not reachable from the build/);
  });
  it('leaves a failure it does not recognise to the generic message', () => {
    expect(explainPackageFailure(['something else went wrong'], APT)).toBeUndefined();
  });
});
