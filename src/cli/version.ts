// codecell's version, from package.json (two folders up from dist/cli/ and from the bundle's dist/bundle/).
import { readFileSync } from 'node:fs';

export const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
