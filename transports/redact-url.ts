/**
 * A URL (amqp://, postgres://, nats://...) with its password replaced by `***`, for logs and
 * errors. Runtime-neutral.
 */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password === '') return text;
    url.password = '***';
    return url.toString();
  } catch {
    // Not a URL: hide all between "://" and the last "@"; an "@" anywhere else is not echoed.
    const hidden = text.replace(/\/\/.*@/, '//***@');
    return hidden === text && text.includes('@') ? '(a URL with credentials)' : hidden;
  }
}
