import { describe, expect, it } from 'vitest';
import { TestChild } from '../test/fixtures/test-child.js';
import { InvalidArgumentError, NameTakenError, RegistryStoppedError } from './errors.js';
import { Registry } from './registry.js';

const child = (id: string) => new TestChild(id, [], 'exit');

describe('register', () => {
  it('names a live child for lookup', () => {
    const registry = new Registry<TestChild>();
    const db = child('db');
    registry.register('db', db);
    expect(registry.lookup('db')).toBe(db);
    expect(registry.keys()).toEqual(['db']);
    expect(registry.size).toBe(1);
  });

  it('throws a NameTakenError for a name held by a live child', () => {
    const registry = new Registry();
    registry.register('db', child('db'));
    const other = child('other');
    expect(() => registry.register('db', other)).toThrow(NameTakenError);
    expect(() => registry.register('db', other)).toThrow(
      expect.objectContaining({ code: 'ERR_NAME_TAKEN', registeredName: 'db' }),
    );
  });

  it('throws an InvalidArgumentError for an empty or non-string name, and for a dead child', () => {
    const registry = new Registry();
    expect(() => registry.register('', child('a'))).toThrow(InvalidArgumentError);
    expect(() => registry.register(42 as unknown as string, child('a'))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', expected: 'a non-empty string', got: 42 }),
    );
    const dead = child('dead');
    dead.crash();
    expect(() => registry.register('dead', dead)).toThrow(InvalidArgumentError);
    expect(registry.size).toBe(0);
  });
});

describe('child exit', () => {
  it('removes the entry synchronously, so a lookup never returns a dead child', () => {
    const registry = new Registry();
    const db = child('db');
    registry.register('db', db);
    db.crash();
    expect(registry.lookup('db')).toBeUndefined();
    expect(registry.size).toBe(0);
    registry.register('db', child('db again'));
    expect(registry.size).toBe(1);
  });
});

describe('unregister', () => {
  it('forgets the name and stops watching the child, so its later exit leaves a new holder alone', () => {
    const registry = new Registry();
    const old = child('old');
    registry.register('db', old);
    expect(registry.unregister('db')).toBe(true);
    const replacement = child('new');
    registry.register('db', replacement);
    old.crash();
    expect(registry.lookup('db')).toBe(replacement);
    expect(registry.unregister('nobody')).toBe(false);
  });
});

describe('stop', () => {
  it('forgets every name, reports shutdown and takes no new name', async () => {
    const registry = new Registry();
    const db = child('db');
    registry.register('db', db);
    registry.stop();
    expect(await registry.exited).toEqual({ kind: 'shutdown' });
    expect(registry.keys()).toEqual([]);
    expect(() => registry.register('db', db)).toThrow(RegistryStoppedError);
  });
});
