import { theme } from 'antd';

/**
 * A page's heading in antd's type scale. Typography.Title would do the same and bring its
 * copy, edit and ellipsis machinery (10 KB) into every page that has a title.
 */
export function PageTitle({ children }: { children: React.ReactNode }) {
  const { token } = theme.useToken();
  return (
    <h2
      style={{
        margin: 0,
        color: token.colorTextHeading,
        fontSize: token.fontSizeHeading2,
        fontWeight: token.fontWeightStrong,
        lineHeight: token.lineHeightHeading2,
      }}
    >
      {children}
    </h2>
  );
}
