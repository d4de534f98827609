// Progress lines go to stderr: stdout carries only the report, so it can be
// redirected to a file and compared.
export const log = (line) => process.stderr.write(`${line}\n`);
