import { useQuery } from '@tanstack/react-query';
import { App } from 'antd';
import { useEffect, useRef } from 'react';
import { api, must } from '../api/client';

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

/** Follows a job run (GET /jobs/{id}: a rules run, rescoring, a bill, a bulk action) the same way. */
export function useJob(jobId: string | null | undefined, labels: { done: string; failed: string }) {
  return useJobProgress(
    ['job', jobId ?? null],
    async () => {
      const run = await must(api.GET('/api/v1/jobs/{id}', { params: { path: { id: jobId! } } }));
      return { ...run, status: run.state };
    },
    !!jobId,
    labels,
  );
}
