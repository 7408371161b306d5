import { ApiError } from '../api/client.js';

export function ErrorBanner({ error, what }: { error: unknown; what: string }) {
  if (error === null || error === undefined) return null;
  const detail = error instanceof ApiError ? `${error.detail} (${error.code})` : error instanceof Error ? error.message : String(error);
  return (
    <div class="banner banner-error" role="alert">
      <strong>{what}</strong> {detail}
    </div>
  );
}
