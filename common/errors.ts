/**
 * Error kinds that decide retries. Temporal retries any other error per the activity's retry policy;
 * these two are final: retrying cannot fix a bad URL, a refused address or a corrupt file.
 */
import { ApplicationFailure } from '@temporalio/common';

/** The request's input cannot be used (unreachable host, 404, refused address, too large, ...). */
export function badInput(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'BadInput', nonRetryable: true, details: details === undefined ? [] : [details] });
}

/** The input was fetched but is not valid media (not an image, truncated, silent, too many pixels). */
export function badMedia(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'BadMedia', nonRetryable: true, details: details === undefined ? [] : [details] });
}

export const NON_RETRYABLE_TYPES = ['BadInput', 'BadMedia'];
