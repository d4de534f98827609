import { describe, expect, it } from 'vitest';
import { loggableUrl } from './loggable-url';

describe('loggableUrl', () => {
  it('keeps a path without a query as it is', () => {
    expect(loggableUrl('/v1/models/iris/predict')).toBe('/v1/models/iris/predict');
  });

  it('never shows query values other than the harmless ones', () => {
    expect(loggableUrl('/v1/models/digits/predict?top_k=3&token=s3cr3t&api_key=abc')).toBe(
      '/v1/models/digits/predict?top_k=3&token=[redacted]&api_key=[redacted]',
    );
    expect(loggableUrl('/x?token=s3cr3t%20more')).not.toContain('s3cr3t');
  });

  it('cuts long paths and long lists of parameters', () => {
    const logged = loggableUrl(`/${'a'.repeat(5000)}?${Array.from({ length: 100 }, (_, i) => `p${i}=${i}`).join('&')}`);
    expect(logged.length).toBeLessThan(600);
    expect(logged).toContain('...?p0=[redacted]');
  });
});
