/** Short, log-safe text for errors from @kubernetes/client-node (its messages embed whole response bodies). */
export function apiErrorMessage(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  if (typeof e?.code === 'number' && e.body === undefined && e.message) return `HTTP ${e.code}: ${e.message}`;
  if (typeof e?.code === 'number') {
    let message: string | undefined;
    try {
      const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: string }) : (e.body as { message?: string } | undefined);
      message = body?.message;
    } catch {
      // body not JSON
    }
    return `HTTP ${e.code}${message ? `: ${message}` : ''}`;
  }
  return (e?.message ?? String(err)).split('\n')[0] ?? 'error';
}
