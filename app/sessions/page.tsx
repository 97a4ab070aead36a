import type { Metadata } from "next";
import { getPortalUser } from "@/app/auth";
import { SessionsList } from "@/components/sessions-list";

export const metadata: Metadata = { title: "Sessions · Tollgate" };

export default async function SessionsPage() {
  const user = await getPortalUser();
  if (!user) return null; // the layout shows the sign-in card
  return <SessionsList />;
}
