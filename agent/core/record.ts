/** What a caller hands to the producer: one user record. */
export interface UserRecord {
  /** 1–256 Unicode characters. */
  readonly partitionKey: string;
  /** Decimal string 0 … 2^128−1; when given, it, not the partition key, chooses the shard. */
  readonly explicitHashKey?: string | undefined;
  readonly data: Uint8Array;
}
