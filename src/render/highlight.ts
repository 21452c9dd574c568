// Python syntax highlighting for the terminal (cli-highlight), tolerant of half-written code.
import { highlight } from 'cli-highlight';

/** Colours Python source; returns it unchanged when colour is off or highlighting fails. */
export function highlightPython(code: string, color: boolean): string {
  if (!color || code.length === 0) return code;
  try {
    // ignoreIllegals: code is highlighted while it streams, so it is often incomplete.
    return highlight(code, { language: 'python', ignoreIllegals: true });
  } catch {
    return code;
  }
}
