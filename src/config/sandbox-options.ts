// Turns effective settings into the sandbox's options, so every command maps config keys to limits the same way.
import type { SandboxOptions } from '../sandbox/types.js';
import type { Settings } from './keys.js';

export function sandboxOptionsFrom(settings: Settings): SandboxOptions {
  return {
    ...(settings.image ? { image: settings.image } : {}),
    ...(settings.runtime ? { runtime: settings.runtime } : {}),
    limits: {
      memoryBytes: settings.memory,
      cpus: settings.cpus,
      pids: settings.pids,
      diskBytes: settings.disk,
      timeoutMs: settings.timeout * 1000,
      maxOutputBytes: settings.maxOutputBytes,
      network: settings.network,
    },
  };
}
