import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { ChannelListener, channelWanted, isMountRefusal } from './channel.js';

describe('channelWanted', () => {
  it('offers the socket only to an engine on a local unix socket, unless the user chose the attach stream', () => {
    const local = new Docker({ socketPath: '/var/run/docker.sock' });
    expect(channelWanted(local, {})).toBe(true);
    expect(channelWanted(local, { CODECELL_KERNEL_CHANNEL: 'attach' })).toBe(false);
    expect(channelWanted(new Docker({ host: 'build.example', port: 2376 }), {})).toBe(false);
  });

  it('knows an engine that refused the mount by its message', () => {
    expect(isMountRefusal({ json: { message: 'invalid mount config for type "bind": bind source path does not exist: /tmp/x' } })).toBe(true);
    expect(isMountRefusal({ json: { message: 'No such image: codecell-sandbox:1' } })).toBe(false);
  });
});

describe('ChannelListener', () => {
  it('listens in a private folder (0711) on a socket anyone may connect to (0666), and close() removes both', async () => {
    const listener = (await ChannelListener.open())!;
    const socket = path.join(listener.dir, 'k.sock');
    expect(fs.statSync(listener.dir).mode & 0o777).toBe(0o711);
    expect(fs.statSync(socket).mode & 0o777).toBe(0o666);
    expect(listener.mount).toEqual({ Type: 'bind', Source: listener.dir, Target: '/run/codecell', ReadOnly: true });
    expect(listener.env).toBe('CODECELL_CHANNEL=/run/codecell/k.sock');
    listener.close();
    listener.close();
    expect(fs.existsSync(listener.dir)).toBe(false);
  });

  it('hands over connections made before anyone asked for them, and drops them when closed unclaimed', async () => {
    const listener = (await ChannelListener.open())!;
    const connect = async (): Promise<{ client: net.Socket; closed: Promise<void> }> => {
      const client = net.connect(path.join(listener.dir, 'k.sock'));
      await new Promise((resolve) => client.once('connect', resolve));
      return { client, closed: new Promise<void>((resolve) => client.once('close', () => resolve())) };
    };
    const early = await connect();
    const got: net.Socket[] = [];
    await new Promise((resolve) => setTimeout(resolve, 20)); // the server has accepted it by now
    listener.onConnection((s) => got.push(s));
    expect(got).toHaveLength(1);
    const unclaimed = await ChannelListener.open();
    const other = net.connect(path.join(unclaimed!.dir, 'k.sock'));
    const otherClosed = new Promise<void>((resolve) => other.once('close', () => resolve()));
    await new Promise((resolve) => other.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    unclaimed!.close();
    await otherClosed;
    got[0]!.destroy();
    await early.closed;
    listener.close();
  });
});
