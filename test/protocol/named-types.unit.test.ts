import { describe, expectTypeOf, it } from 'vitest';
import type * as z from 'zod';
import type { ServerInfo } from '../../client/types.js';
import type {
  AppendCondition,
  EventFilter,
  EventInput,
  ExpectedVersion,
  GroupInfo,
  GroupMemberInfo,
  GroupPartitionInfo,
  GroupSummary,
  ProjectionEntry,
  ProjectionSummary,
  ServerLimits,
  StartPosition,
  StoredEvent,
  ServerInfoFrame,
  StreamSummary,
  SubscriptionMode,
} from '../../protocol/frames.js';

// The public types are written out by hand so that the API reference shows their names, not
// the object types zod infers. `npm run typecheck` fails here when one drifts from its schema.
describe('the named protocol types', () => {
  it('are the types their schemas infer', () => {
    expectTypeOf<EventInput>().toEqualTypeOf<z.infer<typeof EventInput>>();
    expectTypeOf<StoredEvent>().toEqualTypeOf<z.infer<typeof StoredEvent>>();
    expectTypeOf<ExpectedVersion>().toEqualTypeOf<z.infer<typeof ExpectedVersion>>();
    expectTypeOf<StartPosition>().toEqualTypeOf<z.infer<typeof StartPosition>>();
    expectTypeOf<EventFilter>().toEqualTypeOf<z.infer<typeof EventFilter>>();
    expectTypeOf<SubscriptionMode>().toEqualTypeOf<z.infer<typeof SubscriptionMode>>();
    expectTypeOf<ServerLimits>().toEqualTypeOf<z.infer<typeof ServerLimits>>();
    expectTypeOf<AppendCondition>().toEqualTypeOf<z.infer<typeof AppendCondition>>();
    expectTypeOf<GroupPartitionInfo>().toEqualTypeOf<z.infer<typeof GroupPartitionInfo>>();
    expectTypeOf<GroupMemberInfo>().toEqualTypeOf<z.infer<typeof GroupMemberInfo>>();
    expectTypeOf<GroupSummary>().toEqualTypeOf<z.infer<typeof GroupSummary>>();
    expectTypeOf<GroupInfo>().toEqualTypeOf<z.infer<typeof GroupInfo>>();
    expectTypeOf<ProjectionSummary>().toEqualTypeOf<z.infer<typeof ProjectionSummary>>();
    expectTypeOf<ProjectionEntry>().toEqualTypeOf<z.infer<typeof ProjectionEntry>>();
    expectTypeOf<StreamSummary>().toEqualTypeOf<z.infer<typeof StreamSummary>>();
    expectTypeOf<ServerInfo>().toEqualTypeOf<Omit<z.infer<typeof ServerInfoFrame>, 'type' | 'id'>>();
  });
});
