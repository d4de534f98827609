/** Where the stores of PREDICT_AUTH say what became of a file they watch (Nest's Logger, or nothing). */
export interface AuthLogger {
  log(message: string): void;
  warn(message: string): void;
}
