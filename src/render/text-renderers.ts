// Loads the renderers transcript text needs (markdown, syntax highlighting) before it is drawn; they are
// not loaded at launch, and until loaded renderMarkdown and highlightPython return the text as it is.
import { loadHighlighter } from './highlight.js';
import { loadMarkdown } from './markdown.js';

/** Resolves when markdown and highlighting are ready; never rejects (the text then stays plain). */
export function loadTextRenderers(): Promise<void> {
  return Promise.all([loadMarkdown(), loadHighlighter()]).then(
    () => undefined,
    () => undefined,
  );
}
