/** Raised for a missing or malformed variable; `message` is the one line an operator sees. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    expectation: string,
  ) {
    super(`Configuration error: ${variable} ${expectation}`);
  }
}
