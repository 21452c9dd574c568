// Diagnostics appear only under CODECELL_DEBUG, on the console's stderr, with the sandbox's control characters made harmless.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { debugLog } from './debug.js';

describe('debugLog', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('says nothing without CODECELL_DEBUG', () => {
    vi.stubEnv('CODECELL_DEBUG', '');
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    debugLog('kernel', 'figure formats: ValueError()');
    expect(error).not.toHaveBeenCalled();
  });

  it('prints one line naming its source, with escape sequences replaced', () => {
    vi.stubEnv('CODECELL_DEBUG', '1');
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    debugLog('kernel', 'after a cell: \x1b]52;c;AAAA\x07OSError()');
    expect(error).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledWith('codecell debug: kernel: after a cell: _]52;c;AAAA_OSError()');
  });
});
