import { describe, expect, it } from 'vitest';
import { repositoryLayout, versionFingerprint } from './s3-repository-layout';

const object = (key: string, etag = 'e') => ({ key, etag, size: 1 });

describe('repositoryLayout', () => {
  it('reads keys as a directory would be read: folder markers, hidden names and deeper keys', () => {
    const { models, skipped } = repositoryLayout(
      [
        object('p/b/'), // a console's "folder": the model exists, with no version
        object('p/a/2/model.onnx', 'a2'),
        object('p/a/2/manifest.json', 'm2'),
        object('p/a/2/extra/model.onnx'), // deeper than a version's files
        object('p/a/1/'), // an empty version folder: listed, and fails to load as locally
        object('p/a/.staging/model.onnx'),
        object('p/a/config.json', 'c'),
        object('p/a/notes.txt'),
        object('p/.trash/1/model.onnx'),
        object('p/-bad/1/model.onnx'),
        object('p/README.md'),
      ],
      'p/',
    );
    expect(models).toEqual([
      { name: 'a', config: object('p/a/config.json', 'c'), versions: [{ version: 1 }, { version: 2, model: object('p/a/2/model.onnx', 'a2'), manifest: object('p/a/2/manifest.json', 'm2') }] },
      { name: 'b', versions: [] },
    ]);
    expect(skipped).toEqual([
      { entry: 'a/notes.txt', reason: 'a version folder must be a positive integer' },
      { entry: '-bad', reason: 'not a valid model name' },
    ]);
    expect(models[0].versions.map(versionFingerprint)).toEqual(['none|none', 'a2|m2']);
  });

  it('orders versions numerically and takes "01" for no version', () => {
    const { models, skipped } = repositoryLayout([object('m/10/model.onnx'), object('m/9/model.onnx'), object('m/01/model.onnx')], '');
    expect(models[0].versions.map((v) => v.version)).toEqual([9, 10]);
    expect(skipped).toEqual([{ entry: 'm/01', reason: 'a version folder must be a positive integer' }]);
  });
});
