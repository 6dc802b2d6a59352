import { describe, expect, it } from 'vitest';
import { describeDuration } from './describe-figures';

describe('describeDuration', () => {
  it.each([
    [0.24, '0.2 s'],
    [9.96, '10 s'],
    [42.4, '42 s'],
    [7 * 60 + 59, '7 min'],
    [3 * 3600, '3 h'],
    [3 * 3600 + 5 * 60, '3 h 5 min'],
    [47 * 3600 + 59 * 60, '47 h 59 min'],
    [3 * 86400 + 100, '3 d'],
  ])('%s seconds read "%s"', (seconds, words) => {
    expect(describeDuration(seconds)).toBe(words);
  });
});
