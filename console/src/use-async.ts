// Loading state for a page's main request.
import { useCallback, useEffect, useState } from 'react';
import { ApiError, errorText } from './http.ts';

/** The state of a request: its last answer, whether one is running, and its last error. */
export interface AsyncState<T> {
  readonly data: T | undefined;
  readonly loading: boolean;
  readonly error: string | null;
  /** The HTTP status of the last error when the server refused (403 lets a page say "not allowed"). */
  readonly errorCode: number | undefined;
  /** Runs the request again. */
  readonly reload: () => void;
}

/**
 * Runs `load` now and whenever `deps` change or `reload` is called; answers that arrive after a
 * newer request started are dropped, so a slow page never overwrites a fast one.
 */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [errorCode, setErrorCode] = useState<number | undefined>(undefined);
  const [generation, setGeneration] = useState(0);

  // The caller names the dependencies of `load`, as with useEffect.
  const stableLoad = useCallback(load, deps);

  useEffect(() => {
    let current = true;
    setLoading(true);
    stableLoad().then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(null);
        setErrorCode(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (!current) return;
        setError(errorText(err));
        setErrorCode(err instanceof ApiError ? err.code : undefined);
        setLoading(false);
      },
    );
    return () => { current = false; };
  }, [stableLoad, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, loading, error, errorCode, reload };
}
