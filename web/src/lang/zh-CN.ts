// Every namespace of one language, as one chunk: the console loads only the language in use.
export default import.meta.glob<Record<string, unknown>>('../locales/zh-CN/*.json', {
  eager: true,
  import: 'default',
});
