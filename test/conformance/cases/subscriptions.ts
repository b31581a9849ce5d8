import type { ConformanceCase } from '../kit/case.js';

/** Cases of SPEC.md: (filled in by the work of issue 16). */
export const SUBSCRIPTIONS_CASES: readonly ConformanceCase[] = [];
