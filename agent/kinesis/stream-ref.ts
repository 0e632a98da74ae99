/** Which stream: by name or by ARN (exactly one). */
export interface StreamRef {
  readonly streamName?: string | undefined;
  readonly streamARN?: string | undefined;
}

/** The request fields that name the stream, for any Kinesis command. */
export function streamParams(ref: StreamRef): { StreamName?: string; StreamARN?: string } {
  if (ref.streamARN) return { StreamARN: ref.streamARN };
  if (ref.streamName) return { StreamName: ref.streamName };
  throw new TypeError('stream: give a stream name or a stream ARN');
}

export function describeStream(ref: StreamRef): string {
  return ref.streamARN ?? ref.streamName ?? '(no stream)';
}
