import { EventEmitter } from "node:events";
import pg from "pg";
import { LIVE_CHANNELS, type LiveTopic } from "./channels.ts";

export interface LiveEvent {
  topic: LiveTopic;
  id: string;
}

const TOPIC_BY_CHANNEL = new Map<string, LiveTopic>(Object.entries(LIVE_CHANNELS).map(([topic, channel]) => [channel, topic as LiveTopic]));

/**
 * One LISTEN connection per process, fanned out to any number of subscribers (browser tabs).
 * Reconnects after a lost connection; subscribers are told, so they can refetch what they missed.
 */
export class LiveListener {
  private readonly emitter = new EventEmitter();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly databaseUrl: string) {
    this.emitter.setMaxListeners(0);
  }

  subscribe(listener: (event: LiveEvent | { topic: "reconnected" }) => void): () => void {
    this.emitter.on("event", listener);
    void this.ensureConnected();
    return () => this.emitter.off("event", listener);
  }

  private ensureConnected(): Promise<void> {
    if (this.client || this.stopped) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      setTimeout(() => void this.ensureConnected().then(() => this.emitter.emit("event", { topic: "reconnected" })), 1000).unref();
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", (message) => {
      const topic = TOPIC_BY_CHANNEL.get(message.channel);
      if (topic) this.emitter.emit("event", { topic, id: message.payload ?? "" });
    });
    try {
      await client.connect();
      for (const channel of Object.values(LIVE_CHANNELS)) await client.query(`LISTEN ${channel}`);
      this.client = client;
    } catch {
      await client.end().catch(() => undefined);
      if (!this.stopped) setTimeout(() => void this.ensureConnected(), 2000).unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}

const globalForLive = globalThis as unknown as { tollgateLive?: LiveListener };

export function getLiveListener(): LiveListener {
  if (!globalForLive.tollgateLive) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set");
    globalForLive.tollgateLive = new LiveListener(url);
  }
  return globalForLive.tollgateLive;
}
