"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { formatDateTime } from "./format";
import { useSessions } from "./hooks";
import { StateBadge } from "./session-parts";
import { Card, DataTable, PageHeader, QueryState, tdClass } from "./ui";

export function SessionsList() {
  const sessions = useSessions();
  const router = useRouter();
  return (
    <div>
      <PageHeader title="Sessions" description="Every MCP session through the gateway, recorded message by message." />
      <Card bodyClassName="p-0">
        <QueryState query={sessions} empty="No sessions recorded yet.">
          {(list) => (
            <DataTable
              headers={[
                "User",
                "Connection",
                "Transport",
                "Protocol",
                "Started",
                "Ended",
                "End reason",
                { label: "Events", className: "text-right" },
                { label: <span className="sr-only">Replay</span> },
              ]}
            >
              {list.map((session) => {
                const href = `/sessions/${session.id}`;
                return (
                  <tr
                    key={session.id}
                    className="cursor-pointer hover:bg-indigo-50/40"
                    onClick={(event) => {
                      if ((event.target as HTMLElement).closest("a")) return;
                      router.push(href);
                    }}
                  >
                    <td className={tdClass}>{session.user.email}</td>
                    <td className={tdClass}>
                      <div className="font-medium">{session.connection.name}</div>
                      <div className="font-mono text-xs text-gray-500">{session.connection.slug}</div>
                    </td>
                    <td className={tdClass}>{session.transport}</td>
                    <td className={`${tdClass} font-mono text-xs`}>{session.protocolVersion ?? "—"}</td>
                    <td className={`${tdClass} whitespace-nowrap`}>{formatDateTime(session.startedAt)}</td>
                    <td className={tdClass}>
                      <StateBadge session={session} />
                    </td>
                    <td className={tdClass}>{session.endReason ?? (session.endedAt ? "—" : "")}</td>
                    <td className={`${tdClass} text-right tabular-nums`}>{session.eventCount}</td>
                    <td className={`${tdClass} text-right`}>
                      <Link href={href} className="font-medium text-indigo-700 hover:underline">
                        Replay
                      </Link>
                    </td>
                  </tr>
                );
              })}
            </DataTable>
          )}
        </QueryState>
      </Card>
    </div>
  );
}
