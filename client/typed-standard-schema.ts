/*
 * The Standard Schema interface (standardschema.dev, version 1), copied as its authors ask
 * rather than imported: zod 4, valibot and arktype schemas all carry it, so typed events take
 * any of them while client/ imports no schema library (the browser bundle stays small).
 */

/** A schema of any library that implements Standard Schema v1 (zod 4, valibot, arktype, ...). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

/** The parts of the Standard Schema interface. */
// A namespace, as the standard spells it, so that the types read as they do in its docs.
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace StandardSchemaV1 {
  /** The Standard Schema properties. */
  export interface Props<Input = unknown, Output = Input> {
    /** The version of the standard: 1. */
    readonly version: 1;
    /** The schema library. */
    readonly vendor: string;
    /** Checks a value: a result, or a promise of one (an async schema). */
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    /** The input and output types, for inference only. */
    readonly types?: Types<Input, Output> | undefined;
  }
  /** What `validate` answers. */
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  /** The value is valid: `value` is the schema's output. */
  export interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  /** The value is not valid. */
  export interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One problem of a value. */
  export interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  /** One step of an issue's path. */
  export interface PathSegment {
    readonly key: PropertyKey;
  }
  /** The input and output types of a schema. */
  export interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  /** The type a schema accepts. */
  export type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['input'];
  /** The type a schema gives. */
  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output'];
}

/** One problem a schema found in an event's data (the Standard Schema issue). */
export type SchemaIssue = StandardSchemaV1.Issue;

/** The outcome of checking one value: its output, or the schema's issues. */
export type CheckOutcome<Output> = { readonly ok: true; readonly value: Output } | { readonly ok: false; readonly issues: readonly SchemaIssue[] };

/**
 * Checks `value` with `schema`. Synchronous when the schema answers synchronously (so that
 * emits keep coalescing in one tick), a promise when it answers with one. A schema that throws
 * or rejects is a failed check with one issue saying so: a faulty schema never escapes as an
 * uncaught error.
 */
export function checkWith<Output>(schema: StandardSchemaV1<unknown, Output>, value: unknown): CheckOutcome<Output> | Promise<CheckOutcome<Output>> {
  let result: StandardSchemaV1.Result<Output> | Promise<StandardSchemaV1.Result<Output>>;
  try {
    result = schema['~standard'].validate(value);
  } catch (error) {
    return thrown(error);
  }
  if (isPromise(result)) return result.then(outcomeOf, thrown);
  return outcomeOf(result);
}

function outcomeOf<Output>(result: StandardSchemaV1.Result<Output>): CheckOutcome<Output> {
  return result.issues === undefined ? { ok: true, value: result.value } : { ok: false, issues: result.issues };
}

function thrown(error: unknown): CheckOutcome<never> {
  const reason = error instanceof Error ? error.message : String(error);
  return { ok: false, issues: [{ message: `the schema failed: ${reason}` }] };
}

/** True for a promise (or any thenable a schema library returns). */
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** True when `value` carries the Standard Schema v1 interface. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const props = (value as { '~standard'?: { version?: unknown; validate?: unknown } })['~standard'];
  return props?.version === 1 && typeof props.validate === 'function';
}

/** An issue as one line: `path: message`. */
export function describeIssue(issue: SchemaIssue): string {
  const path = (issue.path ?? []).map((step) => String(typeof step === 'object' ? step.key : step)).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}
