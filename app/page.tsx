import { getPortalUser } from "@/app/auth";
import { Catalog } from "@/components/catalog";
import { can } from "@/lib/authz/permissions";

export default async function CatalogPage() {
  const user = await getPortalUser();
  if (!user) return null; // the layout shows the sign-in card
  return <Catalog canRequest={can(user, "access:request")} />;
}
