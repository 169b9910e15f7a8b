import { lazy, Suspense } from 'react';
import { can, useMe } from '../lib/session';

const Forbidden = lazy(() => import('./Forbidden'));

/** Renders its page only for principals holding the permission (any one of a list); others see a 403 result. */
export function RequirePermission({
  permission,
  children,
}: {
  permission?: string | readonly string[];
  children: React.ReactNode;
}) {
  const me = useMe();
  if (!can(me.data, permission)) {
    return (
      <Suspense fallback={null}>
        <Forbidden />
      </Suspense>
    );
  }
  return <>{children}</>;
}
