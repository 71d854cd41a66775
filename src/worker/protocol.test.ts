import { describe, expect, it } from 'vitest';
import { deserializeError, isWorkerMessage, serializeError, Tag } from './protocol.js';

describe('serializeError', () => {
  it('keeps the name, message, stack, code and cause chain through JSON', () => {
    const error = Object.assign(new TypeError('bad', { cause: new Error('root') }), { code: 'E_BAD' });
    const copy = deserializeError(JSON.parse(JSON.stringify(serializeError(error))));
    expect(copy).toMatchObject({ name: 'TypeError', message: 'bad', code: 'E_BAD', stack: error.stack });
    expect(copy.cause).toMatchObject({ name: 'Error', message: 'root' });
  });

  it('turns a thrown non-error into an error that says what was thrown', () => {
    expect(serializeError('just a string')).toEqual({
      name: 'Error',
      message: 'a non-error was thrown: just a string',
    });
  });

  it('stops following a cycle of causes', () => {
    const error = new Error('loop');
    error.cause = error;
    expect(() => JSON.stringify(serializeError(error))).not.toThrow();
  });
});

describe('deserializeError', () => {
  it('makes an error even of garbage, never throws', () => {
    expect(deserializeError(42)).toMatchObject({ message: 'unreadable error: 42' });
    expect(deserializeError({ message: 7 })).toMatchObject({ name: 'Error', message: '7' });
    expect(deserializeError({ message: 'no cause' })).not.toHaveProperty('cause');
  });
});

describe('isWorkerMessage', () => {
  it('accepts the envelopes a worker sends', () => {
    expect(isWorkerMessage([Tag.ready])).toBe(true);
    expect(isWorkerMessage([Tag.result, 3, undefined])).toBe(true);
    expect(isWorkerMessage([Tag.error, 3, { name: 'Error', message: 'x' }])).toBe(true);
    expect(isWorkerMessage([Tag.startFailed, { name: 'Error', message: 'x' }])).toBe(true);
  });

  it('rejects anything else', () => {
    for (const garbage of ['ready', null, {}, [], [Tag.result, 'one', 1], [Tag.call, 1, 'x'], [99]]) {
      expect(isWorkerMessage(garbage)).toBe(false);
    }
  });
});
