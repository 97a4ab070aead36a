import type { Metadata } from "next";
import { getPortalUser } from "@/app/auth";
import { Time, TimeZoneNote } from "@/components/time";
import { Card, DataTable, Empty, Forbidden, PageHeader, RoleBadge, tdClass } from "@/components/ui";
import { can } from "@/lib/authz/permissions";
import { getDb } from "@/lib/db/client";
import { listServiceAccounts } from "@/lib/users/list-service-accounts";

export const metadata: Metadata = { title: "Service accounts · Tollgate" };
export const dynamic = "force-dynamic";

export default async function ServiceAccountsPage() {
  const user = await getPortalUser();
  if (!user) return null; // the layout shows the sign-in card
  if (!can(user, "service-accounts:read")) return <Forbidden neededRole="admin or auditor" />;
  const accounts = await listServiceAccounts(getDb(), { actor: user });
  return (
    <>
      <PageHeader
        title="Service accounts"
        description="Automation identities (CI, agents, bots) that call the API and the gateway with access tokens from your identity provider. Each appears here on first use; its roles come from its groups claim."
      >
        <TimeZoneNote />
      </PageHeader>
      <Card bodyClassName="p-0" aria-label="Service accounts">
        {accounts.length === 0 ? (
          <div className="p-4">
            <Empty>No service account has called yet. See the README, “Service accounts”, to set one up at your IdP.</Empty>
          </div>
        ) : (
          <DataTable headers={["Name", "Issuer · subject", "Groups", "Roles", "Active grants", "Last used", "First seen"]}>
            {accounts.map((account) => (
              <tr key={account.id} aria-label={account.name ?? account.subject}>
                <td className={`${tdClass} min-w-60 font-medium break-all`}>
                  {account.name ?? account.subject}
                  <div className="font-mono text-xs font-normal text-gray-500">{account.email}</div>
                </td>
                <td className={`${tdClass} min-w-48 font-mono text-xs break-all`}>
                  {account.issuer}
                  <div className="text-gray-600">{account.subject}</div>
                </td>
                <td className={`${tdClass} text-xs`}>{account.groups.join(", ") || "—"}</td>
                <td className={tdClass}>
                  <div className="flex flex-wrap gap-1">
                    {account.roles.map((role) => (
                      <RoleBadge key={role} role={role} />
                    ))}
                  </div>
                </td>
                <td className={`${tdClass} text-right tabular-nums`}>{account.activeGrants}</td>
                <td className={`${tdClass} whitespace-nowrap`}>{account.lastSeenAt ? <Time iso={account.lastSeenAt} zone /> : "never"}</td>
                <td className={`${tdClass} whitespace-nowrap`}>
                  <Time iso={account.createdAt} zone />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Card>
    </>
  );
}
