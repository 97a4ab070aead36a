import type { Metadata } from "next";
import { getPortalUser } from "@/app/auth";
import { AdminConnections } from "@/components/admin-connections";
import { Forbidden } from "@/components/ui";
import { can } from "@/lib/authz/permissions";

export const metadata: Metadata = { title: "Connections · Tollgate" };

export default async function AdminConnectionsPage() {
  const user = await getPortalUser();
  if (!user) return null; // the layout shows the sign-in card
  if (!can(user, "connections:write")) return <Forbidden neededRole="admin" />;
  return <AdminConnections />;
}
