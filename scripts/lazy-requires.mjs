// An esbuild plugin for the bundle: a few CommonJS requires that pull in large code at load time, for
// features codecell rarely or never uses, become requires on first call. The behaviour is the same;
// only when the code is read changes.
import { readFile } from 'node:fs/promises';

/** file (under node_modules) → [the eager require, what replaces it]. */
const DEFERRED = {
  // BuildKit sessions (gRPC + protobuf, ~⅓ of dockerode's load time); codecell builds without BuildKit.
  'dockerode/lib/docker.js': ["withSession = require('./session'),", "withSession = function () { return require('./session').apply(this, arguments); },"],
  // ssh2, for DOCKER_HOST=ssh://… only.
  'docker-modem/lib/modem.js': ["ssh = require('./ssh'),", "ssh = function () { return require('./ssh').apply(this, arguments); },"],
};

export const lazyRequires = {
  name: 'lazy-requires',
  setup(build) {
    const filter = new RegExp(
      `node_modules/(${Object.keys(DEFERRED)
        .map((f) => f.replace(/[./]/g, '\\$&'))
        .join('|')})$`,
    );
    build.onLoad({ filter }, async (args) => {
      const key = Object.keys(DEFERRED).find((f) => args.path.endsWith(f));
      const [eager, lazy] = DEFERRED[key];
      const source = await readFile(args.path, 'utf8');
      // A dependency update that changes the line only costs launch time: say so, bundle it as it is.
      if (!source.includes(eager))
        return { contents: source, loader: 'js', warnings: [{ text: `lazy-requires: "${eager}" not found in ${key}; it loads eagerly` }] };
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};
