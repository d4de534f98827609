import { useEffect, useRef } from 'preact/hooks';

/**
 * Runs `task` now and then every `intervalMs` after the previous run ended (never two at
 * once, so a slow answer does not pile requests up), until the component goes away.
 */
export function usePolling(task: () => Promise<void>, intervalMs: number): void {
  const latest = useRef(task);
  latest.current = task;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async (): Promise<void> => {
      try {
        await latest.current();
      } finally {
        if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
      }
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [intervalMs]);
}

/** The message of anything thrown (fetch's TypeError when the service is gone). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
