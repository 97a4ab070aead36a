import type { Metadata } from "next";
import { can } from "@/lib/authz/permissions";
import { getPortalUser } from "@/app/auth";
import { AdminConnections } from "@/components/admin-connections";
import { Forbidden } from "@/components/ui";

export const metadata: Metadata = { title: "Connections · Tollgate" };

export default async function AdminConnectionsPage() {
  const user = await getPortalUser();
  if (!user) return null; // the layout shows the sign-in card
  if (!can(user, "connections:write")) return <Forbidden role="admin" />;
  return <AdminConnections />;
}
