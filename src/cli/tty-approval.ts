// Confirm mode for `run`: shows the code on stderr and asks run / skip on the controlling terminal.
import fs from 'node:fs';
import readline from 'node:readline/promises';
import type { ApprovalHandler } from '../core/session-api.js';
import { UsageError } from './errors.js';

export function askOnTerminal(): ApprovalHandler {
  let input: fs.ReadStream;
  try {
    input = fs.createReadStream('/dev/tty');
  } catch {
    throw new UsageError('--confirm needs a terminal to ask on', 'Run without --confirm, or from a terminal.');
  }
  input.on('error', () => undefined);
  return async ({ code }) => {
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
    }
  };
}
