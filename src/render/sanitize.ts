// Placeholder: replaced by the terminal sanitizer.
export function sanitize(text: string): string {
  return text;
}
