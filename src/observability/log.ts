/**
 * Structured JSON logs (pino). Object contents never reach a log line: callers
 * log identifiers (uid, kind, namespace/name, rule ids) only, and the redact
 * list is a second line of defence for fields that must never appear.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.HARBORMASTER_LOG_LEVEL ?? 'info',
      base: { app: 'harbormaster' },
      redact: { paths: ['*.data', '*.stringData', '*.object', '*.oldObject', '*.privateKey', 'key'], censor: '[redacted]' },
    },
    options.destination,
  );
}

/** A logger that drops everything: for tests and the CLI's offline paths. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
