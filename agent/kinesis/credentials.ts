import type { StaticCredentials } from './sdk-client.ts';
import type { SigningCredentials } from './sigv4.ts';

/** Credentials for the next request; cheap to call per request. */
export type CredentialsSource = () => Promise<SigningCredentials>;

/**
 * Static keys when given; otherwise the AWS SDK's default provider chain (environment, SSO, shared
 * files, credential_process, web identity, container or instance metadata), imported on first use.
 * Memoized as the SDK client does it: the chain's own memoization (`defaultProvider` caches the
 * credentials; within 5 minutes of their expiry it fetches new ones in the background, once expired
 * it waits for them), created once. `region`: the region STS is called in when the chain assumes a
 * role, as the SDK passes its client's region (parentClientConfig).
 */
export function credentialsSource(credentials: StaticCredentials | undefined, region: string): CredentialsSource {
  if (credentials) {
    const fixed: SigningCredentials = { ...credentials };
    return () => Promise.resolve(fixed);
  }
  let chain: Promise<CredentialsSource> | undefined;
  return async () => {
    chain ??= import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider({ parentClientConfig: { region } }));
    const provider = await chain.catch((err: unknown) => {
      chain = undefined;
      throw err;
    });
    return provider();
  };
}
