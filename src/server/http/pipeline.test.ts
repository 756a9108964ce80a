import { describe, expect, it } from 'vitest';
import { pipeline } from './pipeline.js';

describe('pipeline', () => {
  it('runs the steps in order, each seeing what the earlier ones added, and answers with the responder', async () => {
    const seen: string[] = [];
    const parse = (c: { input: string }) => {
      seen.push('parse');
      return { words: c.input.split(' ') };
    };
    const checkNotEmpty = (c: { words: string[] }) => {
      seen.push('checkNotEmpty');
      if (c.words.length === 0 || c.words[0] === '') return new Response('empty', { status: 400 });
      return undefined;
    };
    const count = async (c: { words: string[] }) => {
      seen.push('count');
      return { count: c.words.length };
    };
    const endpoint = pipeline<{ input: string }>('demo')
      .step(parse)
      .step(checkNotEmpty)
      .step(count)
      .respond((c) => new Response(`${c.count} words: ${c.words.join(',')}`));
    expect(endpoint.steps).toEqual(['parse', 'checkNotEmpty', 'count', '(anonymous)']);
    const answer = await endpoint.run({ input: 'a b c' });
    expect(await answer.text()).toBe('3 words: a,b,c');
    expect(seen).toEqual(['parse', 'checkNotEmpty', 'count']);
  });

  it('stops at the first step that answers: later steps never run', async () => {
    let ran = false;
    const endpoint = pipeline<{ n: number }>('stop')
      .step((c) => (c.n < 0 ? new Response('negative', { status: 400 }) : undefined))
      .step(() => {
        ran = true;
      })
      .respond(() => new Response('ok'));
    expect((await endpoint.run({ n: -1 })).status).toBe(400);
    expect(ran).toBe(false);
    expect((await endpoint.run({ n: 1 })).status).toBe(200);
    expect(ran).toBe(true);
  });

  it('does not share state between runs', async () => {
    const endpoint = pipeline<{ id: number }>('isolated')
      .step((c) => ({ doubled: c.id * 2 }))
      .respond((c) => new Response(String(c.doubled)));
    const [a, b] = await Promise.all([endpoint.run({ id: 1 }), endpoint.run({ id: 2 })]);
    expect([await a.text(), await b.text()]).toEqual(['2', '4']);
  });

  it('lets an error thrown by a step propagate (the router turns it into a response)', async () => {
    const endpoint = pipeline<object>('throws')
      .step(() => {
        throw new Error('boom');
      })
      .respond(() => new Response('unreachable'));
    await expect(endpoint.run({})).rejects.toThrow('boom');
  });

  it('answers errors its recovery knows, and lets the others propagate', async () => {
    class Refused extends Error {}
    const endpoint = pipeline<{ fail: 'refused' | 'other' | 'none' }>('recovers')
      .step((c) => {
        if (c.fail === 'refused') throw new Refused('no');
        if (c.fail === 'other') throw new Error('boom');
      })
      .recover((error) => (error instanceof Refused ? new Response('refused', { status: 400 }) : undefined))
      .respond(() => new Response('ok'));
    expect((await endpoint.run({ fail: 'refused' })).status).toBe(400);
    await expect(endpoint.run({ fail: 'other' })).rejects.toThrow('boom');
    expect(await (await endpoint.run({ fail: 'none' })).text()).toBe('ok');
  });
});
