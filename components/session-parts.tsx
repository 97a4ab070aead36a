import type { SessionView } from "@/lib/recording/views";
import { Time } from "./time";
import { Badge, type Tone } from "./ui";

// Pieces the sessions list and the session player both show.

export function StateBadge({ session }: { session: Pick<SessionView, "endedAt"> }) {
  return session.endedAt ? (
    <Time iso={session.endedAt} className="whitespace-nowrap" />
  ) : (
    <Badge tone="green">
      <span className="h-1.5 w-1.5 animate-pulse rounded-full bg-emerald-500" aria-hidden="true" />
      live
    </Badge>
  );
}

export function clientInfoLabel(clientInfo: unknown): string | null {
  if (typeof clientInfo !== "object" || clientInfo === null || Array.isArray(clientInfo)) return null;
  const info = clientInfo as Record<string, unknown>;
  const name = typeof info.name === "string" ? info.name : null;
  const version = typeof info.version === "string" ? info.version : null;
  if (!name) return null;
  return version ? `${name} ${version}` : name;
}

const DIRECTIONS: Record<string, { label: string; tone: Tone; title: string }> = {
  CLIENT_TO_UPSTREAM: { label: "→ upstream", tone: "indigo", title: "client → upstream" },
  UPSTREAM_TO_CLIENT: { label: "← client", tone: "green", title: "upstream → client" },
  GATEWAY_TO_CLIENT: { label: "gateway", tone: "amber", title: "gateway → client (answered by the gateway)" },
  GATEWAY_TO_UPSTREAM: {
    label: "gateway → upstream",
    tone: "amber",
    title: "gateway → upstream (sent by the gateway, e.g. a held call once approved, or a cancellation)",
  },
};

/** A client request the gateway kept: denied, or held for approval (forwarded later, if approved, as gateway → upstream). */
const STOPPED: Record<string, { label: string; tone: Tone; title: string }> = {
  deny: { label: "→ blocked", tone: "red", title: "client → gateway: denied by policy, never forwarded upstream" },
  "require-approval": {
    label: "→ held",
    tone: "amber",
    title: "client → gateway: held for approval; once approved it is forwarded (a gateway → upstream message)",
  },
};

/** Which way a recorded message went (a client request the policy stopped says so). */
export function DirectionBadge({ direction, decision }: { direction: string; decision?: string | null }) {
  const stopped = direction === "CLIENT_TO_UPSTREAM" && decision ? STOPPED[decision] : undefined;
  const known = stopped ?? DIRECTIONS[direction] ?? { label: direction, tone: "gray" as Tone, title: direction };
  return (
    <Badge tone={known.tone} title={known.title} className="shrink-0 font-mono">
      {known.label}
    </Badge>
  );
}
