// `codecell sandbox build | status | prune`: manage the sandbox image and codecell's containers.
import type { Command } from 'commander';
import { connectEngine } from '../../sandbox/engine.js';
import { createProgressPrinter } from '../../render/build-progress.js';
import { bundledImageRef, buildSandboxImage } from '../../sandbox/image.js';
import { pruneSandboxes } from '../../sandbox/prune.js';
import { resolveBackend } from '../../sandbox/backend.js';
import { ensureRootfs, pruneRootfs } from '../../sandbox/rootfs.js';
import { formatStatus, sandboxStatus } from '../../sandbox/status.js';
import { UsageError } from '../errors.js';

export function registerSandbox(program: Command): void {
  const sandbox = program.command('sandbox').description('manage the sandbox image and containers');

  sandbox
    .command('build')
    .description('build the sandbox image (a no-op when the image for this kernel version exists)')
    .option('--force', 'rebuild without the layer cache even when the image exists')
    .option('--base <image>', 'base image to build FROM (default: debian:trixie-slim, else the offline debootstrap base)')
    .option('--backend <name>', 'bubblewrap: build the process sandbox\'s root filesystem (mmdebstrap) instead of the image; podman: build on Podman')
    .action(async (opts: { force?: boolean; base?: string; backend?: string }) => {
      if (opts.base !== undefined && !opts.base.trim()) throw new UsageError('--base needs an image reference', 'e.g. --base debian:trixie-slim');
      const backend = opts.backend?.trim().toLowerCase();
      if (backend !== undefined && !['docker', 'podman', 'bubblewrap'].includes(backend)) {
        throw new UsageError(`unknown backend ${JSON.stringify(opts.backend)}`, 'Use --backend docker, podman or bubblewrap.');
      }
      if (backend === 'bubblewrap') {
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
      const docker = backend === 'podman' ? (await resolveBackend('podman').then((b) => (b.kind === 'engine' ? b.docker : null)))! : (await connectEngine()).docker;
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
      const { docker, info } = await connectEngine();
      const status = await sandboxStatus(docker, info);
      if (opts.json) process.stdout.write(JSON.stringify(status, null, 2) + '\n');
      else process.stdout.write(formatStatus(status).join('\n') + '\n');
    });

  sandbox
    .command('prune')
    .description("remove codecell's orphaned and stopped containers")
    .option('--images', 'also remove stale codecell images (with --all: every codecell image)')
    .option('--all', 'remove every codecell container, even ones a running codecell still uses')
    .option('--label <key=value>', 'only containers that also carry this label (e.g. one batch run)')
    .option('--backend <name>', 'bubblewrap: remove stale process-sandbox root filesystems from the cache instead (with --all, the current one too)')
    .action(async (opts: { images?: boolean; all?: boolean; label?: string; backend?: string }) => {
      const backend = opts.backend?.trim().toLowerCase();
      if (backend !== undefined && !['docker', 'podman', 'bubblewrap'].includes(backend)) {
        throw new UsageError(`unknown backend ${JSON.stringify(opts.backend)}`, 'Use --backend docker, podman or bubblewrap.');
      }
      if (backend === 'bubblewrap') {
        const removed = pruneRootfs({ all: opts.all });
        process.stdout.write(`removed ${removed.length} root filesystem(s)${removed.length ? ': ' + removed.join(' ') : ''}\n`);
        return;
      }
      const docker = backend === 'podman' ? (await resolveBackend('podman').then((b) => (b.kind === 'engine' ? b.docker : null)))! : (await connectEngine()).docker;
      const result = await pruneSandboxes(docker, { images: opts.images, all: opts.all, label: opts.label });
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
