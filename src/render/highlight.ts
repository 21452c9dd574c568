// Python syntax highlighting for the terminal (cli-highlight), tolerant of half-written code.
type Highlight = typeof import('cli-highlight').highlight;

// cli-highlight (highlight.js with every language) is loaded on first need, not at launch; callers that
// render synchronously preload it (loadHighlighter).
let highlight: Highlight | undefined;
let loading: Promise<void> | undefined;

/** Loads the highlighter; highlightPython returns code uncoloured until this has resolved. */
export function loadHighlighter(): Promise<void> {
  loading ??= import('cli-highlight').then((m) => {
    highlight = m.highlight;
  });
  return loading;
}

/** Colours Python source; returns it unchanged when colour is off, highlighting fails or is not loaded yet. */
export function highlightPython(code: string, color: boolean): string {
  if (!color || code.length === 0 || !highlight) return code;
  try {
    // ignoreIllegals: code is highlighted while it streams, so it is often incomplete.
    return highlight(code, { language: 'python', ignoreIllegals: true });
  } catch {
    return code;
  }
}
