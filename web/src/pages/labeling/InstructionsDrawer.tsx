import { Descriptions, Drawer, Empty, Typography } from 'antd';
import { useTranslation } from 'react-i18next';

/** The project's guidelines and the keyboard shortcuts, at hand beside the editor. */
export function InstructionsDrawer({
  open,
  onClose,
  text,
}: {
  open: boolean;
  onClose: () => void;
  text: string;
}) {
  const { t } = useTranslation('labeling');
  return (
    <Drawer open={open} onClose={onClose} title={t('instructions.title')} size={420}>
      {text ? (
        <Typography.Paragraph style={{ whiteSpace: 'pre-wrap' }}>{text}</Typography.Paragraph>
      ) : (
        <Empty description={t('instructions.none')} />
      )}
      <Descriptions title={t('shortcuts.title')} column={1} size="small" bordered>
        <Descriptions.Item label={t('shortcuts.submitKeys')}>{t('shortcuts.submit')}</Descriptions.Item>
        <Descriptions.Item label={t('shortcuts.skipKeys')}>{t('shortcuts.skip')}</Descriptions.Item>
        <Descriptions.Item label={t('shortcuts.nextKeys')}>{t('shortcuts.next')}</Descriptions.Item>
        <Descriptions.Item label={t('shortcuts.previousKeys')}>{t('shortcuts.previous')}</Descriptions.Item>
        <Descriptions.Item label={t('shortcuts.instructionsKeys')}>
          {t('shortcuts.instructions')}
        </Descriptions.Item>
      </Descriptions>
    </Drawer>
  );
}
