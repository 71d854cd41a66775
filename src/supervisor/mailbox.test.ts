import { describe, expect, it } from 'vitest';
import { Mailbox } from './mailbox.js';

describe('Mailbox', () => {
  it('runs tasks one at a time, in the order they were posted, whatever their outcome', async () => {
    const mailbox = new Mailbox();
    const log: string[] = [];
    const first = mailbox.post(async () => {
      await Promise.resolve();
      log.push('first');
      throw new Error('first failed');
    });
    const second = mailbox.post(async () => {
      log.push('second');
    });
    await expect(first).rejects.toThrow('first failed');
    await second;
    expect(log).toEqual(['first', 'second']);
  });

  it('lets the event loop turn before a postNextTurn task: an immediate set meanwhile runs first', async () => {
    const mailbox = new Mailbox();
    const log: string[] = [];
    void mailbox.postNextTurn(async () => {
      log.push('task');
    });
    setImmediate(() => log.push('immediate'));
    await mailbox.settled();
    expect(log).toEqual(['immediate', 'task']);
  });

  it('keeps a postNextTurn task behind the tasks posted before it', async () => {
    const mailbox = new Mailbox();
    const log: string[] = [];
    void mailbox.post(async () => {
      log.push('asked first');
    });
    void mailbox.postNextTurn(async () => {
      log.push('retry');
    });
    void mailbox.post(async () => {
      log.push('asked after');
    });
    await mailbox.settled();
    expect(log).toEqual(['asked first', 'retry', 'asked after']);
  });
});
