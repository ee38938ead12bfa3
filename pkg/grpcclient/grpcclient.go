// Package grpcclient holds what every Go client of Yaosu dials with: the retry policy for
// UNAVAILABLE. yaosuctl and the services that call one another (scenario → rights) use it,
// and so can any internal system written in Go.
//
// The policy is gRPC's own (a service config, gRFC A6) rather than an interceptor: gRPC
// resends the very bytes of the first attempt, so a retried create carries the same
// request_id by construction and the server answers it with the first attempt's result
// instead of creating a second record. The delays are jittered exponential, attempts are
// bounded (gRPC caps them at 5), retry throttling stops a client from multiplying load on a
// server that keeps failing, and a call's own deadline bounds all attempts together.
package grpcclient

import "google.golang.org/grpc"

// RetryServiceConfig retries calls the server could not take (UNAVAILABLE: the server, or a
// database it needs, is restarting). Only UNAVAILABLE: the server promises that it means
// "not done, send the same request again". ABORTED (a concurrent change won) needs a fresh
// read first and DEADLINE_EXCEEDED may have been applied, so neither is retried blindly.
//
// Five attempts with backoffs drawn from [0, 0.25s], [0, 0.625s], [0, 1.6s] and [0, 3.9s]
// wait up to 6.3 s (3.2 s on average), longer than a Postgres fast restart (1.7 s in the
// fault run) and shorter than the CLI's default --timeout.
const RetryServiceConfig = `{
  "methodConfig": [{
    "name": [{"service": "yaosu.catalog.v1.CatalogService"}, {"service": "yaosu.rights.v1.RightsService"},
      {"service": "yaosu.audit.v1.AuditService"}, {"service": "yaosu.scenario.v1.ScenarioService"}],
    "retryPolicy": {
      "maxAttempts": 5,
      "initialBackoff": "0.25s",
      "maxBackoff": "4s",
      "backoffMultiplier": 2.5,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }],
  "retryThrottling": {"maxTokens": 20, "tokenRatio": 0.2}
}`

// WithRetry is the dial option that installs RetryServiceConfig.
func WithRetry() grpc.DialOption { return grpc.WithDefaultServiceConfig(RetryServiceConfig) }
