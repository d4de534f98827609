// The layering of src/, checked by test/architecture/layering.spec.ts (in `npm test`) and by hand with
// `npx depcruise src --config .dependency-cruiser.cjs`. docs/architecture.md says what each folder holds.
//
// LAYERS lists the folders of src/ from the bottom up. A folder imports only from folders of lower
// layers; folders of one layer are independent of each other. The files at the root of src/ (main.ts,
// app.module.ts, ...) wire everything together and are imported by nothing below them. Inside common/,
// the same rule holds between its own folders (COMMON_LAYERS). No files import each other in a loop.
const LAYERS = [
  ['common'],
  ['config'],
  ['lifecycle', 'cluster', 'object-storage'],
  ['inference'],
  ['model-registry'],
  ['request-context'],
  ['observability', 'model-summary'],
  ['serving', 'health', 'auth'],
  ['predict', 'inference-protocol', 'drift', 'shadow', 'admin', 'ui'],
  ['prediction-log', 'grpc'],
];
const COMMON_LAYERS = [['errors'], ['validation'], ['http']];

const ROOT_FILES = '^src/[^/]+\\.ts$';
const LISTED = `^src/(${[...LAYERS.flat(), ...COMMON_LAYERS.flat().map((folder) => `common/${folder}`)].join('|')})/`;

/** One rule per folder: nothing of its own layer or above, except itself. */
function layerRules(layers, base) {
  return layers.flatMap((layer, rank) =>
    layer.map((folder) => {
      const notBelow = layers.slice(rank).flat().filter((other) => other !== folder);
      return {
        name: `layer:${base}${folder}`,
        comment: `${base}${folder}/ imports only from folders below its layer (${layers.slice(0, rank).flat().join(', ') || 'none'})`,
        severity: 'error',
        from: { path: `^src/${base}${folder}/` },
        to: { path: notBelow.length > 0 ? `^src/${base}(${notBelow.join('|')})/` : '^$' },
      };
    }),
  );
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Files that import each other in a loop, directly or through others',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'layer:root',
      comment: "The root files of src/ wire the folders together; no folder imports them",
      severity: 'error',
      from: { path: '^src/[^/]+/' },
      to: { path: ROOT_FILES },
    },
    {
      name: 'layer:common-outside',
      comment: 'common/ is the ground floor: it imports no other folder of src/',
      severity: 'error',
      from: { path: '^src/common/' },
      to: { path: '^src/', pathNot: '^src/common/' },
    },
    ...layerRules(LAYERS.slice(1), ''),
    ...layerRules(COMMON_LAYERS, 'common/'),
    {
      name: 'layer:unlisted-folder',
      comment: 'Every folder of src/ has its place in LAYERS (.dependency-cruiser.cjs): nothing imports one that has not',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/[^/]+/', pathNot: LISTED },
    },
    {
      name: 'layer:unlisted-folder-imports',
      comment: 'Every folder of src/ has its place in LAYERS (.dependency-cruiser.cjs): one that has not imports nothing of src/',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: LISTED },
      to: { path: '^src/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['\\.spec\\.ts$', '\\.d\\.ts$'] },
    // Type-only imports couple folders as much as any other.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6', 'cjs'],
  },
};
