import type { Metadata } from "next";
import { getPortalUser } from "@/app/auth";
import { MyAccess } from "@/components/my-access";

export const metadata: Metadata = { title: "My access · Tollgate" };

export default async function MyAccessPage() {
  const user = await getPortalUser();
  if (!user) return null; // the layout shows the sign-in card
  return <MyAccess />;
}
