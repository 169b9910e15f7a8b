// Writes a tiny llama-architecture GGUF (format v3) with random weights: a real model file that
// llama.cpp loads and runs, small enough to write in every test run. Its answers are noise; tests
// check the mechanics (requests, grammars, token counts), never their quality.
import { writeFileSync } from 'node:fs';

const GGUF_TYPE = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 };
const GGML_F32 = 0;
const ALIGNMENT = 32;

// A SentencePiece-style vocabulary: control tokens, every byte (so any text can be spelled and
// any grammar satisfied), and the printable ASCII characters as plain tokens.
function vocabulary() {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  tokens.push('\u2581');
  types.push(1);
  for (let c = 33; c < 127; c++) {
    tokens.push(String.fromCharCode(c));
    types.push(1);
  }
  return { tokens, types, scores: tokens.map((_, i) => -i) };
}

class Writer {
  chunks = [];
  length = 0;
  push(buf) {
    this.chunks.push(buf);
    this.length += buf.length;
  }
  u32(v) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v) {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s) {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  pad() {
    const rest = this.length % ALIGNMENT;
    if (rest) this.push(Buffer.alloc(ALIGNMENT - rest));
  }
}

function writeValue(w, type, value) {
  if (type === GGUF_TYPE.UINT32) w.u32(value);
  else if (type === GGUF_TYPE.INT32) w.i32(value);
  else if (type === GGUF_TYPE.FLOAT32) w.f32(value);
  else if (type === GGUF_TYPE.BOOL) w.push(Buffer.from([value ? 1 : 0]));
  else if (type === GGUF_TYPE.STRING) w.str(value);
}

/** A deterministic pseudo-random generator, so the same seed writes the same model. */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/**
 * Writes the model to `path`. Dimensions: 64-wide embeddings, 2 blocks, 4 heads; about 0.5 MB.
 * @param {string} path
 */
export function writeTinyLlama(path, { seed = 42, embedding = 64, blocks = 2, heads = 4, ff = 128 } = {}) {
  const vocab = vocabulary();
  const n = vocab.tokens.length;
  const meta = [
    ['general.architecture', GGUF_TYPE.STRING, 'llama'],
    ['general.name', GGUF_TYPE.STRING, 'superinsight-test-tiny'],
    ['general.file_type', GGUF_TYPE.UINT32, 0],
    ['general.alignment', GGUF_TYPE.UINT32, ALIGNMENT],
    ['llama.context_length', GGUF_TYPE.UINT32, 2048],
    ['llama.embedding_length', GGUF_TYPE.UINT32, embedding],
    ['llama.block_count', GGUF_TYPE.UINT32, blocks],
    ['llama.feed_forward_length', GGUF_TYPE.UINT32, ff],
    ['llama.attention.head_count', GGUF_TYPE.UINT32, heads],
    ['llama.attention.head_count_kv', GGUF_TYPE.UINT32, heads],
    ['llama.rope.dimension_count', GGUF_TYPE.UINT32, embedding / heads],
    ['llama.attention.layer_norm_rms_epsilon', GGUF_TYPE.FLOAT32, 1e-5],
    ['llama.vocab_size', GGUF_TYPE.UINT32, n],
    ['tokenizer.ggml.model', GGUF_TYPE.STRING, 'llama'],
    ['tokenizer.ggml.bos_token_id', GGUF_TYPE.UINT32, 1],
    ['tokenizer.ggml.eos_token_id', GGUF_TYPE.UINT32, 2],
    ['tokenizer.ggml.unknown_token_id', GGUF_TYPE.UINT32, 0],
    ['tokenizer.ggml.add_bos_token', GGUF_TYPE.BOOL, true],
  ];
  const arrays = [
    ['tokenizer.ggml.tokens', GGUF_TYPE.STRING, vocab.tokens],
    ['tokenizer.ggml.scores', GGUF_TYPE.FLOAT32, vocab.scores],
    ['tokenizer.ggml.token_type', GGUF_TYPE.INT32, vocab.types],
  ];
  const tensors = [
    ['token_embd.weight', [embedding, n]],
    ['output_norm.weight', [embedding]],
    ['output.weight', [embedding, n]],
  ];
  for (let b = 0; b < blocks; b++) {
    tensors.push(
      [`blk.${b}.attn_norm.weight`, [embedding]],
      [`blk.${b}.attn_q.weight`, [embedding, embedding]],
      [`blk.${b}.attn_k.weight`, [embedding, embedding]],
      [`blk.${b}.attn_v.weight`, [embedding, embedding]],
      [`blk.${b}.attn_output.weight`, [embedding, embedding]],
      [`blk.${b}.ffn_norm.weight`, [embedding]],
      [`blk.${b}.ffn_gate.weight`, [embedding, ff]],
      [`blk.${b}.ffn_up.weight`, [embedding, ff]],
      [`blk.${b}.ffn_down.weight`, [ff, embedding]],
    );
  }

  const w = new Writer();
  w.push(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(meta.length + arrays.length);
  for (const [key, type, value] of meta) {
    w.str(key);
    w.u32(type);
    writeValue(w, type, value);
  }
  for (const [key, type, values] of arrays) {
    w.str(key);
    w.u32(GGUF_TYPE.ARRAY);
    w.u32(type);
    w.u64(values.length);
    for (const v of values) writeValue(w, type, v);
  }
  let offset = 0;
  const sizes = tensors.map(([, dims]) => dims.reduce((a, d) => a * d, 1) * 4);
  tensors.forEach(([name, dims], i) => {
    w.str(name);
    w.u32(dims.length);
    for (const d of dims) w.u64(d);
    w.u32(GGML_F32);
    w.u64(offset);
    offset += Math.ceil(sizes[i] / ALIGNMENT) * ALIGNMENT;
  });
  w.pad();
  const next = random(seed);
  tensors.forEach(([name, dims], i) => {
    const data = Buffer.alloc(Math.ceil(sizes[i] / ALIGNMENT) * ALIGNMENT);
    const count = sizes[i] / 4;
    // Norm weights are ones (a real model's starting point); the rest small random values.
    const isNorm = dims.length === 1 && name.endsWith('norm.weight');
    for (let k = 0; k < count; k++) data.writeFloatLE(isNorm ? 1 : next() * 0.2, k * 4);
    w.push(data);
  });
  writeFileSync(path, Buffer.concat(w.chunks));
}
