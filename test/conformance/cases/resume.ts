import type { ConformanceCase } from '../kit/case.js';

/** Cases of SPEC.md: (filled in by the work of issue 16). */
export const RESUME_CASES: readonly ConformanceCase[] = [];
