import type { ConformanceCase } from '../kit/case.js';

/** Cases of SPEC.md: (filled in by the work of issue 16). */
export const READ_YOUR_WRITES_CASES: readonly ConformanceCase[] = [];
