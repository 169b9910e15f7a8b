/**
 * Starting points for a new project: a Label Studio config and a sample task that the live
 * preview renders it on. Names and descriptions are translation keys (projects namespace).
 */
export interface Template {
  key: 'text_classification' | 'ner' | 'sentiment' | 'qa' | 'bbox' | 'custom';
  config: string;
  sample: Record<string, unknown>;
}

// A small picture drawn inline: the preview never fetches from outside.
const SAMPLE_IMAGE = `data:image/svg+xml;utf8,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="320"><rect width="480" height="320" fill="#e6f4ff"/><rect x="60" y="80" width="140" height="160" fill="#1677ff"/><circle cx="340" cy="160" r="70" fill="#fa8c16"/></svg>',
)}`;

export const TEMPLATES: Template[] = [
  {
    key: 'text_classification',
    config: `<View>
  <Text name="text" value="$text"/>
  <Choices name="label" toName="text" choice="single" showInline="true">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
    <Choice value="Neutral"/>
  </Choices>
</View>`,
    sample: { text: 'The delivery was quick and the product works as described.' },
  },
  {
    key: 'ner',
    config: `<View>
  <Labels name="label" toName="text">
    <Label value="PER" background="#ff7875"/>
    <Label value="ORG" background="#69b1ff"/>
    <Label value="LOC" background="#95de64"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>`,
    sample: { text: 'Ada Lovelace worked with Charles Babbage in London.' },
  },
  {
    key: 'sentiment',
    config: `<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single" showInline="true">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
    <Choice value="Neutral"/>
  </Choices>
  <Rating name="intensity" toName="text" maxRating="5"/>
</View>`,
    sample: { text: 'I would not buy this again.' },
  },
  {
    key: 'qa',
    config: `<View>
  <Header value="$question"/>
  <Text name="context" value="$context"/>
  <TextArea name="answer" toName="context" rows="3" maxSubmissions="1"/>
</View>`,
    sample: {
      question: 'Where did Ada Lovelace work?',
      context: 'Ada Lovelace worked with Charles Babbage in London.',
    },
  },
  {
    key: 'bbox',
    config: `<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Square" background="#1677ff"/>
    <Label value="Circle" background="#fa8c16"/>
  </RectangleLabels>
</View>`,
    sample: { image: SAMPLE_IMAGE },
  },
  {
    key: 'custom',
    config: `<View>
  <Text name="text" value="$text"/>
  <Choices name="label" toName="text">
    <Choice value="A"/>
    <Choice value="B"/>
  </Choices>
</View>`,
    sample: { text: 'Sample text' },
  },
];

/** Sample data for any config: each `$key` it references, an image URL for image-like names. */
export function sampleFor(config: string, known: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [, key] of config.matchAll(/value="\$([\w.]+)"/g)) {
    if (!key) continue;
    data[key] = known[key] ?? (/image|img|photo|picture/i.test(key) ? SAMPLE_IMAGE : `Sample ${key}`);
  }
  return data;
}
