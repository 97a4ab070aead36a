import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

// The gateway's Prometheus metrics (prom-client). Each gateway has its own Registry, so several
// gateways in one process (tests) do not share or clash over metrics. On the hot path only cached
// label children are touched: no label hashing and no allocation beyond prom-client's own.

/**
 * How a client JSON-RPC request ended, as the `outcome` label of the request duration histogram:
 * - `ok`: the upstream answered with a result;
 * - `error`: the upstream answered with a JSON-RPC error;
 * - `timeout`: the upstream did not answer within the request timeout (the gateway answered);
 * - `denied`: refused on access grounds (grant expired, revoked or not covering the connection;
 *   a policy `deny` once the policy engine decides);
 * - `held`: reserved for the policy engine: a `require-approval` call, whatever the approver
 *   decided, so that minutes of human waiting stay out of the other outcomes' latencies;
 * - `refused`: the gateway could not handle it safely (recording or upstream unavailable, session
 *   ended, internal error): fail closed.
 */
export type RequestOutcome = "ok" | "error" | "timeout" | "denied" | "held" | "refused";

/**
 * The `method` label takes MCP's client request methods only; anything else is `other`, so a client
 * cannot grow the number of series by inventing method names.
 */
const MCP_CLIENT_METHODS: ReadonlySet<string> = new Set([
  "initialize",
  "ping",
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "prompts/list",
  "prompts/get",
  "completion/complete",
  "logging/setLevel",
  "tasks/get",
  "tasks/list",
  "tasks/result",
  "tasks/cancel",
]);

/** Seconds: from half a millisecond (an in-memory refusal) to a minute (a slow tool). */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type Child<T extends { labels(...values: string[]): unknown }> = ReturnType<T["labels"]>;

export interface MetricSources {
  /** Sessions open in this gateway process. */
  openSessions: () => number;
  /** Recording events waiting to be committed (the event writer's backlog). */
  recorderQueueDepth: () => number;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<"method">;
  private readonly messages: Counter<"direction">;
  private readonly sessions: Counter<"connection">;
  private readonly refusals: Counter<"reason">;
  private readonly requestDuration: Histogram<"connection" | "method" | "outcome">;
  private readonly byConnection = new Map<string, ConnectionMetrics>();
  private readonly httpByMethod = new Map<string, Child<Counter<"method">>>();
  private readonly refusalsByReason = new Map<string, Child<Counter<"reason">>>();
  /** Cached children of `tollgate_gateway_messages_total`. */
  readonly clientToUpstream: Child<Counter<"direction">>;
  readonly upstreamToClient: Child<Counter<"direction">>;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: "tollgate_gateway_http_requests_total",
      help: "HTTP requests to MCP endpoints (/mcp/<connection>), by HTTP method.",
      labelNames: ["method"],
      registers,
    });
    this.messages = new Counter({
      name: "tollgate_gateway_messages_total",
      help: "JSON-RPC messages passed through the gateway, by direction (client_to_upstream, upstream_to_client).",
      labelNames: ["direction"],
      registers,
    });
    this.sessions = new Counter({
      name: "tollgate_gateway_sessions_total",
      help: "MCP sessions started, by connection slug.",
      labelNames: ["connection"],
      registers,
    });
    this.refusals = new Counter({
      name: "tollgate_gateway_refusals_total",
      help: "Requests and messages the gateway answered with its own error instead of the upstream's answer, by reason (error kind, e.g. GRANT_EXPIRED).",
      labelNames: ["reason"],
      registers,
    });
    this.requestDuration = new Histogram({
      name: "tollgate_gateway_request_duration_seconds",
      help: "Client JSON-RPC requests, from their arrival at the gateway to their response being sent to the client, by connection, MCP method and outcome (ok, error, timeout, denied, held, refused).",
      labelNames: ["connection", "method", "outcome"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    new Gauge({
      name: "tollgate_gateway_open_sessions",
      help: "MCP sessions currently open in this gateway process.",
      registers,
      collect() {
        this.set(sources.openSessions());
      },
    });
    new Gauge({
      name: "tollgate_gateway_recorder_queue_depth",
      help: "Recording events waiting to be committed to Postgres (queued plus the batch being committed). Messages wait for their record, so a growing queue means growing latency.",
      registers,
      collect() {
        this.set(sources.recorderQueueDepth());
      },
    });
    this.clientToUpstream = this.messages.labels("client_to_upstream");
    this.upstreamToClient = this.messages.labels("upstream_to_client");
  }

  httpRequest(method: string): void {
    let child = this.httpByMethod.get(method);
    if (!child) {
      child = this.httpRequests.labels(method);
      this.httpByMethod.set(method, child);
    }
    child.inc();
  }

  refusal(reason: string): void {
    let child = this.refusalsByReason.get(reason);
    if (!child) {
      child = this.refusals.labels(reason);
      this.refusalsByReason.set(reason, child);
    }
    child.inc();
  }

  /** The metrics of one connection, shared by its sessions. */
  connection(slug: string): ConnectionMetrics {
    let metrics = this.byConnection.get(slug);
    if (!metrics) {
      metrics = new ConnectionMetrics(this, slug, this.requestDuration);
      this.byConnection.set(slug, metrics);
    }
    return metrics;
  }

  sessionStarted(slug: string): void {
    this.sessions.labels(slug).inc();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}

type DurationChild = Child<Histogram<"connection" | "method" | "outcome">>;

/** What a session records: cached label children for its connection. */
export class ConnectionMetrics {
  private readonly durations = new Map<string, Partial<Record<RequestOutcome, DurationChild>>>();

  constructor(
    private readonly gateway: GatewayMetrics,
    private readonly slug: string,
    private readonly histogram: Histogram<"connection" | "method" | "outcome">,
  ) {}

  messageFromClient(): void {
    this.gateway.clientToUpstream.inc();
  }

  messageFromUpstream(): void {
    this.gateway.upstreamToClient.inc();
  }

  refusal(reason: string): void {
    this.gateway.refusal(reason);
  }

  /** A client request of `method` got its response after `seconds`. */
  observeRequest(method: string, outcome: RequestOutcome, seconds: number): void {
    const label = MCP_CLIENT_METHODS.has(method) ? method : "other";
    let children = this.durations.get(label);
    if (!children) {
      children = {};
      this.durations.set(label, children);
    }
    let child = children[outcome];
    if (!child) {
      child = this.histogram.labels(this.slug, label, outcome);
      children[outcome] = child;
    }
    child.observe(seconds);
  }
}
