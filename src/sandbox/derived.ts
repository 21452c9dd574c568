// Derived sandbox images: the sandbox image plus the user's Debian and pip packages, built once per base and package list.
import type Docker from 'dockerode';
import { derivedContext } from './derived-context.js';
import { displaySpec, hasExtras, type ExtraPackages } from './extras.js';
import { buildImageFromFiles, ensureImage, findImage, type EnsuredImage, type ProgressListener } from './image.js';
import { explainPackageFailure } from './package-errors.js';
import { SandboxError } from './types.js';

export const DERIVED_REPO = 'codecell-sandbox-extra';
/** The tag hash, on the image too (a tag can be moved, a label cannot). */
export const LABEL_EXTRAS = 'dev.codecell.extras';
/** JSON arrays of what the image adds: Debian names, and pip specs as people read them. */
export const LABEL_APT = 'dev.codecell.apt';
export const LABEL_PIP = 'dev.codecell.pip';
/** The image it was built FROM, by reference and by id (a rebuilt base makes it stale). */
export const LABEL_BASE = 'dev.codecell.base';
export const LABEL_BASE_ID = 'dev.codecell.base-id';

/** What a derived image adds, in the form its labels record. */
export interface InstalledPackages {
  apt: string[];
  pip: string[];
}

/** The image sandboxes run, and what it adds to codecell's own. */
export interface SandboxImage extends EnsuredImage {
  /** The image it was built FROM; the image itself when it adds nothing. */
  base: string;
  /** Extra packages, when the image is a derived one. */
  packages?: InstalledPackages;
}

export interface DerivedOptions {
  onProgress?: ProgressListener;
  /** Rebuild without the layer cache even when the image exists. */
  force?: boolean;
}

function jsonList(value: string | undefined): string[] {
  try {
    const parsed = JSON.parse(value ?? '[]') as unknown;
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** The packages a derived image records in its labels; undefined for any other image. */
export function packagesOf(labels: Record<string, string> | null | undefined): InstalledPackages | undefined {
  if (!labels?.[LABEL_EXTRAS]) return undefined;
  return { apt: jsonList(labels[LABEL_APT]), pip: jsonList(labels[LABEL_PIP]) };
}

export function shownPackages(extras: ExtraPackages): InstalledPackages {
  return { apt: [...extras.apt], pip: extras.pip.map(displaySpec) };
}

/** One line for status and notes: "apt: python3-networkx; pip: tinycell-0.1-py3-none-any.whl". */
export function describePackages(packages: InstalledPackages): string {
  const parts = [];
  if (packages.apt.length) parts.push(`apt: ${packages.apt.join(' ')}`);
  if (packages.pip.length) parts.push(`pip: ${packages.pip.join(' ')}`);
  return parts.join('; ') || 'none';
}

async function labelsOf(docker: Docker, ref: string): Promise<Record<string, string>> {
  try {
    return (await docker.getImage(ref).inspect()).Config?.Labels ?? {};
  } catch {
    return {};
  }
}

/** The tag the derived image of `base` with `extras` has (or would have); reads local wheels and folders to hash them. */
export function derivedRef(baseId: string, extras: ExtraPackages): string {
  return `${DERIVED_REPO}:${derivedContext(extras, baseId).hash}`;
}

/**
 * Builds `base` + `extras` unless that image exists (then one inspect call and no build work). A failed
 * build tags nothing, so whatever image worked before is still there; the error carries apt's or pip's
 * own lines and a fix.
 */
export async function ensureDerivedImage(
  docker: Docker,
  base: { ref: string; id: string },
  extras: ExtraPackages,
  options: DerivedOptions = {},
): Promise<SandboxImage> {
  const started = Date.now();
  const { onProgress } = options;
  const context = derivedContext(extras, base.id);
  const ref = `${DERIVED_REPO}:${context.hash}`;
  const packages = shownPackages(extras);
  if (!options.force) {
    const found = await findImage(docker, ref);
    if (found) {
      onProgress?.({ type: 'done', ref, id: found.id, built: false, ms: Date.now() - started });
      return { ref, id: found.id, built: false, base: base.ref, packages };
    }
  }
  onProgress?.({ type: 'phase', text: `building ${ref} from ${base.ref} with ${describePackages(packages)}` });
  // The failing step's own output, to find apt's or pip's error lines in.
  let step: string | undefined;
  let lines: string[] = [];
  const listen: ProgressListener = (progress) => {
    if (progress.type === 'step') {
      step = progress.text;
      lines = [];
    } else if (progress.type === 'output') {
      lines.push(progress.text);
      if (lines.length > 400) lines.shift();
    }
    onProgress?.(progress);
  };
  let id: string;
  try {
    ({ id } = await buildImageFromFiles(docker, context.files, {
      tag: ref,
      // The Dockerfile's one LABEL line turns these into LABEL_EXTRAS, LABEL_APT, LABEL_PIP, LABEL_BASE and LABEL_BASE_ID.
      buildargs: {
        BASE: base.ref,
        CODECELL_EXTRAS: context.hash,
        CODECELL_APT: JSON.stringify(packages.apt),
        CODECELL_PIP: JSON.stringify(packages.pip),
        CODECELL_BASE: base.ref,
        CODECELL_BASE_ID: base.id,
      },
      nocache: options.force,
      onProgress: listen,
      what: `the build of ${ref}`,
    }));
  } catch (err) {
    if (err instanceof SandboxError && err.code === 'build_failed') {
      const explained = explainPackageFailure(lines, step);
      if (explained) throw new SandboxError(explained.message, explained.fix, 'build_failed');
    }
    throw err;
  }
  onProgress?.({ type: 'done', ref, id, built: true, ms: Date.now() - started });
  return { ref, id, built: true, base: base.ref, packages };
}

export interface ResolveImageOptions extends DerivedOptions {
  /** An image chosen by the user (--image, CODECELL_IMAGE, the image key); default: codecell's own. */
  image?: string;
  extras?: ExtraPackages;
  env?: NodeJS.ProcessEnv;
  /** Base image for building codecell's own image when it is missing (`sandbox build --base`). */
  from?: string;
}

/**
 * The image sandboxes run: the chosen (or codecell's own, built when missing) image, plus a derived
 * image on top when extra packages are configured. A chosen image that is already a derived one with
 * every requested package is used as it is (`--image $(codecell sandbox build --pip …)`).
 */
export async function resolveSandboxImage(docker: Docker, options: ResolveImageOptions = {}): Promise<SandboxImage> {
  const { onProgress } = options;
  let base: EnsuredImage;
  if (options.image) {
    const found = await findImage(docker, options.image);
    if (!found) {
      throw new SandboxError(
        `the sandbox image ${options.image} is not on the Docker engine`,
        'Build it with `codecell sandbox build` (or pull it), or drop --image / the image key.',
        'no_image',
      );
    }
    base = { ref: options.image, id: found.id, built: false };
  } else {
    base = await ensureImage(docker, {
      ...(onProgress ? { onProgress } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.from ? { base: options.from } : {}),
    });
  }
  const own = packagesOf(await labelsOf(docker, base.ref));
  if (!hasExtras(options.extras)) return { ...base, base: base.ref, ...(own ? { packages: own } : {}) };
  const wanted = shownPackages(options.extras);
  if (own && wanted.apt.every((p) => own.apt.includes(p)) && wanted.pip.every((p) => own.pip.includes(p))) {
    return { ...base, base: base.ref, packages: own };
  }
  return ensureDerivedImage(docker, base, options.extras, options);
}
