import type { Metadata } from "next";
import { getPortalUser } from "@/app/auth";
import { Approvals } from "@/components/approvals";
import { Forbidden } from "@/components/ui";
import { can } from "@/lib/authz/permissions";

export const metadata: Metadata = { title: "Approvals · Tollgate" };

export default async function ApprovalsPage() {
  const user = await getPortalUser();
  if (!user) return null; // the layout shows the sign-in card
  if (!can(user, "access:decide")) return <Forbidden neededRole="approver" />;
  return <Approvals viewerId={user.id} />;
}
