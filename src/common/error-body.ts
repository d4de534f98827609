import { STATUS_CODES } from 'node:http';

/** The one error shape of the /v1 API and the service's own routes. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: readonly string[];
}

export function errorBody(statusCode: number, message: string, details?: readonly string[]): ErrorBody {
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message,
    ...(details && details.length > 1 ? { details } : {}),
  };
}
