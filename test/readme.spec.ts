import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keysFileContent, SecretVolume } from './support/auth';
import { multipartBody } from './support/multipart';
import { useTestApp } from './support/test-app';

interface Example {
  /** The page it is on, relative to the repository root: README.md or docs/<page>.md. */
  file: string;
  command: string;
  expected: unknown;
}

const ROOT = path.resolve(__dirname, '..');

/** The README and every page under docs/, in a fixed order. */
function documentationPages(): string[] {
  const pages = readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...pages];
}

/** Every ```sh block holding one curl command directly followed by a ```json block, in every page. */
function documentationExamples(): Example[] {
  const pattern = /```sh\n(curl [^\n]+)\n```\n```json\n([\s\S]*?)\n```/g;
  return documentationPages().flatMap((file) =>
    [...readFileSync(path.join(ROOT, file), 'utf8').matchAll(pattern)].map((match) => ({
      file,
      command: match[1],
      expected: JSON.parse(match[2]),
    })),
  );
}

/** Splits a command line the way a shell would for the quoting the documentation uses (single quotes). */
function shellWords(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2]);
}

function toRequest(command: string) {
  const words = shellWords(command).slice(1);
  const headers: Record<string, string> = {};
  let method: string | undefined;
  let payload: string | undefined;
  let url = '';
  const files: Array<{ field: string; path: string }> = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === '-s' || word === '-i') continue;
    if (word === '-H') {
      const [name, ...value] = words[++i].split(':');
      headers[name.trim().toLowerCase()] = value.join(':').trim();
    } else if (word === '-d') {
      payload = words[++i];
    } else if (word === '-F') {
      const [field, value] = words[++i].split('=');
      files.push({ field, path: value.replace(/^@/, '') });
    } else if (word === '-X') {
      method = words[++i];
    } else if (word.startsWith('localhost:3000')) {
      url = word.slice('localhost:3000'.length);
    } else {
      throw new Error(`documentation curl example uses an option this test does not understand: ${word}`);
    }
  }
  // Like curl: -X wins, else -d or -F means POST.
  const posts = payload !== undefined || files.length > 0;
  return { method: (method ?? (posts ? 'POST' : 'GET')) as 'GET' | 'POST', url, headers, payload, files };
}

/** `-F field=@file` parts as curl sends them, files relative to the repository root. */
async function withUploads(request: ReturnType<typeof toRequest>) {
  if (request.files.length === 0) return request;
  const { payload, headers } = await multipartBody(
    request.files.map(({ field, path: file }) => ({ field, filename: path.basename(file), data: readFileSync(path.resolve(__dirname, '..', file)) })),
  );
  return { ...request, payload, headers: { ...request.headers, ...headers } };
}

/** The page whose examples send credentials: run against a service with PREDICT_AUTH=keys and its example keys. */
const AUTH_PAGE = 'docs/authentication.md';
const EXAMPLE_KEYS = keysFileContent([
  { id: 'team-iris', key: 'iris-team-example-key-7Hq2xW9pLm4vRt8s', models: ['iris'] },
  { id: 'ops', key: 'ops-example-key-Z3kN8bV1cX6mQ4wE', models: ['*'] },
]);

describe('documentation examples (README.md and docs/*.md)', () => {
  const server = useTestApp({ models: ['iris', 'digits'], env: { ADMIN_TOKEN: 'change-me-to-a-long-secret' } });
  const keys = new SecretVolume(EXAMPLE_KEYS);
  afterAll(() => keys.remove());
  const authServer = useTestApp({ models: ['iris', 'digits'], env: { PREDICT_AUTH: 'keys', API_KEYS_FILE: keys.file } });
  const examples = documentationExamples();

  it('has curl examples to check', () => {
    // 24 today (the README's two repeat examples of docs/api.md and docs/open-inference-protocol.md):
    // an example lost in an edit, or a page whose examples no longer match the pattern, fails here.
    expect(examples.length).toBeGreaterThanOrEqual(24);
    expect([...new Set(examples.map((example) => example.file))]).toEqual(
      expect.arrayContaining(['README.md', 'docs/api.md', 'docs/authentication.md', 'docs/drift.md', 'docs/open-inference-protocol.md', 'docs/operations.md']),
    );
  });

  it.each(examples.map((example) => [example.file, example.command, example] as const))('%s: %s', async (_file, _command, example) => {
    const { files: _files, ...request } = await withUploads(toRequest(example.command));
    const response = await (example.file === AUTH_PAGE ? authServer : server).app.inject(request);
    // The answer holds at least what the page shows; floats within a float32 tolerance (the pages'
    // numbers came from one machine, onnxruntime and sharp round the last bits differently on others),
    // labels, classes, shapes, strings and integers exactly.
    expect(response.json()).toMatchModelOutput(example.expected, { subset: true });
  });
});

describe('README.md', () => {
  const root = path.resolve(__dirname, '..');
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

  it('stays a newcomer\'s page: about 300 lines at most', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
  });

  it('links every page of docs/', () => {
    const pages = readdirSync(path.join(root, 'docs')).filter((file) => file.endsWith('.md'));
    expect(pages.filter((page) => !readme.includes(`(docs/${page}`))).toEqual([]);
  });
});
