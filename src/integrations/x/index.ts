// X for the report command and the daemon's daily post (phase 2 hook-up):
//
//   const publisher = createXPublisher(config.integrations.x, secrets, log, { registry: metrics.registry });
//   const posts = startDailyPosts({ config: config.integrations.x, source, publisher, log });  // posts.stop() on shutdown
//
// Off (the default) the publisher answers `disabled` and builds no client.
import type { Agent } from 'node:https';
import type { Registry } from 'prom-client';
import { SECRET_ENV, type Secrets } from '../../config/secret.js';
import type { Logger } from '../../telemetry/logger.js';
import { integrationCalls } from '../outcome.js';
import { twitterXApi } from './api.js';
import type { XConfig } from './config.js';
import { XPublisher } from './publisher.js';

export { XPublisher, type PublishOutcome, type XPost } from './publisher.js';
export { nextPostAt, startDailyPosts } from './schedule.js';
export type { XConfig } from './config.js';

export interface XPublisherOptions {
  /** Where `flashmm_integration_calls_total` is counted (the daemon's registry). */
  readonly registry?: Registry;
  /** An https.Agent for the requests (a proxy, or a test server's CA). */
  readonly agent?: Agent;
  readonly now?: () => number;
}

/** Throws at start-up when posting is on (not a dry run) without the four credentials. */
export function createXPublisher(config: XConfig, secrets: Secrets, log: Logger, options: XPublisherOptions = {}): XPublisher {
  const { registry, agent, now } = options;
  const credentials = secrets.x;
  if (config.enabled && !config.dryRun && credentials === undefined) {
    throw new Error(`integrations.x is enabled but its credentials are not set (${[SECRET_ENV.xApiKey, SECRET_ENV.xApiSecret, SECRET_ENV.xAccessToken, SECRET_ENV.xAccessSecret].join(', ')})`);
  }
  return new XPublisher({
    config, log: log.child({ component: 'x' }),
    api: () => {
      if (credentials === undefined) throw new Error('X credentials are not set');
      return twitterXApi(config, credentials, agent);
    },
    ...(registry === undefined ? {} : { calls: integrationCalls(registry) }),
    ...(now === undefined ? {} : { now }),
  });
}
