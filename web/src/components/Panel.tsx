import { theme } from 'antd';

/**
 * A bordered block with an optional title row, drawn as antd's Card. Card itself imports
 * Tabs (for tabbed cards), which would add 8 KB to the dashboard's first load.
 */
export function Panel({
  title,
  extra,
  children,
}: {
  title?: React.ReactNode;
  extra?: React.ReactNode;
  children: React.ReactNode;
}) {
  const { token } = theme.useToken();
  const pad = token.paddingLG;
  return (
    <section
      style={{
        background: token.colorBgContainer,
        border: `${token.lineWidth}px ${token.lineType} ${token.colorBorderSecondary}`,
        borderRadius: token.borderRadiusLG,
        color: token.colorText,
      }}
    >
      {title ? (
        <header
          style={{
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'space-between',
            gap: token.marginSM,
            minHeight: 56,
            padding: `0 ${pad}px`,
            borderBottom: `${token.lineWidth}px ${token.lineType} ${token.colorBorderSecondary}`,
          }}
        >
          <h3 style={{ margin: 0, fontSize: token.fontSizeLG, fontWeight: token.fontWeightStrong }}>
            {title}
          </h3>
          {extra ? <span>{extra}</span> : null}
        </header>
      ) : null}
      <div style={{ padding: pad }}>{children}</div>
    </section>
  );
}
