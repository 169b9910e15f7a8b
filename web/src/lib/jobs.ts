import { useQuery } from '@tanstack/react-query';
import { App } from 'antd';
import { useEffect, useRef } from 'react';

export interface JobLike {
  status: string;
  progress: number;
}

const FINISHED = new Set(['completed', 'failed']);

/**
 * Follows a long-running job's record (an import or an export) until it finishes, polling
 * twice a second, and announces the end with a notification.
 */
export function useJobProgress<T extends JobLike>(
  key: unknown[],
  fetch: () => Promise<T>,
  enabled: boolean,
  labels: { done: string; failed: string },
) {
  const { notification } = App.useApp();
  const announced = useRef<string | null>(null);
  const query = useQuery({
    queryKey: key,
    queryFn: fetch,
    enabled,
    refetchInterval: (q) => (q.state.data && FINISHED.has(q.state.data.status) ? false : 500),
  });
  const status = query.data?.status;
  const id = JSON.stringify(key);
  useEffect(() => {
    if (!status || !FINISHED.has(status) || announced.current === id) return;
    announced.current = id;
    if (status === 'completed') notification.success({ title: labels.done, placement: 'bottomRight' });
    else notification.error({ title: labels.failed, placement: 'bottomRight' });
  }, [status, id, notification, labels.done, labels.failed]);
  return query;
}
