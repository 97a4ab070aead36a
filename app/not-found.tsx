import Link from "next/link";

export default function NotFound() {
  return (
    <div className="mx-auto mt-10 max-w-lg rounded-lg border border-gray-200 bg-white p-6 text-center shadow-xs">
      <h1 className="text-base font-semibold text-gray-900">Page not found</h1>
      <p className="mt-2 text-gray-600">
        There is nothing here.{" "}
        <Link href="/" className="text-indigo-700 underline underline-offset-2">
          Back to the catalog
        </Link>
      </p>
    </div>
  );
}
