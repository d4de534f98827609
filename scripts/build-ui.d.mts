/** Bundles the playground page (ui/src -> ui/dist) with esbuild; see scripts/build-ui.mjs. */
export declare const UI_SRC: string;
export declare const UI_DIST: string;
export declare function inputsHash(): string;
export declare function isCurrent(hash?: string): boolean;
/** The files written (name -> bytes), or undefined when ifStale and ui/dist was current. */
export declare function buildUi(options?: { ifStale?: boolean }): Promise<Record<string, number> | undefined>;
