// Revenue per day, kept by the server: a keyed projection whose key is the day (UTC) of each
// payment's time. The default export is the definition, so `tauon serve --config` can load it
// (see tauon.config.json); a program of your own may hand it to `new TauonServer({ projections })`.
import type { ProjectionDefinition } from 'tauon/server';
import type { OrderPaidData } from './events.js';

export interface DayRevenue {
  readonly revenue: number;
  readonly payments: number;
}

const revenuePerDay: ProjectionDefinition<DayRevenue> = {
  name: 'revenue-per-day',
  stream: 'order.*',
  filter: { types: ['OrderPaid'] },
  initial: { revenue: 0, payments: 0 },
  // The time the customer paid (set by the decider), not when the server stored the event.
  key: (event) => new Date(event.time ?? event.recorded).toISOString().slice(0, 10),
  // The data was checked against its schema when it was emitted; the state is plain data, kept
  // by the server with its checkpoint.
  evolve: (day, event) => ({
    revenue: day.revenue + (event.data as OrderPaidData).amount,
    payments: day.payments + 1,
  }),
};

export default revenuePerDay;
