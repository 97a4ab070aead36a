// Structured one-line JSON logs. Callers pass identifiers and error messages only: never tokens,
// credentials or message payloads.

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(options: { quiet?: boolean; sink?: (line: string) => void } = {}): Logger {
  const sink = options.sink ?? ((line: string) => process.stderr.write(`${line}\n`));
  const write = (level: string, message: string, fields?: Record<string, unknown>) => {
    if (options.quiet && level === "info") return;
    sink(JSON.stringify({ time: new Date().toISOString(), level, component: "gateway", message, ...fields }));
  };
  return {
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
  };
}
