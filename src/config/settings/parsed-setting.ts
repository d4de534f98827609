import { ValidateBy } from 'class-validator';

/**
 * A setting whose value is checked by the parser that later reads it (a list
 * of proxies, a log target): valid when `parse` accepts it, refused with the
 * parser's own words, after the setting's name, when it throws.
 */
export function ParsedBy(name: string, parse: (value: string) => unknown) {
  const problem = (value: unknown): string | undefined => {
    if (typeof value !== 'string') return 'must be a string';
    try {
      parse(value);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
  return ValidateBy({
    name,
    validator: {
      validate: (value: unknown) => problem(value) === undefined,
      defaultMessage: (args) => `${args?.property} ${problem(args?.value)}`,
    },
  });
}
