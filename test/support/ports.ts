// A local TCP port for tests and benchmarks: free to listen on, and nobody listening on it yet.
import net from 'node:net';

/** A port on 127.0.0.1 that was free a moment ago (bound, then released): to listen on, or to find closed. */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
