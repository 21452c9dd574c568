// Confirm mode for `run`: shows the code on stderr and asks run / skip on the controlling terminal.
import fs from 'node:fs';
import readline from 'node:readline/promises';
import tty from 'node:tty';
import type { ApprovalHandler } from '../core/session-api.js';
import { UsageError } from './errors.js';

/**
 * Opens the terminal for one question. A tty.ReadStream, not fs.createReadStream: the latter reads the
 * terminal with blocking reads in the thread pool, and a read still waiting for a key kept the process
 * alive after the run had finished (it hung until a key was pressed).
 */
function openTerminal(): tty.ReadStream {
  let fd: number;
  try {
    fd = fs.openSync('/dev/tty', 'r');
  } catch {
    throw new UsageError('--confirm needs a terminal to ask on, and this process has none', 'Run without --confirm, or from a terminal.');
  }
  const input = new tty.ReadStream(fd);
  input.on('error', () => undefined);
  return input;
}

export function askOnTerminal(): ApprovalHandler {
  openTerminal().destroy(); // fail now, before any container starts, when there is no terminal
  return async ({ code }) => {
    const input = openTerminal();
    const rl = readline.createInterface({ input, output: process.stderr, terminal: false });
    try {
      for (;;) {
        const answer = (await rl.question(`\nRun this cell? [y]es / [n]o (skip) ${code.split('\n').length} line(s): `)).trim().toLowerCase();
        if (answer === '' || answer === 'y' || answer === 'yes') return { action: 'run' };
        if (answer === 'n' || answer === 'no' || answer === 's' || answer === 'skip') return { action: 'skip' };
      }
    } catch {
      return { action: 'skip' };
    } finally {
      rl.close();
      input.destroy();
    }
  };
}
