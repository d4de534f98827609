import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { IMAGE_FIELD } from './predict/multipart-images';

export const DOCS_PATH = 'docs';

/** Swagger UI at /docs and the OpenAPI document at /docs-json. */
export function setUpSwagger(app: INestApplication, version: string): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('ONNX model server')
      .setDescription(
        'Versioned ONNX models over REST. Pick a version per request with the X-Model-Version header ' +
          '(a number or a label such as "stable"); every model response says which version served it.',
      )
      .setVersion(version)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN, for the admin API only' })
      .build(),
  );
  documentImageUpload(document);
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: `${DOCS_PATH}-json` });
}

/**
 * The predict route takes JSON or an upload; decorators give both media types
 * the JSON schema, so the multipart one is replaced by a binary file field,
 * which makes "Try it out" show a file picker.
 */
function documentImageUpload(document: OpenAPIObject): void {
  const content = document.paths['/v1/models/{name}/predict']?.post?.requestBody;
  if (!content || !('content' in content)) return;
  content.content['multipart/form-data'] = {
    schema: {
      type: 'object',
      required: [IMAGE_FIELD],
      properties: {
        [IMAGE_FIELD]: {
          type: 'string',
          format: 'binary',
          description:
            'An image (PNG, JPEG, WebP or GIF) for models with image preprocessing, e.g. digits. ' +
            'Repeat the field to send several images in one batch.',
        },
      },
    },
  };
}
