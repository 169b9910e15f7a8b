/** Labeling results for the quality tests: a config with choices, spans and a rating. */
export const RICH_CONFIG = `<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text">
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
  <Labels name="ner" toName="text"><Label value="PER"/><Label value="ORG"/></Labels>
  <Rating name="stars" toName="text" maxRating="5"/>
</View>`;

export const choice = (c: string) => ({
  from_name: 'sentiment',
  to_name: 'text',
  type: 'choices',
  value: { choices: [c] },
});
export const entity = (start: number, end: number, label = 'PER') => ({
  from_name: 'ner',
  to_name: 'text',
  type: 'labels',
  value: { start, end, labels: [label] },
});
export const stars = (rating: number) => ({
  from_name: 'stars',
  to_name: 'text',
  type: 'rating',
  value: { rating },
});
