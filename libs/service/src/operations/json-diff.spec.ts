import { jsonDiff } from './json-diff';

describe('jsonDiff', () => {
  it.each([
    ['nothing changed', { a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, []],
    [
      'a nested value',
      { lines: [{ sku: 'MUG-001', quantity: 3 }] },
      { lines: [{ sku: 'MUG-001', quantity: 2 }] },
      [{ path: 'lines.0.quantity', before: 3, after: 2 }],
    ],
    [
      'a key added and one removed',
      { a: 1 },
      { b: 2 },
      [
        { path: 'a', before: 1, after: undefined },
        { path: 'b', before: undefined, after: 2 },
      ],
    ],
    ['an array grown', [1], [1, 2], [{ path: '1', before: undefined, after: 2 }]],
    ['a type changed', { a: { b: 1 } }, { a: 'x' }, [{ path: 'a', before: { b: 1 }, after: 'x' }]],
    ['the whole value', 1, 2, [{ path: '(the whole payload)', before: 1, after: 2 }]],
  ])('%s', (_case, before, after, changes) => {
    expect(jsonDiff(before, after)).toEqual(changes);
  });
});
