// `codecell sandbox build | status | prune`: manage the sandbox image and codecell's containers.
import type { Command } from 'commander';
import { hasExtras, mergeExtras, normalizeExtras, PackageSpecError, readRequirements, type ExtraPackages } from '../../sandbox/extras.js';
import { UsageError } from '../errors.js';
import { extrasOf } from '../settings.js';

interface BuildFlags {
  force?: boolean;
  base?: string;
  apt?: string[];
  pip?: string[];
  requirements?: string[];
}

/** The packages to add: the configured lists (config file, environment, codecell.json) plus the flags. */
function buildExtras(opts: BuildFlags, configured: ExtraPackages): ExtraPackages {
  try {
    const pip = [...(opts.pip ?? []), ...(opts.requirements ?? []).flatMap((file) => readRequirements(file))];
    return mergeExtras(configured, normalizeExtras({ apt: opts.apt ?? [], pip }, process.cwd()));
  } catch (err) {
    if (err instanceof PackageSpecError) throw new UsageError(err.message, err.fix);
    throw err;
  }
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

// The Docker client is loaded by each action, not with this file: `codecell --help` loads this file.
const engine = () => import('../../sandbox/engine.js');

/** The --backend flag of build and prune, checked. */
function backendFlag(value: string | undefined): 'docker' | 'podman' | 'bubblewrap' | undefined {
  const backend = value?.trim().toLowerCase();
  if (backend === undefined) return undefined;
  if (backend === 'docker' || backend === 'podman' || backend === 'bubblewrap') return backend;
  // firejail runs the same root filesystem as bubblewrap.
  if (backend === 'firejail') return 'bubblewrap';
  throw new UsageError(`unknown backend ${JSON.stringify(value)}`, 'Use --backend docker, podman, bubblewrap or firejail.');
}

/** The engine to build on or prune: Podman when asked for, else the usual one (DOCKER_HOST, Docker, Podman). */
async function engineFor(backend: 'docker' | 'podman' | undefined) {
  if (backend === 'podman') {
    const { resolveBackend } = await import('../../sandbox/backend.js');
    const resolved = await resolveBackend('podman');
    if (resolved.kind === 'engine') return resolved.docker;
  }
  return (await (await engine()).connectEngine()).docker;
}

export function registerSandbox(program: Command): void {
  const sandbox = program.command('sandbox').description('manage the sandbox image and containers');

  sandbox
    .command('build')
    .description('build the sandbox image, or one with extra packages (a no-op when that image exists); prints its reference')
    .option('--apt <packages...>', 'extra Debian packages, e.g. --apt python3-networkx graphviz')
    .option('--pip <specs...>', 'extra pip specs: names (need an index at build time), .whl files or project folders')
    .option('--requirements <file>', 'pip specs from a requirements file, one per line (repeatable)', collect)
    .option('--force', 'rebuild without the layer cache even when the image exists')
    .option('--base <image>', 'base image to build FROM (default: debian:trixie-slim, else the offline debootstrap base)')
    .option(
      '--backend <name>',
      "bubblewrap or firejail: build the process sandbox's root filesystem (mmdebstrap) instead of the image; podman: build on Podman",
    )
    .action(async (opts: BuildFlags & { backend?: string }) => {
      if (opts.base !== undefined && !opts.base.trim()) throw new UsageError('--base needs an image reference', 'e.g. --base debian:trixie-slim');
      const backend = backendFlag(opts.backend);
      const [{ createProgressPrinter }, { bundledImageRef, buildSandboxImage }, { describePackages, resolveSandboxImage }, { resolveConfig }] =
        await Promise.all([
          import('../../render/build-progress.js'),
          import('../../sandbox/image.js'),
          import('../../sandbox/derived.js'),
          import('../../config/resolve.js'),
        ]);
      const { settings } = resolveConfig({ env: process.env });
      const extras = buildExtras(opts, extrasOf(settings));
      if (backend === 'bubblewrap') {
        if (hasExtras(extras))
          throw new UsageError(
            'extra packages need a container engine; the process sandbox runs its own root filesystem',
            'Build them with Docker or Podman (drop --backend bubblewrap).',
          );
        const { ensureRootfs } = await import('../../sandbox/rootfs.js');
        const printer = createProgressPrinter(process.stderr);
        try {
          const rootfs = await ensureRootfs({ force: opts.force, onProgress: printer.onProgress });
          if (!rootfs.built) process.stderr.write(`codecell: the root filesystem ${rootfs.path} is already built (use --force to rebuild)\n`);
          process.stdout.write(`${rootfs.path}\n`);
        } finally {
          printer.close();
        }
        return;
      }
      const docker = await engineFor(backend);
      if (hasExtras(extras)) {
        const printer = createProgressPrinter(process.stderr);
        try {
          const image = await resolveSandboxImage(docker, {
            ...(settings.image ? { image: settings.image } : {}),
            extras,
            force: opts.force === true,
            ...(opts.base?.trim() ? { from: opts.base.trim() } : {}),
            onProgress: printer.onProgress,
          });
          if (!image.built)
            process.stderr.write(
              `codecell: image ${image.ref} with ${describePackages(image.packages ?? { apt: [], pip: [] })} is already built (use --force to rebuild)\n`,
            );
          process.stdout.write(`${image.ref}\n`);
        } finally {
          printer.close();
        }
        return;
      }
      if (process.env.CODECELL_IMAGE?.trim()) {
        process.stderr.write(`codecell: note: CODECELL_IMAGE=${process.env.CODECELL_IMAGE} is what sandboxes run; building ${bundledImageRef()} anyway\n`);
      }
      const printer = createProgressPrinter(process.stderr);
      try {
        const image = await buildSandboxImage(docker, { force: opts.force, base: opts.base?.trim(), onProgress: printer.onProgress });
        if (!image.built) process.stderr.write(`codecell: image ${image.ref} is already built (use --force to rebuild)\n`);
        process.stdout.write(`${image.ref}\n`);
      } finally {
        printer.close();
      }
    });

  sandbox
    .command('status')
    .description('show the Docker engine, the sandbox image and codecell containers')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const [{ connectEngine }, { formatStatus, sandboxStatus }] = await Promise.all([engine(), import('../../sandbox/status.js')]);
      const { docker, info } = await connectEngine();
      const status = await sandboxStatus(docker, info, process.env, await configuredExtras());
      if (opts.json) process.stdout.write(JSON.stringify(status, null, 2) + '\n');
      else process.stdout.write(formatStatus(status).join('\n') + '\n');
    });

  sandbox
    .command('prune')
    .description("remove codecell's orphaned and stopped containers")
    .option('--images', 'also remove stale codecell images (with --all: every codecell image)')
    .option('--all', 'remove every codecell container, even ones a running codecell still uses')
    .option('--label <key=value>', 'only containers that also carry this label (e.g. one batch run)')
    .option(
      '--backend <name>',
      'bubblewrap or firejail: remove stale process-sandbox root filesystems from the cache instead (with --all, the current one too)',
    )
    .action(async (opts: { images?: boolean; all?: boolean; label?: string; backend?: string }) => {
      const backend = backendFlag(opts.backend);
      if (backend === 'bubblewrap') {
        const { pruneRootfs } = await import('../../sandbox/rootfs.js');
        const removed = pruneRootfs({ all: opts.all });
        process.stdout.write(`removed ${removed.length} root filesystem(s)${removed.length ? ': ' + removed.join(' ') : ''}\n`);
        return;
      }
      const [{ pruneSandboxes }, { currentImages }] = await Promise.all([import('../../sandbox/prune.js'), import('../../sandbox/status.js')]);
      const docker = await engineFor(backend);
      // The image sandboxes here run (the base, and the derived image this folder's lists ask for) stays.
      const keep = opts.images ? await currentImages(docker, process.env, await configuredExtras()) : [];
      const result = await pruneSandboxes(docker, { images: opts.images, all: opts.all, label: opts.label, keep });
      const out: string[] = [];
      out.push(`removed ${result.removedContainers.length} container(s)${result.removedContainers.length ? ': ' + result.removedContainers.join(' ') : ''}`);
      if (result.keptContainers.length) {
        out.push(`kept ${result.keptContainers.length} container(s) in use by running codecell processes (use --all to remove them too)`);
      }
      if (opts.images) out.push(`removed ${result.removedImages.length} image(s)${result.removedImages.length ? ': ' + result.removedImages.join(' ') : ''}`);
      for (const failure of result.failures) out.push(`could not remove ${failure}`);
      process.stdout.write(out.join('\n') + '\n');
      if (result.failures.length) process.exitCode = 1;
    });
}

/** The configured package lists, or the reason they cannot be used (status and prune still run). */
async function configuredExtras(): Promise<ExtraPackages | { problem: string }> {
  try {
    const { resolveConfig } = await import('../../config/resolve.js');
    return extrasOf(resolveConfig({ env: process.env }).settings);
  } catch (err) {
    return { problem: (err as Error).message };
  }
}
