import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Where `npm run build` (scripts/build-ui.mjs) writes the bundled page: ui/dist at the repository root,
 * two levels above this file both as TypeScript (src/ui) and compiled (dist/ui).
 */
export const UI_DIST_DIR = path.resolve(__dirname, '../../ui/dist');

/** The page's entry file, answered at /ui and /ui/. */
export const UI_INDEX = 'index.html';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface UiAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** A strong validator of the content, so a browser revalidates with a 304 instead of downloading again. */
  readonly etag: string;
}

/**
 * The built page's files, read once at start: a handful of small files, so
 * answering from memory is simpler than a static-file plugin and never
 * touches the disk per request. Only files of a known type at the top of
 * ui/dist are served; names are matched exactly, so no path ever reaches the
 * file system from a URL.
 */
export class UiAssets {
  private constructor(
    private readonly files: ReadonlyMap<string, UiAsset>,
    /** Why nothing is served (the page was not built), or undefined. */
    readonly missingReason: string | undefined,
  ) {}

  static load(dir: string = UI_DIST_DIR): UiAssets {
    let names: string[];
    try {
      names = readdirSync(dir, { withFileTypes: true })
        .filter((entry) => entry.isFile() && CONTENT_TYPES[path.extname(entry.name)] !== undefined)
        .map((entry) => entry.name);
    } catch {
      names = [];
    }
    const files = new Map<string, UiAsset>();
    for (const name of names) {
      const body = readFileSync(path.join(dir, name));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      files.set(name, { body, contentType: CONTENT_TYPES[path.extname(name)], etag });
    }
    const missing = files.has(UI_INDEX) ? undefined : `the playground is not built (no ${path.join(dir, UI_INDEX)}): run npm run build`;
    return new UiAssets(files, missing);
  }

  get(name: string): UiAsset | undefined {
    return this.files.get(name);
  }

  get names(): string[] {
    return [...this.files.keys()];
  }
}
