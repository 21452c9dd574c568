// The --images modes and how a typed value (flag, environment, config file) is read.

/** What the user asked for with --images / the `images` config key. */
export const IMAGE_MODES = ['auto', 'kitty', 'iterm', 'sixel', 'blocks', 'off'] as const;
export type ImageMode = (typeof IMAGE_MODES)[number];

/** Reads an --images value; undefined when it is not one of IMAGE_MODES. */
export function parseImageMode(value: unknown): ImageMode | undefined {
  if (value === true) return 'auto';
  if (value === false) return 'off';
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === 'on' || v === 'yes') return 'auto';
  if (v === 'false' || v === 'no' || v === 'none') return 'off';
  if (v === 'iterm2') return 'iterm';
  return (IMAGE_MODES as readonly string[]).includes(v) ? (v as ImageMode) : undefined;
}
