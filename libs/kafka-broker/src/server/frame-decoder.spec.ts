import { FrameDecoder, FrameSizeError } from './frame-decoder';

function frame(payload: string): Buffer {
  const body = Buffer.from(payload);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

describe('frame decoder', () => {
  it('returns several frames from one chunk', () => {
    const decoder = new FrameDecoder(1024);
    const frames = decoder.push(Buffer.concat([frame('one'), frame('two'), frame('')]));
    expect(frames.map((f) => f.toString())).toEqual(['one', 'two', '']);
    expect(decoder.pendingBytes).toBe(0);
  });

  it('reassembles a frame delivered one byte at a time', () => {
    const decoder = new FrameDecoder(1024);
    const bytes = Buffer.concat([frame('hello'), frame('world')]);
    const frames: string[] = [];
    for (const b of bytes) frames.push(...decoder.push(Buffer.from([b])).map((f) => f.toString()));
    expect(frames).toEqual(['hello', 'world']);
  });

  it('keeps a partial frame pending until the rest arrives', () => {
    const decoder = new FrameDecoder(1024);
    const bytes = frame('partial');
    expect(decoder.push(bytes.subarray(0, 6))).toEqual([]);
    expect(decoder.pendingBytes).toBe(2);
    expect(decoder.push(bytes.subarray(6)).map((f) => f.toString())).toEqual(['partial']);
  });

  it('rejects an announced size over the limit before buffering the payload', () => {
    const decoder = new FrameDecoder(16);
    const size = Buffer.alloc(4);
    size.writeInt32BE(17);
    expect(() => decoder.push(size)).toThrow(FrameSizeError);
  });

  it('rejects a negative size', () => {
    expect(() => new FrameDecoder(16).push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(
      FrameSizeError,
    );
  });
});
