import type { Metadata } from "next";
import { Suspense } from "react";
import { getPortalUser } from "@/app/auth";
import { SessionsList } from "@/components/sessions-list";
import { Loading } from "@/components/ui";

export const metadata: Metadata = { title: "Sessions · Tollgate" };

export default async function SessionsPage() {
  const user = await getPortalUser();
  if (!user) return null; // the layout shows the sign-in card
  // The list reads its filters from the query string (useSearchParams).
  return (
    <Suspense fallback={<Loading label="Loading sessions…" />}>
      <SessionsList />
    </Suspense>
  );
}
