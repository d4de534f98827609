/** A multipart/form-data body as a browser or curl would send it, for `inject`. */
export async function multipartBody(
  files: Array<{ field?: string; filename: string; data: Buffer | string; type?: string }>,
  fields: Record<string, string> = {},
): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const file of files) {
    form.append(file.field ?? 'image', new Blob([file.data], { type: file.type ?? 'application/octet-stream' }), file.filename);
  }
  const response = new Response(form);
  return {
    payload: Buffer.from(await response.arrayBuffer()),
    headers: { 'content-type': response.headers.get('content-type')! },
  };
}
