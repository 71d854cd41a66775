// Reads a small JSON request body with a hard size limit: the observer's actions are a few dozen bytes, and a
// local page must not be able to make the host buffer megabytes.
import type { IncomingMessage } from 'node:http';
import type { Refusal } from './refusal.js';

/** What reading a body gave: the parsed value, or why it was refused. */
export type BodyResult =
  | { readonly kind: 'parsed'; readonly value: unknown }
  | { readonly kind: 'refused'; readonly refusal: Refusal };

function tooLarge(limitBytes: number, got: string): BodyResult {
  return {
    kind: 'refused',
    refusal: {
      status: 413,
      code: 'ERR_OBSERVER_BODY_TOO_LARGE',
      message: `request bodies are limited to ${limitBytes} bytes`,
      expected: `at most ${limitBytes} bytes`,
      got,
    },
  };
}

/** Read and parse `req`'s JSON body, refusing a non-JSON type, a body over `limitBytes`, or malformed JSON. */
export function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<BodyResult> {
  const contentType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    return Promise.resolve({
      kind: 'refused',
      refusal: {
        status: 415,
        code: 'ERR_OBSERVER_UNSUPPORTED_MEDIA_TYPE',
        message: 'send the action as JSON',
        expected: 'Content-Type: application/json',
        got: contentType ?? 'no Content-Type',
      },
    });
  }
  const declared = Number(req.headers['content-length']);
  if (declared > limitBytes) return Promise.resolve(tooLarge(limitBytes, `Content-Length: ${declared}`));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) {
        chunks.push(chunk);
        return;
      }
      // Stop buffering; the caller answers 413 and closes the connection, which ends the upload.
      req.off('data', onData);
      req.off('end', onEnd);
      resolve(tooLarge(limitBytes, `more than ${limitBytes} bytes`));
    };
    const onEnd = () => {
      try {
        resolve({ kind: 'parsed', value: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      } catch (error) {
        resolve({
          kind: 'refused',
          refusal: {
            status: 400,
            code: 'ERR_OBSERVER_BAD_JSON',
            message: 'the request body is not valid JSON',
            got: error instanceof Error ? error.message : String(error),
          },
        });
      }
    };
    req.on('data', onData);
    req.on('end', onEnd);
    // An aborted upload has nobody to answer; resolving keeps the handler from hanging on it.
    req.on('error', () => resolve(tooLarge(limitBytes, 'an aborted upload')));
  });
}
