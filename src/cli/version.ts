// codecell's version and where its README is, both two folders up from dist/cli/ and from the bundle's dist/bundle/.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The README shipped with the package: the reference for every command, flag, key and event. */
export const README_PATH = fileURLToPath(new URL('../../README.md', import.meta.url));
