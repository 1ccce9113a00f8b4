/**
 * Login CSRF: a free-login request must carry JSON (a page on another site cannot send that without a CORS
 * preflight, which this app never grants) and, when the browser names its page's origin, come from one of the
 * app's own pages. Otherwise a foreign page could sign the visitor in as someone else.
 */
export function loginRefusal(
  origin: string | undefined,
  contentType: string | undefined,
  allowedOrigins: readonly string[],
): { status: 403 | 415; error: string } | undefined {
  if (!/^application\/json\s*(;|$)/i.test(contentType ?? '')) return { status: 415, error: 'json_required' }
  if (origin !== undefined && !allowedOrigins.includes(origin))
    return { status: 403, error: 'origin_not_allowed' }
  return undefined
}
