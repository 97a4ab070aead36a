import type { Metadata } from "next";
import { getPortalUser } from "@/app/auth";
import { GlobalPolicyPage } from "@/components/policy-pages";
import { Forbidden } from "@/components/ui";
import { can } from "@/lib/authz/permissions";

export const metadata: Metadata = { title: "Policies · Tollgate" };

export default async function PoliciesPage() {
  const user = await getPortalUser();
  if (!user) return null; // the layout shows the sign-in card
  if (!can(user, "policies:write")) return <Forbidden neededRole="admin" />;
  return <GlobalPolicyPage />;
}
