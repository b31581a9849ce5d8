/** An `amqp://user:password@host` URL with the password replaced by `***`, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL at all: say so rather than echo what might be a secret.
    return url.includes('@') ? '(an AMQP URL with credentials)' : url;
  }
}
