// Red team, network: only addresses on this machine and link-local ones are tried, and every attempt must fail.
import { describe, expect, it } from 'vitest';
import { sandboxEngineOrSkip } from '../support/engine.js';
import { caseName } from './cases.js';
import { expectNextCellWorks, result, runCollect, useHostileSandbox } from './hostile.js';

const docker = await sandboxEngineOrSkip();

/** Python: try a TCP connect with a short timeout and report "connected" or the errno name. */
const connect = (host: string, port: number): string =>
  `import socket, errno\ntry:\n    socket.create_connection(("${host}", ${port}), timeout=2).close()\n    r = "connected"\nexcept socket.timeout:\n    r = "timeout"\nexcept OSError as e:\n    r = errno.errorcode.get(e.errno, str(e.errno))\nr`;

describe.skipIf(!docker)('red team: network', () => {
  const box = useHostileSandbox(docker!);

  it(caseName('N01'), async () => {
    const out = await runCollect(box.sandbox, connect('169.254.169.254', 80));
    expect(result(out)).toBe("'ENETUNREACH'");
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('N02'), async () => {
    const out = await runCollect(box.sandbox, connect('172.17.0.1', 2375));
    expect(result(out)).toBe("'ENETUNREACH'");
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('N03'), async () => {
    for (const port of [2375, 22]) {
      const out = await runCollect(box.sandbox, connect('127.0.0.1', port));
      expect(result(out), `port ${port}`).toBe("'ECONNREFUSED'");
    }
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('N04'), async () => {
    const out = await runCollect(
      box.sandbox,
      'import socket\ntry:\n    r = socket.getaddrinfo("example.com", 80)\nexcept socket.gaierror as e:\n    r = "gaierror"\nr',
    );
    expect(result(out)).toBe("'gaierror'");
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('N05'), async () => {
    const out = await runCollect(
      box.sandbox,
      'import socket\nr = []\nfor family, kind, proto in ((socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), (socket.AF_PACKET, socket.SOCK_RAW, 0)):\n    try:\n        socket.socket(family, kind, proto).close()\n        r.append("opened")\n    except PermissionError:\n        r.append("PermissionError")\nr',
    );
    expect(result(out)).toBe("['PermissionError', 'PermissionError']");
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('N06'), async () => {
    const out = await runCollect(box.sandbox, 'import socket\nsorted(name for _, name in socket.if_nameindex())');
    expect(result(out)).toBe("['lo']");
  });
});
