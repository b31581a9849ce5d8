import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { importDriver, MissingDriverError, requireDriver } from '../../transports/optional-driver.js';

const require = createRequire(import.meta.url);
/** A package name no registry hands out, so that it is never installed. */
const ABSENT = 'tauon-test-absent-driver';

describe('loading an optional driver', () => {
  it('says which package to install when an imported driver is missing', async () => {
    const failure = importDriver('the test store', [ABSENT], () => import(ABSENT));
    await expect(failure).rejects.toBeInstanceOf(MissingDriverError);
    await expect(failure).rejects.toMatchObject({
      name: 'MissingDriverError',
      code: 'missing-driver',
      feature: 'the test store',
      missing: ABSENT,
      message: `the test store needs the package ${ABSENT}: npm install ${ABSENT}`,
    });
  });

  it('names every package of the feature, and the missing one, when it needs several', async () => {
    const packages = ['rxjs', ABSENT];
    await expect(importDriver('the test store', packages, () => import(ABSENT))).rejects.toMatchObject({
      message: `the test store needs the packages rxjs, ${ABSENT} (${ABSENT} is missing): npm install rxjs ${ABSENT}`,
    });
  });

  it('says the same of a required driver, synchronously', () => {
    expect(() => requireDriver('the test transport', [ABSENT], () => require(ABSENT) as unknown)).toThrow(
      new MissingDriverError('the test transport', [ABSENT], ABSENT),
    );
  });

  it('hands over the driver when it is there', async () => {
    const rxjs = await importDriver('the test store', ['rxjs'], () => import('rxjs'));
    expect(typeof rxjs.Observable).toBe('function');
    expect(requireDriver('the test transport', ['rxjs'], () => require('rxjs') as { Observable: unknown }).Observable).toBeTypeOf('function');
  });

  it('passes on, as they are, a missing module that is not the driver and any other failure', async () => {
    // The driver is there but something it needs is not: not a missing driver, and not hidden.
    const inner = importDriver('the test store', ['rxjs'], () => import(ABSENT));
    await expect(inner).rejects.not.toBeInstanceOf(MissingDriverError);
    await expect(inner).rejects.toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
    const broken = new Error('the driver failed to initialize');
    await expect(importDriver('the test store', ['rxjs'], () => Promise.reject(broken))).rejects.toBe(broken);
    expect(() =>
      requireDriver('the test transport', ['rxjs'], () => {
        throw broken;
      }),
    ).toThrow(broken);
  });
});
