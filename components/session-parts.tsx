import type { SessionView } from "@/lib/recording/views";
import { formatDateTime } from "./format";
import { Badge } from "./ui";

// Pieces the sessions list and the session player both show.

export function StateBadge({ session }: { session: Pick<SessionView, "endedAt"> }) {
  return session.endedAt ? (
    <span className="whitespace-nowrap">{formatDateTime(session.endedAt)}</span>
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
