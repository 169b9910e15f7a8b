import { useQuery } from '@tanstack/react-query';
import { Alert } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, must } from '../api/client';
import { can, type Me } from '../lib/session';

// Dismissed for the browser session only, and only for the state it was dismissed in: a
// new threshold (or grace, or expiry) shows again.
const DISMISSED = 'si.licenseBanner.dismissed';

/** App-wide banner while the license nears expiry, is in grace, or has run out to basic. */
export function LicenseBanner({ me }: { me: Me }) {
  const { t } = useTranslation();
  const notice = useQuery({
    queryKey: ['license', 'notice'],
    queryFn: () => must(api.GET('/api/v1/license/notice')),
    staleTime: 5 * 60_000,
  });
  const n = notice.data;
  const stateKey = n?.state ? `${n.state}:${n.days_left ?? ''}` : null;
  const [dismissed, setDismissed] = useState(() => sessionStorage.getItem(DISMISSED));
  if (!n?.state || dismissed === stateKey) return null;
  const days = n.days_left ?? 0;
  return (
    <Alert
      banner
      closable
      type={n.state === 'warning' ? 'warning' : 'error'}
      data-testid="license-banner"
      message={t(`licenseBanner.${n.state}`, { count: days })}
      description={
        can(me, 'license:read') ? (
          <Link to="/admin/license">{t('licenseBanner.manage')}</Link>
        ) : (
          t('licenseBanner.askAdmin')
        )
      }
      onClose={() => {
        sessionStorage.setItem(DISMISSED, stateKey!);
        setDismissed(stateKey);
      }}
    />
  );
}
