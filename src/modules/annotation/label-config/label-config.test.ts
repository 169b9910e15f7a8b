import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Problem } from '../../../platform/errors/problem.ts';
import { controlTypeOf, EDITOR_TAGS, labelKeyOf, parseLabelConfig, validateResult } from './label-config.ts';

// Label Studio's own templates (label_studio/annotation_templates), verbatim.
const TEXT_CLASSIFICATION = `
<View>
  <Text name="text" value="$text"/>
  <View style="box-shadow: 2px 2px 5px #999;
               padding: 20px; margin-top: 2em;
               border-radius: 5px;">
    <Header value="Choose text sentiment"/>
    <Choices name="sentiment" toName="text"
             choice="single" showInLine="true">
      <Choice value="Positive"/>
      <Choice value="Negative"/>
      <Choice value="Neutral"/>
    </Choices>
  </View>
</View>


<!-- {
"data": {"text": "This is a great 3D movie that delivers everything almost right in your face."}

}
-->
`;

const NER = `
<View>
  <Labels name="label" toName="text">
    <Label value="PER" background="red"/>
    <Label value="ORG" background="darkorange"/>
    <Label value="LOC" background="orange"/>
    <Label value="MISC" background="green"/>
  </Labels>

  <Text name="text" value="$ner"/>
</View>
`;

const BBOX = `<View>
    <Image name="image" value="$image"/>
    <RectangleLabels name="label" toName="image">
      <Label value="Airplane" background="green"/>
      <Label value="Car" background="blue"/>
    </RectangleLabels>
  </View>
`;

const QA = `
<View>
  <Header value="Please read the passage" />
  <Text name="text" value="$text" granularity="word"/>
  <Header value="Select a text span answering the following question:"/>
  <Text name="question" value="$question"/>
  <View style="display: none;">
  <Labels name="answer" toName="text">
    <Label value="Answer" maxUsage="1" background="red"/>
  </Labels>
  </View>
</View>
`;

const RELATIONS = `
<View>
   <Relations>
    <Relation value="org:founded_by"/>
    <Relation value="org:founded"/>
  </Relations>
  <Labels name="label" toName="text">
    <Label value="Organization" background="orange"/>
    <Label value="Person" background="green"/>
    <Label value="Datetime" background="blue"/>
  </Labels>

  <Text name="text" value="$text"/>
</View>
`;

const TAXONOMY = `<View>
    <Text name="text" value="$text"/>
    <Taxonomy name="taxonomy" toName="text">
      <Choice value="Archaea" />
      <Choice value="Bacteria" />
      <Choice value="Eukarya">
        <Choice value="Human" />
        <Choice value="Oppossum" />
        <Choice value="Extraterrestial" />
      </Choice>
    </Taxonomy>
  </View>`;

const PAIRWISE = `<View>
  <Header>Select one of two items</Header>
  <Pairwise name="pw" toName="text1,text2" />
  <Text name="text1" value="$text1" />
  <Text name="text2" value="$text2" />
</View>`;

const SUMMARY = `<View>
  <Header value="Please read the text" />
  <Text name="text" value="$text" />

  <Header value="Provide one sentence summary" />
  <TextArea name="answer" toName="text"
            showSubmitButton="true" maxSubmissions="1" editable="true"
            required="true" />
</View>`;

const CONVERSATION = `<View>
      <Audio name="audio" value="$audio"
             hotkey="space" sync="text"/>
      <Header value="Transcript"/>
      <Paragraphs audioUrl="$audio"
                  sync="audio"
                  name="text"
                  value="$text"
                  layout="dialogue"
                  textKey="text"
                  nameKey="author"
                  granularity="paragraph"
                  contextscroll="true" />
       <View style="position: sticky">
        <Header value="Sentiment Labels"/>
        <ParagraphLabels name="label" toName="text">
          <Label value="Positive1" background="#00ff00"/>
          <Label value="Negative" background="#ff0000"/>
        </ParagraphLabels>
      </View>
  </View>`;

function problemOf(xml: string): Problem {
  try {
    parseLabelConfig(xml);
  } catch (err) {
    expect(err).toBeInstanceOf(Problem);
    const p = err as Problem;
    expect(p.status).toBe(400);
    for (const e of p.extra.errors ?? []) expect(e.path).toBe('body/label_config');
    return p;
  }
  throw new Error('expected the config to be refused');
}

describe('parseLabelConfig on Label Studio templates', () => {
  it('text classification', () => {
    expect(parseLabelConfig(TEXT_CLASSIFICATION)).toEqual({
      objects: [{ name: 'text', type: 'Text', value: '$text' }],
      controls: [
        { name: 'sentiment', type: 'Choices', toName: ['text'], labels: ['Positive', 'Negative', 'Neutral'] },
      ],
      dataKeys: ['text'],
    });
  });

  it('named entity recognition', () => {
    const c = parseLabelConfig(NER);
    expect(c.controls).toEqual([
      { name: 'label', type: 'Labels', toName: ['text'], labels: ['PER', 'ORG', 'LOC', 'MISC'] },
    ]);
    expect(c.dataKeys).toEqual(['ner']);
  });

  it('image bounding boxes', () => {
    const c = parseLabelConfig(BBOX);
    expect(c.objects).toEqual([{ name: 'image', type: 'Image', value: '$image' }]);
    expect(c.controls[0]).toMatchObject({ type: 'RectangleLabels', labels: ['Airplane', 'Car'] });
  });

  it('question answering: two objects, a control nested in a View', () => {
    const c = parseLabelConfig(QA);
    expect(c.objects.map((o) => o.name)).toEqual(['text', 'question']);
    expect(c.dataKeys).toEqual(['text', 'question']);
    expect(c.controls).toEqual([{ name: 'answer', type: 'Labels', toName: ['text'], labels: ['Answer'] }]);
  });

  it('relation extraction, taxonomy, pairwise, summarization, conversation', () => {
    const rel = parseLabelConfig(RELATIONS);
    expect(rel.controls.find((c) => c.type === 'Relations')?.labels).toEqual([
      'org:founded_by',
      'org:founded',
    ]);
    const tax = parseLabelConfig(TAXONOMY);
    expect(tax.controls[0]!.labels).toEqual([
      'Archaea',
      'Bacteria',
      'Eukarya',
      'Human',
      'Oppossum',
      'Extraterrestial',
    ]);
    expect(parseLabelConfig(PAIRWISE).controls[0]!.toName).toEqual(['text1', 'text2']);
    expect(controlTypeOf(parseLabelConfig(SUMMARY), 'answer')).toBe('textarea');
    // audioUrl="$audio" is a data reference too; it is reported once.
    expect(parseLabelConfig(CONVERSATION).dataKeys).toEqual(['audio', 'text']);
  });

  it('takes Choice aliases as the values results carry, and dynamic choices as a data key', () => {
    const c = parseLabelConfig(`<View><Text name="t" value="$t"/>
      <Choices name="c" toName="t"><Choice value="Yes, certainly" alias="yes"/><Choice value="No"/></Choices>
      <Choices name="d" toName="t" value="$options"/></View>`);
    expect(c.controls[0]!.labels).toEqual(['yes', 'No']);
    expect(c.controls[1]!.labels).toEqual([]);
    expect(c.dataKeys).toEqual(['t', 'options']);
  });

  it('matches tag names case-insensitively, like the editor', () => {
    const c = parseLabelConfig(
      '<view><text name="t" value="$t"/><choices name="c" toName="t"><choice value="a"/></choices></view>',
    );
    expect(c.controls[0]!.type).toBe('Choices');
  });
});

describe('parseLabelConfig refuses', () => {
  it('XML that is not well-formed, naming line and column', () => {
    const p = problemOf('<View>\n  <Text name="t" value="$t">\n</View>');
    expect(p.detail).toMatch(/not well-formed XML at line 3, column 1: .*opened in line 2/);
    expect(problemOf('<View><Text name="t" value=$t/></View>').detail).toMatch(/line 1/);
    expect(problemOf('').detail).toMatch(/empty/);
  });

  it('a root other than one <View>', () => {
    expect(problemOf('<Text name="t" value="$t"/>').detail).toMatch(/root tag must be <View>/);
    expect(problemOf('<View/><View/>').detail).toMatch(/exactly one root/);
  });

  it("what Label Studio's schema refuses on the tags it checks (reached through Views)", () => {
    const messages = (xml: string) => problemOf(xml).extra.errors!.map((e) => e.message);
    expect(
      messages('<View><Text name="t" value="$t"/><Choices name="c"><Choice value="a"/></Choices></View>'),
    ).toEqual(['<Choices name="c"> has no toName']);
    expect(messages('<View><Text name="t" value="$t"/><View><TextArea name="a"/></View></View>')).toEqual([
      '<TextArea name="a"> has no toName',
    ]);
    // A misspelt <Choice> leaves the Choices with nothing to choose, which the schema refuses.
    expect(
      messages(
        '<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choise value="a"/></Choices></View>',
      ),
    ).toEqual(['<Choices name="c"> has no <Choice>, value or <View> inside']);
    expect(messages('<View><Image value="$i"/><Text name="t"/></View>')).toEqual([
      '<Image> has no name',
      '<Text name="t"> has no value',
    ]);
    // The Views inside a Choices are checked too.
    expect(
      messages(
        '<View><Text name="t" value="$t"/><Choices name="c" toName="t"><View><Labels name="l"><Label value="x"/></Labels></View></Choices></View>',
      ),
    ).toEqual(['<Labels name="l"> has no toName']);
  });

  it('accepts what the schema does not check: tags off the View path, unknown tags (warned)', () => {
    // Label Studio's schema follows only Views: inside a Collapse nothing is required.
    const c = parseLabelConfig(
      '<View><Text name="t" value="$t"/><Collapse><Panel value="More"><Text value="Read the guide first"/><Choices name="c" toName="t"><Choice value="a"/></Choices></Panel></Collapse><Blink/></View>',
    );
    expect(c.controls.map((x) => x.name)).toEqual(['c']);
    expect(c.warnings).toContainEqual({ code: 'unknown_tag', message: expect.any(String), tag: 'Blink' });
    // Still refused there: a toName that names no tag at all, and duplicate names.
    expect(
      problemOf('<View><Collapse><Panel value="x"><Rating name="r" toName="nope"/></Panel></Collapse></View>')
        .detail,
    ).toMatch(/has toName "nope", which names no tag/);
  });

  it('controls without a name; a control without toName is accepted, as Label Studio does', () => {
    expect(
      problemOf('<View><Text name="t" value="$t"/><Choices toName="t"><Choice value="a"/></Choices></View>')
        .detail,
    ).toMatch(/<Choices> has no name/);
    // Label Studio's chatbot-assessment template has <Rating name="likert_scale"/> alone.
    const c = parseLabelConfig('<View><Text name="t" value="$t"/><Rating name="r" maxRating="7"/></View>');
    expect(c.controls).toEqual([{ name: 'r', type: 'Rating', toName: [], labels: [] }]);
    expect(
      validateResult(c, [{ from_name: 'r', to_name: 't', type: 'rating', value: { rating: 5 } }]),
    ).toEqual([]);
  });

  it('a toName that names no tag; one naming a control is accepted with a warning, as Label Studio does', () => {
    const p = problemOf(
      '<View><Text name="t" value="$t"/><Choices name="c" toName="txt"><Choice value="a"/></Choices></View>',
    );
    expect(p.extra.errors!.map((e) => e.message)).toEqual([
      '<Choices name="c"> has toName "txt", which names no tag',
    ]);
    const c = parseLabelConfig(
      '<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="a"/></Choices><Rating name="r" toName="c"/></View>',
    );
    expect(c.warnings).toEqual([
      {
        code: 'to_name_not_object',
        message: '<Rating name="r"> has toName "c", which names no object tag',
        tag: 'Rating',
        control: 'r',
        value: 'c',
      },
    ]);
  });

  it('duplicate names', () => {
    expect(
      problemOf(
        '<View><Text name="t" value="$t"/><Choices name="t" toName="t"><Choice value="a"/></Choices></View>',
      ).detail,
    ).toMatch(/the name "t" is used twice \(<Text> and <Choices>\)/);
  });

  it('duplicate Choice or Label values within one control: a warning, as Label Studio accepts them', () => {
    expect(
      parseLabelConfig(
        '<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="a"/><View><Choice value="a"/></View></Choices></View>',
      ),
    ).toMatchObject({
      controls: [{ name: 'c', labels: ['a'] }],
      warnings: [
        {
          code: 'duplicate_value',
          message: '<Choices name="c"> declares the choice "a" twice',
          tag: 'Choices',
          control: 'c',
          value: 'a',
        },
      ],
    });
    expect(parseLabelConfig(NER.replace('"LOC"', '"PER"')).warnings?.map((w) => w.message)).toEqual([
      '<Labels name="label"> declares the label "PER" twice',
    ]);
    expect(
      parseLabelConfig(
        '<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="a"/></Choices><Choices name="d" toName="t"><Choice value="a"/></Choices></View>',
      ).warnings,
    ).toBeUndefined();
    // In a taxonomy, only siblings must differ.
    expect(
      parseLabelConfig(
        '<View><Text name="t" value="$t"/><Taxonomy name="x" toName="t"><Choice value="A"><Choice value="Other"/></Choice><Choice value="B"><Choice value="Other"/></Choice></Taxonomy></View>',
      ).warnings,
    ).toBeUndefined();
    expect(
      problemOf('<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice/></Choices></View>')
        .detail,
    ).toMatch(/has no value/);
  });

  it('object tags with literal text, $keys embedded in a literal, and data paths', () => {
    // Static text (instructions, a legend) reads no task data.
    expect(parseLabelConfig('<View><Text name="t" value="Read the dialogue first."/></View>')).toEqual({
      objects: [{ name: 't', type: 'Text', value: 'Read the dialogue first.' }],
      controls: [],
      dataKeys: [],
    });
    expect(
      parseLabelConfig(`<View><HyperText name="h" value="<embed src='$image'/> by $author"/></View>`)
        .dataKeys,
    ).toEqual(['image', 'author']);
    // A path reads its root key: indexed, dotted, a Repeater's {{idx}}.
    expect(
      parseLabelConfig(
        '<View><Image name="i" value="$images[0].url"/><Text name="t" value="$meta.title"/><Repeater on="$document" indexFlag="{{idx}}"><Image name="p_{{idx}}" value="$document[{{idx}}].page"/></Repeater></View>',
      ).dataKeys,
    ).toEqual(['images', 'meta', 'document']);
    expect(problemOf('<View><Image name="i"/></View>').detail).toMatch(/<Image name="i"> has no value/);
  });

  it("warns of tags the embedded editor cannot show; the list is the editor bundle's own registry", () => {
    expect(
      parseLabelConfig(
        '<View><Pdf name="pdf" value="$pdf"/><OcrLabels name="o" toName="pdf"><Label value="Typo"/></OcrLabels></View>',
      ).warnings,
    ).toEqual([
      {
        code: 'editor_cannot_show',
        message: 'the embedded editor (Label Studio frontend 1.4.0) cannot show <Pdf>',
        tag: 'Pdf',
      },
      {
        code: 'editor_cannot_show',
        message: 'the embedded editor (Label Studio frontend 1.4.0) cannot show <OcrLabels>',
        tag: 'OcrLabels',
      },
    ]);
    const bundle = fs.readFileSync(
      path.resolve(
        import.meta.dirname,
        '../../../../node_modules/@heartexlabs/label-studio/build/static/js/main.js',
      ),
      'utf8',
    );
    const registered = new Set([...bundle.matchAll(/addTag\("([a-z]+)"/g)].map((m) => m[1]!));
    // Region tags are the editor's own, never written in a config.
    for (const tag of registered) if (tag.endsWith('region')) registered.delete(tag);
    expect([...EDITOR_TAGS].sort()).toEqual([...registered].sort());
  });

  it('a DOCTYPE (entity expansion)', () => {
    expect(
      problemOf('<!DOCTYPE View [<!ENTITY a "aaaa">]><View><Text name="t" value="$t"/></View>').detail,
    ).toMatch(/DOCTYPE/);
  });

  it('lists every problem found, the first in the detail', () => {
    const p = problemOf(
      '<View><Text name="t"/><Choices name="c" toName="nope"><Choice value="a"/></Choices><Labels name="l" toName="t"/></View>',
    );
    expect(p.extra.errors).toHaveLength(3);
    expect(p.detail).toMatch(/\(and 2 more\)$/);
  });
});

describe('validateResult', () => {
  const sentiment = parseLabelConfig(TEXT_CLASSIFICATION);
  const ner = parseLabelConfig(NER);
  const bbox = parseLabelConfig(BBOX);

  it('accepts the results of Label Studio template examples', () => {
    expect(
      validateResult(sentiment, [
        {
          id: 'x1',
          from_name: 'sentiment',
          to_name: 'text',
          type: 'choices',
          value: { choices: ['Positive'] },
        },
      ]),
    ).toEqual([]);
    // From the question-answering template's example annotation.
    expect(
      validateResult(parseLabelConfig(QA), [
        {
          value: { start: 423, end: 553, text: 'event horizons…', labels: ['Answer'] },
          id: 'b0wKkdnnRc',
          from_name: 'answer',
          to_name: 'text',
          type: 'labels',
        },
      ]),
    ).toEqual([]);
    // From the relation-extraction template's example annotation.
    expect(
      validateResult(parseLabelConfig(RELATIONS), [
        {
          value: { start: 0, end: 9, text: 'Microsoft', labels: ['Organization'] },
          id: 'a-ubmF-dP2',
          from_name: 'label',
          to_name: 'text',
          type: 'labels',
        },
        {
          value: { start: 25, end: 35, text: 'Bill Gates', labels: ['Person'] },
          id: 'dQ_pmsrWsm',
          from_name: 'label',
          to_name: 'text',
          type: 'labels',
        },
        {
          from_id: 'a-ubmF-dP2',
          to_id: 'dQ_pmsrWsm',
          type: 'relation',
          direction: 'right',
          labels: ['org:founded_by'],
        },
        { from_id: 'a-ubmF-dP2', to_id: 'dQ_pmsrWsm', type: 'relation', direction: 'right', labels: [] },
      ]),
    ).toEqual([]);
    // From the pairwise template: to_name is the control itself.
    expect(
      validateResult(parseLabelConfig(PAIRWISE), [
        { value: { selected: 'left' }, id: 'Prs1iTKZzp', from_name: 'pw', to_name: 'pw', type: 'pairwise' },
      ]),
    ).toEqual([]);
    expect(
      validateResult(parseLabelConfig(SUMMARY), [
        {
          value: { text: ['There are two approaches…'] },
          id: 'Zc_Rb6Bszp',
          from_name: 'answer',
          to_name: 'text',
          type: 'textarea',
        },
      ]),
    ).toEqual([]);
    expect(
      validateResult(bbox, [
        {
          id: 'r1',
          from_name: 'label',
          to_name: 'image',
          type: 'rectanglelabels',
          original_width: 800,
          original_height: 600,
          value: { x: 10, y: 20.5, width: 30, height: 40, rotation: 0, rectanglelabels: ['Car'] },
        },
      ]),
    ).toEqual([]);
    expect(
      validateResult(parseLabelConfig(TAXONOMY), [
        {
          from_name: 'taxonomy',
          to_name: 'text',
          type: 'taxonomy',
          value: { taxonomy: [['Archaea'], ['Eukarya', 'Human']] },
        },
      ]),
    ).toEqual([]);
    expect(validateResult(sentiment, [])).toEqual([]);
  });

  it('names each wrong field by path', () => {
    expect(validateResult(sentiment, {})).toEqual([{ path: 'result', message: 'must be an array' }]);
    const errors = validateResult(sentiment, [
      'nope',
      { from_name: 'mood', to_name: 'text', type: 'choices', value: { choices: ['Positive'] } },
      { from_name: 'sentiment', to_name: 'image', type: 'choices', value: { choices: ['Positive'] } },
      { from_name: 'sentiment', to_name: 'text', type: 'labels', value: { labels: ['Positive'] } },
      { from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: ['Positive', 'Happy'] } },
      { from_name: 'sentiment', to_name: 'text', type: 'choices', value: 'Positive' },
      { to_name: 'text', type: 'choices', value: { choices: [] } },
    ]);
    expect(errors).toEqual([
      { path: 'result/0', message: 'must be an object' },
      { path: 'result/1/from_name', message: '"mood" names no control tag of the config' },
      { path: 'result/2/to_name', message: 'must be one of "text"' },
      { path: 'result/3/type', message: 'must be "choices" for <Choices name="sentiment">' },
      { path: 'result/4/value/choices/1', message: '"Happy" is not a choice of "sentiment"' },
      { path: 'result/5/value', message: 'must be an object' },
      { path: 'result/6/from_name', message: 'is required' },
    ]);
  });

  it('checks spans and boxes', () => {
    expect(
      validateResult(ner, [
        { from_name: 'label', to_name: 'text', type: 'labels', value: { start: 5, end: 2, labels: ['PER'] } },
        {
          from_name: 'label',
          to_name: 'text',
          type: 'labels',
          value: { start: '0', end: 3, labels: ['PER'] },
        },
        {
          from_name: 'label',
          to_name: 'text',
          type: 'labels',
          value: { start: 0, end: 3, labels: ['PERSON'] },
        },
      ]),
    ).toEqual([
      { path: 'result/0/value/end', message: 'must not be before start' },
      { path: 'result/1/value/start', message: 'must be a non-negative integer' },
      { path: 'result/2/value/labels/0', message: '"PERSON" is not a label of "label"' },
    ]);
    expect(
      validateResult(bbox, [
        {
          from_name: 'label',
          to_name: 'image',
          type: 'rectanglelabels',
          value: { x: 1, y: '2', width: 3, rectanglelabels: ['Car'] },
        },
      ]),
    ).toEqual([
      { path: 'result/0/value/y', message: 'must be a number' },
      { path: 'result/0/value/height', message: 'must be a number' },
    ]);
  });

  it('checks relations join regions of the same result with declared labels', () => {
    const rel = parseLabelConfig(RELATIONS);
    expect(
      validateResult(rel, [
        {
          id: 'a',
          from_name: 'label',
          to_name: 'text',
          type: 'labels',
          value: { start: 0, end: 1, labels: ['Person'] },
        },
        { from_id: 'a', to_id: 'zz', type: 'relation', labels: ['married_to'] },
      ]),
    ).toEqual([
      { path: 'result/1/to_id', message: 'names no region of this result ("zz")' },
      { path: 'result/1/labels/0', message: '"married_to" is not a relation label of the config' },
    ]);
  });

  it("takes a <Chat>'s messages, which name the Chat itself (Label Studio's chatmessage results)", () => {
    const chat = parseLabelConfig(
      '<View><Text name="t" value="$t"/><Chat name="chat" value="$dialogue"/></View>',
    );
    const message = (over: Record<string, unknown>) => ({
      id: 'm',
      type: 'chatmessage',
      from_name: 'chat',
      to_name: 'chat',
      value: { chatmessage: { role: 'user', content: 'hi', createdAt: 1 } },
      ...over,
    });
    expect(validateResult(chat, [message({})])).toEqual([]);
    expect(
      validateResult(chat, [
        message({ from_name: 't', to_name: 't' }),
        message({ to_name: 't' }),
        message({ value: { chatmessage: { role: 'user' } } }),
      ]),
    ).toEqual([
      { path: 'result/0/from_name', message: 'must name a <Chat> tag of the config' },
      { path: 'result/1/to_name', message: 'must be "chat"' },
      { path: 'result/2/value/chatmessage', message: 'must have a string role and content' },
    ]);
  });

  it('knows where each result type keeps its labels', () => {
    expect(labelKeyOf('hypertextlabels')).toBe('htmllabels');
    expect(labelKeyOf('rectanglelabels')).toBe('rectanglelabels');
    expect(labelKeyOf('textarea')).toBeUndefined();
  });
});
