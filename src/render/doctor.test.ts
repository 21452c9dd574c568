import { describe, expect, it } from 'vitest';
import { readyToRun, type Check } from '../shared/check.js';
import { formatDoctor } from './doctor.js';

const c = (id: string, status: Check['status'], required: boolean, fix?: string): Check => ({
  id,
  group: id === 'engine' ? 'sandbox' : id === 'size' ? 'terminal' : 'model',
  title: id,
  status,
  detail: `${id} \u001b]52;c;aGk=\u0007detail`,
  required,
  ...(fix ? { fix } : {}),
});

describe('doctor screen', () => {
  it('is ready unless a required check failed; warnings and skips do not block', () => {
    expect(readyToRun([c('engine', 'ok', true), c('size', 'warn', false), c('server', 'skip', true)])).toBe(true);
    expect(readyToRun([c('engine', 'fail', true)])).toBe(false);
    expect(readyToRun([c('size', 'fail', false)])).toBe(true);
  });

  it('groups lines, puts the fix under a problem, strips control sequences and ends with the verdict', () => {
    const lines = formatDoctor([c('engine', 'fail', true, 'Start Docker.'), c('server', 'ok', true), c('size', 'warn', false, 'Widen it.')]);
    expect(lines).toEqual([
      'codecell doctor',
      '',
      'sandbox',
      '  ✗ engine    engine detail',
      '              fix: Start Docker.',
      '',
      'model server',
      '  ✓ server    server detail',
      '',
      'terminal',
      '  ! size      size detail',
      '              fix: Widen it.',
      '',
      'not ready: 1 problem stops `codecell run` (engine); each has its fix above',
    ]);
    expect(formatDoctor([c('server', 'ok', true)]).at(-1)).toBe('ready: `codecell run` has what it needs');
  });
});

describe('doctor screen on a narrow terminal', () => {
  it('wraps details and fixes under the detail column', () => {
    const long: Check = {
      id: 'server',
      group: 'model',
      title: 'server',
      status: 'fail',
      detail: 'one two three four five six seven eight nine ten',
      fix: 'alpha beta gamma delta epsilon zeta eta theta',
      required: true,
    };
    const lines = formatDoctor([long], { width: 36 });
    expect(lines.slice(2, 9)).toEqual([
      'model server',
      '  ✗ server    one two three four',
      '              five six seven eight',
      '              nine ten',
      '              fix: alpha beta gamma',
      '              delta epsilon zeta eta',
      '              theta',
    ]);
  });
});
