import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { multipartBody } from './support/multipart';
import { useTestApp } from './support/test-app';

interface Example {
  command: string;
  expected: unknown;
}

/** Every ```sh block holding one curl command directly followed by a ```json block. */
function readmeExamples(): Example[] {
  const readme = readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');
  const pattern = /```sh\n(curl [^\n]+)\n```\n```json\n([\s\S]*?)\n```/g;
  return [...readme.matchAll(pattern)].map((match) => ({ command: match[1], expected: JSON.parse(match[2]) }));
}

/** Splits a command line the way a shell would for the quoting the README uses (single quotes). */
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
      throw new Error(`README curl example uses an option this test does not understand: ${word}`);
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

describe('README examples', () => {
  const server = useTestApp({ models: ['iris', 'digits'], env: { ADMIN_TOKEN: 'change-me-to-a-long-secret' } });
  const examples = readmeExamples();

  it('has curl examples to check', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
  });

  it.each(examples.map((example) => [example.command, example] as const))('%s', async (_command, example) => {
    const { files: _files, ...request } = await withUploads(toRequest(example.command));
    const response = await server.app.inject(request);
    // The answer holds at least what the README shows; floats within a float32 tolerance (the README's
    // numbers came from one machine, onnxruntime and sharp round the last bits differently on others),
    // labels, classes, shapes, strings and integers exactly.
    expect(response.json()).toMatchModelOutput(example.expected, { subset: true });
  });
});
