// An esbuild plugin for the bundle: a few CommonJS requires that pull in large code at load time, for
// features codecell rarely or never uses, become requires on first call. The behaviour is the same;
// only when the code is read changes.
import { readFile } from 'node:fs/promises';

/** file (under node_modules) → pairs of [the eager require, what replaces it]. */
const DEFERRED = {
  'dockerode/lib/docker.js': [
    // BuildKit sessions (gRPC + protobuf, ~⅓ of dockerode's load time); codecell builds without BuildKit.
    ["withSession = require('./session'),", "withSession = function () { return require('dockerode/lib/session.js').apply(this, arguments); },"],
    // BuildKit's progress decoder (protobufjs), required when followProgress is called (codecell reads
    // build streams itself).
    ["var buildkit = require('./buildkit');", "var buildkit = require('dockerode/lib/buildkit.js');"],
  ],
  // ssh2, for DOCKER_HOST=ssh://… only.
  'docker-modem/lib/modem.js': [["ssh = require('./ssh'),", "ssh = function () { return require('./ssh').apply(this, arguments); },"]],
};

/**
 * Required by the replacements above from node_modules at run time (dockerode is a dependency of
 * codecell), never bundled: they were two thirds of the Docker client's chunk, read by every sandbox start.
 */
export const SEPARATE = ['dockerode/lib/session.js', 'dockerode/lib/buildkit.js'];

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
      let source = await readFile(args.path, 'utf8');
      const warnings = [];
      for (const [eager, lazy] of DEFERRED[key]) {
        // A dependency update that changes the line only costs launch time: say so, bundle it as it is.
        if (source.includes(eager)) source = source.replace(eager, lazy);
        else warnings.push({ text: `lazy-requires: "${eager}" not found in ${key}; it loads eagerly` });
      }
      return { contents: source, loader: 'js', warnings };
    });
  },
};
