import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AdminTokenGuard } from './admin-token.guard';

/**
 * A controller of the admin API: behind ADMIN_TOKEN (AdminTokenGuard), and documented so in the
 * OpenAPI document. `notFound` says what else than a disabled admin API answers 404 on its routes.
 */
export function AdminApi(notFound: string): ClassDecorator {
  return applyDecorators(
    ApiTags('admin'),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'No bearer token' }),
    ApiForbiddenResponse({ description: 'Wrong bearer token' }),
    ApiNotFoundResponse({ description: `Admin API disabled (ADMIN_TOKEN unset), or ${notFound}` }),
    UseGuards(AdminTokenGuard),
  );
}
