// Diagnostics for whoever debugs codecell, shown only with CODECELL_DEBUG set, where its stack traces and the model SDK's log go.
import { safeText } from './safe-name.js';

/** Longest diagnostic shown (the kernel caps its own at 4000 characters). */
const MAX_CHARS = 4000;

/**
 * Prints `codecell debug: <source>: <text>` on stderr when CODECELL_DEBUG is set. console.error, not a raw
 * stderr write: the chat's Ink patches the console and prints such lines above its prompt instead of
 * tearing the screen. `text` may come from inside the sandbox, so control and bidi characters are replaced.
 */
export function debugLog(source: string, text: string): void {
  if (!process.env.CODECELL_DEBUG) return;
  console.error(`codecell debug: ${source}: ${safeText(text, MAX_CHARS)}`);
}
