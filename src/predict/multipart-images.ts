import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { DomainError, InvalidInputError } from '../common/errors/domain-error';
import type { UploadedImage } from './image-preprocessing';

export const IMAGE_FIELD = 'image';

/** @fastify/multipart's refusals, in words that say which setting was hit. */
const MULTIPART_LIMITS: Record<string, string> = {
  FST_REQ_FILE_TOO_LARGE: 'an uploaded file is larger than the upload limit (MAX_UPLOAD_BYTES)',
  FST_FILES_LIMIT: 'too many files in one request (MAX_FILES_PER_REQUEST)',
  FST_PARTS_LIMIT: 'too many parts in one multipart request',
  FST_FIELDS_LIMIT: 'too many form fields in one multipart request',
};

/** The images of a multipart request, read when called, all together bounded by `maxTotalBytes` (see readImageParts). */
export type ImageUploads = (maxTotalBytes: number) => Promise<UploadedImage[]>;

/**
 * Reads every file of a multipart request into memory (each bounded by the
 * upload limit, all together by `maxTotalBytes`, so that one request holds
 * at most that much memory), in upload order. Parts in other fields are
 * drained and reported, so the client learns the field name to use.
 */
export async function readImageParts(request: FastifyRequest, maxTotalBytes: number): Promise<UploadedImage[]> {
  const images: UploadedImage[] = [];
  const problems: string[] = [];
  let totalBytes = 0;
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file') {
        problems.push(`unexpected form field "${part.fieldname}"; send images as files in the field "${IMAGE_FIELD}"`);
        continue;
      }
      if (part.fieldname !== IMAGE_FIELD) {
        part.file.resume();
        problems.push(`unexpected file field "${part.fieldname}"; send images in the field "${IMAGE_FIELD}"`);
        continue;
      }
      const image = { filename: part.filename || `upload ${images.length}`, data: await part.toBuffer() };
      totalBytes += image.data.length;
      if (totalBytes > maxTotalBytes) {
        throw new DomainError('PAYLOAD_TOO_LARGE', `the uploaded files together are larger than ${maxTotalBytes} bytes (MAX_UPLOAD_TOTAL_BYTES)`);
      }
      images.push(image);
    }
  } catch (error) {
    if (error instanceof DomainError) throw error;
    const code = (error as { code?: string }).code ?? '';
    if (code in MULTIPART_LIMITS) throw new DomainError('PAYLOAD_TOO_LARGE', MULTIPART_LIMITS[code]);
    throw new DomainError('BAD_REQUEST', `malformed multipart body: ${(error as Error).message}`);
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  if (images.length === 0) throw new InvalidInputError([`no image: send one or more files in the field "${IMAGE_FIELD}"`]);
  return images;
}
