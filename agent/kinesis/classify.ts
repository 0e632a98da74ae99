import type { ErrorCode } from '../core/errors.ts';
import { KinesisServiceError } from '../core/errors.ts';

interface Rule {
  readonly code: ErrorCode;
  readonly retryable: boolean;
}

/** Service error names (request-level `name`, or a PutRecords entry's `ErrorCode`) → our codes. */
const RULES: Readonly<Record<string, Rule>> = {
  ProvisionedThroughputExceededException: { code: 'E_THROTTLED', retryable: true },
  ThrottlingException: { code: 'E_THROTTLED', retryable: true },
  LimitExceededException: { code: 'E_THROTTLED', retryable: true },
  KMSThrottlingException: { code: 'E_KMS_THROTTLED', retryable: true },
  InternalFailure: { code: 'E_INTERNAL_FAILURE', retryable: true },
  InternalFailureException: { code: 'E_INTERNAL_FAILURE', retryable: true },
  ServiceUnavailable: { code: 'E_SERVICE_UNAVAILABLE', retryable: true },
  ServiceUnavailableException: { code: 'E_SERVICE_UNAVAILABLE', retryable: true },
  ResourceNotFoundException: { code: 'E_STREAM_NOT_FOUND', retryable: false },
  AccessDeniedException: { code: 'E_ACCESS_DENIED', retryable: false },
  UnrecognizedClientException: { code: 'E_ACCESS_DENIED', retryable: false },
  InvalidSignatureException: { code: 'E_ACCESS_DENIED', retryable: false },
  IncompleteSignature: { code: 'E_ACCESS_DENIED', retryable: false },
  MissingAuthenticationToken: { code: 'E_ACCESS_DENIED', retryable: false },
  // Expired temporary credentials: the default provider chain fetches new ones, so a later attempt may succeed.
  ExpiredTokenException: { code: 'E_EXPIRED_TOKEN', retryable: true },
  InvalidArgumentException: { code: 'E_INVALID_ARGUMENT', retryable: false },
  ValidationException: { code: 'E_INVALID_ARGUMENT', retryable: false },
  SerializationException: { code: 'E_INVALID_ARGUMENT', retryable: false },
  ResourceInUseException: { code: 'E_SERVICE_UNAVAILABLE', retryable: true },
  KMSDisabledException: { code: 'E_KMS', retryable: false },
  KMSInvalidStateException: { code: 'E_KMS', retryable: false },
  KMSAccessDeniedException: { code: 'E_KMS', retryable: false },
  KMSNotFoundException: { code: 'E_KMS', retryable: false },
  KMSOptInRequired: { code: 'E_KMS', retryable: false },
};

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ECONNABORTED',
  'ERR_HTTP2_STREAM_CANCEL',
  'ERR_HTTP2_ERROR',
]);

/** A failed PutRecords entry (`ErrorCode`, `ErrorMessage`) as a typed, classified error. */
export function classifyEntryError(serviceCode: string, message: string | undefined): KinesisServiceError {
  const rule = RULES[serviceCode] ?? { code: 'E_UNKNOWN_SERVICE_ERROR', retryable: true };
  return new KinesisServiceError(rule.code, serviceCode, `${serviceCode}: ${message ?? 'no message'}`, rule.retryable);
}

/** Anything a `client.send` rejected with, as a typed, classified error. Unknown errors are retryable (the record TTL bounds them). */
export function classifyRequestError(err: unknown): KinesisServiceError {
  const e = (err ?? {}) as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    $fault?: string;
  };
  const name = e.name ?? 'Error';
  const message = e.message ?? String(err);
  const rule = RULES[name];
  if (rule) return new KinesisServiceError(rule.code, name, `${name}: ${message}`, rule.retryable, err);
  if (name === 'TimeoutError' || e.code === 'ETIMEDOUT' || name === 'RequestTimeout' || /timed? ?out/i.test(message)) {
    return new KinesisServiceError('E_TIMEOUT', name, `request timed out: ${message}`, true, err);
  }
  if ((e.code && NETWORK_CODES.has(e.code)) || /socket hang up|ECONNRESET|ECONNREFUSED|EPIPE/.test(message)) {
    return new KinesisServiceError('E_NETWORK', e.code ?? name, `network error: ${message}`, true, err);
  }
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) {
    return new KinesisServiceError('E_SERVICE_UNAVAILABLE', name, `HTTP ${status}: ${message}`, true, err);
  }
  if (status === 403 || status === 401) {
    return new KinesisServiceError('E_ACCESS_DENIED', name, `HTTP ${status}: ${message}`, false, err);
  }
  if (status !== undefined && status >= 400 && e.$fault === 'client') {
    return new KinesisServiceError('E_INVALID_ARGUMENT', name, `HTTP ${status} ${name}: ${message}`, false, err);
  }
  return new KinesisServiceError('E_UNKNOWN_SERVICE_ERROR', name, `${name}: ${message}`, true, err);
}
