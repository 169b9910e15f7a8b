/**
 * The console's Ant Design settings, shared by the app and the build. Own class prefix: the
 * editor's stylesheet carries antd 4 rules for .ant-* that would restyle the console. No
 * hashed class names, so the stylesheet the build extracts (web/vite.config.ts) matches.
 */
export const ANTD = { prefixCls: 'si', iconPrefixCls: 'si-icon' } as const;
