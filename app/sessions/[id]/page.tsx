import type { Metadata } from "next";
import { getPortalUser } from "@/app/auth";
import { SessionReplay } from "@/components/session-player";

export const metadata: Metadata = { title: "Session replay · Tollgate" };

export default async function SessionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await getPortalUser();
  if (!user) return null; // the layout shows the sign-in card
  return <SessionReplay id={id} />;
}
