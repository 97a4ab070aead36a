import type { Metadata } from "next";
import Link from "next/link";
import { getPortalUser } from "@/app/auth";
import { AuditLog } from "@/components/audit-log";
import { Forbidden } from "@/components/ui";
import { can } from "@/lib/authz/permissions";

export const metadata: Metadata = { title: "Audit · Tollgate" };

export default async function AuditPage() {
  const user = await getPortalUser();
  if (!user) return null; // the layout shows the sign-in card
  if (!can(user, "audit:read")) return <Forbidden neededRole="auditor" />;
  return (
    <>
      {can(user, "service-accounts:read") ? (
        <p className="mb-3 text-right text-sm">
          <Link href="/admin/service-accounts" className="font-medium text-indigo-700 hover:underline">
            Service accounts →
          </Link>
        </p>
      ) : null}
      <AuditLog />
    </>
  );
}
