// Config errors end up in logs and CI output, so values of secret-looking variables are never
// shown and passwords embedded in URLs are masked.
const SECRET_NAME = /(PASSWORD|SECRET|TOKEN|(^|_)KEY$|_KEY_|CREDENTIAL)/i;
const MAX_SHOWN_LENGTH = 200;

export function isSecretVariable(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Replaces the password of a URL-shaped value (`scheme://user:pass@host`) with `***`. */
export function maskUrlPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/i, '$1***@');
}

/** The form of an environment value that is safe to print in an error message. */
export function maskEnvValue(name: string, value: string): string {
  if (isSecretVariable(name)) return '<redacted>';
  const masked = maskUrlPassword(value);
  return masked.length > MAX_SHOWN_LENGTH ? `${masked.slice(0, MAX_SHOWN_LENGTH)}…` : masked;
}
