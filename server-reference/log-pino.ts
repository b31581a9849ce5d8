import { pino, type Logger } from 'pino';

/** The levels of `tauon serve --log-level`, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** True when `text` names a level of {@link LOG_LEVELS}. */
export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

/**
 * The log of `tauon serve`: pino, one JSON object a line on `fd` (stderr by default), with the
 * time in ISO 8601 and the level by name, as the server's internal error lines always had them
 * (`{"level":"error","time":"2026-...","msg":"internal error",...}`). Written synchronously, so
 * that the lines before an exit are not lost; the server writes none per event.
 */
export function serveLog(level: LogLevel, fd = 2): Logger {
  return pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: fd, sync: true }),
  );
}
