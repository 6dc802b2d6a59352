import { freePort } from './ports';

describe('freePort', () => {
  it('never hands out one port twice in a process, bound or not (a stack picks all its ports before it binds any)', async () => {
    // 500 random picks among about 22,000 ports repeat one with a probability above 99 % unless repeats are refused.
    const ports: number[] = [];
    for (let pick = 0; pick < 500; pick++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
  });
});
