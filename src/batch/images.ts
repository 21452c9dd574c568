// Puts the sandbox image on every batch engine: already there, copied from the first engine (save → load), or built.
import type Docker from 'dockerode';
import { findImage, type ProgressListener } from '../sandbox/image.js';
import { resolveSandboxImage, type InstalledPackages, type SandboxImage } from '../sandbox/derived.js';
import type { ExtraPackages } from '../sandbox/extras.js';
import { SandboxError } from '../sandbox/types.js';

export interface ImageEngine {
  url: string;
  docker: Docker;
}

/**
 * Streams `ref` out of one engine (`docker save`) into another (`docker load`) through the API,
 * so a remote engine needs neither a registry nor a Debian mirror. Resolves when `ref` is on `to`.
 */
export async function copyImage(from: Docker, to: Docker, ref: string): Promise<void> {
  const tar = (await from.getImage(ref).get()) as NodeJS.ReadableStream;
  const reply = (await to.loadImage(tar, { quiet: true })) as NodeJS.ReadableStream;
  // The load answer is a JSON stream; a failure arrives as {"error": ...} inside a 200 reply.
  const text = await new Promise<string>((resolve, reject) => {
    let body = '';
    reply.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    reply.on('end', () => resolve(body));
    reply.on('error', reject);
    tar.on('error', reject);
  });
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let message: { error?: string; errorDetail?: { message?: string } };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      continue;
    }
    const error = message.errorDetail?.message ?? message.error;
    if (error) throw new SandboxError(`loading ${ref} into the engine failed: ${error}`, 'Check the free disk space of that engine.', 'no_image');
  }
  if (!(await findImage(to, ref))) throw new SandboxError(`loaded ${ref} but the engine does not list it`, "Retry; check that engine's logs.", 'no_image');
}

export interface EnsuredOn {
  url: string;
  how: 'present' | 'copied' | 'built' | 'failed';
  ms: number;
  /** Why the image could not be put there (the engine is then left out of the batch). */
  error?: string;
}

interface EverywhereOptions {
  image?: string;
  /** Extra packages: a derived image is built on the first engine and copied like the base. */
  extras?: ExtraPackages;
  onProgress?: ProgressListener;
  onNote?: (text: string) => void;
}

/**
 * The first engine gets the image the usual way (resolveSandboxImage: build when missing, or the named
 * image, plus the derived image when extra packages are configured);
 * a failure there is fatal. Every other engine is checked for the same ref; when missing it is copied
 * from the first engine, and only when that fails built there. Copying first is deliberate: building
 * needs a registry or a Debian mirror reachable from that engine, copying only the API connection.
 * An engine that ends up without the image is reported as `failed`, not thrown: the batch runs on the rest.
 */
export async function ensureImageEverywhere(
  engines: ImageEngine[],
  options: EverywhereOptions = {},
): Promise<{ ref: string; packages?: InstalledPackages; report: EnsuredOn[] }> {
  const [first, ...rest] = engines;
  if (!first) throw new Error('no engines');
  const report: EnsuredOn[] = [];
  const started = Date.now();
  if (options.image && !(await findImage(first.docker, options.image))) {
    throw new SandboxError(`the image ${options.image} is not on ${first.url}`, `Pull or build it there, or drop --image.`, 'no_image');
  }
  const ensured = await resolveOnEngine(first.docker, options);
  const ref = ensured.ref;
  report.push({ url: first.url, how: ensured.built ? 'built' : 'present', ms: Date.now() - started });
  // One copy at a time: each is a full image stream through this process.
  for (const engine of rest) {
    const t0 = Date.now();
    try {
      report.push({ url: engine.url, how: await putImage(first, engine, ref, options), ms: Date.now() - t0 });
    } catch (err) {
      report.push({ url: engine.url, how: 'failed', ms: Date.now() - t0, error: (err as Error).message });
    }
  }
  return { ref, ...(ensured.packages ? { packages: ensured.packages } : {}), report };
}

function resolveOnEngine(docker: Docker, options: EverywhereOptions): Promise<SandboxImage> {
  return resolveSandboxImage(docker, {
    ...(options.image ? { image: options.image } : {}),
    ...(options.extras ? { extras: options.extras } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}

async function putImage(first: ImageEngine, engine: ImageEngine, ref: string, options: EverywhereOptions): Promise<'present' | 'copied' | 'built'> {
  if (await findImage(engine.docker, ref)) return 'present';
  options.onNote?.(`copying ${ref} from ${first.url} to ${engine.url}`);
  try {
    await copyImage(first.docker, engine.docker, ref);
    return 'copied';
  } catch (err) {
    if (options.image) throw err;
    options.onNote?.(`copying to ${engine.url} failed (${(err as Error).message}); building there instead`);
  }
  // A derived image builds there from that engine's own base (copying the base is not tried again).
  const built = await resolveOnEngine(engine.docker, options);
  if (built.ref !== ref) {
    // A derived image's tag hashes its base's id, and two engines' own builds of the base differ.
    const fix = built.packages
      ? 'The copy is what makes the images equal: fix what made it fail (free disk space on that engine, the connection), then retry.'
      : 'Use the same codecell version for every engine.';
    throw new SandboxError(`${engine.url} built ${built.ref}, not ${ref}`, fix, 'no_image');
  }
  return 'built';
}
