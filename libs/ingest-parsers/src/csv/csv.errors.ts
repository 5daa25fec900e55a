/** The header row does not fit the column mapping; nothing in the file was read (HTTP 400). */
export class CsvHeaderError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`CSV header does not match the column mapping: ${problems.join('; ')}`);
    this.name = 'CsvHeaderError';
  }
}

/**
 * The file is not readable CSV from `line` on (e.g. a quote never closed, a record over the size
 * limit). Rows before it were already delivered; the upload stops here.
 */
export class CsvFormatError extends Error {
  constructor(
    readonly line: number,
    readonly code: string,
    detail: string,
  ) {
    super(`CSV is malformed at line ${line}: ${detail} (${code})`);
    this.name = 'CsvFormatError';
  }
}
