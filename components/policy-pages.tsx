"use client";

import Link from "next/link";
import type { ConnectionView } from "@/lib/connections/present-connection";
import { useConnections } from "./hooks";
import { PolicyEditor } from "./policy-editor";
import { usePolicy } from "./policy-hooks";
import { Badge, Card, PageHeader, QueryState } from "./ui";

// /admin/policies (the global policy and every connection's) and /admin/policies/{slug}.

export function GlobalPolicyPage() {
  const connections = useConnections();
  return (
    <div>
      <PageHeader
        title="Policies"
        description="Guardrails decide which MCP calls pass; mask rules hide sensitive values in everything sent to clients and recorded. The global policy applies to every connection; a connection's own policy adds to it and can tighten, never loosen, a global deny."
      />
      <Card title="Connection policies" className="mb-6" bodyClassName="p-0">
        <QueryState query={connections} empty="No connections yet." loadingLabel="Loading connections…">
          {(list) => (
            <ul className="divide-y divide-gray-100">
              {list.map((connection) => (
                <ConnectionPolicyRow key={connection.slug} connection={connection} />
              ))}
            </ul>
          )}
        </QueryState>
      </Card>
      <h2 className="mb-2 text-base font-semibold text-gray-900">Global policy</h2>
      <PolicyEditor scope={null} />
    </div>
  );
}

function ConnectionPolicyRow({ connection }: { connection: ConnectionView }) {
  const policy = usePolicy(connection.slug);
  return (
    <li className="flex flex-wrap items-center gap-x-3 gap-y-1 px-4 py-2">
      <div className="min-w-0 flex-1">
        <Link href={`/admin/policies/${encodeURIComponent(connection.slug)}`} className="font-medium text-indigo-700 hover:underline">
          {connection.name}
        </Link>
        <span className="ml-2 font-mono text-xs text-gray-500">{connection.slug}</span>
      </div>
      {policy.data ? (
        policy.data.version === 0 ? (
          <Badge>no policy</Badge>
        ) : (
          <span className="flex items-center gap-2 text-xs text-gray-600">
            <Badge tone="green">{`version ${policy.data.version}`}</Badge>
            {`${policy.data.rules.length} ${policy.data.rules.length === 1 ? "rule" : "rules"}, default ${policy.data.default}`}
          </span>
        )
      ) : null}
    </li>
  );
}

export function ConnectionPolicyPage({ slug }: { slug: string }) {
  const connections = useConnections();
  const connection = connections.data?.find((item) => item.slug === slug);
  return (
    <div>
      <p className="mb-2 text-sm">
        <Link href="/admin/policies" className="text-indigo-700 hover:underline">
          ← All policies
        </Link>
      </p>
      <PageHeader
        title={`Policy: ${connection?.name ?? slug}`}
        description={
          <>
            Applies to <span className="font-mono">{slug}</span> on top of the global policy.
          </>
        }
      />
      <PolicyEditor scope={slug} />
    </div>
  );
}
