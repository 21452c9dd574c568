// Finds or builds the sandbox image, tagged by a hash of its build context so a changed kernel means a rebuild.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { contextHash, contextTar, readContext, guestDir, type ContextFile } from './build-context.js';
import { readProgressStream, type ProgressListener } from './build-stream.js';
import { buildOfflineBase, canBuildOfflineBase } from './offline-base.js';
import { SandboxError } from './types.js';
import { LABEL_KERNEL } from './labels.js';

export type { BuildProgress, ProgressListener } from './build-stream.js';

export const IMAGE_REPO = 'codecell-sandbox';
export const BENCH_REPO = 'codecell-sandbox-bench';
export const DEFAULT_BASE = 'debian:trixie-slim';
export const OFFLINE_BASE = 'codecell-base:trixie';
/** Marks images codecell built ("sandbox" or "bench"); containers inherit it, so it is not the ownership label. */
export const LABEL_IMAGE = 'dev.codecell.image';

/** How long a base-image pull may go without any progress before we fall back to the offline base. */
const PULL_IDLE_MS = 20_000;

export interface ImageSummary {
  ref: string;
  id: string;
  size: number;
  created: string;
  /** The kernel hash label, when the image is one of ours. */
  kernel?: string;
}

export interface EnsuredImage {
  ref: string;
  id: string;
  /** False when the image was already there (the common, fast case). */
  built: boolean;
}

export interface EnsureImageOptions {
  onProgress?: ProgressListener;
  /** Rebuild without the layer cache even when the image exists. */
  force?: boolean;
  /** Base image to build FROM, skipping the automatic choice. */
  base?: string;
  env?: NodeJS.ProcessEnv;
}

export interface BuildOptions {
  tag: string;
  buildargs?: Record<string, string>;
  labels?: Record<string, string>;
  nocache?: boolean;
  onProgress?: ProgressListener;
  /** Names the build in error messages. */
  what?: string;
}

const hashes = new Map<string, string>();

/** Hash of the bundled build context (Dockerfile, kernel.py and whatever else .dockerignore lets in). */
export function kernelHash(dir: string = guestDir()): string {
  let hash = hashes.get(dir);
  if (!hash) {
    hash = contextHash(readContext(dir));
    hashes.set(dir, hash);
  }
  return hash;
}

/** The tag of the image built from this package's sandbox/ folder. */
export function bundledImageRef(dir?: string): string {
  return `${IMAGE_REPO}:${kernelHash(dir)}`;
}

/** The image sandboxes run: CODECELL_IMAGE when set, else the bundled image's hash tag. */
export function imageRef(env: NodeJS.ProcessEnv = process.env): string {
  return env.CODECELL_IMAGE?.trim() || bundledImageRef();
}

/** The image for `ref` (default: the one sandboxes run), or null when the engine does not have it. */
export async function findImage(docker: Docker, ref: string = imageRef()): Promise<ImageSummary | null> {
  try {
    const info = await docker.getImage(ref).inspect();
    return {
      ref,
      id: info.Id,
      size: info.Size,
      created: info.Created,
      kernel: info.Config?.Labels?.[LABEL_KERNEL] ?? undefined,
    };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw engineError(`cannot inspect image ${ref}`, err);
  }
}

/**
 * Makes sure the image sandboxes run exists, building it when missing; a no-op (one inspect call)
 * when the image for the current kernel hash is already there.
 */
export async function ensureImage(docker: Docker, options: EnsureImageOptions = {}): Promise<EnsuredImage> {
  const started = Date.now();
  const env = options.env ?? process.env;
  const custom = env.CODECELL_IMAGE?.trim();
  if (custom) {
    // The user picked their own image; building ours would not give them what they asked for.
    const found = await findImage(docker, custom);
    if (!found) {
      throw new SandboxError(
        `the image named in CODECELL_IMAGE (${custom}) is not on the Docker engine`,
        `Pull or build it (\`docker pull ${custom}\`), or unset CODECELL_IMAGE to use codecell's own image.`,
        'no_image',
      );
    }
    options.onProgress?.({ type: 'done', ref: custom, id: found.id, built: false, ms: Date.now() - started });
    return { ref: custom, id: found.id, built: false };
  }
  return buildSandboxImage(docker, options);
}

/** Builds the bundled image (unless present and not forced) and tags it by hash and as :latest. */
export async function buildSandboxImage(docker: Docker, options: EnsureImageOptions = {}): Promise<EnsuredImage> {
  const started = Date.now();
  const { onProgress } = options;
  const files = readContext(guestDir());
  const hash = contextHash(files);
  const ref = `${IMAGE_REPO}:${hash}`;
  if (!options.force) {
    const found = await findImage(docker, ref);
    if (found) {
      onProgress?.({ type: 'done', ref, id: found.id, built: false, ms: Date.now() - started });
      return { ref, id: found.id, built: false };
    }
  }
  const base = options.base ?? (await chooseBase(docker, onProgress, options.env));
  onProgress?.({ type: 'phase', text: `building ${ref} from ${base}` });
  const { id } = await buildImageFromFiles(docker, files, {
    tag: ref,
    // The Dockerfile's own LABEL line turns KERNEL_HASH into the dev.codecell.kernel label.
    buildargs: { BASE: base, KERNEL_HASH: hash },
    nocache: options.force,
    onProgress,
    what: 'the sandbox image build',
  });
  await tagImage(docker, ref, IMAGE_REPO, 'latest');
  onProgress?.({ type: 'done', ref, id, built: true, ms: Date.now() - started });
  return { ref, id, built: true };
}

/** Builds any context folder (honouring its .dockerignore); the lower level under ensureImage. */
export async function buildImageFromDir(docker: Docker, dir: string, options: BuildOptions): Promise<{ id: string }> {
  return buildImageFromFiles(docker, readContext(dir), options);
}

/**
 * Sends a build context to the engine with host networking (apt needs the mirror), reads every
 * progress event, and rejects with the engine's own error text when any step fails.
 */
export async function buildImageFromFiles(docker: Docker, files: ContextFile[], options: BuildOptions): Promise<{ id: string }> {
  const what = options.what ?? `the build of ${options.tag}`;
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(contextTar(files), {
      t: options.tag,
      // Unset keys are left out, not sent empty: Podman answers 400 to a build with `labels=` in the query.
      ...(options.buildargs ? { buildargs: options.buildargs } : {}),
      ...(options.labels ? { labels: options.labels } : {}),
      networkmode: 'host',
      nocache: options.nocache ?? false,
      rm: true,
      forcerm: true,
    });
  } catch (err) {
    // The engine refused before building (a Dockerfile syntax error, a bad option): its reply says why.
    throw new SandboxError(`${what} failed: ${engineMessage(err)}`, 'Fix the Dockerfile or the build options, then retry.', 'build_failed');
  }
  await readProgressStream(stream, options.onProgress, what);
  const built = await findImage(docker, options.tag);
  if (!built) {
    throw new SandboxError(`${what} finished but ${options.tag} is not on the engine`, 'Rerun with `codecell sandbox build --force`.', 'build_failed');
  }
  return { id: built.id };
}

/**
 * The image to build FROM: debian:trixie-slim when present or pullable, else the offline base
 * (built with debootstrap when it is missing and that is possible), else a clear error.
 */
export async function chooseBase(docker: Docker, onProgress?: ProgressListener, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (await findImage(docker, DEFAULT_BASE)) return DEFAULT_BASE;
  onProgress?.({ type: 'phase', text: `pulling ${DEFAULT_BASE}` });
  const pullProblem = await tryPull(docker, DEFAULT_BASE, onProgress);
  if (!pullProblem) return DEFAULT_BASE;
  onProgress?.({ type: 'phase', text: `cannot pull ${DEFAULT_BASE} (${pullProblem}); using the offline base ${OFFLINE_BASE}` });
  if (await findImage(docker, OFFLINE_BASE)) return OFFLINE_BASE;
  const script = path.join(guestDir(), 'build-base.sh');
  const why = canBuildOfflineBase(env);
  if (why === true) {
    onProgress?.({ type: 'phase', text: `building ${OFFLINE_BASE} with debootstrap from a Debian mirror (about 20-40 s)` });
    await buildOfflineBase(script, OFFLINE_BASE, onProgress, env);
    if (await findImage(docker, OFFLINE_BASE)) return OFFLINE_BASE;
    throw new SandboxError(`${script} finished but ${OFFLINE_BASE} is not on the engine`, `Run \`sudo ${script} --force\` and read its output.`, 'no_image');
  }
  throw new SandboxError(
    `no base image for the sandbox: ${DEFAULT_BASE} cannot be pulled (${pullProblem}) and ${OFFLINE_BASE} is not on the engine`,
    `Connect to a container registry and rerun \`codecell sandbox build\`; or build the offline base from a Debian mirror ` +
      `with \`sudo ${script}\` (needs debootstrap; ${why}); or pass \`codecell sandbox build --base IMAGE\` with a local Debian trixie image.`,
    'no_image',
  );
}

/** Pulls `ref`; returns undefined on success or a short reason on failure (including no progress for a while). */
async function tryPull(docker: Docker, ref: string, onProgress?: ProgressListener): Promise<string | undefined> {
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), PULL_IDLE_MS);
  const touch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), PULL_IDLE_MS);
  };
  try {
    const stream = (await docker.pull(ref, { abortSignal: controller.signal })) as NodeJS.ReadableStream;
    touch();
    await readProgressStream(
      stream,
      (progress) => {
        touch();
        onProgress?.(progress);
      },
      `pulling ${ref}`,
    );
    return undefined;
  } catch (err) {
    if (controller.signal.aborted) return `no progress for ${PULL_IDLE_MS / 1000} s`;
    return engineMessage(err);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The benchmark's image: the sandbox image plus Debian's ipykernel and jupyter_client, tagged by a
 * hash of the sandbox image id and bench.Dockerfile.
 */
export async function ensureBenchImage(docker: Docker, onProgress?: ProgressListener): Promise<string> {
  const main = await ensureImage(docker, { onProgress });
  const dockerfile = fs.readFileSync(path.join(guestDir(), 'bench.Dockerfile'));
  const hash = createHash('sha256').update(main.id).update('\0').update(dockerfile).digest('hex').slice(0, 12);
  const ref = `${BENCH_REPO}:${hash}`;
  if (await findImage(docker, ref)) return ref;
  onProgress?.({ type: 'phase', text: `building ${ref} from ${main.ref}` });
  await buildImageFromFiles(docker, [{ name: 'Dockerfile', data: dockerfile, mode: 0o644 }], {
    tag: ref,
    buildargs: { BASE: main.ref },
    labels: { [LABEL_IMAGE]: 'bench' },
    onProgress,
    what: 'the benchmark image build',
  });
  return ref;
}

/** Images codecell built (sandbox and bench), newest first. */
export async function listCodecellImages(docker: Docker): Promise<ImageSummary[]> {
  const images = await docker.listImages({ filters: { label: [LABEL_IMAGE] } });
  return images
    .map((image) => ({
      // A forced rebuild leaves the old image untagged; name it by its short id.
      ref: image.RepoTags?.find((tag) => tag !== '<none>:<none>') ?? `<untagged ${image.Id.replace(/^sha256:/, '').slice(0, 12)}>`,
      id: image.Id,
      size: image.Size,
      created: new Date(image.Created * 1000).toISOString(),
      kernel: image.Labels?.[LABEL_KERNEL] ?? undefined,
    }))
    .sort((a, b) => b.created.localeCompare(a.created));
}

async function tagImage(docker: Docker, ref: string, repo: string, tag: string): Promise<void> {
  try {
    await docker.getImage(ref).tag({ repo, tag });
  } catch (err) {
    throw engineError(`cannot tag ${ref} as ${repo}:${tag}`, err);
  }
}

function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; reason?: string; message?: string };
  return e?.json?.message ?? e?.message ?? String(err);
}

function engineError(what: string, err: unknown): SandboxError {
  return new SandboxError(`${what}: ${engineMessage(err)}`, 'Check that the Docker engine is running and healthy (`codecell sandbox status`).', 'engine_error');
}
