/**
 * The sample project a new user can label in a minute: short product reviews, half English
 * and half Chinese, written for this project (not taken from any data set), to be sorted by
 * sentiment. Created through the same project and import services as any other project, so
 * what a user learns on it holds for their own data.
 */

/** The words around the data, in the languages the console speaks; the data is both. */
export const SAMPLE_TEXT = {
  en: {
    title: 'Sample: product review sentiment',
    description:
      'Twenty short product reviews in English and Chinese, to try labeling: choose the sentiment of each.',
    instructions: `Read the review and choose its sentiment.

- **Positive**: the reviewer is pleased overall.
- **Negative**: the reviewer is disappointed overall.
- **Neutral**: neither, or as much praise as complaint.

Press a choice's number key, then Submit.`,
  },
  'zh-CN': {
    title: '示例：商品评价情感',
    description: '二十条简短的中英文商品评价，用来试一试标注：为每条评价选择情感倾向。',
    instructions: `阅读评价，选择它的情感倾向。

- **Positive**（正面）：评价者总体满意。
- **Negative**（负面）：评价者总体失望。
- **Neutral**（中性）：两者都不是，或褒贬各半。

按选项的数字键，然后提交。`,
  },
} as const;

export type SampleLanguage = keyof typeof SAMPLE_TEXT;

export const SAMPLE_CONFIG = `<View>
  <Header value="$product"/>
  <Text name="review" value="$review"/>
  <Choices name="sentiment" toName="review" choice="single-radio" showInline="true" required="true">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
    <Choice value="Neutral"/>
  </Choices>
</View>`;

interface SampleReview {
  product: string;
  review: string;
  language: 'en' | 'zh';
}

export const SAMPLE_REVIEWS: readonly SampleReview[] = [
  {
    product: 'wireless earbuds',
    review: 'Battery easily lasts my whole commute both ways, and they stay put when I run.',
    language: 'en',
  },
  {
    product: 'wireless earbuds',
    review: 'The left bud stopped charging after three weeks. Support asked me to buy a new case.',
    language: 'en',
  },
  {
    product: 'electric kettle',
    review: 'Boils a litre in about four minutes. It does what a kettle does, nothing more.',
    language: 'en',
  },
  {
    product: 'electric kettle',
    review: 'Quiet, quick, and it switches itself off. The blue light at night is a nice touch.',
    language: 'en',
  },
  {
    product: 'backpack',
    review: 'Zipper broke on the second trip and one strap is already fraying. Not worth the price.',
    language: 'en',
  },
  {
    product: 'backpack',
    review: 'Fits a 15-inch laptop, though the side pockets are too shallow for a water bottle.',
    language: 'en',
  },
  {
    product: 'desk lamp',
    review: 'Warm light, three brightness levels, and the clamp holds firmly on a thick desk.',
    language: 'en',
  },
  {
    product: 'desk lamp',
    review: 'Arrived with a cracked base and the replacement flickers. Returning both.',
    language: 'en',
  },
  {
    product: 'running shoes',
    review: 'Comfortable out of the box; after two hundred kilometres the soles show little wear.',
    language: 'en',
  },
  {
    product: 'running shoes',
    review: 'They run half a size small. Otherwise about the same as my old pair.',
    language: 'en',
  },
  { product: '无线耳机', review: '音质清楚，降噪效果比预期好，坐地铁也能听清播客。', language: 'zh' },
  { product: '无线耳机', review: '戴久了耳朵疼，而且连接经常断，退货了。', language: 'zh' },
  { product: '电热水壶', review: '烧水很快，外壳不烫手，家里老人用着也放心。', language: 'zh' },
  { product: '电热水壶', review: '用了一个月底部开始生锈，水里有一股铁味。', language: 'zh' },
  { product: '双肩包', review: '容量刚好，做工一般，背起来不算舒服也不算难受。', language: 'zh' },
  { product: '双肩包', review: '面料防水，下雨天电脑没湿，肩带也很软，值这个价。', language: 'zh' },
  { product: '台灯', review: '亮度可以调，但是开关按键有点松，用久了不知道会不会坏。', language: 'zh' },
  { product: '台灯', review: '光线柔和不刺眼，孩子写作业用正合适。', language: 'zh' },
  { product: '跑步鞋', review: '鞋底太硬，跑五公里脚就疼，客服也不回消息。', language: 'zh' },
  { product: '跑步鞋', review: '尺码标准，颜色和图片一样，还没怎么穿，暂时说不上好坏。', language: 'zh' },
];

/** The reviews as Label Studio tasks, for the import service. */
export function sampleTasks() {
  return SAMPLE_REVIEWS.map((r) => ({ data: { ...r } }));
}
