import { describe, expect, it } from 'vitest';
import { loggableUrl } from './loggable-url';

describe('loggableUrl', () => {
  it('keeps a path without a query as it is', () => {
    expect(loggableUrl('/v1/models/iris/predict')).toBe('/v1/models/iris/predict');
  });

  it('redacts the value of every parameter but the harmless ones the service reads, whatever the name', () => {
    expect(loggableUrl('/v1/admin/rescan?token=s3cr3t&top_k=3&API_KEY=abc&apikey=def&Key=ghi&password=pw&secret=x&access_token=at')).toBe(
      '/v1/admin/rescan?token=[REDACTED]&top_k=3&API_KEY=[REDACTED]&apikey=[REDACTED]&Key=[REDACTED]&password=[REDACTED]&secret=[REDACTED]&access_token=[REDACTED]',
    );
    expect(loggableUrl('/x?client_secret=a&x-api-key=b&sid=c&monkey=d')).toBe('/x?client_secret=[REDACTED]&x-api-key=[REDACTED]&sid=[REDACTED]&monkey=[REDACTED]');
  });

  it('redacts secrets however the client encoded them, and a secret given twice both times', () => {
    const logged = loggableUrl('/x?%74oken=s3cr3t%20more&token=again&TOKEN=s3cr3t');
    expect(logged).not.toMatch(/s3cr3t|again/);
    expect(logged).toBe('/x?token=[REDACTED]&token=[REDACTED]&TOKEN=[REDACTED]');
  });

  it('cuts long paths, long values and long lists of parameters', () => {
    const logged = loggableUrl(`/${'a'.repeat(5000)}?v=${'b'.repeat(500)}&${Array.from({ length: 100 }, (_, i) => `p${i}=${i}`).join('&')}`);
    expect(logged.length).toBeLessThan(600);
    expect(logged).toContain(`...?v=[REDACTED]&p0=[REDACTED]`);
    expect(loggableUrl(`/x?top_k=${'9'.repeat(500)}`)).toBe(`/x?top_k=${'9'.repeat(64)}...`);
    expect(logged).toMatch(/&\.\.\.\(85 more\)$/);
  });
});
